"""The deployed line model compiled for Lambda: exported to ONNX here, read by
`predictors/compiled_line_predictor.py` (onnxruntime, CTC decoded in numpy).

TensorFlow alone is far above Lambda's 250 MB limit for unzipped code; onnxruntime and numpy fit.

    python -m text_recognizer.serverless.compiled OUT_DIR    # export (needs Keras), then compare

`export_models(out_dir)` writes `line.onnx` and `compiled.json` (the mapping, input shape and
which weights they came from); `load_compiled(out_dir)` gives a `predictors.recognizer.Recognizer`
whose line predictor runs the ONNX model without importing Keras.
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
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, indent=1))
    return path


def load_compiled(model_dir: str | Path) -> Any:
    """A `Recognizer` reading lines with the compiled model; pages are not compiled yet (the API answers 501)."""
    from text_recognizer.predictors.recognizer import Recognizer, model_provenance

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
    onnx_texts = [greedy_decode(row, compiled.mapping)[0] for row in onnx_logits]
    gap = float(np.abs(keras_logits - onnx_logits).max())
    return {"num_lines": len(lines), "same_text": sum(a == b for a, b in zip(keras_texts, onnx_texts, strict=True)),
            "max_logit_difference": gap, "tolerance": LOGIT_TOLERANCE, "within_tolerance": gap <= LOGIT_TOLERANCE,
            "examples": [[a, b] for a, b in zip(keras_texts[:5], onnx_texts[:5], strict=True)]}


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "build/compiled"
    print(export_models(target))
