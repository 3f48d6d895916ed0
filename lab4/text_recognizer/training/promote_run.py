"""Make the best run of a group the deployed model.

    python -m text_recognizer.training.promote_run lab4_mlp_sweep --metric val_loss --mode min
    python -m text_recognizer.training.promote_run lab4_mlp_sweep --metric val_accuracy --mode max --force

Selects the best finished run of the group (`selection.select_best_run`: failed runs and NaN
metrics never win, ties go to the earlier run) from the local run registry, or from the W&B API
with `--online`, and copies its weights and model config into `text_recognizer/weights/`, beside
a provenance record `<model>.provenance.json`: run id, group, metrics, data source, git commit,
experiment config, date. If the model deployed there now has a better value of the metric, the
promotion is refused unless `--force` is given.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from text_recognizer.training.registry import RunRegistry, now
from text_recognizer.training.selection import is_better, select_best_run

PROVENANCE_SUFFIX = ".provenance.json"


class PromotionError(RuntimeError):
    """The promotion cannot be done (no run qualifies, or it is worse than the deployed model)."""


def deployed_provenance(model_name: str, weights_dir: Path) -> dict[str, Any] | None:
    """The provenance of the model deployed as `model_name`, or None when it has none."""
    path = weights_dir / f"{model_name}{PROVENANCE_SUFFIX}"
    return json.loads(path.read_text()) if path.is_file() else None


def promote(record: dict[str, Any], metric: str, mode: str, weights_dir: Path, force: bool = False) -> dict[str, Any]:
    """Copy a run's weights and model config into `weights_dir` with a provenance record; return it.

    Raises:
        PromotionError: when the deployed model of the same name has a better `metric` (and not
            `force`), or the run's files are gone.
    """
    config_path, weights_path = Path(record.get("model_config") or ""), Path(record.get("weights") or "")
    if not (config_path.is_file() and weights_path.is_file()):
        raise PromotionError(f"run {record['run_id']} has no saved weights at {weights_path}: was its run "
                             "folder deleted? Choose another run with --run.")
    model_name = weights_path.name.removesuffix(".weights.h5")
    value = record["metrics"][metric]
    current = deployed_provenance(model_name, weights_dir)
    current_value = (current or {}).get("metrics", {}).get(metric)
    if current is not None and current["run_id"] == record["run_id"]:
        raise PromotionError(f"run {record['run_id']} is already the deployed {model_name}.")
    if not force and current_value is not None and is_better(current_value, value, mode):
        raise PromotionError(
            f"the deployed {model_name} (run {current['run_id']}) has {metric} {current_value:.4f}, better than "
            f"{value:.4f} of run {record['run_id']} ({mode} wins). Add --force to promote it anyway.")
    weights_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(weights_path, weights_dir / weights_path.name)
    shutil.copyfile(config_path, weights_dir / config_path.name)
    provenance = {
        "run_id": record["run_id"], "name": record["name"], "group": record.get("group"),
        "selected_by": {"metric": metric, "mode": mode, "value": value},
        "replaced": {"run_id": current["run_id"], metric: current_value} if current else None,
        "forced": bool(force and current_value is not None and is_better(current_value, value, mode)),
        "metrics": record["metrics"], "data_source": record.get("data_source"),
        "git_commit": record.get("git_commit"), "config": record.get("config"),
        "wandb_run_id": record.get("wandb_run_id"), "wandb_mode": record.get("wandb_mode"),
        "wandb_url": record.get("wandb_url"), "run_dir": record.get("run_dir"),
        "trained_at": record.get("ended_at"), "promoted_at": now(),
        "files": [weights_path.name, config_path.name],
    }
    (weights_dir / f"{model_name}{PROVENANCE_SUFFIX}").write_text(json.dumps(provenance, indent=2) + "\n")
    return provenance


def online_records(group: str, registry: RunRegistry) -> list[dict[str, Any]]:
    """The group's runs as the W&B API reports them (needs `wandb login`), completed from the registry.

    W&B's summary gives the metrics; the weights come from the local run folder when it is on
    this machine, otherwise from the run's `model` artifact (downloaded).
    """
    import os

    import wandb

    from text_recognizer.training.tracking import PROJECT

    api = wandb.Api(timeout=30)
    local = {r["run_id"]: r for r in registry.runs(group=group)}
    records = []
    for run in api.runs(f"{api.default_entity}/{os.environ.get('WANDB_PROJECT', PROJECT)}", filters={"group": group}):
        record = {**local.get(run.id, {}), "run_id": run.id, "name": run.name, "group": group,
                  "status": "finished" if run.state == "finished" else run.state,
                  "metrics": {k: v for k, v in run.summary.items() if isinstance(v, (int, float))},
                  "started_at": run.created_at, "wandb_url": run.url, "wandb_mode": "online"}
        if not Path(record.get("weights") or "").is_file():
            for artifact in run.logged_artifacts():
                if artifact.type == "model":
                    folder = Path(artifact.download())
                    record["weights"] = str(next(folder.glob("*.weights.h5"), ""))
                    record["model_config"] = str(next(folder.glob("*.json"), ""))
        records.append(record)
    return records


def main(
    group: Annotated[str, typer.Argument(help="The experiment group whose best run to promote.")],
    metric: Annotated[str, typer.Option(help="Run metric to compare (e.g. val_loss, test_accuracy).")] = "val_loss",
    mode: Annotated[str, typer.Option(help="min or max: which value is better.")] = "min",
    force: Annotated[bool, typer.Option(help="Promote even if the deployed model is better.")] = False,
    online: Annotated[bool, typer.Option(help="Read the runs from the W&B API instead of the registry.")] = False,
    run: Annotated[str | None, typer.Option(help="Promote this run id instead of the best.")] = None,
    weights_dir: Annotated[Path | None, typer.Option(help="Where to deploy (default text_recognizer/weights).")] = None,
) -> None:
    """Promote the best finished run of an experiment group to the deployed model."""
    from text_recognizer import paths

    registry = RunRegistry()
    records = online_records(group, registry) if online else registry.runs(group=group)
    if not records:
        known = ", ".join(registry.groups()) or "none yet"
        print(f"error: no runs of group {group!r} in {registry.path} (groups: {known}). Run the group first: "
              "python -m text_recognizer.training.run_group <group file>", file=sys.stderr)
        raise typer.Exit(2)
    try:
        best = next((r for r in records if r["run_id"] == run), None) if run else select_best_run(records, metric, mode)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        raise typer.Exit(2) from None
    if best is None:
        statuses = ", ".join(sorted({r["status"] for r in records}))
        print(f"error: no finished run of {group!r} has a finite {metric!r} (runs: {len(records)}, statuses: "
              f"{statuses}); is the metric name right? A run's metrics: {sorted(records[-1]['metrics'])}",
              file=sys.stderr)
        raise typer.Exit(1)
    try:
        provenance = promote(best, metric, mode, weights_dir or paths.WEIGHTS_DIR, force=force)
    except PromotionError as error:
        print(f"refused: {error}", file=sys.stderr)
        raise typer.Exit(1) from None
    print(f"Promoted run {best['run_id']} ({best['name']}, {metric} {provenance['selected_by']['value']:.4f}) "
          f"to {weights_dir or paths.WEIGHTS_DIR}: {', '.join(provenance['files'])} + provenance.")


if __name__ == "__main__":
    typer.run(main)
