"""The deployed page models compiled to ONNX, read with onnxruntime: pages without Keras or TensorFlow.

    predictor = CompiledPagePredictor("build/compiled")   # what serverless/compiled.py exported
    reading = predictor.predict("page.png")                # as PagePredictor.predict

The page is read by `PageReader` (`page_reading.py`), as Lab 5's `PagePredictor` reads it: the
same pre-processing, line detection on the same scaled page, the same crops. Only the two
networks run differently: the line detector and the handwriting line CRNN as ONNX graphs (any
page and line size: both have dynamic shapes), then the same numpy post-processing
(`models/line_boxes.boxes_with_confidence`) and the same decoder (`models/lm_beam_search.py`
with the character language model the export saved, and the same calibrated confidence).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from text_recognizer.images.boxes import Box
from text_recognizer.images.checks import pad_line_width, pad_to_multiple
from text_recognizer.images.line_normalization import normalize_line
from text_recognizer.images.reading import read_grayscale_image
from text_recognizer.models.char_language_model import CharNgramModel
from text_recognizer.models.confidence import line_confidence, load_calibration, log_softmax
from text_recognizer.models.line_boxes import boxes_with_confidence
from text_recognizer.models.lm_beam_search import lm_beam_search
from text_recognizer.paths import WEIGHTS_DIR
from text_recognizer.predictors.compiled_line_predictor import MANIFEST, onnx_session
from text_recognizer.predictors.page_reading import PageReader


def run_session(session: Any, images: np.ndarray) -> np.ndarray:
    """The first output of `session` on a batch of uint8 images (scaled to [0, 1] as the models were trained)."""
    return session.run(None, {session.get_inputs()[0].name: np.asarray(images, np.float32) / 255.0})[0]


class CompiledLineDetector:
    """The deployed line detector on onnxruntime: `predict_on_image(page) -> (boxes, confidence)` like
    `LineDetectorModel`'s, for a page as the detector reads it (white ink on black, its size)."""

    def __init__(self, model_dir: Path, manifest: dict[str, Any]) -> None:
        self.session = onnx_session(model_dir / manifest["onnx"])
        self.input_shape = tuple(manifest["input_shape"])
        self.size_multiple = int(manifest["size_multiple"])
        self.threshold = float(manifest["threshold"])
        self.config_path = WEIGHTS_DIR / manifest["config"]

    def predict_on_image(self, page: np.ndarray) -> tuple[list[Box], float]:
        """(line boxes in reading order, the mean line probability inside them) for one page."""
        logits = run_session(self.session, pad_to_multiple(page, self.size_multiple)[None])[0]
        probabilities = np.exp(log_softmax(logits))[: page.shape[0], : page.shape[1]]
        return boxes_with_confidence(probabilities, self.threshold)


class CompiledHandwritingLinePredictor:
    """The deployed handwriting line model on onnxruntime: `predict(image) -> (text, confidence)` like
    `HandwritingLinePredictor`'s (the same normalisation, decoder, language model and calibration)."""

    def __init__(self, model_dir: Path, manifest: dict[str, Any]) -> None:
        self.session = onnx_session(model_dir / manifest["onnx"])
        self.height = int(manifest["input_shape"][0])
        self.width_multiple = int(manifest["width_multiple"])
        self.mapping: list[str] = manifest["mapping"]
        self.language_model = CharNgramModel.load(model_dir / manifest["language_model"])
        self.alpha, self.beta, self.beam_width = manifest["alpha"], manifest["beta"], manifest["beam_width"]
        self.config_path = WEIGHTS_DIR / manifest["config"]
        self.calibration = load_calibration(self.config_path, manifest["strategy"])

    def predict(self, image: str | Path | bytes | np.ndarray) -> tuple[str, float]:
        """(text, calibrated confidence) for one line image: a path, encoded bytes or an array."""
        line = normalize_line(read_grayscale_image(image), self.height)
        if not line.any():
            return "", 1.0
        logits = run_session(self.session, pad_line_width(line, self.width_multiple)[None])[0]
        text, _ = lm_beam_search(logits, self.mapping, self.language_model, self.alpha, self.beta, self.beam_width)
        return text, self.calibration(line_confidence(logits, text, self.mapping, greedy=False))


class CompiledPagePredictor(PageReader):
    """Read pages with the compiled detector and line model (`PageReader.predict`).

    Args:
        model_dir: the folder `serverless/compiled.py` exported (`compiled.json` and the models it names).
    """

    def __init__(self, model_dir: str | Path) -> None:
        folder = Path(model_dir)
        manifest = json.loads((folder / MANIFEST).read_text())
        super().__init__(CompiledLineDetector(folder, manifest["detector"]),
                         CompiledHandwritingLinePredictor(folder, manifest["handwriting_line"]))
