"""The lab notebook's autograded cells, folded into the lab's results as their own tests.

nbgrader's model, applied so that no student code runs outside the sandbox:

1. The parent (trusted) builds the notebook to run, like `nbgrader autograde`'s OverwriteCells:
   the instructor's notebook from solutions/ gives every locked cell and every test cell
   (hidden tests included); the student's notebook gives only the answer cells (nbgrader
   `solution` cells, matched by grade_id). Outputs are cleared.
2. The sandbox executes it (`notebook_probe.py`, `LAB_QUICK=1`) and reports each graded
   cell's outputs as plain data.
3. The parent scores each autograded test cell with nbgrader's own rule
   (`nbgrader.utils.determine_grade`: an error means 0, a numeric result is partial credit,
   otherwise full points). Unlike plain nbgrader, text on stderr (library warnings) costs
   nothing here.

Written answers (manually graded cells) are not scored by the autograder; the report lists
them for formgrader. Hidden tests do run inside the sandbox, next to student code, so a kernel
can see them: they are low-stakes checks; the code exercises are graded by the suite's probes.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.paths import REPO_ROOT, SOLUTIONS_DIR
from autograder.results import TestResult
from autograder.sandbox.session import ProbeOutcome
from autograder.suites.base import Probe, outcome_message

NOTEBOOK_TIMEOUT = 900.0
CELL_TIMEOUT = 300
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
NODE_MODULES = REPO_ROOT / "setup" / "node_modules"


def source_notebook(lab: int) -> Path:
    return SOLUTIONS_DIR / "notebooks" / f"lab{lab}.ipynb"


def _nbgrader(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def autograded_cells(notebook: NotebookNode) -> list[NotebookNode]:
    """Code cells that nbgrader grades automatically (grade, not solution)."""
    return [
        c
        for c in notebook.cells
        if c.cell_type == "code"
        and _nbgrader(c).get("grade")
        and not _nbgrader(c).get("solution")
        and _nbgrader(c).get("grade_id")
    ]


def prepare(lab: int, submission_root: Path, dest: Path) -> tuple[dict[str, float], list[str]] | None:
    """Write the notebook to execute into `dest`; returns ({test grade_id: points}, notes), or
    None when the lab has no notebook or the submission none (the notes say so)."""
    source_path = source_notebook(lab)
    student_path = submission_root / "notebooks" / f"lab{lab}.ipynb"
    if not source_path.is_file():
        return None
    notes: list[str] = []
    source = nbformat.read(source_path, as_version=4)
    answers: dict[str, NotebookNode] = {}
    if not student_path.is_file():
        notes.append(f"no notebooks/lab{lab}.ipynb in the submission: its tests run with empty answers")
    elif student_path.stat().st_size > MAX_NOTEBOOK_BYTES:
        notes.append(f"notebooks/lab{lab}.ipynb is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB: not read")
    else:
        try:
            student = nbformat.reads(student_path.read_text(encoding="utf-8"), as_version=4)
            answers = {
                _nbgrader(c)["grade_id"]: c
                for c in student.cells
                if _nbgrader(c).get("solution") and _nbgrader(c).get("grade_id")
            }
        except (ValueError, UnicodeDecodeError, json.JSONDecodeError, KeyError) as error:
            notes.append(
                f"notebooks/lab{lab}.ipynb is not a readable notebook ({type(error).__name__}): "
                "its tests run with empty answers"
            )
    cells = []
    for cell in source.cells:
        meta = _nbgrader(cell)
        if meta.get("solution"):
            answer = answers.get(meta.get("grade_id"))
            text = answer.source if answer is not None and answer.cell_type == cell.cell_type else ""
            if answer is None and student_path.is_file():
                notes.append(f"answer cell {meta.get('grade_id')!r} is missing from the submitted notebook")
            cell = nbformat.from_dict({**cell, "source": text})
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    prepared = nbformat.from_dict({**source, "cells": cells})
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(prepared, dest)
    points = {_nbgrader(c)["grade_id"]: float(_nbgrader(c).get("points", 0)) for c in autograded_cells(source)}
    return points, notes


def probe(lab: int, prepared: Path) -> Probe:
    """The sandbox probe that executes the prepared notebook."""
    return Probe(
        "notebook",
        "run_notebook",
        (),
        NOTEBOOK_TIMEOUT,
        {
            "notebook": f"notebook/lab{lab}.ipynb",
            "cell_timeout": CELL_TIMEOUT,
            "cwd": "/submission/notebooks",
        },
        files={f"notebook/lab{lab}.ipynb": prepared},
        module="notebook",
    )


def score(outcome: ProbeOutcome | None, points: dict[str, float]) -> tuple[list[TestResult], list[str]]:
    """One test per autograded notebook cell, scored with nbgrader's rule from plain outputs."""
    from nbgrader.utils import determine_grade

    reported = {}
    result = outcome.result if outcome is not None and outcome.ok else None
    if isinstance(result, dict) and isinstance(result.get("cells"), list):
        reported = {c.get("grade_id"): c for c in result["cells"] if isinstance(c, dict)}
    tests, notes = [], []
    if result is None:
        notes.append(f"the notebook did not run: {outcome_message(outcome)}")
    elif result.get("error"):
        notes.append(f"the notebook stopped: {str(result['error'])[:300]}")
    if result is not None and isinstance(result.get("failures"), list):
        notes.extend(f"error in the notebook: {str(f)[:400]}" for f in result["failures"][:10])
    for grade_id, max_points in points.items():
        name = f"Notebook: {grade_id} (nbgrader)"
        cell = reported.get(grade_id)
        if result is None:
            tests.append(TestResult(name, 0.0, max_points, f"Not run: {outcome_message(outcome)}"))
            continue
        if cell is None or not cell.get("executed"):
            tests.append(TestResult(name, 0.0, max_points, "This cell did not run (an earlier cell failed?)."))
            continue
        outputs = [
            o
            for o in cell.get("outputs", [])
            if isinstance(o, dict) and not (o.get("output_type") == "stream" and o.get("name") == "stderr")
        ]
        node = nbformat.from_dict(
            {
                "cell_type": "code",
                "source": "",
                "execution_count": 1,
                "outputs": outputs,
                "metadata": {
                    "nbgrader": {"grade": True, "solution": False, "points": max_points, "grade_id": grade_id}
                },
            }
        )
        try:
            earned, _ = determine_grade(node)
        except Exception:  # noqa: BLE001 - malformed outputs from the sandbox earn nothing
            earned = 0.0
        earned = min(max(float(earned or 0.0), 0.0), max_points)
        errors = [
            f"{o.get('ename')}: {str(o.get('evalue', ''))[:300]}" for o in outputs if o.get("output_type") == "error"
        ]
        summary = "Passed." if earned >= max_points else f"Scored {earned:g} of {max_points:g} from the cell's result."
        tests.append(TestResult(name, earned, max_points, "\n".join(errors) or summary))
    return tests, notes
