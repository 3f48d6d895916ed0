"""Keras callbacks that watch a training run: how busy the GPU is, and TensorBoard's logs.

Both sit beside the tracking of Lab 4 (W&B): the TensorBoard logs are plain files under the run's
folder, readable offline with `tensorboard --logdir runs`, and the GPU's utilisation is added to
every epoch's logs, so the history, W&B and TensorBoard all show it. A GPU that waits for data
shows up as low utilisation: the sign to give `PyDataset` more workers or a bigger batch.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import keras

GPU_QUERY = ["nvidia-smi", "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader,nounits"]


def parse_gpu_query(text: str) -> list[tuple[float, float]]:
    """`nvidia-smi`'s CSV answer as (utilisation %, memory used MiB), one pair per GPU.

    >>> parse_gpu_query("87, 10240\\n3, 512\\n")
    [(87.0, 10240.0), (3.0, 512.0)]

    Lines that are not two numbers (a GPU that reports "[N/A]") are left out.
    """
    readings = []
    for line in text.strip().splitlines():
        fields = [field.strip() for field in line.split(",")]
        try:
            readings.append((float(fields[0]), float(fields[1])))
        except (IndexError, ValueError):
            continue
    return readings


def nvidia_smi_query() -> list[tuple[float, float]]:
    """Every GPU's (utilisation %, memory MiB) now; [] when the driver does not answer."""
    try:
        done = subprocess.run(GPU_QUERY, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse_gpu_query(done.stdout) if done.returncode == 0 else []


class GpuUtilization(keras.callbacks.Callback):
    """Adds `gpu_utilization` (mean %, over the epoch and every GPU) and `gpu_memory_mib` (the most
    memory used by one GPU) to each epoch's logs, sampled every `interval` seconds while it trains.

    `query` defaults to `nvidia-smi`; on a machine without it, the callback adds nothing.
    """

    def __init__(self, interval: float = 1.0, query: Callable[[], list[tuple[float, float]]] | None = None) -> None:
        super().__init__()
        # Without nvidia-smi there is nothing to sample: no thread at all (looked up once, not each second).
        if query is None and shutil.which("nvidia-smi") is not None:
            query = nvidia_smi_query
        self.interval, self.query = interval, query
        self._samples: list[list[tuple[float, float]]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._samples, self._stop = [], threading.Event()
        if self.query is None:
            return
        self._thread = threading.Thread(target=self._sample, daemon=True, name="gpu-utilization")
        self._thread.start()

    def _sample(self) -> None:
        while True:
            readings = self.query()
            if readings:
                self._samples.append(readings)
            if self._stop.wait(self.interval):
                return

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if logs is not None and self._samples:
            logs["gpu_utilization"] = sum(u for sample in self._samples for u, _ in sample) / sum(
                len(sample) for sample in self._samples)
            logs["gpu_memory_mib"] = max(memory for sample in self._samples for _, memory in sample)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._stop.set()


def watching_callbacks(run_dir: Path, tensorboard: bool = True) -> list[keras.callbacks.Callback]:
    """The GPU's utilisation, then (with `tensorboard`) TensorBoard's logs in `run_dir/tensorboard`:
    first in the list, so that every later callback (W&B, the history) sees the GPU's figures."""
    callbacks: list[keras.callbacks.Callback] = [GpuUtilization()]
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run_dir / "tensorboard")))
    return callbacks
