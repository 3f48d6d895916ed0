"""Notebook parts: the notebook to run is built from trusted cells plus the student's answers, and
graded cells are scored with nbgrader's rule from plain outputs."""

from __future__ import annotations

import os
import shutil

import nbformat
import pytest

from autograder.paths import SOLUTIONS_DIR
from autograder.pipeline import notebooks
from autograder.pipeline.plugin import Feedback
from autograder.suites.notebook import cases, check_cell

SOURCE = notebooks.source_notebook(1)
pytestmark = pytest.mark.skipif(not SOURCE.is_file(), reason="solutions/notebooks/lab1.ipynb is not there yet")


def student_notebook(tmp_path, edit) -> tuple:
    root = tmp_path / "lab1"
    (root / "notebooks").mkdir(parents=True)
    notebook = nbformat.read(SOURCE, as_version=4)
    edit(notebook)
    nbformat.write(notebook, root / "notebooks" / "lab1.ipynb")
    return root, notebook


def cell(notebook, grade_id):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_test_cells_come_from_the_instructor_and_answers_from_the_student(tmp_path):
    def edit(notebook):
        cell(notebook, "test-mlp").source = "pass  # tests deleted by the student"
        cell(notebook, "q1-answer").source = "My own answer."

    root, _ = student_notebook(tmp_path, edit)
    points, notes = notebooks.prepare(1, root, tmp_path / "run.ipynb")
    prepared = nbformat.read(tmp_path / "run.ipynb", as_version=4)
    assert "BEGIN HIDDEN TESTS" in cell(prepared, "test-mlp").source  # restored, hidden tests included
    assert cell(prepared, "q1-answer").source == "My own answer."
    assert all(not c.get("outputs") for c in prepared.cells if c.cell_type == "code")
    assert points == {"test-mlp": 3.0, "test-predict-on-image": 3.0} and notes == []


def test_a_missing_or_broken_notebook_runs_with_empty_answers(tmp_path):
    root = tmp_path / "lab1"
    (root / "notebooks").mkdir(parents=True)
    points, notes = notebooks.prepare(1, root, tmp_path / "run.ipynb")
    assert points and "no notebooks/lab1.ipynb" in notes[0]
    (root / "notebooks" / "lab1.ipynb").write_text("{ not json")
    _, notes = notebooks.prepare(1, root, tmp_path / "run.ipynb")
    assert "not a readable notebook" in notes[0]


def score(report: dict, grade_id: str, points: float) -> tuple[float, Feedback, str]:
    """check_cell's verdict on one cell: (earned, feedback, failure message or "")."""
    feedback = Feedback()
    try:
        check_cell(report, grade_id, points, feedback)
        earned, message = points, ""
    except AssertionError as error:
        earned, message = (feedback.fraction or 0.0) * points, str(error)
    return earned, feedback, message


def test_scores_follow_nbgrader_rules():
    report = {"cells": [
        {"grade_id": "a", "executed": True, "outputs": [{"output_type": "stream", "name": "stderr", "text": "warn"}]},
        {"grade_id": "b", "executed": True,
         "outputs": [{"output_type": "error", "ename": "AssertionError", "evalue": "x"}]},
        {"grade_id": "c", "executed": True,
         "outputs": [{"output_type": "execute_result", "data": {"text/plain": "2.5"}}]},
        {"grade_id": "d", "executed": False, "outputs": []},
    ]}
    earned = {gid: score(report, gid, pts)[0] for gid, pts in (("a", 3.0), ("b", 2.0), ("c", 4.0), ("d", 1.0))}
    assert earned == {"a": 3.0, "b": 0.0, "c": 2.5, "d": 0.0}
    assert "AssertionError: x" in score(report, "b", 2.0)[1].notes[0]
    assert "did not run" in score(report, "d", 1.0)[2]


def test_forged_scores_in_the_outputs_are_capped_and_a_failed_run_scores_nothing():
    report = {"cells": [{"grade_id": "a", "executed": True,
                         "outputs": [{"output_type": "execute_result", "data": {"text/plain": "1e9"}}]}]}
    assert score(report, "a", 3.0)[0] == 0.0  # nbgrader refuses partial credit above the cell's points
    earned, _, message = score({"error": "the notebook did not run: it ran too long"}, "a", 3.0)
    assert earned == 0 and "it ran too long" in message


def test_every_autograded_cell_of_the_instructor_notebook_is_a_case_with_its_points():
    params = cases(1)
    source = nbformat.read(notebooks.source_notebook(1), as_version=4)
    cells = notebooks.autograded_cells(source)
    expected = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"] for c in cells}
    assert expected and {p.values[0]: p.marks[0].args[0].points for p in params} == expected


@pytest.mark.skipif(
    os.environ.get("AUTOGRADER_SLOW_TESTS") != "1",
    reason="executes the Lab 1 notebook (about a minute); set AUTOGRADER_SLOW_TESTS=1",
)
def test_the_solution_notebook_earns_its_points_in_the_sandbox(sandbox_ok, grade_submission, tmp_path):
    lab = tmp_path / "lab1"
    for part in ("text_recognizer", "notebooks", "experiments", "tests"):
        shutil.copytree(SOLUTIONS_DIR / part, lab / part)
    graded = grade_submission(lab, student="notebook", notebook=True)
    tests = [t for t in graded.results["tests"] if t["name"].startswith("Notebook:")]
    assert tests and all(t["score"] == t["max_score"] for t in tests), graded.report.get("notebook_notes")
