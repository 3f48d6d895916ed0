"""Run an experiment group (a list of configs, or a sweep) as parallel trials on Ray Tune.

    python -m text_recognizer.training.run_group experiments/lab4_mlp_sweep.json
    python -m text_recognizer.training.run_group experiments/lab4_mlp_sweep.json --address ray://head:10001

Each trial is one `run_experiment` (tracked in W&B, recorded in the run registry) in its own
Ray worker process: one trial per GPU when the cluster has GPUs (the trial sees only its GPU),
otherwise `--cpus-per-trial` cores per trial with no GPU visible. Grid and random groups are
expanded into their trial configs first (`experiment_group.expand_group`); Bayesian groups let
Optuna pick each trial from the results so far. `--early-stop` (or `"early_stop_trials"` in the
group) lets ASHA stop trials whose validation metric trails the others. A failed trial (an
exception, a NaN loss, a killed process) is recorded as failed; the others go on.

Without `--address` Ray starts on this machine for the run and stops after it; with one, the
trials go to that Ray cluster (`ray start --head` on one machine, `ray start --address=...` on
the others; the run registry then needs `TEXT_RECOGNIZER_RUNS_DIR` on a shared file system).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from text_recognizer.environment import configure_environment
from text_recognizer.training.experiment_config import ConfigError

OBJECT_STORE_BYTES = 100 * 1024**2
"""Ray's shared-memory object store for a local run: trials pass only small results through it."""
PASSED_ENVIRONMENT = ("TEXT_RECOGNIZER_DATA_DIR", "TEXT_RECOGNIZER_RUNS_DIR", "TEXT_RECOGNIZER_NODE_MODULES",
                      "KERAS_BACKEND", "WANDB_MODE", "WANDB_PROJECT", "WANDB_API_KEY", "WANDB_BASE_URL", "LAB_QUICK")
"""What the driver's environment passes on to every trial (a cluster's workers have their own)."""


def train_trial(params: dict[str, Any]) -> None:
    """One trial, inside a Ray worker: set its device environment, then run the experiment.

    `params["config"]` is the trial's experiment config (list, grid and random groups), or the
    dotted-key values Optuna picked over `params["setup"]["base"]` (Bayesian groups).
    """
    import time

    import ray
    from ray import tune

    from text_recognizer.training.devices import trial_environment

    started = time.perf_counter()
    setup = params["setup"]
    # Before Keras (and TensorFlow) are imported in this process: they read these only once.
    os.environ.update(trial_environment(ray.get_gpu_ids(), setup["cpus"]))
    configure_environment()
    import keras

    keras.backend.clear_session()  # a reused worker: forget the previous trial's model
    from text_recognizer.training.experiment_config import parse_config
    from text_recognizer.training.experiment_group import set_dotted
    from text_recognizer.training.run_experiment import run_experiment
    from text_recognizer.training.tracking import run_metrics

    if "config" in params:
        config = params["config"]
    else:
        config = setup["base"]
        for key, value in params.items():
            if key != "setup":
                config = set_dotted(config, key, value)
        config = {**config, "name": f"{setup['group']}-{tune.get_context().get_trial_id()}"}

    class ReportEpoch(keras.callbacks.Callback):
        """Tell Tune each epoch's metrics, for ASHA's early stopping (each report waits on the driver)."""

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            tune.report({**{k: float(v) for k, v in (logs or {}).items()}, "epoch": epoch + 1})

    report = run_experiment(parse_config(config, config.get("name", "trial")), verbose=0,
                            tracking=setup["tracking"], group=setup["group"],
                            callbacks=[ReportEpoch()] if setup["early_stop"] else [],
                            trial_id=tune.get_context().get_trial_id())
    tune.report({**run_metrics(report), "run_id": report["run_id"], "name": config["name"],
                 "node_id": ray.get_runtime_context().get_node_id(),
                 "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
                 "threads": os.environ.get("TF_NUM_INTRAOP_THREADS"),
                 "trial_seconds": time.perf_counter() - started})


def registry_callback(group_name: str) -> Any:
    """A Tune callback (driver side) that records what trials could not record themselves.

    A trial that raised, or whose process died, may have left its registry record "running",
    or none at all: it becomes "failed" with the error. A trial that ASHA stopped early becomes
    "stopped". Finished trials recorded themselves.
    """
    from ray import tune

    from text_recognizer.training.registry import RunRegistry

    class RecordTrials(tune.Callback):
        def __init__(self) -> None:
            self.registry = RunRegistry()

        def _unfinished(self, trial: Any) -> list[dict[str, Any]]:
            return [r for r in self.registry.runs(group=group_name) if r["trial_id"] == trial.trial_id
                    and r["status"] == "running"]

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            error = f"trial {trial.trial_id} failed: {_error_text(trial)}"
            records = self._unfinished(trial)
            for record in records:
                self.registry.fail(record["run_id"], error)
            known = [r for r in self.registry.runs(group=group_name) if r["trial_id"] == trial.trial_id]
            if not known:  # it died before run_experiment could record it
                config = trial.config.get("config") or {k: v for k, v in trial.config.items() if k != "setup"}
                run_id = self.registry.start(config.get("name", trial.trial_id), config, group=group_name,
                                             trial_id=trial.trial_id)
                self.registry.fail(run_id, error)

        def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            for record in self._unfinished(trial):
                self.registry.fail(record["run_id"], "stopped early by the ASHA scheduler", status="stopped")

    return RecordTrials()


def _error_text(trial: Any) -> str:
    """The last line of a failed trial's error (Tune keeps the traceback in a file)."""
    path = getattr(trial, "error_file", None) or ""
    try:
        lines = [line for line in Path(path).read_text().splitlines() if line.strip()]
        return lines[-1][:500] if lines else "unknown error"
    except OSError:
        return "the trial's process ended (killed?)"


def start_ray(address: str | None, num_cpus: int | None = None) -> bool:
    """Connect to the cluster at `address`, or start Ray on this machine; True when started here."""
    import ray

    if ray.is_initialized():
        return False
    package_root = str(Path(__file__).resolve().parents[2])
    env_vars = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
    env_vars["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    runtime_env = {"env_vars": env_vars}
    if address:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
        return True
    # "local": always a new Ray of our own, never someone else's cluster on this machine. Ray
    # waits a fixed 30 s for its node to register; on a busy shared machine (a class on one
    # server) that can pass, so a node that timed out gets one more try.
    for attempt in (1, 2):
        try:
            ray.init(address="local", num_cpus=num_cpus, object_store_memory=OBJECT_STORE_BYTES,
                     include_dashboard=False, runtime_env=runtime_env, log_to_driver=False)
            return True
        except Exception as error:  # Ray raises a bare Exception for a node that started too slowly
            if attempt == 2 or "timed out during startup" not in str(error):
                raise
            ray.shutdown()
    return True


def run_group(
    group: dict[str, Any],
    address: str | None = None,
    cpus_per_trial: int = 1,
    use_gpu: bool | None = None,
    tracking: bool = True,
    early_stop: bool | None = None,
    num_cpus: int | None = None,
    max_concurrent_trials: int | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Run every trial of `group` (as `load_group` returns it) on Ray; one row per trial.

    Each row: `name`, `status` ("finished" or "failed"), `run_id`, `metrics` (the trial's last
    report), `node_id`, `error`. The registry holds the full records.
    """
    import ray
    from ray import tune

    from text_recognizer import paths
    from text_recognizer.training.devices import trial_resources
    from text_recognizer.training.experiment_group import expand_group, tune_scheduler, tune_search_space

    started_here = start_ray(address, num_cpus)
    try:
        if use_gpu is None:
            use_gpu = ray.cluster_resources().get("GPU", 0) > 0
        setup = {"group": group["name"], "tracking": tracking, "cpus": cpus_per_trial, "base": group["base"]}
        bayes = group.get("search", {}).get("method") == "bayes"
        metric, mode = group.get("metric", "val_loss"), group.get("mode", "min")
        search_alg, num_samples = None, 1
        if bayes:
            from ray.tune.search.optuna import OptunaSearch

            space = {**tune_search_space(group), "setup": setup}
            search_alg = OptunaSearch(metric=metric, mode=mode, seed=seed)
            num_samples = group["search"]["num_trials"]
        else:
            space = {"config": tune.grid_search(expand_group(group, seed)), "setup": setup}
        if early_stop is not None:
            group = {**group, "early_stop_trials": early_stop}
        scheduler = tune_scheduler(group)
        # Per-epoch reports only feed the scheduler; without one, a trial reports once, at its end.
        setup["early_stop"] = scheduler is not None
        trainable = tune.with_resources(train_trial, trial_resources(use_gpu, cpus_per_trial))
        tuner = tune.Tuner(
            trainable,
            param_space=space,
            # reuse_actors: a worker process runs trial after trial, importing TensorFlow only once.
            tune_config=tune.TuneConfig(search_alg=search_alg, scheduler=scheduler, num_samples=num_samples,
                                        max_concurrent_trials=max_concurrent_trials, reuse_actors=True),
            run_config=tune.RunConfig(
                name=f"{group['name']}-{datetime.now():%Y%m%d-%H%M%S}", storage_path=str(paths.runs_dir() / "ray"),
                callbacks=[registry_callback(group["name"])], verbose=1,
                failure_config=tune.FailureConfig(max_failures=0, fail_fast=False),
            ),
        )
        results = tuner.fit()
        rows = []
        for result in results:
            metrics = dict(result.metrics or {})
            config = result.config.get("config") or {}
            rows.append({"name": metrics.get("name") or config.get("name"), "status": "failed" if result.error
                         else ("finished" if "run_id" in metrics else "stopped"),
                         "run_id": metrics.get("run_id"), "metrics": metrics, "node_id": metrics.get("node_id"),
                         "error": str(result.error).strip().splitlines()[-1][:300] if result.error else None})
        return rows
    finally:
        if started_here:
            ray.shutdown()


def print_results(rows: list[dict[str, Any]], metric: str) -> None:
    """The group's results table: one line per trial."""
    print(f"\n{'trial':<28} {'status':<9} {metric:>12}  run id")
    for row in rows:
        value = row["metrics"].get(metric)
        shown = f"{value:12.4f}" if isinstance(value, float) else f"{'-':>12}"
        print(f"{str(row['name']):<28} {row['status']:<9} {shown}  {row['run_id'] or '-'}"
              + (f"   {row['error']}" if row["error"] else ""))


def main(
    group_file: Annotated[str, typer.Argument(help="Experiment group JSON file (or inline JSON).")],
    address: Annotated[str | None, typer.Option(help="Ray cluster to run on (default: start Ray here).")] = None,
    cpus_per_trial: Annotated[int, typer.Option(help="Cores per trial.")] = 1,
    gpu: Annotated[bool | None, typer.Option("--gpu/--cpu", help="One GPU per trial (default: if any).")] = None,
    tracking: Annotated[bool, typer.Option(help="Track the trials in W&B (offline without a key).")] = True,
    early_stop: Annotated[bool | None, typer.Option(help="Stop trailing trials early (ASHA).")] = None,
    num_cpus: Annotated[int | None, typer.Option(help="Cores Ray may use here (default: all).")] = None,
) -> None:
    """Run an experiment group as parallel trials on Ray; failed trials never stop the others."""
    configure_environment()
    from text_recognizer.training.experiment_group import load_group

    try:
        group = load_group(group_file)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        raise typer.Exit(2) from None
    rows = run_group(group, address=address, cpus_per_trial=cpus_per_trial, use_gpu=gpu, tracking=tracking,
                     early_stop=early_stop, num_cpus=num_cpus)
    print_results(rows, group["metric"])
    failed = sum(row["status"] == "failed" for row in rows)
    print(f"\n{len(rows) - failed} of {len(rows)} trials ended without error. Promote the best: "
          f"python -m text_recognizer.training.promote_run {group['name']} --metric {group['metric']} "
          f"--mode {group['mode']}")


if __name__ == "__main__":
    typer.run(main)
