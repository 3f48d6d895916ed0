"""The GPU-utilisation callback adds its figures to each epoch's logs (a GPU simulated by its
`nvidia-smi` answers, so the test runs on every machine) and nothing without a GPU."""

from __future__ import annotations

import itertools

import keras
import numpy as np

from text_recognizer.training.callbacks import GpuUtilization, parse_gpu_query


def test_nvidia_smi_answers_are_read_per_gpu():
    assert parse_gpu_query("87, 10240\n3, 512\n") == [(87.0, 10240.0), (3.0, 512.0)]
    assert parse_gpu_query("[N/A], 100\n40, 7\n") == [(40.0, 7.0)], "a GPU without figures is left out"
    assert parse_gpu_query("") == []


def _fit(callback: keras.callbacks.Callback) -> dict[str, list[float]]:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model.fit(np.zeros((32, 4)), np.zeros((32, 1)), epochs=2, batch_size=8, verbose=0,
                     callbacks=[callback]).history


def test_each_epoch_logs_the_mean_utilisation_and_the_most_memory():
    answers = itertools.cycle([[(20.0, 1000.0), (60.0, 3000.0)], [(40.0, 2000.0), (80.0, 500.0)]])
    history = _fit(GpuUtilization(interval=0.01, query=lambda: next(answers)))
    assert len(history["gpu_utilization"]) == 2, f"expected one figure per epoch, got {history}"
    assert all(20.0 <= u <= 80.0 for u in history["gpu_utilization"]), history["gpu_utilization"]
    assert set(history["gpu_memory_mib"]) <= {3000.0, 2000.0}, history["gpu_memory_mib"]


def test_without_a_gpu_nothing_is_added():
    history = _fit(GpuUtilization(interval=0.01, query=lambda: []))
    assert "gpu_utilization" not in history and "gpu_memory_mib" not in history
