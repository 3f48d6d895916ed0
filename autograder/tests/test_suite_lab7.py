"""Lab 7: the honest solution gets full marks, the stubbed lab zero (its handler and its drift
check raise NotImplementedError, so every event and every window fails)."""

from __future__ import annotations

import dataclasses

import pytest

from autograder.grading import catalogue
from autograder.labs import write_lab
from autograder.results import validate_results
from autograder.tests.conftest import TEST_LIMITS, graded_once

LIMITS = dataclasses.replace(TEST_LIMITS, timeout_scale=0.5)


@pytest.fixture(scope="module")
def graded(sandbox_ok, tmp_path_factory, grade_submission):
    root = tmp_path_factory.mktemp("lab7")
    sources = {"honest": write_lab(7, root / "honest", solved=True),
               "stub": write_lab(7, root / "stub", solved=False, prefer_committed=False)}
    return graded_once(grade_submission, sources, lab=7, limits=LIMITS)


def test_lab7_honest_solution_scores_full_marks(graded):
    honest = graded("honest")
    failures = [(t["name"], t["score"], t["output"][:300]) for t in honest.results["tests"]
                if t["score"] != t["max_score"]]
    assert honest.results["score"] == pytest.approx(sum(t["max_score"] for t in honest.results["tests"])), failures
    assert honest.results["score"] > 0
    assert validate_results(honest.results) == []
    assert sum(t["max_score"] for t in honest.results["tests"]) == sum(row["max_score"] for row in catalogue(7))


def test_lab7_stubbed_lab_scores_zero(graded):
    stub = graded("stub")
    assert stub.results["score"] == 0, [(t["name"], t["score"]) for t in stub.results["tests"] if t["score"]]
