"""Lab 4: every run is tracked in W&B (offline without a key) and recorded in the run registry."""

import json
from pathlib import Path

import numpy as np
import pytest
import wandb
from offline_wandb import read_offline_run

from text_recognizer.training.experiment_config import load_config
from text_recognizer.training.registry import RunRegistry
from text_recognizer.training.run_experiment import run_experiment
from text_recognizer.training.tracking import (
    TrackedRun,
    TrainingDiverged,
    log_final_results,
    start_wandb_run,
    wandb_mode,
)

TINY_DATA = {"source": "substitute", "letters_per_class_per_font": 2,
             "test_letters_per_class_per_font": 1, "digits_per_class": 10}


@pytest.fixture
def no_wandb_account(tmp_path, monkeypatch):
    """No API key, no ~/.netrc, and a W&B server address where nothing listens."""
    for name in ("WANDB_API_KEY", "WANDB_MODE", "NETRC"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TEXT_RECOGNIZER_RUNS_DIR", str(tmp_path / "runs"))
    return tmp_path


def tiny_config(**network_args):
    return load_config(json.dumps({
        "name": "tiny", "dataset": "emnist", "dataset_args": TINY_DATA, "model": "CharacterModel",
        "network": "mlp", "network_args": {"layer_size": 16, "num_layers": 1, **network_args},
        "train_args": {"epochs": 2, "batch_size": 64}}))


def test_mode_is_offline_without_a_key_and_off_on_request(no_wandb_account, monkeypatch):
    assert wandb_mode() == "offline"
    assert wandb_mode(enabled=False) == "disabled"
    monkeypatch.setenv("WANDB_MODE", "online")  # asks for online, but has no key: offline, no prompt
    assert wandb_mode() == "offline"
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert wandb_mode() == "online"


def test_the_tracking_call_writes_an_offline_run_with_a_flat_config_a_summary_and_a_model(no_wandb_account,
                                                                                          monkeypatch):
    monkeypatch.setenv("WANDB_PROJECT", "lab4-check")
    config = {"name": "tiny", "network_args": {"layer_size": 16, "sizes": [1, 2]}, "train_args": {"epochs": 2}}
    run = start_wandb_run(config, "abc123", no_wandb_account / "run", group="sweep", mode="offline")
    files = [no_wandb_account / "model.weights.h5", no_wandb_account / "model.json"]
    for path in files:
        path.write_text(path.name)
    metrics = {"test_accuracy": 0.5, "val_loss": 1.25}
    log_final_results(run, metrics, files, "tiny-abc123")
    run.finish()
    wandb.teardown()  # W&B's service writes the run's file after `finish` returns: wait for it
    back = read_offline_run(no_wandb_account / "run")
    assert back["folder"].endswith("-abc123"), "expected the offline run's folder to end in the run id"
    assert (back["run_id"], back["project"], back["name"], back["group"], back["job_type"]) == (
        "abc123", "lab4-check", "tiny", "sweep", "train"), "expected the run's id, project, name, group and job type"
    assert back["config"] == {"name": "tiny", "network_args.layer_size": 16, "network_args.sizes": [1, 2],
                              "train_args.epochs": 2}, f"expected the config under dotted keys, got {back['config']}"
    assert {k: back["summary"].get(k) for k in metrics} == metrics, "expected the metrics in the run's summary"
    assert back["artifacts"] == [{"name": "tiny-abc123", "type": "model", "metadata": metrics,
                                  "files": ["model.json", "model.weights.h5"]}], "expected one model artifact"


def test_a_run_without_key_or_network_is_tracked_offline_and_registered(no_wandb_account):
    report = run_experiment(tiny_config(), run_dir=no_wandb_account / "run", group="g", verbose=0)
    record = RunRegistry().get(report["run_id"])
    assert record["status"] == "finished" and record["group"] == "g" and record["name"] == "tiny"
    assert record["wandb_mode"] == "offline" and record["wandb_run_id"] == report["run_id"]
    assert record["metrics"]["test_accuracy"] == pytest.approx(report["test"]["accuracy"])
    assert np.isfinite(record["metrics"]["val_loss"]) and record["weights"] == report["weights"]
    assert record["config"]["network_args"]["layer_size"] == 16 and record["started_at"] < record["ended_at"]
    offline = list((no_wandb_account / "run" / "wandb").glob(f"offline-run-*-{report['run_id']}"))
    assert len(offline) == 1 and list(offline[0].glob("*.wandb"))  # the run's data, ready for `wandb sync`
    wandb.teardown()  # W&B's service writes the run's file after `finish` returns: wait for it
    back = read_offline_run(no_wandb_account / "run")
    assert back["group"] == "g" and back["config"]["network_args.layer_size"] == 16
    assert back["summary"].get("test_accuracy") == pytest.approx(report["test"]["accuracy"]), back["summary"]
    assert [a["files"] for a in back["artifacts"] if a["type"] == "model"] == [sorted(
        [Path(report["weights"]).name, Path(report["model_config"]).name])]


def test_tracking_off_still_registers_and_a_crash_is_recorded_failed(no_wandb_account):
    report = run_experiment(tiny_config(), run_dir=no_wandb_account / "quiet", tracking=False, verbose=0)
    assert RunRegistry().get(report["run_id"])["wandb_mode"] == "disabled"
    assert not (no_wandb_account / "quiet" / "wandb").exists()
    with pytest.raises(ValueError):
        run_experiment(tiny_config(layer_size=-1), run_dir=no_wandb_account / "bad", tracking=False, verbose=0)
    failed = RunRegistry().runs(status="failed")
    assert len(failed) == 1 and "units" in failed[0]["error"] and failed[0]["ended_at"]


def test_a_nan_loss_fails_the_run(no_wandb_account):
    run_dir = no_wandb_account / "nan"
    run_dir.mkdir()
    (run_dir / "history.json").write_text(json.dumps({"loss": [2.0, float("nan")], "val_loss": [2.1, float("nan")]}))
    report = {"run_dir": str(run_dir), "test": {"accuracy": 0.0}, "epochs_run": 2, "train_seconds": 1.0,
              "experiment": "nan", "weights": "w", "model_config": "c", "data_source": "d"}
    with pytest.raises(TrainingDiverged), TrackedRun.start({"name": "nan"}, run_dir, tracking=False) as run:
        run.finish(report)
    assert RunRegistry().get(run.run_id)["status"] == "failed"
