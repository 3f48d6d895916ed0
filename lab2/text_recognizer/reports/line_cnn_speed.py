"""Speed of the two line CNNs, side by side: sliding window versus all-convolutional.

    python -m text_recognizer.reports.line_cnn_speed --output ../reports/lab2_line_cnn_speed.json

Both networks are built with the same arguments and the same weights (`transfer_weights`), so
they compute the same function; the benchmark checks that, then times them on the *same* batch
of EMNIST lines: inference (`predict_on_batch`) and a training step (`train_on_batch`), each the
median of several repeats after a warm-up (the first calls trace and compile the graph), the two
variants taking turns. It reports wall-clock throughput (lines per second) and CPU time per line
(all threads of the process: on a CPU shared with other programs, the steadier figure), prints
them and writes them as JSON. Compare the two variants within one run, not across machines.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from text_recognizer.environment import configure_environment
from text_recognizer.reports import write_report

VARIANTS = ("line_cnn_sliding_window", "line_cnn_all_conv")


def load_batch(batch_size: int, data: str, seed: int = 0):
    """A batch of line images (float32 in [0, 1]) and labels: from EMNIST lines, or random."""
    import numpy as np

    if data == "random":
        rng = np.random.default_rng(seed)
        x = rng.random((batch_size, 28, 28 * 32), dtype=np.float32)
        y = rng.integers(0, 80, size=(batch_size, 32)).astype(np.int32)
        return x, y, "random pixels (28 x 896)"
    from text_recognizer.data import EmnistLines

    dataset = EmnistLines(num_train=max(batch_size, 10_000))
    x, y = dataset.x_train[:batch_size], dataset.y_train[:batch_size]
    return x.astype(np.float32) / 255.0, y.astype(np.int32), dataset.source_name


def time_calls(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall-clock seconds, CPU seconds) of `repeats` calls of each function.

    Two warm-up calls first (graph tracing, caches). The functions take turns, in alternating
    order, so that a change in the machine's load hits them alike. CPU seconds (all threads of
    this process) are much less sensitive than wall-clock time to other programs sharing the CPU.
    """
    for function in functions.values():
        for _ in range(2):
            function()
    wall: dict[str, list[float]] = {name: [] for name in functions}
    cpu: dict[str, list[float]] = {name: [] for name in functions}
    names = list(functions)
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else reversed(names):
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            functions[name]()
            wall[name].append(time.perf_counter() - wall_start)
            cpu[name].append(time.process_time() - cpu_start)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in names}


def benchmark(
    x, y, repeats: int = 5, network_args: dict | None = None, source: str = "the given batch"
) -> dict[str, Any]:
    """Time both variants on one batch of lines; return the figures as a dict.

    Args:
        x: line images, float32 in [0, 1], (batch, 28, width).
        y: their labels, (batch, max_length) class indices.
        repeats: timed calls per figure (the median is reported).
        network_args: arguments of both networks (`max_length` defaults to the labels' length).
        source: where the batch comes from, for the report.
    """
    import keras
    import numpy as np

    from text_recognizer.data.character_mapping import NUM_CLASSES
    from text_recognizer.networks import line_cnn

    network_args = {"max_length": int(y.shape[1]), **(network_args or {})}
    batch_size = len(x)
    keras.utils.set_random_seed(0)
    networks = {name: getattr(line_cnn, name)(x.shape[1:], NUM_CLASSES, **network_args) for name in VARIANTS}
    line_cnn.transfer_weights(networks[VARIANTS[0]], networks[VARIANTS[1]])
    outputs = [np.asarray(networks[name].predict_on_batch(x)) for name in VARIANTS]
    results: dict[str, Any] = {
        "data": source,
        "batch_size": batch_size,
        "repeats": repeats,
        "network_args": network_args,
        "max_abs_output_difference": float(np.abs(outputs[0] - outputs[1]).max()),
        "backend": keras.backend.backend(),
        "machine": f"{platform.processor() or platform.machine()}, {_cpu_count()} CPU threads",
    }
    for network in networks.values():
        network.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
    predict = {name: lambda net=net: net.predict_on_batch(x) for name, net in networks.items()}
    train_step = {name: lambda net=net: net.train_on_batch(x, y) for name, net in networks.items()}
    inference, train = time_calls(predict, repeats), time_calls(train_step, repeats)
    for name, network in networks.items():
        results[name] = {
            "params": int(network.count_params()),
            "inference_samples_per_second": round(batch_size / inference[name][0], 1),
            "train_step_samples_per_second": round(batch_size / train[name][0], 1),
            "inference_cpu_ms_per_sample": round(1000 * inference[name][1] / batch_size, 2),
            "train_step_cpu_ms_per_sample": round(1000 * train[name][1] / batch_size, 2),
        }
    slow, fast = (results[name] for name in VARIANTS)
    results["all_conv_speedup"] = {  # higher is faster: throughput ratio, or CPU time ratio
        "inference_wall_clock": _ratio(fast, slow, "inference_samples_per_second"),
        "train_step_wall_clock": _ratio(fast, slow, "train_step_samples_per_second"),
        "inference_cpu_time": _ratio(slow, fast, "inference_cpu_ms_per_sample"),
        "train_step_cpu_time": _ratio(slow, fast, "train_step_cpu_ms_per_sample"),
    }
    return results


def _ratio(numerator: dict, denominator: dict, key: str) -> float:
    return round(numerator[key] / denominator[key], 2)


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main(
    batch_size: Annotated[int, typer.Option(help="Lines per batch.")] = 32,
    repeats: Annotated[int, typer.Option(help="Timed calls per figure (the median is reported).")] = 5,
    data: Annotated[str, typer.Option(help="'emnist_lines' (default dataset) or 'random'.")] = "emnist_lines",
    network_args: Annotated[str, typer.Option(help="JSON network_args for both variants.")] = "{}",
    output: Annotated[Path | None, typer.Option(help="Also write the figures to this JSON file.")] = None,
) -> None:
    """Time the sliding-window and all-convolutional line CNNs on the same batch."""
    configure_environment()
    if data not in ("emnist_lines", "random"):
        raise typer.BadParameter("use 'emnist_lines' or 'random'", param_hint="--data")
    try:
        args = json.loads(network_args)
    except json.JSONDecodeError as error:
        raise typer.BadParameter(f"not valid JSON: {error}", param_hint="--network-args") from None
    x, y, source = load_batch(batch_size, data)
    results = benchmark(x, y, repeats, args, source)
    print(f"Line CNN speed on {results['data']} (batch {batch_size}, {results['backend']}, "
          f"{results['machine']})")
    print(f"  same outputs: max |difference| = {results['max_abs_output_difference']:.2e}")
    print(f"  {'network':<26}{'params':>10}{'inference/s':>13}{'train step/s':>14}"
          f"{'CPU ms/line':>13}{'(train)':>9}")
    for name in VARIANTS:
        figures = results[name]
        print(f"  {name:<26}{figures['params']:>10,}{figures['inference_samples_per_second']:>13,.1f}"
              f"{figures['train_step_samples_per_second']:>14,.1f}{figures['inference_cpu_ms_per_sample']:>13,.2f}"
              f"{figures['train_step_cpu_ms_per_sample']:>9,.2f}")
    speedup = results["all_conv_speedup"]
    print(f"  all-conv speed-up, wall clock: inference x{speedup['inference_wall_clock']}, "
          f"train step x{speedup['train_step_wall_clock']}")
    print(f"  all-conv speed-up, CPU time:   inference x{speedup['inference_cpu_time']}, "
          f"train step x{speedup['train_step_cpu_time']}")
    if output is not None:
        write_report(results, output)
        print(f"  written to {output}")


if __name__ == "__main__":
    typer.run(main)
