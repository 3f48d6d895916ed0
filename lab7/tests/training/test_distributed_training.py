"""Data parallelism: one model on several devices trains as it does on one.

The devices are simulated CPU devices (JAX: `XLA_FLAGS`, TensorFlow: logical devices), which
must exist before the framework starts: the trainings run in fresh Python processes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from lab_folders import LAB_DIR

from text_recognizer.data.batches import ArrayBatches
from text_recognizer.training.distribution import DistributionError, check_distribution, plan_parallel
from text_recognizer.training.experiment_config import ConfigError

#: Relative difference allowed between the losses of the same training on 1 and on 2 devices:
#: float32 rounding of gradients summed in another order (measured: JAX below 1e-6, TensorFlow's
#: MirroredStrategy 1.7e-4 on the first epoch's CTC loss).
LOSS_TOLERANCE = 1e-3

TRAINING = """
import json, sys
backend, run_root = sys.argv[1], sys.argv[2]
if backend == "tensorflow":
    from text_recognizer.training.distribution import simulate_cpu_devices
    simulate_cpu_devices(2)
from text_recognizer.models.line_model_ctc import LineModelCtc
from text_recognizer.training.experiment_config import load_config
from text_recognizer.training.run_experiment import run_experiment

config = {
    "dataset": "emnist_lines", "model": "LineModelCtc", "network": "line_lstm_ctc",
    "dataset_args": {"source": "substitute", "max_length": 4, "num_train": 16, "num_val": 4, "num_test": 4,
                     "symbols_per_class": 2, "char_args": {"letters_per_class_per_font": 2,
                                                           "test_letters_per_class_per_font": 2,
                                                           "digits_per_class": 5, "workers": 1}},
    "network_args": {"lstm_dim": 8, "conv_dim": 4, "fc_dim": 16, "dropout": 0.0},
    "train_args": {"epochs": 2, "batch_size": 8, "early_stopping_patience": 0},
}
result = {}
for devices in (1, 2):
    run = run_experiment(load_config(json.dumps({**config, "name": f"dp{devices}",
                                                 "distribution": {"devices": devices}})),
                         run_dir=__import__("pathlib").Path(run_root) / f"dp{devices}", verbose=0, tracking=False)
    history = json.load(open(f"{run_root}/dp{devices}/history.json"))
    result[devices] = {"loss": history["loss"], "devices": run["devices"], "model_config": run["model_config"]}
# What the 2-device weights read here (the process that trained them, with its 2 devices).
import numpy as np
model = LineModelCtc.load(result[2]["model_config"])
images = np.random.default_rng(0).integers(0, 256, size=(3, *model.input_shape), dtype=np.uint8)
np.save(f"{run_root}/images.npy", images)
result["texts"] = [text for text, _ in model.predict_texts(images)]
print(json.dumps(result))
"""

READING = """
import json, sys
import numpy as np
from text_recognizer.models.line_model_ctc import LineModelCtc
model = LineModelCtc.load(sys.argv[1])
images = np.load(sys.argv[2])
print(json.dumps([text for text, _ in model.predict_texts(images)]))
"""


def _python(script: str, *args: str, env: dict[str, str]) -> str:
    environment = {**os.environ, **env, "PYTHONPATH": str(LAB_DIR), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=LAB_DIR, env=environment,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("backend", ["jax", "tensorflow"])
def test_two_devices_train_as_one_and_their_weights_read_on_one(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    env = {"KERAS_BACKEND": backend, "TEXT_RECOGNIZER_DATA_DIR": str(tmp_path / "data"), "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "WANDB_MODE": "disabled"}
    result = json.loads(_python(TRAINING, backend, str(tmp_path / "runs"), env=env))
    one, two = result["1"], result["2"]
    assert (one["devices"], two["devices"]) == (1, 2)
    np.testing.assert_allclose(two["loss"], one["loss"], rtol=LOSS_TOLERANCE)
    # The 2-device weights, read by a process that has one device, give the same texts.
    single = {key: value for key, value in env.items() if key != "XLA_FLAGS"}
    on_one = json.loads(_python(READING, two["model_config"], str(tmp_path / "runs" / "images.npy"), env=single))
    assert on_one == result["texts"]


def test_plan_keeps_the_global_batch_or_scales_it_per_device():
    devices = ["cpu:0", "cpu:1"]
    plan = plan_parallel({"devices": 2}, 32, 1e-3, devices=devices)
    assert (plan.devices, plan.batch_size, plan.learning_rate) == (2, 32, 1e-3)
    scaled = plan_parallel({"devices": "all", "per_device_batch": True}, 32, 1e-3, devices=devices)
    assert (scaled.devices, scaled.batch_size, scaled.learning_rate) == (2, 64, 2e-3)
    assert "linear scaling" in scaled.note
    assert plan_parallel(None, 32, 1e-3).devices == 1


def test_plan_refuses_more_devices_than_there_are_and_uneven_batches():
    with pytest.raises(DistributionError, match="asks for 4 devices, but this machine shows 2"):
        plan_parallel({"devices": 4}, 32, 1e-3, devices=["cpu:0", "cpu:1"])
    with pytest.raises(DistributionError, match="multiple of 3"):
        plan_parallel({"devices": 3}, 32, 1e-3, devices=["gpu:0", "gpu:1", "gpu:2"])


@pytest.mark.parametrize("spec", [{"devices": 0}, {"devices": "two"}, {"devices": True}, {"gpus": 2},
                                  {"devices": 2, "per_device_batch": "yes"}, [2]])
def test_malformed_distribution_configs_are_refused(spec):
    with pytest.raises(ConfigError):
        check_distribution(spec)


def test_batches_split_evenly_over_the_devices():
    x, y = np.zeros((21, 2, 2), np.uint8), np.arange(21)
    batches = ArrayBatches(x, y, 8, batch_multiple=2)
    sizes = [len(batches[i][1]) for i in range(len(batches))]
    assert sizes == [8, 8, 4]  # 20 of 21 examples: the odd one out waits for another epoch
    with pytest.raises(ValueError, match="multiple"):
        ArrayBatches(x, y, 9, batch_multiple=2)
