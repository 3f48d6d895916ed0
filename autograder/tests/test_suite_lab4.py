"""Lab 4: the honest solution gets full marks, the stubbed lab zero, and answers that ignore the
rules (a naive `min` over every run, a tracking call that logs the config nested and reuses an open
run) lose the tests of those rules."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from autograder.labs import write_lab
from autograder.pipeline.grading import catalogue
from autograder.records.results import validate_results
from autograder.tests.conftest import TEST_LIMITS, graded_once
from autograder.tests.hostile import append

LIMITS = dataclasses.replace(TEST_LIMITS, timeout_scale=0.5)
NAIVE_SELECTION = '''

def select_best_run(records, metric, mode="min"):
    """A naive min / max over every run: failed runs and NaN can win."""
    pick = min if mode == "min" else max
    return pick(records, key=lambda record: record["metrics"].get(metric, 0)) if records else None
'''

#: The tracking calls as a first try looks: the config nested, W&B's default for a run left open
#: (it returns that run), no metadata on the model artifact.
NAIVE_TRACKING = (('config=flatten_config(config), dir=run_dir, mode=mode, reinit="finish_previous",',
                   "config=config, dir=run_dir, mode=mode,"),
                  ('wandb.Artifact(artifact_name, type="model", metadata=metrics)',
                   'wandb.Artifact(artifact_name, type="model")'))

ALWAYS_VALUE_ERROR = {
    "experiment_group.py": ("set_dotted(config, key, value)", "expand_group(group, seed=0)"),
    "selection.py": ("select_best_run(records, metric, mode='min')",),
    "devices.py": ("trial_resources(use_gpu, cpus=1)",),
}


def _always_raises(signatures: tuple[str, ...]) -> str:
    return "".join(f"\n\ndef {signature}:\n    raise ValueError('no')\n" for signature in signatures)


@pytest.fixture(scope="module")
def graded(sandbox_ok, tmp_path_factory, grade_submission):
    root = tmp_path_factory.mktemp("lab4")
    sources = {"honest": write_lab(4, root / "honest", solved=True),
               "stub": write_lab(4, root / "stub", solved=False, prefer_committed=False)}
    naive = root / "naive"
    shutil.copytree(sources["honest"], naive)
    selection = naive / "text_recognizer" / "training" / "selection.py"
    selection.write_text(append(NAIVE_SELECTION)(selection.read_text()))
    (naive / "text_recognizer" / "training" / "tracking.py").unlink()  # graded below; W&B costs seconds
    sources["naive"] = naive
    raising = root / "raising"
    shutil.copytree(sources["honest"], raising)
    for name, signatures in ALWAYS_VALUE_ERROR.items():
        module = raising / "text_recognizer" / "training" / name
        module.write_text(append(_always_raises(signatures))(module.read_text()))
    tracking = raising / "text_recognizer" / "training" / "tracking.py"
    text = tracking.read_text()
    for right, naive_call in NAIVE_TRACKING:
        assert right in text, f"the reference tracking call changed: update NAIVE_TRACKING ({right})"
        text = text.replace(right, naive_call)
    tracking.write_text(text)
    sources["raising"] = raising
    return graded_once(grade_submission, sources, lab=4, limits=LIMITS)


def test_lab4_honest_solution_scores_full_marks(graded):
    honest = graded("honest")
    failures = [(t["name"], t["score"], t["output"][:300]) for t in honest.results["tests"]
                if t["score"] != t["max_score"]]
    assert honest.results["score"] == pytest.approx(sum(t["max_score"] for t in honest.results["tests"])), failures
    assert honest.results["score"] > 0
    assert validate_results(honest.results) == []
    assert sum(t["max_score"] for t in honest.results["tests"]) == sum(row["max_score"] for row in catalogue(4))
    assert not honest.results.get("leaderboard")


def test_lab4_stubbed_lab_scores_zero(graded):
    stub = graded("stub")
    assert stub.results["score"] == 0
    assert "NotImplementedError" in stub.test("expand_group: list groups")["output"] or \
        "NotImplementedError" in stub.test("trial_resources:")["output"]


def test_lab4_naive_selection_loses_the_rules_it_ignores(graded):
    naive = graded("naive")
    assert naive.group_score("select_best_run: failed")[0] == 0
    assert naive.group_score("expand_group:") == graded("honest").group_score("expand_group:")


def test_lab4_functions_that_always_raise_value_error_earn_nothing_for_it(graded):
    """Error-path points come only beside right answers: raising ValueError on every call earns
    none of set_dotted, expand_group, select_best_run and trial_resources (it earned 10 of 92). The
    functions left to answer right (trial_environment, the Tune set-up) keep what they earn."""
    raising = graded("raising")
    earned = {t["name"]: t["score"] for t in raising.results["tests"] if t["score"] and not t["name"].startswith(
        ("trial_environment", "tune_", "Notebook", "start_wandb_run", "log_final_results"))}
    assert earned == {}


def test_lab4_a_naive_tracking_call_earns_part_of_the_tracking_points(graded):
    """The same lab with the tracking calls of a first try (`NAIVE_TRACKING`): the facts it gets
    right earn their share, the nested config, the reused open run and the missing metadata lose
    theirs, and the feedback names them."""
    start, record = graded("raising").test("start_wandb_run"), graded("raising").test("log_final_results")
    assert 0 < start["score"] < start["max_score"] and 0 < record["score"] < record["max_score"]
    assert "flat under dotted keys" in start["output"] and "run left open" in start["output"]
    assert "metadata" in record["output"]
