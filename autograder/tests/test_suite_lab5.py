"""Lab 5: the honest solution gets full marks without the notebook (its page reader's language
model reads the course's data packages, mounted read-only in every grading), the stubbed lab zero,
and two fixed texts answered in turn earn no page CER credit (it starts at the best constant
answer's CER, as in Lab 3)."""

from __future__ import annotations

import dataclasses

import pytest

from autograder.labs import write_lab
from autograder.records.results import validate_results
from autograder.tests.conftest import TEST_LIMITS, assert_full_marks, graded_once
from autograder.tests.hostile import append

LIMITS = dataclasses.replace(TEST_LIMITS, timeout_scale=0.5)
EXERCISES = ("random_", "augment_lines", "components_to_boxes", "merge_same_line", "split_tall_boxes",
             "reading_order", "line_boxes")
PAGES = "Deployed page reader: CER on hidden pages (public half)"
TWO_FIXED_TEXTS = """

_TURN = [0]


def _two_fixed_texts(self, image):
    _TURN[0] += 1
    return ("the of and to a in" if _TURN[0] % 2 else "e e e e e e e e e e e e", 0.5)


PagePredictor.predict_text = _two_fixed_texts
"""


@pytest.fixture(scope="module")
def graded(sandbox_ok, tmp_path_factory, grade_submission):
    root = tmp_path_factory.mktemp("lab5")
    sources = {"honest": write_lab(5, root / "honest", solved=True),
               "stub": write_lab(5, root / "stub", solved=False, prefer_committed=False)}
    fixed = write_lab(5, root / "fixed", solved=True) / "text_recognizer" / "predictors" / "page_predictor.py"
    fixed.write_text(append(TWO_FIXED_TEXTS)(fixed.read_text()))
    sources["fixed"] = fixed.parents[2]
    return graded_once(grade_submission, sources, lab=5, limits=LIMITS)


def test_lab5_honest_solution_scores_full_marks_without_the_notebook(graded):
    honest = graded("honest")
    exercises = [t for t in honest.results["tests"] if t["name"].startswith(EXERCISES)]
    assert len(exercises) == 11 and validate_results(honest.results) == []
    assert_full_marks(honest, lab=5)
    assert honest.report["private"]["hidden_pages"]["failed_pages"] == 0
    # The line-box tests (they quote counts the code returns) ran before the hidden pages, in a
    # runner that had seen no hidden page; hidden-data tests run last, so no fresh runner was needed.
    calls = honest.report["sandbox"]["calls"]
    first_hidden = min(call["at"] for call in calls if call["test"] == "test_hidden_pages")
    line_boxes = [call["at"] for call in calls if call["test"].startswith("test_line_boxes")]
    assert line_boxes and max(line_boxes) < first_hidden
    assert honest.report["sandbox"]["fresh_starts"] == 0


def test_lab5_two_fixed_texts_earn_no_page_credit(graded):
    fixed = graded("fixed")
    assert fixed.test(PAGES)["score"] == 0
    pages = fixed.report["private"]["hidden_pages"]
    assert pages["guess"] is False  # two texts, not one: the constant-answer floor catches it
    assert pages["public_cer"] < 1.0  # it would have earned points from a floor of 1.0


def test_lab5_stubbed_lab_scores_zero(graded):
    stub = graded("stub")
    assert stub.results["score"] == 0
    # The stub raised: its feedback shows the hidden-data message, the instructor report the error.
    slant = [c for c in stub.report["sandbox"]["calls"] if "random_slant" in c["target"]]
    assert slant and all("NotImplementedError" in str(c.get("error")) for c in slant), slant[:2]
