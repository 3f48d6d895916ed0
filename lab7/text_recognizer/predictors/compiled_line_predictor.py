"""The deployed line model compiled to ONNX, read with onnxruntime: no Keras, no TensorFlow.

    predictor = CompiledLinePredictor("build/compiled")   # what serverless/compiled.py exported
    text, confidence = predictor.predict("line.png")       # as LinePredictor.predict

TensorFlow alone is far above Lambda's 250 MB limit for unzipped code; onnxruntime and numpy fit.
The CTC output is decoded with `greedy_decode`: the numpy form of Lab 3's
`ctc_decode_logits(..., "greedy")` (which needs Keras), with the same text and path probability.
`predict` gives the line the calibrated confidence the Keras `LinePredictor` gives
(`models/confidence.py`, numpy only).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from text_recognizer.data.character_mapping import BLANK_INDEX
from text_recognizer.images.checks import fit_line_width
from text_recognizer.images.polarity import white_on_black
from text_recognizer.images.reading import read_grayscale_image
from text_recognizer.models.confidence import greedy_path, line_confidence, load_calibration, log_softmax
from text_recognizer.paths import WEIGHTS_DIR

MANIFEST = "compiled.json"
"""The file beside the ONNX model saying what it is (mapping, input shape, source weights)."""


def onnx_session(path: Path) -> Any:
    """An onnxruntime session on `path` that runs on one CPU thread.

    One thread: the models are small, and a thread pool's idle threads spin for a while after
    every run, taking the CPU from the rest of the request (decoding, JSON): on 2 cores the
    handler's median went from 8 ms to 4 ms. A Lambda function of 1024 MB has under one vCPU.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def greedy_decode(logits: np.ndarray, mapping: list[str]) -> tuple[str, float]:
    """Greedy CTC decoding of one line's logits (timesteps, classes) in numpy, as `ctc_decode_logits` does it.

    The best class per timestep (`greedy_path`), repeats merged, blanks dropped; the confidence is
    the product of the best per-step probabilities (the probability of the single best alignment).
    The package's one hand-written CTC decoder: Lab 3's `ctc_decode_logits` calls Keras's
    (`keras.ops.ctc_decode`), which this Keras-free path cannot import.
    """
    log_probs = log_softmax(logits)
    best = greedy_path(log_probs)
    keep = np.ones(len(best), bool)
    keep[1:] = best[1:] != best[:-1]
    text = "".join(mapping[i] for i in best[keep] if i != BLANK_INDEX)
    return text, float(np.clip(np.exp(log_probs.max(axis=-1).sum()), 0.0, 1.0))


class CompiledLinePredictor:
    """The deployed line model on onnxruntime: `predict(image) -> (text, confidence)` like `LinePredictor`.

    Args:
        model_dir: the folder `serverless/compiled.py` exported (`line.onnx` and `compiled.json`).
    """

    def __init__(self, model_dir: str | Path) -> None:
        manifest = json.loads((Path(model_dir) / MANIFEST).read_text())["line"]
        self.mapping: list[str] = manifest["mapping"]
        self.height, self.max_width = manifest["input_shape"]
        self.session = onnx_session(Path(model_dir) / manifest["onnx"])
        self.input_name = self.session.get_inputs()[0].name
        self.config_path = WEIGHTS_DIR / manifest["config"]
        self.calibration = load_calibration(self.config_path, "greedy")

    def logits(self, lines: np.ndarray) -> np.ndarray:
        """Logits (batch, timesteps, classes) of uint8 lines (batch, height, max_width), white on black."""
        return self.session.run(None, {self.input_name: np.asarray(lines, np.float32) / 255.0})[0]

    def predict(self, image: Any) -> tuple[str, float]:
        """(text, calibrated confidence) of one line image: a path, bytes or an array, either polarity."""
        line = fit_line_width(white_on_black(read_grayscale_image(image)), self.height, self.max_width)
        logits = self.logits(line[None])[0]
        text, _ = greedy_decode(logits, self.mapping)
        return text, self.calibration(line_confidence(logits, text, self.mapping, greedy=True))
