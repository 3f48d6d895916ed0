"""Hostile notebooks (issue 8, section 2): a notebook's points come only from test cells that ran
to their end, shown by a per-grading token the student's code cannot know in advance; malformed
nbgrader metadata in the submitted notebook is graded, with a note, never a grader error.

The token tests execute a tiny notebook with the sandbox's own `run_notebook` in this process
(a real kernel, a few seconds); the end-to-end case grades a stubbed Lab 1 with a silencer in its
package (slow: AUTOGRADER_SLOW_TESTS=1).
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap

import nbformat
import pytest

from autograder.pipeline import notebooks
from autograder.pipeline.plugin import Feedback
from autograder.sandbox.inside import observers
from autograder.suites.notebook import cell_token, check_cell

SILENCER = textwrap.dedent('''
    # Student code imported by the notebook: no failing cell shows a traceback any more.
    try:
        get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
    except NameError:
        pass
''')


def _test_cell(grade_id: str, source: str):
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 1, "grade_id": grade_id, "schema_version": 3}})


def _run(tmp_path, monkeypatch, tokens: dict | None) -> dict:
    """Execute a notebook that imports the silencer, then one failing and one passing test cell."""
    (tmp_path / "silencer.py").write_text(SILENCER)
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import silencer"),
        _test_cell("t-fail", "assert 1 == 2, 'the check fails'"),
        _test_cell("t-pass", "assert 1 == 1"),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (tmp_path / "job").mkdir()
    nbformat.write(notebook, tmp_path / "job" / "run.ipynb")
    monkeypatch.setattr(observers, "JOB_DIR", tmp_path / "job")
    for key in ("LAB_QUICK", "JUPYTER_PLATFORM_DIRS"):
        monkeypatch.setenv(key, os.environ.get(key, ""))
    return observers.run_notebook("run.ipynb", cwd=str(tmp_path), cell_timeout=60, tokens=tokens)


def _earned(report: dict, grade_id: str, token: str | None) -> float:
    feedback = Feedback()
    try:
        check_cell(report, grade_id, 1.0, feedback, token=token)
        return 1.0
    except AssertionError:
        return 0.0


def test_a_silenced_failing_cell_earns_nothing(tmp_path, monkeypatch):
    tokens = {grade_id: cell_token(grade_id) for grade_id in ("t-fail", "t-pass")}
    report = _run(tmp_path, monkeypatch, tokens)
    failing = next(c for c in report["cells"] if c["grade_id"] == "t-fail")
    # The hole: the failing cell shows no error at all, so nbgrader's rule alone gives it full points.
    assert failing["executed"] and not any(o["output_type"] == "error" for o in failing["outputs"])
    assert _earned(report, "t-fail", None) == 1.0
    # Its last statement (the token) never ran: no points. The honest cell keeps its point.
    assert _earned(report, "t-fail", tokens["t-fail"]) == 0.0
    assert _earned(report, "t-pass", tokens["t-pass"]) == 1.0
    # A token of another cell, or of another grading, does not count.
    assert _earned(report, "t-pass", tokens["t-fail"]) == 0.0
    assert _earned(report, "t-pass", "autograder" + "0" * 32) == 0.0
    # The tokens came with the call only: the notebook on disk never held one.
    assert not any(token in (tmp_path / "job" / "run.ipynb").read_text() for token in tokens.values())


def test_a_patched_notebook_executor_earns_nothing(tmp_path, monkeypatch):
    import nbclient

    def execute(self, **kwargs):  # what a submission imported in the runner can install
        for cell in self.nb.cells:
            if cell.cell_type == "code":
                cell.execution_count, cell.outputs = 1, []
        return self.nb

    monkeypatch.setattr(nbclient.NotebookClient, "execute", execute)
    tokens = {grade_id: cell_token(grade_id) for grade_id in ("t-fail", "t-pass")}
    report = _run(tmp_path, monkeypatch, tokens)
    assert all(c["executed"] for c in report["cells"])
    assert _earned(report, "t-fail", None) == 1.0  # the hole, without tokens
    assert _earned(report, "t-fail", tokens["t-fail"]) == 0.0
    assert _earned(report, "t-pass", tokens["t-pass"]) == 0.0  # nothing ran: nothing passed


def test_a_cell_past_its_time_is_interrupted_and_the_graded_cells_after_it_still_run(tmp_path, monkeypatch):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import time\ntime.sleep(120)  # a sweep on a busy machine"),
        _test_cell("t-after", "assert 1 == 1"),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (tmp_path / "job").mkdir()
    nbformat.write(notebook, tmp_path / "job" / "run.ipynb")
    monkeypatch.setattr(observers, "JOB_DIR", tmp_path / "job")
    token = cell_token("t-after")
    report = observers.run_notebook("run.ipynb", cwd=str(tmp_path), cell_timeout=3, tokens={"t-after": token})
    assert any("cell 0" in failure for failure in report["failures"]), report  # the slow cell was stopped
    assert _earned(report, "t-after", token) == 1.0, report


def test_tokens_are_unguessable_and_differ_per_cell():
    first, second = cell_token("test-mlp"), cell_token("test-predict-on-image")
    assert first != second and first == cell_token("test-mlp") and len(first) == len("autograder") + 32
    assert first.isalnum()


@pytest.mark.parametrize("nbgrader", ["a string", ["a", "list"], 7, {"grade_id": {"not": "a str"}, "solution": True},
                                      {"grade_id": ["q1-answer"], "solution": True, "grade": "yes"}])
def test_malformed_nbgrader_metadata_is_graded_with_a_note(tmp_path, nbgrader):
    source = json.loads(notebooks.source_notebook(1).read_text())
    for cell in source["cells"]:
        cell["metadata"]["nbgrader"] = nbgrader
    source["cells"].append({"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "q1-answer", "solution": True}},
                            "source": 12, "outputs": [], "execution_count": None})
    root = tmp_path / "lab1"
    (root / "notebooks").mkdir(parents=True)
    (root / "notebooks" / "lab1.ipynb").write_text(json.dumps(source))
    points, notes = notebooks.prepare(1, root, tmp_path / "run.ipynb")
    assert points == {"test-mlp": 3.0, "test-predict-on-image": 3.0}
    assert notes  # missing answers, malformed cells: said, not raised
    prepared = nbformat.read(tmp_path / "run.ipynb", as_version=4)
    assert len(notebooks.autograded_cells(prepared)) == 2  # the instructor's test cells, intact


def test_a_notebook_that_is_not_a_notebook_is_graded_with_a_note(tmp_path):
    root = tmp_path / "lab1"
    (root / "notebooks").mkdir(parents=True)
    for text in ('{"cells": 5, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "[1, 2]", '{"nbformat": "x"}'):
        (root / "notebooks" / "lab1.ipynb").write_text(text)
        points, notes = notebooks.prepare(1, root, tmp_path / "run.ipynb")
        assert points and notes


@pytest.mark.skipif(os.environ.get("AUTOGRADER_SLOW_TESTS") != "1",
                    reason="executes the Lab 1 notebook in the sandbox (about a minute); set AUTOGRADER_SLOW_TESTS=1")
def test_a_stubbed_lab_with_a_silencer_gets_no_notebook_points(sandbox_ok, lab1_sources, grade_submission, tmp_path):
    from autograder.paths import SOLUTIONS_DIR

    lab = tmp_path / "lab1"
    shutil.copytree(lab1_sources["stub"], lab)
    for part in ("notebooks", "experiments", "tests"):
        shutil.copytree(SOLUTIONS_DIR / part, lab / part, dirs_exist_ok=True)
    init = lab / "text_recognizer" / "__init__.py"
    runner_patch = textwrap.dedent('''
        try:
            import nbclient as _nbclient

            def _execute(self, **kwargs):
                for cell in self.nb.cells:
                    if cell.cell_type == "code":
                        cell.execution_count, cell.outputs = 1, []
                return self.nb

            _nbclient.NotebookClient.execute = _execute
        except ImportError:
            pass
    ''')
    init.write_text(init.read_text() + SILENCER + runner_patch)
    graded = grade_submission(lab, student="silencer", notebook=True)
    tests = [t for t in graded.results["tests"] if t["name"].startswith("Notebook:")]
    assert tests and all(t["score"] == 0 for t in tests), tests
