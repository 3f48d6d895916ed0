"""Lab 4: every run is tracked in W&B (offline without a key) and recorded in the run registry."""

import json

import numpy as np
import pytest

from text_recognizer.training.experiment_config import load_config
from text_recognizer.training.registry import RunRegistry
from text_recognizer.training.run_experiment import run_experiment
from text_recognizer.training.tracking import TrackedRun, TrainingDiverged, wandb_mode

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
