"""The compiled (ONNX) line model reads lines as the Keras model does, and serves the API's answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from text_recognizer.images.polarity import white_on_black
from text_recognizer.images.reading import read_grayscale_image
from text_recognizer.serverless import compiled

SUPPORT = Path(__file__).resolve().parents[1] / "support" / "emnist_lines"


def test_same_text_and_logits_within_tolerance(compiled_dir):
    lines = np.stack([white_on_black(read_grayscale_image(p)) for p in sorted(SUPPORT.glob("line_*.png"))])
    report = compiled.compare_with_keras(compiled_dir, lines)
    assert report["same_text"] == report["num_lines"] == len(lines) > 0
    assert report["within_tolerance"], report


def test_compiled_recognizer_answers_like_the_api(compiled_dir):
    from text_recognizer.predictors.recognizer import Recognizer

    image = read_grayscale_image(sorted(SUPPORT.glob("line_*.png"))[0])
    ours = compiled.load_compiled(compiled_dir).recognize(image, "line")
    theirs = Recognizer.load().recognize(image, "line")
    assert ours["text"] == theirs["text"] and ours["lines"][0]["box"] == theirs["lines"][0]["box"]
    assert abs(ours["confidence"] - theirs["confidence"]) < 1e-3
    assert json.loads((compiled_dir / "compiled.json").read_text())["line"]["weights_sha256"]


def test_handler_serves_the_compiled_model(compiled_dir, monkeypatch):
    from text_recognizer.serverless import handler
    from text_recognizer.serverless.events import api_gateway_event

    monkeypatch.setenv("TEXT_RECOGNIZER_COMPILED_DIR", str(compiled_dir))
    handler.application.cache_clear()
    try:
        line = sorted(SUPPORT.glob("line_*.png"))[0].read_bytes()
        response = handler.handler(api_gateway_event(line, "image/png", query={"kind": "line"}))
        assert response["statusCode"] == 200 and json.loads(response["body"])["text"]
        assert handler.application().extensions["recognizer"].line_predictor.__class__.__name__ == \
            "CompiledLinePredictor"
    finally:
        handler.application.cache_clear()
