"""Data parallelism: one model trained on several devices at once.

An experiment config asks for it with `"distribution": {"devices": 2}` (or `"all"`):

    plan = plan_parallel(config.distribution, batch_size, learning_rate)
    with data_parallel(plan):
        model = ...  # built, compiled and trained inside the block
        model.fit(dataset, batch_size=plan.batch_size, learning_rate=plan.learning_rate,
                  batch_multiple=plan.devices)

Every device holds a copy of the weights. Each batch is split evenly over the devices, each
computes the gradients of its slice, the gradients are averaged across devices, and every copy
takes the same step: the result is the training of one device on the whole batch, up to
floating-point rounding. On JAX this is Keras' distribution API (`keras.distribution.
DataParallel` over a device mesh); on TensorFlow, `tf.distribute.MirroredStrategy`.

The batch-size rule. `train_args.batch_size` is the *global* batch (all devices together), so
the same config gives the same training on 1 or N devices, only faster when the devices are
real. With `"per_device_batch": true` the batch size is per device instead: the global batch
grows to N x batch_size, and the learning rate is scaled by N too (the linear scaling rule of
Goyal et al., 2017: N times larger batches average N times more examples, so a step N times
longer keeps the same progress per example). That rule holds for SGD-like optimizers at
moderate N; with Adam or large N, check the validation curve.

On a machine without accelerators, several CPU devices can be simulated (for tests and
lessons; they share the same cores, so they give no speed-up):
JAX: `XLA_FLAGS=--xla_force_host_platform_device_count=2` before Python starts;
TensorFlow: `simulate_cpu_devices(2)` before TensorFlow makes its first device.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from text_recognizer.training.experiment_config import ConfigError

DISTRIBUTION_KEYS = ("devices", "per_device_batch")
"""What a config's `"distribution"` may hold."""


def check_distribution(spec: Any, where: str = "the experiment config") -> dict[str, Any] | None:
    """Validate a config's `distribution` entry; the normalised dict (None: one device)."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ConfigError(f'{where}: "distribution" must be an object such as {{"devices": 2}}, got {spec!r}.')
    unknown = sorted(set(spec) - set(DISTRIBUTION_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown distribution keys {unknown}; allowed: {list(DISTRIBUTION_KEYS)}.")
    devices = spec.get("devices", 1)
    if devices != "all" and (isinstance(devices, bool) or not isinstance(devices, int) or devices < 1):
        raise ConfigError(f'{where}: distribution.devices must be a positive whole number or "all", got {devices!r}.')
    per_device = spec.get("per_device_batch", False)
    if not isinstance(per_device, bool):
        raise ConfigError(f"{where}: distribution.per_device_batch must be true or false, got {per_device!r}.")
    return {"devices": devices, "per_device_batch": per_device}


class DistributionError(RuntimeError):
    """The devices a config asks for cannot be had here (the message says what to do)."""


@dataclass(frozen=True)
class ParallelPlan:
    """How a run is spread: over how many devices, with which global batch and learning rate."""

    devices: int
    device_names: tuple[str, ...]
    batch_size: int
    learning_rate: float
    note: str = ""


def available_devices() -> list[str]:
    """The devices data parallelism can use with the current Keras backend (accelerators first)."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        accelerators = [d for d in jax.devices() if d.platform != "cpu"]
        return [f"{d.platform}:{d.id}" for d in accelerators] or [f"cpu:{d.id}" for d in jax.devices("cpu")]
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        return [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
    raise DistributionError(
        f"data parallelism needs the jax or tensorflow backend, not {backend!r}: set KERAS_BACKEND=jax "
        "(or tensorflow) before starting Python, or remove \"distribution\" from the config."
    )


def plan_parallel(spec: dict[str, Any] | None, batch_size: int, learning_rate: float,
                  devices: list[str] | None = None) -> ParallelPlan:
    """Decide the devices, global batch and learning rate of a run (see the module docstring).

    Raises:
        DistributionError: fewer devices than asked for, or a global batch that does not split
            evenly over the devices.
    """
    spec = check_distribution(spec)
    if spec is None or spec["devices"] == 1:
        return ParallelPlan(1, (), batch_size, learning_rate)
    found = available_devices() if devices is None else devices
    wanted = len(found) if spec["devices"] == "all" else spec["devices"]
    if wanted > len(found):
        raise DistributionError(
            f"the config asks for {wanted} devices, but this machine shows {len(found)} ({', '.join(found)}). "
            "Ask for fewer (\"devices\": \"all\" takes what there is); on a hub server, ask for more GPUs; "
            "to try it on CPU, simulate devices (see text_recognizer/training/distribution.py)."
        )
    note = ""
    if spec["per_device_batch"]:
        batch_size, learning_rate = batch_size * wanted, learning_rate * wanted
        note = (f"per-device batch: global batch {batch_size} over {wanted} devices, learning rate scaled "
                f"x{wanted} to {learning_rate:g} (linear scaling rule)")
    if batch_size % wanted:
        raise DistributionError(
            f"the global batch of {batch_size} does not split evenly over {wanted} devices: make "
            f"train_args.batch_size a multiple of {wanted}."
        )
    return ParallelPlan(wanted, tuple(found[:wanted]), batch_size, learning_rate, note)


@contextlib.contextmanager
def data_parallel(plan: ParallelPlan) -> Iterator[ParallelPlan]:
    """Build, compile and train the model inside this block to train it on `plan.devices` devices.

    With one device it does nothing. Predicting and evaluating after the block need no devices
    in step: the trained weights are ordinary weights again.
    """
    if plan.devices == 1:
        yield plan
        return
    import keras

    if keras.backend.backend() == "jax":
        mesh_devices = [name for name in keras.distribution.list_devices() if name in plan.device_names]
        with keras.distribution.DataParallel(devices=mesh_devices).scope():
            yield plan
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        with tf.distribute.MirroredStrategy(list(plan.device_names)).scope():
            yield plan
    else:
        available_devices()  # raises the DistributionError that says what to do


@contextlib.contextmanager
def run_devices(spec: dict[str, Any] | None, train_args: dict[str, Any]) -> Iterator[int]:
    """The devices `run_experiment` builds and trains a model on; yields how many.

    Plans the run for the config's `"distribution"` `spec` (one device when None) and sets the
    global batch and learning rate of the plan in `train_args`.
    """
    plan = plan_parallel(spec, train_args["batch_size"], train_args["learning_rate"])
    train_args.update(batch_size=plan.batch_size, learning_rate=plan.learning_rate)
    if plan.devices > 1:
        print(f"Data parallel over {plan.devices} devices ({', '.join(plan.device_names)}), global batch "
              f"{plan.batch_size}" + (f"; {plan.note}" if plan.note else ""))
    with data_parallel(plan):
        yield plan.devices


@contextlib.contextmanager
def single_device() -> Iterator[None]:
    """Predict inside a data-parallel block as on one device (any batch size, one image too).

    On JAX every batch of a data-parallel run must split evenly over its devices, predictions
    of callbacks included; TensorFlow's strategy needs no such care (this does nothing there).
    """
    import keras

    distribution = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(distribution)


def simulate_cpu_devices(count: int) -> None:
    """TensorFlow only: split the CPU into `count` logical devices (before TensorFlow starts).

    Raises:
        DistributionError: TensorFlow has already made its devices in this process.
    """
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError as error:
        raise DistributionError(
            f"TensorFlow has already started its devices ({error}); call simulate_cpu_devices() first thing, "
            "before building any model."
        ) from None
