"""Backend smoke test: the LSTM-CTC line model trains one step and decodes on JAX.

Model code uses `keras.layers` and `keras.ops` only, so it must run on every Keras backend. The
backend is chosen when Keras is first imported, so the check runs in a fresh Python process.
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest
from lab_folders import LAB_DIR

SCRIPT = """
import json
import numpy as np
import keras
from text_recognizer.data.character_mapping import MAPPING
from text_recognizer.models.line_model_ctc import LineModelCtc, ctc_decode_logits

keras.utils.set_random_seed(0)
model = LineModelCtc(MAPPING, (28, 28 * 4), "line_lstm_ctc", {"lstm_dim": 8})
model.compile(learning_rate=1e-3)
x = np.random.default_rng(0).integers(0, 256, (4, 28, 28 * 4), dtype=np.uint8)
y = np.array([[11, 12, 0, 0], [13, 0, 0, 0], [14, 15, 16, 0], [0, 0, 0, 0]], "int32")
loss = float(model.network.train_on_batch(model.preprocess(x), y))
logits = model.predict_logits(x)
greedy = ctc_decode_logits(logits, MAPPING, "greedy")
beam = ctc_decode_logits(logits, MAPPING, "beam_search", beam_width=2)
print(json.dumps({"backend": keras.backend.backend(), "loss": loss, "shape": list(logits.shape),
                  "greedy": greedy, "beam": beam}))
"""


@pytest.mark.skipif(
    importlib.util.find_spec("jax") is None,
    reason="JAX is not installed: `pip install jax` (CPU) to run the backend smoke test",
)
def test_line_ctc_model_trains_and_decodes_on_jax():
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(LAB_DIR), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=LAB_DIR, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"the JAX run failed:\n{done.stderr[-3000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == "jax"
    assert result["loss"] == pytest.approx(result["loss"]) and 0 < result["loss"] < 1e4  # finite
    assert result["shape"] == [4, 8, 80]  # ceil(112 / 14) windows
    assert len(result["greedy"]) == len(result["beam"]) == 4
    for text, confidence in result["greedy"] + result["beam"]:
        assert isinstance(text, str) and 0.0 <= confidence <= 1.0
