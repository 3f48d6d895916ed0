"""The honest solution scores full marks, the stubbed lab zero, and results are always written."""

from __future__ import annotations

import json

import pytest

from autograder.pipeline.grading import catalogue
from autograder.records.results import validate_results
from autograder.tests.conftest import needs_weights

EXERCISE_PREFIXES = ("MLP:", "predict_on_image:")


def exercise_points(graded) -> float:
    return sum(t["score"] for t in graded.results["tests"] if t["name"].startswith(EXERCISE_PREFIXES))


def test_honest_solution_gets_every_exercise_point(honest):
    for test in honest.results["tests"]:
        if test["name"].startswith(EXERCISE_PREFIXES):
            assert test["score"] == test["max_score"], test
    assert honest.report["sandbox"]["sandboxed"] is True
    # One runner for the whole grading: the hidden-data tests run last, so none needs a fresh one.
    assert honest.report["sandbox"]["starts"] == 1 and honest.report["sandbox"]["fresh_starts"] == 0


@needs_weights
def test_honest_solution_scores_full_marks_with_its_deployed_weights(honest):
    assert honest.results["score"] == pytest.approx(100.0), [
        (t["name"], t["score"], t["output"][:200]) for t in honest.results["tests"] if t["status"] != "passed"
    ]
    # The course's reference weights earn no leaderboard entry (test_hostile_graded_inputs.py
    # has a model of the student's own that does); the private split is for the instructor only.
    assert honest.results["leaderboard"] == []
    assert 0.6 < honest.report["private"]["hidden_set"]["private_accuracy"] <= 1.0


def test_stubbed_lab_scores_zero_on_the_exercises(stubbed):
    assert exercise_points(stubbed) == 0
    assert stubbed.results["score"] == 0
    mlp = stubbed.test("MLP: returns a keras.Model")
    assert "NotImplementedError" in mlp["output"] and "Lab 1 exercise" in mlp["output"]


def test_results_files_follow_gradescope_format(honest, stubbed):
    for graded in (honest, stubbed):
        assert validate_results(graded.results) == []
        assert set(graded.results) >= {"score", "execution_time", "output", "tests", "leaderboard"}
        for test in graded.results["tests"]:
            assert set(test) >= {"name", "score", "max_score", "status", "visibility", "output"}
        assert graded.results["execution_time"] > 0
        assert sum(t["max_score"] for t in graded.results["tests"]) == sum(row["max_score"] for row in catalogue(1))


def test_empty_submission_still_gets_a_results_file(grade_submission, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    graded = grade_submission(empty, student="empty")
    assert graded.outcome.status == "rejected"
    assert graded.results["score"] == 0 and len(graded.results["tests"]) == 10
    assert "no text_recognizer/ package" in graded.results["output"]
    assert validate_results(graded.results) == []


def test_missing_submission_still_gets_a_results_file(grade_submission, tmp_path):
    graded = grade_submission(tmp_path / "nowhere", student="nowhere")
    assert graded.results["score"] == 0 and "does not exist" in graded.results["output"]


def test_unknown_lab_gets_a_clear_results_file(grade_submission, lab1_sources):
    graded = grade_submission(lab1_sources["honest"], student="lab8", lab=8)  # the course has 7 labs
    assert graded.outcome.status == "error"
    assert "no hidden suite for lab 8" in graded.outcome.message
    assert graded.results["score"] == 0


def test_archive_submission_is_graded_like_the_folder(sandbox_ok, grade_submission, lab1_sources, tmp_path):
    import shutil

    folder = tmp_path / "alice" / "lab1"
    shutil.copytree(lab1_sources["stub"], folder)
    archive = shutil.make_archive(str(tmp_path / "alice"), "gztar", tmp_path / "alice")
    graded = grade_submission(__import__("pathlib").Path(archive), student="alice-archive")
    assert graded.outcome.status == "graded"
    assert "NotImplementedError" in graded.test("MLP: returns a keras.Model")["output"]


def test_grading_report_explains_each_probe(stubbed):
    call = stubbed.probe("mlp/A")
    assert call["status"] == "error" and call["error"]["type"] == "NotImplementedError"
    assert call["test"].startswith("test_returns_a_keras_model[")
    assert json.dumps(stubbed.report)  # plain JSON for the instructor
