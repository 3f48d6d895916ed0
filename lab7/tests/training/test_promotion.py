"""Lab 4: the best run of a group becomes the deployed model, with provenance (`promote_run`)."""

import json
import math

import pytest
from commands import run_command

from text_recognizer.training import promote_run
from text_recognizer.training.registry import RunRegistry


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A registry holding one group's runs: two finished, one failed (better), one NaN."""
    monkeypatch.setenv("TEXT_RECOGNIZER_RUNS_DIR", str(tmp_path / "runs"))
    registry = RunRegistry()
    for name, status, loss in [("a", "finished", 0.8), ("b", "finished", 0.5), ("c", "failed", 0.1),
                               ("d", "finished", math.nan)]:
        run_dir = tmp_path / "runs" / name
        run_dir.mkdir(parents=True)
        (run_dir / "character_model_mlp.weights.h5").write_bytes(name.encode())
        (run_dir / "character_model_mlp.json").write_text(json.dumps({"run": name}))
        run_id = registry.start(name, {"name": name}, group="sweep", run_id=f"run{name}", run_dir=str(run_dir))
        if status == "failed":
            registry.fail(run_id, "boom")
        else:
            registry.finish(run_id, {"val_loss": loss}, weights=str(run_dir / "character_model_mlp.weights.h5"),
                            model_config=str(run_dir / "character_model_mlp.json"), data_source="substitute")
    return registry


def promote(tmp_path, *args):
    return run_command(promote_run.main, "sweep", "--weights-dir", tmp_path / "weights", *args)


def test_promotes_the_best_finished_run_with_provenance(registry, tmp_path):
    result = promote(tmp_path, "--metric", "val_loss", "--mode", "min")
    assert result.exit_code == 0, result.output
    weights = tmp_path / "weights"
    assert (weights / "character_model_mlp.weights.h5").read_bytes() == b"b"  # not the failed c, not NaN d
    assert json.loads((weights / "character_model_mlp.json").read_text()) == {"run": "b"}
    provenance = json.loads((weights / "character_model_mlp.provenance.json").read_text())
    assert provenance["run_id"] == "runb" and provenance["group"] == "sweep"
    assert provenance["selected_by"] == {"metric": "val_loss", "mode": "min", "value": 0.5}
    assert provenance["data_source"] == "substitute" and provenance["promoted_at"]
    assert "git_commit" in provenance and provenance["metrics"] == {"val_loss": 0.5}


def test_a_worse_run_needs_force(registry, tmp_path):
    assert promote(tmp_path).exit_code == 0  # b (0.5) deployed
    refused = promote(tmp_path, "--run", "runa")  # a has 0.8: worse
    assert refused.exit_code == 1 and "--force" in refused.output
    assert (tmp_path / "weights" / "character_model_mlp.weights.h5").read_bytes() == b"b"
    forced = promote(tmp_path, "--run", "runa", "--force")
    assert forced.exit_code == 0, forced.output
    provenance = json.loads((tmp_path / "weights" / "character_model_mlp.provenance.json").read_text())
    assert provenance["run_id"] == "runa" and provenance["forced"] and provenance["replaced"]["run_id"] == "runb"


def test_clear_errors_for_an_unknown_group_or_metric(registry, tmp_path):
    unknown = run_command(promote_run.main, "nosuch", "--weights-dir", tmp_path / "w")
    assert unknown.exit_code == 2 and "sweep" in unknown.output  # lists the groups there are
    no_metric = promote(tmp_path, "--metric", "val_acc")
    assert no_metric.exit_code == 1 and "val_loss" in no_metric.output  # shows the metrics there are
