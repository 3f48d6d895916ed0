"""The base model: a network plus everything that makes it trainable and usable.

A model owns the data formatting (uint8 images -> float32 in [0, 1]), the loss, optimizer and
metrics, training and evaluation, and saving / loading weights together with the config that
rebuilds the network. Predictors use a model without any training code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np

from text_recognizer.data.batches import to_float, to_float_inputs
from text_recognizer.images import checks as image_checks
from text_recognizer.lookup import UnknownNameError
from text_recognizer.networks import get_network

WEIGHTS_SUFFIX = ".weights.h5"
CONFIG_SUFFIX = ".json"


class ModelConfigError(ValueError):
    """A model, network or saved-weights config that cannot be used (the message says why)."""


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Model:
    """A network with its data formatting, loss, optimizer, metrics and weights.

    Args:
        mapping: the class index -> character list (index 0 is the blank / padding "_").
        input_shape: shape of one input image, e.g. (28, 28).
        network: name of a network function of `text_recognizer.networks` (`get_network`).
        network_args: keyword arguments for that network function.

    What every model offers a predictor: `check_image(image)` (an array of the shape the
    network reads, or a clear error) and `predict_on_image(image)` -> (prediction, confidence).
    """

    reads_lines: ClassVar[bool] = False
    """True for line models: `check_image` then pads narrower lines and crops blank right ends."""

    def __init__(
        self,
        mapping: Sequence[str],
        input_shape: Sequence[int],
        network: str,
        network_args: dict[str, Any] | None = None,
    ) -> None:
        try:
            network_function = get_network(network)
        except UnknownNameError as error:
            raise ModelConfigError(str(error)) from None
        self.mapping = list(mapping)
        # One generator per model: augmentation is reproducible and models do not share state.
        self.augment_rng = np.random.default_rng(0)
        self.input_shape = tuple(int(d) for d in input_shape)
        self.network_name = network
        self.network_args = dict(network_args or {})
        try:
            self.network: keras.Model = network_function(
                self.input_shape, len(self.mapping), **self.network_args
            )
        except TypeError as error:
            raise ModelConfigError(
                f"network_args {self.network_args} do not fit network {network!r}: {error}. "
                f"Check the argument names in text_recognizer/networks/{network}.py."
            ) from error
        if self.network is None:
            raise ModelConfigError(
                f"Network function {network!r} returned None: it must return a keras.Model."
            )

    @property
    def name(self) -> str:
        """A file-friendly name such as `character_model_mlp`."""
        return f"{_snake_case(type(self).__name__)}_{self.network_name}"

    # --- data formatting -------------------------------------------------------------------
    @staticmethod
    def preprocess(images: np.ndarray) -> np.ndarray:
        """Scale images to float32 in [0, 1] (uint8 input is divided by 255)."""
        return to_float(images)

    def batch_transform(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Format one batch from a dataset for the network (used by `Dataset.batches`)."""
        return to_float_inputs(x, y)

    def augment_batch(self, x: np.ndarray) -> np.ndarray:
        """Random changes to a training batch of images; subclasses choose (default: none)."""
        return x

    def epoch_callbacks(self, dataset: Any) -> list[keras.callbacks.Callback]:
        """Keras callbacks that `fit` always adds, e.g. a metric computed on validation data
        after every epoch (line models report their CER this way); default: none."""
        return []

    def augmented_batch_transform(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`batch_transform` after `augment_batch`: for training batches only."""
        return self.batch_transform(self.augment_batch(x), y)

    # --- prediction: what predictors rely on ---------------------------------------------------
    def check_image(self, image: np.ndarray) -> np.ndarray:
        """`image` as an array the network reads, or an `ImageError` (a ValueError) saying what to do.

        Character models need exactly `input_shape`; line models (`reads_lines`) take lines of the
        trained height, padding narrower ones and cropping a blank right end of wider ones.
        """
        if self.reads_lines:
            return image_checks.fit_line_width(image, *self.input_shape[:2])
        return image_checks.exact_shape(image, self.input_shape)

    def predict_on_image(self, image: np.ndarray) -> tuple[str, float]:
        """Predict on one image: (the character or text, the model's confidence in [0, 1])."""
        raise NotImplementedError(f"{type(self).__name__} must define predict_on_image().")

    # --- what training needs -------------------------------------------------------------------
    def loss(self) -> keras.losses.Loss:
        """The training loss; subclasses choose it."""
        raise NotImplementedError(f"{type(self).__name__} must define loss().")

    def metrics(self) -> list:
        """Metrics Keras reports while training."""
        return []

    def optimizer(self, learning_rate: float) -> keras.optimizers.Optimizer:
        """Adam, the course's default optimizer."""
        return keras.optimizers.Adam(learning_rate=learning_rate)

    def compile(self, learning_rate: float = 1e-3) -> None:
        """Attach loss, optimizer and metrics to the network."""
        self.network.compile(
            optimizer=self.optimizer(learning_rate), loss=self.loss(), metrics=self.metrics()
        )

    def fit(
        self,
        dataset: Any,
        batch_size: int = 256,
        epochs: int = 10,
        learning_rate: float = 1e-3,
        callbacks: list[keras.callbacks.Callback] | None = None,
        verbose: str | int = "auto",
        workers: int = 1,
        augment: bool = False,
        batch_multiple: int = 1,
    ) -> dict[str, list[float]]:
        """Train on `dataset`'s train split, validating on its val split; return the history.

        With `augment`, training batches go through `self.augment_batch` first (validation
        batches never do). With `batch_multiple=N` every batch holds a multiple of N examples
        (Lab 4's data parallelism splits each batch over N devices).
        """
        options: dict[str, Any] = {"workers": workers, "batch_multiple": batch_multiple}
        self.compile(learning_rate)
        train_transform = self.augmented_batch_transform if augment else self.batch_transform
        train = dataset.batches("train", batch_size, shuffle=True, transform=train_transform, **options)
        val = dataset.batches("val", batch_size, transform=self.batch_transform, **options)
        callbacks = [*self.epoch_callbacks(dataset), *(callbacks or [])]
        history = self.network.fit(train, validation_data=val, epochs=epochs, callbacks=callbacks, verbose=verbose)
        return {key: [float(v) for v in values] for key, values in history.history.items()}

    def evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> dict[str, Any]:
        """Test metrics on (x, y) as a dict of numbers (plus optional `y_pred`); subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} must define evaluate().")

    def predict_batch(self, images: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Class probabilities for a batch of images (softmax of the network's logits)."""
        logits = self.network.predict(self.preprocess(images), batch_size=batch_size, verbose=0)
        return keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))

    # --- weights -------------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild this model before loading its weights."""
        return {
            "model": type(self).__name__,
            "network": self.network_name,
            "network_args": self.network_args,
            "input_shape": list(self.input_shape),
            "mapping": self.mapping,
        }

    def save(self, stem: Path, extra: dict[str, Any] | None = None) -> tuple[Path, Path]:
        """Write `<stem>.weights.h5` and `<stem>.json` (model config plus `extra`, e.g. metrics)."""
        stem = Path(stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        weights_path = stem.with_name(stem.name + WEIGHTS_SUFFIX)
        config_path = stem.with_name(stem.name + CONFIG_SUFFIX)
        # A compiled network would also save its optimizer's state (Adam keeps two numbers per
        # weight: a 3x bigger file) that prediction never reads: leave it out.
        optimizer = getattr(self.network, "optimizer", None)
        try:
            self.network.optimizer = None
            self.network.save_weights(weights_path)
        finally:
            self.network.optimizer = optimizer
        config = {**self.config(), "weights_file": weights_path.name, **(extra or {})}
        config_path.write_text(json.dumps(config, indent=2) + "\n")
        return weights_path, config_path

    @classmethod
    def load(cls, config_path: Path) -> Model:
        """Rebuild a model from a saved `<stem>.json` and load the weights it names."""
        config = _read_saved_config(config_path)
        try:
            model = cls(config["mapping"], config["input_shape"], config["network"],
                        config.get("network_args", {}))
        except KeyError as error:
            raise ModelConfigError(
                f"{config_path} is not a valid saved-model config (no {error}). "
                "Re-save the weights with run_experiment."
            ) from error
        model._load_network_weights(Path(config_path), config)
        return model

    def warm_start(self, config_path: Path) -> None:
        """Load a saved model's weights into this model, which must have the same form.

        The saved config (`<stem>.json`) must name this model's network, network args, input
        shape and mapping: weights of another form would load into the wrong layers or fail.
        """
        config = _read_saved_config(config_path)
        expected = {key: value for key, value in self.config().items() if key != "model"}
        different = sorted(key for key, value in expected.items() if config.get(key) != value)
        if different:
            raise ModelConfigError(
                f"{config_path} saves a model whose {', '.join(different)} differ from this "
                "experiment's: start from weights of the same network, or drop initial_weights."
            )
        self._load_network_weights(Path(config_path), config)

    def _load_network_weights(self, config_path: Path, config: dict[str, Any]) -> None:
        weights_path = config_path.with_name(str(config.get("weights_file", "")))
        if not config.get("weights_file") or not weights_path.is_file():
            raise FileNotFoundError(f"{config_path} names weights {weights_path}, which are missing.")
        try:
            self.network.load_weights(weights_path)
        except (ValueError, OSError) as error:
            raise ModelConfigError(
                f"Could not load weights {weights_path} into network {self.network_name!r} "
                f"with args {self.network_args}: {error}. The file may be corrupt or come from "
                "another network: re-save it with run_experiment."
            ) from error


def _read_saved_config(config_path: Path) -> dict[str, Any]:
    """The JSON of a saved model's `<stem>.json`, with an error that says what to do."""
    config_path = Path(config_path)
    if not config_path.is_file():
        raise FileNotFoundError(
            f"No saved model config at {config_path}. Train and save one with "
            "`python -m text_recognizer.training.run_experiment <config> --deploy`."
        )
    try:
        config = json.loads(config_path.read_text())
    except json.JSONDecodeError as error:
        raise ModelConfigError(
            f"{config_path} is not a valid saved-model config ({error}). "
            "Re-save the weights with run_experiment."
        ) from error
    if not isinstance(config, dict):
        raise ModelConfigError(f"{config_path} is not a saved-model config (not a JSON object). "
                               "Re-save the weights with run_experiment.")
    return config
