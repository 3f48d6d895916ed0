"""Lab 7: the honest solution gets full marks, the stubbed lab zero (its handler and its drift
check raise NotImplementedError, so every event and every window fails; its serverless.yml's
DriftScoreAlarm is null, so `osls package` fails)."""

from __future__ import annotations

import dataclasses

import pytest

from autograder.labs import write_lab
from autograder.tests.conftest import TEST_LIMITS, assert_full_marks, assert_zero, graded_once

LIMITS = dataclasses.replace(TEST_LIMITS, timeout_scale=0.5)


@pytest.fixture(scope="module")
def graded(sandbox_ok, tmp_path_factory, grade_submission):
    root = tmp_path_factory.mktemp("lab7")
    sources = {"honest": write_lab(7, root / "honest", solved=True),
               "stub": write_lab(7, root / "stub", solved=False, prefer_committed=False)}
    return graded_once(grade_submission, sources, lab=7, limits=LIMITS)


def test_lab7_honest_solution_scores_full_marks(graded):
    assert_full_marks(graded("honest"), lab=7)


def test_lab7_stubbed_lab_scores_zero(graded):
    assert_zero(graded("stub"))
