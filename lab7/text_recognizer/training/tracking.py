"""Experiment tracking with Weights & Biases, offline unless you have logged in.

`run_experiment` starts one W&B run per training and logs through Keras callbacks:

- the experiment config, and W&B's own system figures (CPU, memory, GPU);
- per-epoch metrics and the learning rate (`wandb.integration.keras.WandbMetricsLogger`);
- sample predictions as an image table at the end of training (`SamplePredictions`);
- the test metrics as the run's summary, and the saved weights as a `model` artifact.

Where runs go:

- `wandb login` done (or `WANDB_API_KEY` set): online, to your W&B project (`WANDB_PROJECT`,
  default "text-recognizer");
- no API key: **offline**, into `<run folder>/wandb/offline-run-*`; nothing prompts or waits
  for a network. `wandb sync <that folder>` uploads it later;
- `--no-tracking` (or `WANDB_MODE=disabled`): no W&B at all.

Tracking never fails a training: if W&B cannot start, the run goes on untracked with a warning.
"""

from __future__ import annotations

import netrc
import os
import sys
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

PROJECT = "text-recognizer"
SAMPLES = 16


def has_api_key() -> bool:
    """Whether W&B credentials are configured: `WANDB_API_KEY`, or a `wandb login` entry in ~/.netrc."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname or "api.wandb.ai"
    try:
        return netrc.netrc(os.environ.get("NETRC")).authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def wandb_mode(enabled: bool = True) -> str:
    """"disabled", "online" or "offline": what this run's tracking will do.

    Off when `enabled` is False or `WANDB_MODE=disabled`; online only with an API key (a
    `WANDB_MODE=online` without one would prompt for a key, so it is offline too); offline otherwise.
    """
    requested = os.environ.get("WANDB_MODE", "").lower()
    if not enabled or requested in ("disabled", "off"):
        return "disabled"
    if requested in ("offline", "dryrun"):
        return "offline"
    return "online" if has_api_key() else "offline"


def start_wandb_run(config: dict[str, Any], run_id: str, run_dir: Path, group: str | None = None,
                    mode: str = "offline") -> Any:
    """Start the W&B run of one training and return it (a `wandb.Run`).

    The contract (W&B's run table, `wandb sync` and the run registry rely on it):

    - the project is `WANDB_PROJECT` when that is set, otherwise `PROJECT`;
    - the run's id is `run_id`, the registry's id for the same training (so the two records meet,
      and an offline run's folder ends in it); its name is `config["name"]`;
    - `group` puts the trials of one sweep side by side (None: no group); the job type is "train";
    - the run's config is `config` **flat**: every nested value under its dotted path, the names
      a group file gives its parameters (lists and other values stay as they are), so that a
      sweep's parameters are columns of the run table under the names the group file uses;
    - W&B writes under `run_dir` (offline: `<run_dir>/wandb/offline-run-<time>-<run_id>/`), in
      `mode` ("offline" or "online"); offline, nothing asks for a login or waits for a network;
    - a run this process left open (a notebook's earlier run, an interrupted training) is
      finished first, never mixed into the new one.

    Example::

        run = start_wandb_run({"name": "mlp", "train_args": {"learning_rate": 0.01, "epochs": 2}},
                              "k3x9", Path("runs/mlp"), group="lab4_mlp_sweep")
        run.id, run.name, run.group        # ('k3x9', 'mlp', 'lab4_mlp_sweep')
        dict(run.config)                   # {'name': 'mlp', 'train_args.learning_rate': 0.01,
                                           #  'train_args.epochs': 2}
        # and runs/mlp/wandb/offline-run-20260101_120000-k3x9/ holds the run, for `wandb sync`

    Notebook: "Exercise: one tracked run in W&B".

    Hint: `wandb.init`; its `settings` can keep W&B quiet (Keras and Ray print enough);
    `experiment_config.flatten_config` gives the dotted keys.
    """
    import wandb

    from text_recognizer.training.experiment_config import flatten_config

    run_dir.mkdir(parents=True, exist_ok=True)
    return wandb.init(
        project=os.environ.get("WANDB_PROJECT", PROJECT), id=run_id, name=config.get("name"), group=group,
        job_type="train", config=flatten_config(config), dir=run_dir, mode=mode, reinit="finish_previous",
        settings=wandb.Settings(silent=True, console="off", init_timeout=60),
    )


def log_final_results(run: Any, metrics: dict[str, float], files: list[Path], artifact_name: str) -> None:
    """Record a finished training in its W&B run: its final figures, and its weights as a model.

    The contract:

    - every entry of `metrics` is in the run's **summary**: the figures W&B's run table shows and
      sorts runs by (the history keeps every epoch's values, the summary the final ones);
    - the `files` become one **artifact** of `run` (the run given, not W&B's current one), of type
      "model", named `artifact_name`, each file under its own file name, with `metrics` as the
      artifact's metadata: a model version then says how good it is, wherever it is used.

    Example::

        log_final_results(run, {"test_accuracy": 0.81, "val_loss": 0.62},
                          [Path("runs/mlp/model.weights.h5"), Path("runs/mlp/model.json")], "mlp-k3x9")
        run.summary["test_accuracy"]       # 0.81
        # and the run logged the artifact "mlp-k3x9" (version v0), type "model", holding
        # model.weights.h5 and model.json, its metadata {"test_accuracy": 0.81, "val_loss": 0.62}

    Notebook: "Exercise: one tracked run in W&B".

    Hint: `wandb.Artifact`.
    """
    import wandb

    run.summary.update(metrics)
    artifact = wandb.Artifact(artifact_name, type="model", metadata=metrics)
    for path in files:
        artifact.add_file(str(path))
    run.log_artifact(artifact)


class Tracker:
    """One training's W&B run, or a stand-in that does nothing when tracking is off or failed."""

    def __init__(self, run: Any = None, mode: str = "disabled") -> None:
        self.run = run
        self.mode = mode if run is not None else "disabled"

    @classmethod
    def start(cls, config: dict[str, Any], run_id: str, run_dir: Path, group: str | None = None,
              enabled: bool = True) -> Tracker:
        """Start the W&B run `run_id` (same id as the registry's), or a disabled tracker."""
        mode = wandb_mode(enabled)
        if mode == "disabled":
            return cls()
        try:
            run = start_wandb_run(config, run_id, run_dir, group=group, mode=mode)
        except Exception as error:  # noqa: BLE001 - tracking never stops a training
            warnings.warn(f"W&B could not start ({error}); training goes on untracked.", stacklevel=2)
            return cls()
        where = run.url if mode == "online" else f"offline in {Path(run.dir).parent} (upload: wandb sync)"
        print(f"W&B run {run_id}: {where}", file=sys.stderr)
        return cls(run, mode)

    @property
    def url(self) -> str | None:
        """The run's page (online runs only)."""
        return self.run.url if self.run is not None and self.mode == "online" else None

    @property
    def directory(self) -> str | None:
        """Where W&B writes the run's files (an offline run's folder to `wandb sync`)."""
        return str(Path(self.run.dir).parent) if self.run is not None else None

    def callbacks(self, model: Any, dataset: Any) -> list[Any]:
        """The Keras callbacks that log this training: metrics and learning rate, sample predictions."""
        import keras

        if self.run is None:
            return []
        callbacks: list[keras.callbacks.Callback] = [sample_predictions(self, model, dataset)]
        if keras.backend.backend() == "tensorflow":  # W&B's logger reads the learning rate with TensorFlow
            from wandb.integration.keras import WandbMetricsLogger

            callbacks.insert(0, WandbMetricsLogger(log_freq="epoch"))
        else:
            callbacks.insert(0, keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: self.log(
                {**{f"epoch/{k}": v for k, v in (logs or {}).items()}, "epoch/epoch": epoch})))
        return callbacks

    def log(self, data: dict[str, Any]) -> None:
        """`wandb.log`, never raising."""
        self._safely(lambda: self.run.log(data))

    def record_results(self, metrics: dict[str, float], files: list[Path], name: str) -> None:
        """The final figures in the run's summary, the saved weights as a `model` artifact."""
        self._safely(lambda: log_final_results(self.run, metrics, files, name.replace("/", "-")))

    def finish(self, failed: bool = False) -> None:
        """End the run (exit code 1 marks it failed in W&B)."""
        self._safely(lambda: self.run.finish(exit_code=1 if failed else 0))
        self.run = None

    def _safely(self, action: Any) -> None:
        if self.run is None:
            return
        try:
            action()
        except Exception as error:  # noqa: BLE001 - tracking never stops a training
            warnings.warn(f"W&B logging failed ({error}); the training goes on.", stacklevel=3)


def sample_predictions(tracker: Tracker, model: Any, dataset: Any, count: int = SAMPLES) -> Any:
    """A Keras callback that logs, at the end of training, a table of validation images with
    their label and the model's prediction (a character, or a line's text)."""
    import keras
    import wandb

    from text_recognizer.data.character_mapping import indices_to_text

    def table() -> Any:
        rows = []
        for image, label in zip(dataset.x_val[:count], dataset.y_val[:count], strict=True):
            text, confidence = model.predict_on_image(image)
            truth = indices_to_text(np.atleast_1d(label), model.mapping)
            rows.append([wandb.Image(image), truth, text, round(float(confidence), 4), text == truth])
        return wandb.Table(columns=["image", "label", "prediction", "confidence", "right"], data=rows)

    def log_table(logs: dict[str, Any] | None = None) -> None:
        from text_recognizer.training.distribution import single_device

        try:
            with single_device():  # one image at a time does not split over the devices of a run
                tracker.log({"samples/validation": table()})
        except Exception as error:  # noqa: BLE001 - tracking never stops a training
            warnings.warn(f"could not log sample predictions ({error}).", stacklevel=2)

    return keras.callbacks.LambdaCallback(on_train_end=log_table)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite: the run is recorded as failed."""


class TrackedRun:
    """One run as the registry and W&B see it; `run_experiment` starts one per training
    (`run_experiment.start_run`) and uses it as a context manager.

    Entering records the run as "running" (with its W&B run of the same id); leaving through an
    exception records it as "failed" with the error; `finish(report)` records the metrics.
    """

    def __init__(self, registry: Any, run_id: str, tracker: Tracker) -> None:
        self.registry, self.run_id, self.tracker = registry, run_id, tracker
        self.finished = False

    @classmethod
    def start(cls, config: dict[str, Any], run_dir: Path, group: str | None = None, tracking: bool = True,
              trial_id: str | None = None, registry: Any = None) -> TrackedRun:
        """Record the run in the registry and start its W&B run."""
        from text_recognizer.training.registry import RunRegistry, new_run_id

        registry = registry or RunRegistry()
        run_id = new_run_id()
        tracker = Tracker.start(config, run_id, run_dir, group=group, enabled=tracking)
        registry.start(config["name"], config, group=group, run_id=run_id, run_dir=str(run_dir), trial_id=trial_id,
                       wandb_run_id=run_id if tracker.run is not None else None, wandb_mode=tracker.mode,
                       wandb_url=tracker.url)
        return cls(registry, run_id, tracker)

    def __enter__(self) -> TrackedRun:
        return self

    def __exit__(self, kind: Any, error: BaseException | None, _traceback: Any) -> None:
        if error is not None and not self.finished:
            self.registry.fail(self.run_id, f"{type(error).__name__}: {error}")
        self.tracker.finish(failed=error is not None)

    def callbacks(self, model: Any, dataset: Any) -> list[Any]:
        """The Keras callbacks of the W&B run."""
        return self.tracker.callbacks(model, dataset)

    def finish(self, report: dict[str, Any]) -> None:
        """Record a finished run's metrics and weights (a NaN loss raises `TrainingDiverged`)."""
        report["run_id"] = self.run_id
        metrics = run_metrics(report)
        if not np.isfinite(metrics.get("loss", np.nan)):
            raise TrainingDiverged(f"the training loss became {metrics.get('loss', np.nan)} before an epoch ended "
                                   "(try a smaller learning_rate)")
        self.tracker.record_results(metrics, [Path(report["weights"]), Path(report["model_config"])],
                                    f"{report['experiment']}-{self.run_id}")
        self.registry.finish(self.run_id, metrics, weights=report["weights"], model_config=report["model_config"],
                             data_source=report["data_source"])
        self.finished = True


def run_metrics(report: dict[str, Any]) -> dict[str, float]:
    """The figures of a run's report that selection compares, flat and numeric.

    `test_<name>` for every number of the test metrics; from the epoch with the lowest
    validation loss, `val_<name>` of each validation metric; `loss`, the last training loss;
    `epochs_run`, `train_seconds`.
    """
    import json

    history = json.loads((Path(report["run_dir"]) / "history.json").read_text())
    metrics = {f"test_{k}": float(v) for k, v in report["test"].items()
               if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "num_samples"}
    losses = history.get("val_loss") or []
    finite = [i for i, value in enumerate(losses) if np.isfinite(value)]
    if finite:
        best = min(finite, key=lambda i: losses[i])
        metrics.update({k: float(v[best]) for k, v in history.items() if k.startswith("val_") and len(v) > best})
    if history.get("loss"):
        metrics["loss"] = float(history["loss"][-1])
    metrics.update(epochs_run=float(report["epochs_run"]), train_seconds=float(report["train_seconds"]))
    return metrics
