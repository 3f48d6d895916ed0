"""Train and evaluate a model from a JSON experiment config.

    python -m text_recognizer.training.run_experiment experiments/lab1_mlp.json
    python -m text_recognizer.training.run_experiment '{"dataset": "emnist", ...}' --epochs 1

Each run writes its weights, config, metrics and training curves to `runs/<name>-<time>/`;
`--deploy` also installs the weights in `text_recognizer/weights/` for the predictors.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from text_recognizer.environment import configure_environment
from text_recognizer.training.experiment_config import (
    DISTRIBUTION_MODULE,
    ConfigError,
    ExperimentConfig,
    load_config,
)

TRACKING_MODULE = "text_recognizer.training.tracking"
"""Lab 4's run registry and W&B tracking: every run is recorded there once the module is there."""


def earlier_training_seconds(initial_weights: str | None) -> float:
    """The training time behind a warm start's weights (0 for a fresh start), from their report."""
    if not initial_weights:
        return 0.0
    report = json.loads(Path(initial_weights).read_text()).get("report", {})
    return float(report.get("total_train_seconds", report.get("train_seconds", 0.0)))


def run_experiment(
    config: ExperimentConfig,
    run_dir: Path | None = None,
    deploy: bool = False,
    verbose: str | int = "auto",
    callbacks: Sequence[Any] | None = None,
    **tracking_options: Any,
) -> dict[str, Any]:
    """Train the configured model, evaluate it on the test split and save it.

    Returns the report (also written to `<run_dir>/metrics.json`): test metrics, training
    time, samples per second, the data source, and where it saved things: `run_dir`,
    `weights`, `model_config` (what `Model.load` reads), `training_curves`, and `deployed_to`
    with `deploy`. All paths are strings (the report is JSON). `callbacks` are extra Keras
    callbacks (a parallel trial's progress report).

    From Lab 4 (`training/tracking.py`), every run is recorded in the run registry and tracked
    in W&B (offline without an API key): `report["run_id"]` is the id in both, and
    `tracking_options` go to `TrackedRun.start` (`tracking=False` turns W&B off, `group` names
    the experiment group, `trial_id` the Ray Tune trial). A run that raises, or whose loss
    becomes NaN, is recorded as failed and the error is raised again.
    """
    from text_recognizer import paths

    run_dir = run_dir or paths.runs_dir() / f"{config.name}-{datetime.now():%Y%m%d-%H%M%S}"
    with start_run(config, run_dir, **tracking_options) as run:
        report = train_and_evaluate(config, run_dir, deploy, verbose, run=run, callbacks=callbacks)
        run.finish(report)
    return report


class UntrackedRun(contextlib.AbstractContextManager):
    """A run that nothing records (before Lab 4's tracking): no callbacks, nothing to finish."""

    def __exit__(self, *_exception: Any) -> None:
        return None

    def callbacks(self, model: Any, dataset: Any) -> list[Any]:
        """No tracking callbacks."""
        return []

    def finish(self, report: dict[str, Any]) -> None:
        """Nothing to record."""


def start_run(config: ExperimentConfig, run_dir: Path, **tracking_options: Any) -> Any:
    """The run's record: Lab 4's `TrackedRun` (registry and W&B) where it exists, else an `UntrackedRun`."""
    if importlib.util.find_spec(TRACKING_MODULE) is None:
        if tracking_options:
            raise TypeError(f"run_experiment's {sorted(tracking_options)} need Lab 4's training/tracking.py: "
                            "leave them out before Lab 4.")
        return UntrackedRun()
    from text_recognizer.training.tracking import TrackedRun

    return TrackedRun.start(config.to_dict(), run_dir, **tracking_options)


def train_and_evaluate(
    config: ExperimentConfig,
    run_dir: Path,
    deploy: bool = False,
    verbose: str | int = "auto",
    run: Any = None,
    callbacks: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """The work of `run_experiment`, step by step: data, devices, model, callbacks, fit, test,
    report, save, deploy. `run` (a tracked run) adds its callbacks first."""
    import keras

    from text_recognizer.training.callbacks import watching_callbacks

    keras.utils.set_random_seed(int(config.dataset_args.get("seed", 0)))
    dataset = load_dataset(config)
    train_args = dict(config.train_args)
    # The model is built, compiled and trained on the devices the run gets.
    with training_devices(config, train_args) as devices:
        model = build_model(config, dataset, train_args["initial_weights"])
        tracking = run.callbacks(model, dataset) if run is not None else []
        # The watching callbacks first: every later one (W&B, the history) sees the GPU's figures.
        everything = [*watching_callbacks(run_dir, train_args["tensorboard"]), *tracking, *(callbacks or []),
                      *training_callbacks(train_args, run_dir)]
        history, train_seconds = fit(model, dataset, train_args, everything, progress_verbosity(verbose), devices)
    test = model.evaluate(dataset.x_test, dataset.y_test)
    report = make_report(config, dataset, test, history, train_seconds, devices)
    save_run(model, history, report, run_dir)
    if deploy:
        report["deployed_to"] = deploy_weights(report)
    (run_dir / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def load_dataset(config: ExperimentConfig) -> Any:
    """The config's dataset, prepared (downloaded or rendered) and loaded; says what it holds."""
    from text_recognizer.data import get_dataset

    dataset = get_dataset(config.dataset, config.dataset_args)
    dataset.prepare()
    dataset.load()
    print(f"Data: {dataset.source_name}")
    print(f"  train {len(dataset.y_train):,}  val {len(dataset.y_val):,}  test {len(dataset.y_test):,}")
    return dataset


def training_devices(config: ExperimentConfig, train_args: dict[str, Any]) -> contextlib.AbstractContextManager[int]:
    """The devices a model is built and trained on, as a context; it yields how many.

    One device before Lab 4. From Lab 4, the devices the config's `"distribution"` asks for
    (`training/distribution.py`: `run_devices`); with `"per_device_batch"` this also sets the
    larger global batch and learning rate in `train_args`.
    """
    if importlib.util.find_spec(DISTRIBUTION_MODULE) is None:
        return contextlib.nullcontext(1)
    from text_recognizer.training.distribution import run_devices

    return run_devices(config.distribution, train_args)


def build_model(config: ExperimentConfig, dataset: Any, initial_weights: str | None) -> Any:
    """The config's model for `dataset`, starting from `initial_weights` (a saved model's config) if given."""
    from text_recognizer.models import get_model_class

    model = get_model_class(config.model)(dataset.mapping, dataset.input_shape, config.network, config.network_args)
    if initial_weights:
        model.warm_start(Path(initial_weights))
        print(f"Starting from the weights of {initial_weights}")
    return model


def training_callbacks(train_args: dict[str, Any], run_dir: Path) -> list[Any]:
    """The Keras callbacks that `train_args` ask for, plus a stop on NaN loss and a backup to resume from."""
    import keras

    callbacks = [keras.callbacks.TerminateOnNaN()]
    if train_args["early_stopping_patience"]:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=train_args["early_stopping_patience"], restore_best_weights=True
        ))
    if train_args["reduce_lr_patience"]:
        # Halve the learning rate when validation stalls: cheap, and usually worth a few tenths.
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=0.5, patience=train_args["reduce_lr_patience"], verbose=1
        ))
    if train_args["learning_rate_schedule"] == "cosine":
        callbacks.append(cosine_learning_rate(train_args["learning_rate"], train_args["epochs"]))
    # A long training that dies (a closed laptop, a lost session) resumes at its last epoch
    # when the same command runs again with the same --run-dir.
    callbacks.append(keras.callbacks.BackupAndRestore(str(run_dir / "backup")))
    return callbacks


def progress_verbosity(verbose: str | int) -> str | int:
    """Keras' `verbose` for `verbose="auto"`: a live progress bar in terminals and notebooks,
    one line per epoch in log files."""
    if verbose != "auto":
        return verbose
    return 1 if sys.stdout.isatty() or "ipykernel" in sys.modules else 2


def fit(model: Any, dataset: Any, train_args: dict[str, Any], callbacks: list[Any], verbose: str | int,
        devices: int) -> tuple[dict[str, list[float]], float]:
    """Train `model` as `train_args` say, each batch split evenly over `devices`; the history and seconds taken."""
    start = time.perf_counter()
    history = model.fit(
        dataset,
        batch_size=train_args["batch_size"],
        epochs=train_args["epochs"],
        learning_rate=train_args["learning_rate"],
        callbacks=callbacks,
        verbose=verbose,
        augment=train_args["augment"],
        batch_multiple=devices,
    )
    return history, time.perf_counter() - start


def make_report(config: ExperimentConfig, dataset: Any, test: dict[str, Any], history: dict[str, list[float]],
                train_seconds: float, devices: int) -> dict[str, Any]:
    """The run's figures: test metrics, training time and speed, where the data came from."""
    import keras
    import numpy as np

    from text_recognizer.training.evaluation import most_confused_pairs

    y_pred = test.pop("y_pred", None)
    epochs_run = len(history.get("loss", []))
    # A warm start continues an earlier training: the model's training time is both together.
    earlier_seconds = earlier_training_seconds(config.train_args["initial_weights"])
    report: dict[str, Any] = {
        "experiment": config.name,
        "data_source": dataset.source_name,
        "is_substitute": dataset.is_substitute,
        "test": test,
        "train_seconds": round(train_seconds, 2),
        "total_train_seconds": round(earlier_seconds + train_seconds, 2),
        "epochs_run": epochs_run,
        "train_samples_per_second": round(epochs_run * len(dataset.y_train) / train_seconds, 1),
        "backend": keras.backend.backend(),
        "devices": devices,
        "config": config.to_dict(),
    }
    if y_pred is not None and np.ndim(y_pred) == 1:
        # Single-label models: which classes get mistaken for which.
        report["most_confused"] = most_confused_pairs(dataset.y_test, y_pred, dataset.mapping, top=10)
    return report


def save_run(model: Any, history: dict[str, list[float]], report: dict[str, Any], run_dir: Path) -> None:
    """Save the weights (with the report), the history and the training curves in `run_dir`;
    note in `report` where they went."""
    from text_recognizer.training.evaluation import save_training_curves

    weights_path, config_path = model.save(run_dir / model.name, extra={"report": report})
    report.update(run_dir=str(run_dir), weights=str(weights_path), model_config=str(config_path),
                  training_curves=str(run_dir / "training_curves.png"))
    save_training_curves(history, Path(report["training_curves"]))
    (run_dir / "history.json").write_text(json.dumps(history, indent=2) + "\n")


def deploy_weights(report: dict[str, Any]) -> str:
    """Install a saved run's weights and config in `text_recognizer/weights/`; where the weights went."""
    from text_recognizer import paths

    paths.WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)  # a lab that ships no weights yet
    for path in (Path(report["weights"]), Path(report["model_config"])):
        shutil.copyfile(path, paths.WEIGHTS_DIR / path.name)
    return str(paths.WEIGHTS_DIR / Path(report["weights"]).name)


def cosine_learning_rate(learning_rate: float, epochs: int) -> Any:
    """A callback that decays the learning rate from `learning_rate` towards 0 along a half cosine.

    Epoch `e` (from 0) trains at `learning_rate * (1 + cos(pi * e / epochs)) / 2`: large steps
    while far from a minimum, small ones at the end, which usually lowers the final loss.
    """
    import math

    import keras

    return keras.callbacks.LearningRateScheduler(
        lambda epoch: learning_rate * (1 + math.cos(math.pi * epoch / epochs)) / 2
    )


def print_report(report: dict[str, Any]) -> None:
    """Print a report's figures for people."""
    test = report["test"]
    print(f"\n{report['experiment']} on {report['data_source']}")
    print(f"  test samples         {test.get('num_samples', 0):,}")
    for name, value in test.items():
        if name != "num_samples" and isinstance(value, (int, float)):
            print(f"  {name.replace('_', ' '):<20} {value:.4f}")
    print(f"  training             {report['train_seconds']:.1f} s, {report['epochs_run']} epochs, "
          f"{report['train_samples_per_second']:,.0f} samples/s ({report['backend']})")
    for target, prediction in test.get("examples", []):
        print(f"  label {target!r:<36} read {prediction!r}")
    if report.get("most_confused"):
        confused = ", ".join(f"{t!r}->{p!r} x{n}" for t, p, n in report["most_confused"][:5])
        print(f"  most confused        {confused}")
    print(f"  weights              {report['weights']}")
    if "deployed_to" in report:
        print(f"  deployed to          {report['deployed_to']}")


def main(
    config: Annotated[str, typer.Argument(help="Path to a JSON experiment config, or inline JSON.")],
    epochs: Annotated[int | None, typer.Option(help="Override train_args.epochs.")] = None,
    deploy: Annotated[bool, typer.Option(help="Install the weights in text_recognizer/weights/.")] = False,
    report: Annotated[Path | None, typer.Option(help="Also write the report JSON here.")] = None,
    run_dir: Annotated[Path | None, typer.Option(help="Folder for this run (default runs/<name>-<time>).")] = None,
) -> None:
    """Train and evaluate a model from an experiment config."""
    configure_environment()
    try:
        experiment = load_config(config)
        if epochs is not None:
            experiment.train_args["epochs"] = epochs
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        raise typer.Exit(2) from None
    result = run_experiment(experiment, run_dir=run_dir, deploy=deploy)
    print_report(result)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result, indent=2) + "\n")
        print(f"  report               {report}")


if __name__ == "__main__":
    typer.run(main)
