"""Lab 6: the honest solution gets full marks, the stubbed lab zero (its route raises
NotImplementedError, so every request answers 500)."""

from __future__ import annotations

import dataclasses

import pytest

from autograder.labs import write_lab
from autograder.tests.conftest import TEST_LIMITS, assert_full_marks, assert_zero, graded_once

LIMITS = dataclasses.replace(TEST_LIMITS, timeout_scale=0.5)


@pytest.fixture(scope="module")
def graded(sandbox_ok, tmp_path_factory, grade_submission):
    root = tmp_path_factory.mktemp("lab6")
    sources = {"honest": write_lab(6, root / "honest", solved=True),
               "stub": write_lab(6, root / "stub", solved=False, prefer_committed=False)}
    return graded_once(grade_submission, sources, lab=6, limits=LIMITS)


def test_lab6_honest_solution_scores_full_marks(graded):
    assert_full_marks(graded("honest"), lab=6)


def test_lab6_stubbed_lab_scores_zero(graded):
    assert_zero(graded("stub"))
