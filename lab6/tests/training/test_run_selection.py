"""Lab 4 exercise: selecting the best run from run records (`selection.select_best_run`)."""

import math

import pytest

from text_recognizer.training.selection import select_best_run


def record(run_id, value, status="finished", started="2026-01-01T10:00:00+00:00", metric="val_loss"):
    return {"run_id": run_id, "status": status, "started_at": started, "metrics": {metric: value}}


def test_min_and_max():
    runs = [record("a", 0.5), record("b", 0.3), record("c", 0.9)]
    assert select_best_run(runs, "val_loss", "min")["run_id"] == "b", "mode 'min': the smallest finished value wins"
    assert select_best_run(runs, "val_loss", "max")["run_id"] == "c", "mode 'max': the largest finished value wins"
    assert select_best_run(runs, "val_loss", "min") is runs[1], "return the winning record itself, not a copy"


def test_failed_runs_and_nan_never_win():
    runs = [record("failed", 0.01, status="failed"), record("stopped", 0.02, status="stopped"),
            record("nan", math.nan), record("inf", -math.inf), record("none", None), record("ok", 0.7)]
    winner = (select_best_run(runs, "val_loss", "min") or {}).get("run_id")
    assert winner == "ok", (
        f"{winner!r} won: only finished runs with a finite number compete (NaN compares False with everything)")
    assert select_best_run([record("nan", math.nan), record("f", 0.1, status="failed")], "val_loss") is None, (
        "no run qualifies: expected None")
    assert select_best_run([], "val_loss") is None
    missing = [record("other", 0.1, metric="test_accuracy"), record("ok", 0.9)]
    assert select_best_run(missing, "val_loss")["run_id"] == "ok"


def test_ties_go_to_the_earlier_run():
    later = record("later", 0.4, started="2026-01-02T09:00:00+00:00")
    earlier = record("earlier", 0.4, started="2026-01-01T09:00:00+00:00")
    assert select_best_run([later, earlier], "val_loss")["run_id"] == "earlier", "a tie goes to the earlier start"
    assert select_best_run([later, earlier], "val_loss", "max")["run_id"] == "earlier", "in both modes"


def test_unknown_mode_is_an_error():
    with pytest.raises(ValueError):
        select_best_run([record("a", 1.0)], "val_loss", "lowest")
