"""Experiment configs: the JSON that says what to train (dataset, model, network, train args).

Example (`experiments/lab1_mlp.json`)::

    {
      "name": "lab1_mlp",
      "dataset": "emnist",
      "dataset_args": {"source": "auto"},
      "model": "CharacterModel",
      "network": "mlp",
      "network_args": {"layer_size": 512, "num_layers": 2, "dropout": 0.2},
      "train_args": {"batch_size": 256, "epochs": 10, "learning_rate": 0.001}
    }

From Lab 4, `"distribution": {"devices": 2}` (or `"all"`) trains one model on several devices
at once: `training/distribution.py` checks and applies it. Before Lab 4 a config that asks for
it is refused.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REQUIRED_KEYS = ("dataset", "model", "network")
DISTRIBUTION_MODULE = "text_recognizer.training.distribution"
"""Lab 4's data parallelism, which a config's `"distribution"` needs."""
TRAIN_ARG_DEFAULTS: dict[str, Any] = {
    "batch_size": 256,
    "epochs": 10,
    "learning_rate": 1e-3,
    "early_stopping_patience": 3,
    "reduce_lr_patience": 0,
    "augment": False,
    "learning_rate_schedule": "constant",
    # TensorBoard logs under the run's folder (`tensorboard --logdir runs`), beside W&B.
    "tensorboard": True,
    # A saved model's config (`<stem>.json`, as run_experiment writes it) to start from instead
    # of random weights: fine-tuning, or going on with a model trained in several sittings.
    "initial_weights": None,
}
LEARNING_RATE_SCHEDULES = ("constant", "cosine")
"""constant: `learning_rate` throughout; cosine: decays from `learning_rate` towards 0 over the epochs."""


class ConfigError(ValueError):
    """An experiment config that is malformed or names something unknown."""


@dataclass
class ExperimentConfig:
    """A validated experiment config."""

    dataset: str
    model: str
    network: str
    name: str = ""
    dataset_args: dict[str, Any] = field(default_factory=dict)
    network_args: dict[str, Any] = field(default_factory=dict)
    train_args: dict[str, Any] = field(default_factory=dict)
    #: Data parallelism (Lab 4): `{"devices": N or "all", "per_device_batch": bool}`; None: one device.
    distribution: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.name = self.name or f"{self.model}_{self.network}".lower()
        self.train_args = {**TRAIN_ARG_DEFAULTS, **self.train_args}

    def to_dict(self) -> dict[str, Any]:
        """The config as plain JSON-ready data."""
        data = {
            "name": self.name,
            "dataset": self.dataset,
            "dataset_args": self.dataset_args,
            "model": self.model,
            "network": self.network,
            "network_args": self.network_args,
            "train_args": self.train_args,
        }
        if self.distribution is not None:
            data["distribution"] = self.distribution
        return data


def flatten_config(entry: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A config's nested objects as dotted keys, the names group files give their parameters.

        >>> flatten_config({"train_args": {"epochs": 2}, "network_args.layer_size": 8, "tags": []})
        {'train_args.epochs': 2, 'network_args.layer_size': 8, 'tags': []}
    """
    flat: dict[str, Any] = {}
    for key, value in entry.items():
        if isinstance(value, dict) and value:
            flat.update(flatten_config(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def load_config(source: str | Path) -> ExperimentConfig:
    """Read a config from a JSON file path, or from inline JSON text (starting with `{`)."""
    text, where = _read_source(source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{where} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    return parse_config(data, where)


def parse_config(data: Any, where: str = "the experiment config") -> ExperimentConfig:
    """Validate already-parsed config data and return an ExperimentConfig."""
    from text_recognizer.data import dataset_classes
    from text_recognizer.models import model_names
    from text_recognizer.networks import network_names

    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a JSON object ({{...}}), got {type(data).__name__}.")
    allowed = {"name", *REQUIRED_KEYS, "dataset_args", "network_args", "train_args", "distribution"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{where} has unknown keys {unknown}; allowed keys: {sorted(allowed)}.")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise ConfigError(f"{where} is missing {missing}; every config names {list(REQUIRED_KEYS)}.")
    for key, known in (("dataset", dataset_classes()), ("model", model_names()), ("network", network_names())):
        if data[key] not in known:
            raise ConfigError(
                f"{where}: unknown {key} {data[key]!r}; choose one of {sorted(known)}."
            )
    for key in ("dataset_args", "network_args", "train_args"):
        if not isinstance(data.get(key, {}), dict):
            raise ConfigError(f"{where}: {key} must be a JSON object, got {data[key]!r}.")
    if "name" in data and not isinstance(data["name"], str):
        raise ConfigError(f"{where}: name must be a string, got {data['name']!r}.")
    unknown_train = sorted(set(data.get("train_args", {})) - set(TRAIN_ARG_DEFAULTS))
    if unknown_train:
        raise ConfigError(
            f"{where}: unknown train_args {unknown_train}; allowed: {sorted(TRAIN_ARG_DEFAULTS)}."
        )
    config = ExperimentConfig(**data)
    _check_train_args(config.train_args, where)
    config.distribution = _checked_distribution(config.distribution, where)
    return config


def _checked_distribution(spec: Any, where: str) -> dict[str, Any] | None:
    """A config's `"distribution"`, checked by Lab 4's `training/distribution.py` (refused before it)."""
    if spec is None:
        return None
    if importlib.util.find_spec(DISTRIBUTION_MODULE) is None:
        raise ConfigError(f'{where}: "distribution" (training on several devices) comes with Lab 4\'s '
                          "training/distribution.py: remove it from the config to train on one device.")
    from text_recognizer.training.distribution import check_distribution

    return check_distribution(spec, where)


def _check_train_args(train_args: dict[str, Any], where: str) -> None:
    for key in ("batch_size", "epochs", "early_stopping_patience", "reduce_lr_patience"):
        value = train_args[key]
        smallest = 1 if key in ("batch_size", "epochs") else 0
        if not isinstance(value, int) or isinstance(value, bool) or value < smallest:
            kind = "a positive integer" if smallest else "an integer >= 0 (0 turns it off)"
            raise ConfigError(f"{where}: train_args.{key} must be {kind}, got {value!r}.")
    for key in ("augment", "tensorboard"):
        if not isinstance(train_args[key], bool):
            raise ConfigError(f"{where}: train_args.{key} must be true or false, got {train_args[key]!r}.")
    initial = train_args["initial_weights"]
    if initial is not None and (not isinstance(initial, str) or not initial.endswith(".json")):
        raise ConfigError(
            f"{where}: train_args.initial_weights must be the path of a saved model's .json config "
            f"(for example text_recognizer/weights/<model>_<network>.json) or null, got {initial!r}."
        )
    if train_args["learning_rate_schedule"] not in LEARNING_RATE_SCHEDULES:
        raise ConfigError(
            f"{where}: train_args.learning_rate_schedule must be one of {list(LEARNING_RATE_SCHEDULES)}, "
            f"got {train_args['learning_rate_schedule']!r}."
        )
    rate = train_args["learning_rate"]
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 < rate < 1:
        raise ConfigError(f"{where}: train_args.learning_rate must be a number in (0, 1), got {rate!r}.")


def _read_source(source: str | Path) -> tuple[str, str]:
    if isinstance(source, str) and source.lstrip()[:1] in ("{", "["):
        return source, "the inline JSON config"
    path = Path(source)
    if not path.is_file():
        raise ConfigError(
            f"No experiment config file at {path}. Give a path such as experiments/lab1_mlp.json "
            "or inline JSON starting with '{'."
        )
    return path.read_text(), str(path)
