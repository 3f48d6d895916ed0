"""The deployed line model compiled for Lambda: ONNX, run by onnxruntime, CTC decoded in numpy.

TensorFlow alone is far above Lambda's 250 MB limit for unzipped code; onnxruntime and numpy fit.

    python -m text_recognizer.serverless.compiled OUT_DIR    # export (needs Keras), then compare

`export_models(out_dir)` writes `line.onnx` and `compiled.json` (the mapping, input shape and
which weights they came from); `load_compiled(out_dir)` gives an `api.recognition.Recognizer`
whose line predictor runs the ONNX model without importing Keras.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from text_recognizer import image_checks
from text_recognizer.data.character_mapping import BLANK_INDEX
from text_recognizer.models.confidence import line_confidence, load_calibration
from text_recognizer.paths import WEIGHTS_DIR
from text_recognizer.predictors.images import read_grayscale_image, to_white_on_black

LINE_CONFIG = WEIGHTS_DIR / "line_model_ctc_line_lstm_ctc.json"
LOGIT_TOLERANCE = 1e-3
"""The largest absolute difference allowed between ONNX and Keras logits on the same line."""


def export_models(out_dir: str | Path, config_path: Path = LINE_CONFIG) -> Path:
    """Export the deployed line model to `out_dir/line.onnx` (+ `compiled.json`); the manifest's path."""
    from text_recognizer.environment import configure_environment

    configure_environment()
    import keras

    from text_recognizer.models.line_model_ctc import LineModelCtc

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = LineModelCtc.load(Path(config_path))
    network = model.network
    network.export(str(out / "line.onnx"), format="onnx", verbose=False,
                   input_signature=[keras.InputSpec(shape=network.input_shape, dtype="float32")])
    config = json.loads(Path(config_path).read_text())
    weights = Path(config_path).with_name(config["weights_file"])
    manifest = {"line": {"onnx": "line.onnx", "input_shape": list(model.input_shape[:2]),
                         "mapping": list(model.mapping), "config": Path(config_path).name,
                         "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest()}}
    path = out / "compiled.json"
    path.write_text(json.dumps(manifest, indent=1))
    return path


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log_softmax over the last axis, computed stably in float64."""
    x = np.asarray(logits, np.float64)
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def ctc_greedy(logits: np.ndarray, mapping: list[str]) -> tuple[str, float]:
    """Greedy CTC decoding of one line's logits (timesteps, classes), as `ctc_decode_logits` does it.

    The best class per timestep, repeats merged, blanks dropped; the confidence is the product of
    the best per-step probabilities (the probability of the single best alignment).
    """
    log_probs = log_softmax(logits)
    best = log_probs.argmax(axis=-1)
    keep = np.ones(len(best), bool)
    keep[1:] = best[1:] != best[:-1]
    text = "".join(mapping[i] for i in best[keep] if i != BLANK_INDEX)
    return text, float(np.clip(np.exp(log_probs.max(axis=-1).sum()), 0.0, 1.0))


class CompiledLinePredictor:
    """The deployed line model on onnxruntime: `predict(image) -> (text, confidence)` like `LinePredictor`."""

    def __init__(self, model_dir: str | Path) -> None:
        import onnxruntime

        manifest = json.loads((Path(model_dir) / "compiled.json").read_text())["line"]
        self.mapping: list[str] = manifest["mapping"]
        self.height, self.max_width = manifest["input_shape"]
        options = onnxruntime.SessionOptions()
        # One thread: the line model is small, and a thread pool's idle threads spin for a while
        # after every run, taking the CPU from the rest of the request (decoding, JSON): on 2 cores
        # the handler's median went from 8 ms to 4 ms. A Lambda function of 1024 MB has under one vCPU.
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(Path(model_dir) / manifest["onnx"]), sess_options=options,
                                                    providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.config_path = WEIGHTS_DIR / manifest["config"]
        self.calibration = load_calibration(self.config_path, "greedy")

    def logits(self, lines: np.ndarray) -> np.ndarray:
        """Logits (batch, timesteps, classes) of uint8 lines (batch, height, max_width), white on black."""
        return self.session.run(None, {self.input_name: np.asarray(lines, np.float32) / 255.0})[0]

    def predict(self, image: Any) -> tuple[str, float]:
        """(text, confidence) of one line image: a path, bytes or an array, either polarity."""
        line = image_checks.fit_line_width(to_white_on_black(read_grayscale_image(image)), self.height, self.max_width)
        logits = self.logits(line[None])[0]
        text, _ = ctc_greedy(logits, self.mapping)
        # The line's confidence as the Keras predictors give it (models/confidence.py), calibrated.
        return text, self.calibration(line_confidence(logits, text, self.mapping, greedy=True))


def load_compiled(model_dir: str | Path) -> Any:
    """A `Recognizer` (the API's) reading lines with the compiled model; pages are not compiled yet (501)."""
    from text_recognizer.api.recognition import Recognizer, model_provenance

    line = CompiledLinePredictor(model_dir)
    return Recognizer(line, None, {"line": model_provenance(line.config_path)},
                      page_unavailable="the compiled function reads single lines only")


def compare_with_keras(model_dir: str | Path, lines: np.ndarray) -> dict[str, Any]:
    """Read `lines` (uint8, white on black, the model's shape) with both models: texts and logit gap."""
    from text_recognizer.models.line_model_ctc import LineModelCtc, ctc_decode_logits

    compiled = CompiledLinePredictor(model_dir)
    keras_model = LineModelCtc.load(compiled.config_path)
    keras_logits = keras_model.predict_logits(lines)
    onnx_logits = compiled.logits(lines)
    keras_texts = [text for text, _ in ctc_decode_logits(keras_logits, keras_model.mapping)]
    onnx_texts = [ctc_greedy(row, compiled.mapping)[0] for row in onnx_logits]
    gap = float(np.abs(keras_logits - onnx_logits).max())
    return {"num_lines": len(lines), "same_text": sum(a == b for a, b in zip(keras_texts, onnx_texts, strict=True)),
            "max_logit_difference": gap, "tolerance": LOGIT_TOLERANCE, "within_tolerance": gap <= LOGIT_TOLERANCE,
            "examples": [[a, b] for a, b in zip(keras_texts[:5], onnx_texts[:5], strict=True)]}


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "build/compiled"
    print(export_models(target))
