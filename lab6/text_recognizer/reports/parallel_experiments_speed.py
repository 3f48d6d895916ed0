"""Benchmark: a group of short trainings one after another, then the same group on Ray.

    python -m text_recognizer.reports.parallel_experiments_speed --output ../reports/lab4_parallel_benchmark.json

Sequential: each training in turn in this process, with every core. Parallel: the same
trainings as Ray trials, `--workers` at a time, each limited to its share of the cores
(`cpus_per_trial`, its thread pools sized to match, no GPU); each worker process runs trial
after trial (`reuse_actors`), so it imports TensorFlow once. Prints and writes:

- the wall time of both, and the speed-up (Ray's start-up apart: a cluster pays it once);
- Ray's start-up time, and its overhead per trial: the worker time a trial costs beyond the
  trial's own work (starting its worker process, scheduling, results), computed as
  `(workers * parallel wall time - sum of the trials' own seconds) / trials`.

Figures only, no assertion: they depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from text_recognizer.environment import configure_environment
from text_recognizer.reports import write_report

DATASET_ARGS = {"source": "substitute", "letters_per_class_per_font": 12, "test_letters_per_class_per_font": 2,
                "digits_per_class": 300}
"""About 9,000 training characters: enough for trainings of some seconds, rendered once."""


def benchmark_group(trials: int, epochs: int, batch_size: int = 32) -> dict[str, Any]:
    """`trials` MLP trainings on the offline substitute, differing in learning rate.

    Small batches, as in a sweep of small models: each step is short, so one training keeps
    about one core busy however many it is given, and the other cores are what parallel trials use.
    """
    base = {"dataset": "emnist", "dataset_args": DATASET_ARGS, "model": "CharacterModel", "network": "mlp",
            "network_args": {"layer_size": 256, "num_layers": 2},
            "train_args": {"epochs": epochs, "batch_size": batch_size, "early_stopping_patience": 0}}
    rates = [round(1e-3 * (1 + index) / 2, 6) for index in range(trials)]
    return {"name": "lab4_benchmark", "base": base, "metric": "val_loss", "mode": "min",
            "configs": [{"train_args.learning_rate": rate} for rate in rates]}


def run_sequential(group: dict[str, Any]) -> tuple[float, list[float]]:
    """Every trial of the group in turn, in this process; (wall seconds, seconds per trial)."""
    from text_recognizer.training.experiment_config import parse_config
    from text_recognizer.training.experiment_group import expand_group
    from text_recognizer.training.run_experiment import run_experiment

    start, seconds = time.perf_counter(), []
    for config in expand_group(group):
        began = time.perf_counter()
        run_experiment(parse_config(config), verbose=0, tracking=False, group=group["name"] + "_sequential")
        seconds.append(time.perf_counter() - began)
    return time.perf_counter() - start, seconds


def run_parallel(group: dict[str, Any], workers: int, cpus_per_trial: int) -> dict[str, Any]:
    """The group on a Ray started here with `workers * cpus_per_trial` cores."""
    import ray

    from text_recognizer.training.run_group import run_group, start_ray

    began = time.perf_counter()
    start_ray(None, num_cpus=workers * cpus_per_trial)
    ray_start = time.perf_counter() - began
    try:
        start = time.perf_counter()
        rows = run_group({**group, "name": group["name"] + "_ray"}, cpus_per_trial=cpus_per_trial, use_gpu=False,
                         tracking=False)
        wall = time.perf_counter() - start
    finally:
        ray.shutdown()
    failed = [row["name"] for row in rows if row["status"] != "finished"]
    if failed:
        raise RuntimeError(f"trials {failed} did not finish; see the Ray output above")
    return {"wall": wall, "ray_start": ray_start, "trial_seconds": [row["metrics"]["trial_seconds"] for row in rows]}


def main(
    trials: Annotated[int, typer.Option(help="Trainings in the group.")] = 8,
    workers: Annotated[int, typer.Option(help="Ray trials at a time.")] = 2,
    epochs: Annotated[int, typer.Option(help="Epochs per training.")] = 16,
    batch_size: Annotated[int, typer.Option(help="Batch size of every training.")] = 32,
    output: Annotated[Path | None, typer.Option(help="Write the figures (JSON) here.")] = None,
) -> None:
    """Sequential trainings against the same group on Ray; print the figures."""
    configure_environment()
    from text_recognizer.data import get_dataset

    cores = os.cpu_count() or 1
    cpus_per_trial = max(1, cores // workers)
    group = benchmark_group(trials, epochs, batch_size)
    get_dataset("emnist", DATASET_ARGS).prepare()  # rendered once, before either side is timed
    sequential_wall, sequential_trials = run_sequential(group)
    parallel = run_parallel(group, workers, cpus_per_trial)
    own = sum(parallel["trial_seconds"])
    figures = {
        "trials": trials, "workers": workers, "cpus_per_trial": cpus_per_trial, "machine_cores": cores,
        "epochs_per_training": epochs, "batch_size": batch_size,
        "sequential_seconds": round(sequential_wall, 2), "parallel_seconds": round(parallel["wall"], 2),
        "speedup": round(sequential_wall / parallel["wall"], 3),
        "ray_start_seconds": round(parallel["ray_start"], 2),
        "speedup_with_ray_start": round(sequential_wall / (parallel["wall"] + parallel["ray_start"]), 3),
        "ray_overhead_per_trial_seconds": round((workers * parallel["wall"] - own) / trials, 2),
        "sequential_trial_seconds": [round(s, 2) for s in sequential_trials],
        "parallel_trial_seconds": [round(s, 2) for s in parallel["trial_seconds"]],
        "note": "a parallel trial's own seconds include importing Keras/TensorFlow in its fresh worker",
    }
    print(f"\n{trials} trainings, {epochs} epochs each, on {cores} cores")
    print(f"  one after another     {figures['sequential_seconds']:8.1f} s")
    print(f"  Ray, {workers} workers x {cpus_per_trial} core  {figures['parallel_seconds']:8.1f} s   "
          f"speed-up {figures['speedup']:.2f}x")
    print(f"  Ray start-up          {figures['ray_start_seconds']:8.1f} s   (speed-up with it "
          f"{figures['speedup_with_ray_start']:.2f}x: once per group, or once per session on a cluster)")
    print(f"  Ray overhead / trial  {figures['ray_overhead_per_trial_seconds']:8.1f} s")
    if output is not None:
        write_report(figures, output)
        print(f"  figures               {output}")


if __name__ == "__main__":
    typer.run(main)
