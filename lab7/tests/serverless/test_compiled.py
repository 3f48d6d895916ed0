"""The compiled (ONNX) models read lines and pages as the Keras models do, and serve the API's answers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from lab_folders import SUPPORT_DIR

from text_recognizer.images.polarity import white_on_black
from text_recognizer.images.reading import read_grayscale_image
from text_recognizer.serverless import compiled

SUPPORT = SUPPORT_DIR / "emnist_lines"
PAGES = sorted((SUPPORT_DIR / "iam_pages").glob("page_*.png"))
CONFIDENCE_TOLERANCE = 1e-3
"""ONNX and Keras logits differ by float rounding (< 1e-3, see LOGIT_TOLERANCE): the texts and boxes
must be equal, the calibrated confidences equal to this."""


@pytest.fixture(scope="module")
def keras_recognizer():
    """The service's recognizer (Keras line and page models), loaded once for the module."""
    from text_recognizer.predictors.recognizer import Recognizer

    return Recognizer.load()


@pytest.fixture(scope="module")
def compiled_recognizer(compiled_dir):
    return compiled.load_compiled(compiled_dir)


def test_same_text_and_logits_within_tolerance(compiled_dir):
    lines = np.stack([white_on_black(read_grayscale_image(p)) for p in sorted(SUPPORT.glob("line_*.png"))])
    report = compiled.compare_with_keras(compiled_dir, lines)
    assert report["same_text"] == report["num_lines"] == len(lines) > 0
    assert report["within_tolerance"], report


def test_compiled_recognizer_answers_like_the_api(compiled_recognizer, keras_recognizer, compiled_dir):
    image = read_grayscale_image(sorted(SUPPORT.glob("line_*.png"))[0])
    ours = compiled_recognizer.recognize(image, "line")
    theirs = keras_recognizer.recognize(image, "line")
    assert ours["text"] == theirs["text"] and ours["lines"][0]["box"] == theirs["lines"][0]["box"]
    assert abs(ours["confidence"] - theirs["confidence"]) < CONFIDENCE_TOLERANCE
    assert json.loads((compiled_dir / "compiled.json").read_text())["line"]["weights_sha256"]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_compiled_page_reader_reads_the_support_pages_as_the_service(compiled_recognizer, keras_recognizer, page):
    image = read_grayscale_image(page)
    ours, theirs = compiled_recognizer.recognize(image, "page"), keras_recognizer.recognize(image, "page")
    assert ours["kind"] == theirs["kind"] == "page" and theirs["text"].count("\n") >= 2
    assert ours["text"] == theirs["text"]
    assert [line["box"] for line in ours["lines"]] == [line["box"] for line in theirs["lines"]]
    for mine, service in zip(ours["lines"], theirs["lines"], strict=True):
        assert abs(mine["confidence"] - service["confidence"]) < CONFIDENCE_TOLERANCE
    assert ours["model"]["name"] == theirs["model"]["name"] == "line_detector_model_line_detector"


def test_handler_serves_the_compiled_models(compiled_dir, compiled_recognizer, monkeypatch):
    from text_recognizer.serverless import handler
    from text_recognizer.serverless.events import api_gateway_event

    monkeypatch.setenv("TEXT_RECOGNIZER_COMPILED_DIR", str(compiled_dir))
    handler.application.cache_clear()
    try:
        line = sorted(SUPPORT.glob("line_*.png"))[0].read_bytes()
        response = handler.handler(api_gateway_event(line, "image/png", query={"kind": "line"}))
        assert response["statusCode"] == 200 and json.loads(response["body"])["text"]
        page = handler.handler(api_gateway_event(PAGES[0].read_bytes(), "image/png", query={"kind": "page"}))
        assert page["statusCode"] == 200, page["body"][:300]
        assert json.loads(page["body"])["text"] == compiled_recognizer.recognize(read_grayscale_image(PAGES[0]),
                                                                                   "page")["text"]
        recognizer = handler.application().extensions["recognizer"]
        assert type(recognizer.line_predictor).__name__ == "CompiledLinePredictor"
        assert type(recognizer.page_predictor).__name__ == "CompiledPagePredictor"
    finally:
        handler.application.cache_clear()
