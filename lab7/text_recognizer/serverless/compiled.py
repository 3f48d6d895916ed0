"""The deployed models compiled for Lambda: exported to ONNX here, read with onnxruntime by
`predictors/compiled_line_predictor.py` (lines) and `predictors/compiled_page_predictor.py` (pages).

TensorFlow alone is far above Lambda's 250 MB limit for unzipped code; onnxruntime and numpy fit.

    python -m text_recognizer.serverless.compiled OUT_DIR    # export (needs Keras)

`export_models(out_dir)` writes `line.onnx` (Lab 3's line model), `detector.onnx` and
`handwriting_line.onnx` (Lab 5's page models: both read any size), the character language model
the page's decoder uses (`language_model.pickle`) and `compiled.json` (for each model: its input
shape, mapping, decoder settings and which weights it came from); `load_compiled(out_dir)` gives
a `predictors.recognizer.Recognizer` that reads lines and pages without importing Keras.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from text_recognizer.paths import WEIGHTS_DIR
from text_recognizer.predictors.compiled_line_predictor import MANIFEST, CompiledLinePredictor, greedy_decode

LINE_CONFIG = WEIGHTS_DIR / "line_model_ctc_line_lstm_ctc.json"
DETECTOR_CONFIG = WEIGHTS_DIR / "line_detector_model_line_detector.json"
HANDWRITING_CONFIG = WEIGHTS_DIR / "handwriting_line_model_line_crnn.json"
LANGUAGE_MODEL_FILE = "language_model.pickle"
LOGIT_TOLERANCE = 1e-3
"""The largest absolute difference allowed between ONNX and Keras logits on the same line."""


def export_network(network: Any, path: Path, input_shape: tuple[int | None, ...]) -> None:
    """Write a Keras network to ONNX at `path`, for inputs of `input_shape` (None: any size)."""
    import keras

    network.export(str(path), format="onnx", verbose=False,
                   input_signature=[keras.InputSpec(shape=input_shape, dtype="float32")])


def weights_sha256(config_path: Path) -> str:
    """The SHA-256 of the weights a saved model config names."""
    weights = config_path.with_name(json.loads(config_path.read_text())["weights_file"])
    return hashlib.sha256(weights.read_bytes()).hexdigest()


def export_models(out_dir: str | Path, config_path: Path = LINE_CONFIG, detector_config: Path = DETECTOR_CONFIG,
                  handwriting_config: Path = HANDWRITING_CONFIG) -> Path:
    """Export the deployed models to `out_dir` (see the module docstring); the manifest's path."""
    from text_recognizer.environment import configure_environment

    configure_environment()
    from text_recognizer.models import handwriting_line_model as handwriting
    from text_recognizer.models.line_detector_model import SIZE_MULTIPLE, LineDetectorModel
    from text_recognizer.models.line_model_ctc import LineModelCtc

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = LineModelCtc.load(Path(config_path))
    export_network(model.network, out / "line.onnx", model.network.input_shape)
    detector = LineDetectorModel.load(Path(detector_config))
    export_network(detector.network, out / "detector.onnx", (None, None, None))  # any page size
    lines = handwriting.HandwritingLineModel.load(Path(handwriting_config))
    export_network(lines.network, out / "handwriting_line.onnx", (None, lines.input_shape[0], None))  # any width
    lines.language_model().save(out / LANGUAGE_MODEL_FILE)
    manifest = {
        "line": {"onnx": "line.onnx", "input_shape": list(model.input_shape[:2]), "mapping": list(model.mapping),
                 "config": Path(config_path).name, "weights_sha256": weights_sha256(Path(config_path))},
        "detector": {"onnx": "detector.onnx", "input_shape": list(detector.input_shape),
                     "size_multiple": SIZE_MULTIPLE, "threshold": detector.threshold,
                     "config": Path(detector_config).name, "weights_sha256": weights_sha256(Path(detector_config))},
        "handwriting_line": {"onnx": "handwriting_line.onnx", "input_shape": list(lines.input_shape),
                             "width_multiple": handwriting.WIDTH_MULTIPLE, "mapping": list(lines.mapping),
                             "strategy": lines.reading_strategy, "language_model": LANGUAGE_MODEL_FILE,
                             "alpha": lines.lm_alpha, "beta": lines.lm_beta, "beam_width": handwriting.LM_BEAM_WIDTH,
                             "config": Path(handwriting_config).name,
                             "weights_sha256": weights_sha256(Path(handwriting_config))},
    }
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, indent=1))
    return path


def load_compiled(model_dir: str | Path) -> Any:
    """A `Recognizer` reading lines and pages with the compiled models (no Keras)."""
    from text_recognizer.predictors.compiled_page_predictor import CompiledPagePredictor
    from text_recognizer.predictors.recognizer import Recognizer, model_provenance

    line = CompiledLinePredictor(model_dir)
    page = CompiledPagePredictor(model_dir)
    return Recognizer(line, page, {"line": model_provenance(line.config_path),
                                   "page": model_provenance(page.detector.config_path)})


def compare_with_keras(model_dir: str | Path, lines: np.ndarray) -> dict[str, Any]:
    """Read `lines` (uint8, white on black, the model's shape) with both models: texts and logit gap."""
    from text_recognizer.models.line_model_ctc import LineModelCtc, ctc_decode_logits

    compiled = CompiledLinePredictor(model_dir)
    keras_model = LineModelCtc.load(compiled.config_path)
    keras_logits = keras_model.predict_logits(lines)
    onnx_logits = compiled.logits(lines)
    keras_texts = [text for text, _ in ctc_decode_logits(keras_logits, keras_model.mapping)]
    onnx_texts = [greedy_decode(row, compiled.mapping)[0] for row in onnx_logits]
    gap = float(np.abs(keras_logits - onnx_logits).max())
    return {"num_lines": len(lines), "same_text": sum(a == b for a, b in zip(keras_texts, onnx_texts, strict=True)),
            "max_logit_difference": gap, "tolerance": LOGIT_TOLERANCE, "within_tolerance": gap <= LOGIT_TOLERANCE,
            "examples": [[a, b] for a, b in zip(keras_texts[:5], onnx_texts[:5], strict=True)]}


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "build/compiled"
    print(export_models(target))
