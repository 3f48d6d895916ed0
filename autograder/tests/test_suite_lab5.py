"""Lab 5: the honest solution gets every exercise test's marks, the stubbed lab zero."""

from __future__ import annotations

import dataclasses

import pytest

from autograder.labs import write_lab
from autograder.results import validate_results
from autograder.tests.conftest import TEST_LIMITS, graded_once

LIMITS = dataclasses.replace(TEST_LIMITS, timeout_scale=0.5)
EXERCISES = ("random_", "augment_lines", "components_to_boxes", "merge_same_line", "split_tall_boxes",
             "reading_order", "line_boxes")


@pytest.fixture(scope="module")
def graded(sandbox_ok, tmp_path_factory, grade_submission):
    root = tmp_path_factory.mktemp("lab5")
    sources = {"honest": write_lab(5, root / "honest", solved=True),
               "stub": write_lab(5, root / "stub", solved=False, prefer_committed=False)}
    return graded_once(grade_submission, sources, lab=5, limits=LIMITS)


def test_lab5_honest_solution_scores_every_exercise(graded):
    honest = graded("honest")
    exercises = [t for t in honest.results["tests"] if t["name"].startswith(EXERCISES)]
    assert len(exercises) == 10 and validate_results(honest.results) == []
    assert all(t["score"] == t["max_score"] for t in exercises), [(t["name"], t["output"][:300]) for t in exercises]


def test_lab5_stubbed_lab_scores_zero(graded):
    stub = graded("stub")
    assert stub.results["score"] == 0
    # The stub raised: its feedback shows the hidden-data message, the instructor report the error.
    slant = [c for c in stub.report["sandbox"]["calls"] if "random_slant" in c["target"]]
    assert slant and all("NotImplementedError" in str(c.get("error")) for c in slant), slant[:2]
