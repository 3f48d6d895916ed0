"""Experiment configs: given as a file path or inline JSON; bad configs get clear errors."""

import json

import pytest
from lab_folders import LAB_DIR

from text_recognizer.training.experiment_config import ConfigError, load_config

EXPERIMENTS = LAB_DIR / "experiments"
VALID = {"dataset": "emnist", "model": "CharacterModel", "network": "mlp"}


#: Every shipped experiment config (experiment groups, from Lab 4, hold a "base" config instead).
CONFIGS = [p for p in sorted(EXPERIMENTS.glob("*.json")) if "base" not in json.loads(p.read_text())]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_config_is_valid(path):
    config = load_config(path)
    assert config.name and config.train_args["epochs"] >= 1


def test_config_from_a_file_path(tmp_path):
    path = tmp_path / "exp.json"
    path.write_text(json.dumps({**VALID, "network_args": {"layer_size": 8}, "train_args": {"epochs": 2}}))
    config = load_config(path)
    assert config.network_args == {"layer_size": 8}
    assert config.train_args["epochs"] == 2 and config.train_args["batch_size"] == 256
    assert config.name == "charactermodel_mlp"


def test_config_from_inline_json():
    config = load_config(json.dumps({**VALID, "name": "inline"}))
    assert config.name == "inline" and config.dataset == "emnist"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"dataset": "emnist", ', "not valid JSON.*line 1"),
        ("  [1, 2]", "must be a JSON object"),
        ('{"dataset": "emnist", "model": "CharacterModel"}', r"missing \['network'\]"),
        (json.dumps({**VALID, "dataset": "mnist-fashion"}), "unknown dataset 'mnist-fashion'"),
        (json.dumps({**VALID, "network": "transformer"}), "unknown network"),
        (json.dumps({**VALID, "epochs": 3}), r"unknown keys \['epochs'\]"),
        (json.dumps({**VALID, "train_args": {"epochs": 0}}), "epochs must be a positive integer"),
        (json.dumps({**VALID, "train_args": {"lr": 0.1}}), r"unknown train_args \['lr'\]"),
        (json.dumps({**VALID, "train_args": {"learning_rate": "fast"}}), "learning_rate"),
        (json.dumps({**VALID, "network_args": [1]}), "network_args must be a JSON object"),
    ],
)
def test_malformed_configs_get_clear_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(text)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="No experiment config file"):
        load_config(tmp_path / "nope.json")


def test_learning_rate_schedules():
    from text_recognizer.training.run_experiment import cosine_learning_rate

    assert load_config(json.dumps(VALID)).train_args["learning_rate_schedule"] == "constant"
    config = load_config(json.dumps({**VALID, "train_args": {"learning_rate_schedule": "cosine"}}))
    assert config.train_args["learning_rate_schedule"] == "cosine"
    with pytest.raises(ConfigError, match="learning_rate_schedule must be one of"):
        load_config(json.dumps({**VALID, "train_args": {"learning_rate_schedule": "step"}}))
    schedule = cosine_learning_rate(0.01, epochs=4).schedule
    assert [round(schedule(e), 6) for e in range(4)] == [0.01, 0.008536, 0.005, 0.001464]
