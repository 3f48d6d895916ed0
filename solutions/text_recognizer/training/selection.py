"""Choosing the best run of a group from its run records.

A run record is a dict as the run registry stores it (`registry.RunRegistry.runs`)::

    {"run_id": "3kq9x2ab", "name": "lab4_mlp_sweep-002", "group": "lab4_mlp_sweep",
     "status": "finished", "started_at": "2026-12-02T15:04:11.52+00:00",
     "metrics": {"val_loss": 0.71, "test_accuracy": 0.78, ...}, ...}

`status` is "running", "finished", "failed" (an exception, a NaN loss, a killed trial) or
"stopped" (ended early by the sweep's scheduler). `started_at` is an ISO 8601 time: comparing
the strings compares the times.
"""

from __future__ import annotations

from typing import Any


def select_best_run(records: list[dict[str, Any]], metric: str, mode: str = "min") -> dict[str, Any] | None:
    """The best finished run of `records` by `metrics[metric]`, or None when no run qualifies.

    The contract:

    - only runs whose `status` is "finished" compete; a run whose metric is missing, not a
      number (None, a string, a bool) or not finite (NaN, infinity) never wins, whatever `mode`;
    - `mode` "min": the smallest value wins; "max": the largest;
    - ties go to the earlier run: the smaller `started_at`, then the earlier place in `records`;
    - the winner is returned itself (the same dict, not a copy).

    A diverged run reports NaN, and every comparison with NaN is False: think about what a plain
    `min` or `sorted` does with it before you use one.

    Example:

        >>> runs = [{"run_id": "a", "status": "finished", "started_at": "10:00", "metrics": {"val_loss": 0.5}},
        ...         {"run_id": "b", "status": "failed", "started_at": "10:01", "metrics": {"val_loss": 0.1}},
        ...         {"run_id": "c", "status": "finished", "started_at": "10:02", "metrics": {"val_loss": 0.3}}]
        >>> select_best_run(runs, "val_loss", "min")["run_id"], select_best_run(runs, "val_loss", "max")["run_id"]
        ('c', 'a')

    Notebook: "Exercise: the best run, and its promotion".

    Raises:
        ValueError: when `mode` is neither "min" nor "max".
    """
    ### BEGIN SOLUTION lab4
    import math

    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    sign = 1.0 if mode == "min" else -1.0
    best, best_key = None, None
    for index, record in enumerate(records):
        value = (record.get("metrics") or {}).get(metric)
        if record.get("status") != "finished" or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(value):
            continue
        key = (sign * value, str(record.get("started_at", "")), index)
        if best_key is None or key < best_key:
            best, best_key = record, key
    return best
    ### END SOLUTION


def is_better(value: float, than: float | None, mode: str) -> bool:
    """Whether metric `value` beats `than` under `mode` (anything beats a missing value)."""
    if than is None:
        return True
    return value < than if mode == "min" else value > than
