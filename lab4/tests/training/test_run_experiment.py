"""run_experiment end to end on a tiny substitute dataset: train, evaluate, save, reload."""

import json

import numpy as np
import pytest

from text_recognizer.models import CharacterModel
from text_recognizer.training.experiment_config import load_config
from text_recognizer.training.run_experiment import main, run_experiment

TINY_DATA = {"source": "substitute", "letters_per_class_per_font": 2,
             "test_letters_per_class_per_font": 1, "digits_per_class": 10}


@pytest.fixture
def tiny_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TEXT_RECOGNIZER_RUNS_DIR", str(tmp_path / "runs"))
    return tmp_path


def tiny_config(**train_args):
    return json.dumps({
        "name": "tiny", "dataset": "emnist", "dataset_args": TINY_DATA, "model": "CharacterModel",
        "network": "mlp", "network_args": {"layer_size": 16, "num_layers": 1},
        "train_args": {"epochs": 2, "batch_size": 64, **train_args},
    })


def test_run_experiment_trains_evaluates_and_saves(tiny_env):
    report = run_experiment(load_config(tiny_config()), run_dir=tiny_env / "run", verbose=0)
    assert report["is_substitute"] and "substitute" in report["data_source"].lower()
    assert 0.0 <= report["test"]["accuracy"] <= 1.0 and report["epochs_run"] == 2
    assert {"accuracy_digits", "accuracy_uppercase", "accuracy_lowercase"} <= set(report["test"])
    run = tiny_env / "run"
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["test"]["accuracy"] == report["test"]["accuracy"]
    assert (run / "training_curves.png").stat().st_size > 1000
    # TensorBoard's logs beside the run, one train and one validation stream.
    assert {p.parent.name for p in (run / "tensorboard").rglob("events.out.tfevents.*")} == {"train", "validation"}
    # The report says where everything went; the saved config rebuilds the model.
    assert report["run_dir"] == str(run) and report["training_curves"] == str(run / "training_curves.png")
    assert report["model_config"] == str(run / "character_model_mlp.json")
    assert report["weights"] == str(run / "character_model_mlp.weights.h5")
    model = CharacterModel.load(report["model_config"])
    images = np.zeros((2, 28, 28), np.uint8)
    assert model.predict_batch(images).shape == (2, 80)
    assert json.loads((run / "character_model_mlp.json").read_text())["report"]["experiment"] == "tiny"


def test_a_warm_start_counts_the_training_it_continues(tiny_env):
    first = run_experiment(load_config(tiny_config()), run_dir=tiny_env / "first", verbose=0)
    assert first["total_train_seconds"] == first["train_seconds"]
    second = run_experiment(load_config(tiny_config(initial_weights=first["model_config"])),
                            run_dir=tiny_env / "second", verbose=0)
    assert second["total_train_seconds"] == pytest.approx(first["train_seconds"] + second["train_seconds"], abs=0.02)


def test_command_line_reports_accuracy_and_weights(tiny_env, capsys):
    report_path = tiny_env / "report.json"
    main(tiny_config(epochs=1), epochs=None, deploy=False, report=report_path, run_dir=tiny_env / "cli")
    out = capsys.readouterr().out
    assert "accuracy" in out and str(tiny_env / "cli") in out
    assert json.loads(report_path.read_text())["epochs_run"] == 1


def test_command_line_rejects_a_malformed_config(tiny_env, capsys):
    import typer

    with pytest.raises(typer.Exit) as exit_info:
        main('{"dataset": "emnist",', epochs=None, deploy=False, report=None, run_dir=None)
    assert exit_info.value.exit_code == 2
    assert "not valid JSON" in capsys.readouterr().err
