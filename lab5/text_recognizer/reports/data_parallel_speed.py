"""Training speed of the Lab 3 line model on 1 and on 2 devices, in one run.

    python -m text_recognizer.reports.data_parallel_speed --output ../reports/lab4_data_parallel.json

The same network (the Lab 3 reference config's arguments), the same batches of random line
images, trained for a few steps after a warm-up (the first steps compile), once on one device
and once data-parallel on two, the two taking turns. It prints and writes lines per second.

Devices: with two or more GPUs it uses two GPUs. Without, it re-runs itself with two simulated
CPU devices (`XLA_FLAGS`, JAX): these share the same cores, so a figure on CPU says little (at
most that one device's steps did not keep every core busy). With exactly one GPU it compares that
GPU against the CPU instead.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from text_recognizer.environment import configure_environment
from text_recognizer.reports import write_report

SIMULATED = "--xla_force_host_platform_device_count=2"
NETWORK_ARGS = {"window_width": 28, "window_stride": 14, "padding": "same", "all_conv": True, "conv_dim": 8,
                "fc_dim": 128, "lstm_dim": 128, "bidirectional": True, "dropout": 0.2}


def _train_speed(devices: list[str], batch_size: int, steps: int, repeats: int) -> list[float]:
    """Lines per second of `repeats` timed rounds of `steps` training steps on `devices`."""
    import keras
    import numpy as np

    from text_recognizer.data.character_mapping import MAPPING
    from text_recognizer.models.line_model_ctc import LineModelCtc
    from text_recognizer.training.distribution import ParallelPlan, data_parallel

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(batch_size * steps, 28, 28 * 32), dtype=np.uint8)
    y = rng.integers(1, len(MAPPING), size=(batch_size * steps, 32)).astype(np.int32)
    keras.utils.set_random_seed(0)
    plan = ParallelPlan(len(devices), tuple(devices), batch_size, 1e-3)
    speeds = []
    with data_parallel(plan):
        model = LineModelCtc(MAPPING, (28, 28 * 32), "line_lstm_ctc", NETWORK_ARGS)
        model.compile(1e-3)
        inputs = model.preprocess(x)
        model.network.fit(inputs[:batch_size * 2], y[:batch_size * 2], batch_size=batch_size, verbose=0)  # compile
        for _ in range(repeats):
            start = time.perf_counter()
            model.network.fit(inputs, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
            speeds.append(len(x) / (time.perf_counter() - start))
    return speeds


def measure(batch_size: int = 64, steps: int = 8, repeats: int = 3) -> dict[str, Any]:
    """The figures of this process's devices (see the module docstring)."""
    import jax
    import keras

    gpus = [f"gpu:{d.id}" for d in jax.devices() if d.platform == "gpu"]
    cpus = [f"cpu:{d.id}" for d in jax.devices("cpu")]
    if len(gpus) >= 2:
        setups = {"1 GPU": gpus[:1], "2 GPUs": gpus[:2]}
    elif len(gpus) == 1:
        setups = {"CPU": cpus[:1], "1 GPU": gpus[:1]}
    else:
        setups = {"1 CPU device": cpus[:1], "2 CPU devices (simulated)": cpus[:2]}
    results: dict[str, list[float]] = {name: [] for name in setups}
    for _ in range(repeats):  # the setups take turns, so that load on the machine hits both alike
        for name, devices in setups.items():
            results[name] += _train_speed(devices, batch_size, steps, repeats=1)
    speeds = {name: round(statistics.median(values), 1) for name, values in results.items()}
    first, second = speeds.values()
    return {
        "model": "Lab 3 line_lstm_ctc (reference network arguments), 28 x 896 lines",
        "backend": keras.backend.backend(),
        "global_batch": batch_size,
        "steps_per_round": steps,
        "rounds": repeats,
        "lines_per_second": speeds,
        "speed_up": round(second / first, 2),
        "machine": {"cpu_cores": os.cpu_count(), "platform": platform.platform(),
                    "devices": {name: list(devices) for name, devices in setups.items()}},
        "note": ("simulated CPU devices share the machine's cores: a speed-up here only says that one "
                 "device's steps did not keep every core busy, nothing about GPUs") if not gpus else "",
    }


def main(
    output: Annotated[Path | None, typer.Option(help="Also write the figures as JSON here.")] = None,
    batch_size: Annotated[int, typer.Option(help="Global batch (split over the devices).")] = 64,
    steps: Annotated[int, typer.Option(help="Training steps per timed round.")] = 8,
    repeats: Annotated[int, typer.Option(help="Timed rounds per setup (the median is reported).")] = 3,
) -> None:
    """Print (and write) the line model's training speed on 1 and 2 devices."""
    if os.environ.get("KERAS_BACKEND") != "jax" or SIMULATED not in os.environ.get("XLA_FLAGS", ""):
        # Keras' backend and XLA's device count are fixed when they start: run in a fresh process.
        env = {**os.environ, "KERAS_BACKEND": "jax",
               "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} {SIMULATED}".strip()}
        raise typer.Exit(subprocess.run([sys.executable, "-m", __spec__.name, *sys.argv[1:]], env=env).returncode)
    configure_environment()
    figures = measure(batch_size, steps, repeats)
    for name, speed in figures["lines_per_second"].items():
        print(f"{name:<28} {speed:>8.1f} lines/s")
    print(f"speed-up {figures['speed_up']}x  {figures['note']}")
    if output is not None:
        write_report(figures, output)
        print(f"written to {output}")


if __name__ == "__main__":
    typer.run(main)
