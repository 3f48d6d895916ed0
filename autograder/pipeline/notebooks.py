"""The lab notebook's autograded cells, folded into the lab's results as their own tests.

nbgrader's model, applied so that no student code runs outside the sandbox:

1. The parent (trusted) builds the notebook to run, like `nbgrader autograde`'s OverwriteCells:
   the instructor's notebook from solutions/ gives every locked cell and every test cell
   (hidden tests included); the student's notebook gives only the answer cells (nbgrader
   `solution` cells, matched by grade_id). Outputs are cleared.
2. The sandbox executes it (`observers.run_notebook`, `LAB_QUICK=1`) and reports each graded
   cell's outputs as plain data.
3. The hidden suite scores each autograded test cell with nbgrader's own rule
   (`suites/notebook.py`).

Written answers (manually graded cells) are not scored by the autograder; the report lists
them for formgrader. Hidden tests do run inside the sandbox, next to student code, so a kernel
can see them: they are low-stakes checks; the code exercises are graded by the suite's probes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from autograder.paths import REPO_ROOT, SOLUTIONS_DIR

if TYPE_CHECKING:
    from nbformat import NotebookNode

NOTEBOOK_TIMEOUT = 900.0
CELL_TIMEOUT = 300
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
NODE_MODULES = REPO_ROOT / "setup" / "node_modules"


def source_notebook(lab: int) -> Path:
    return SOLUTIONS_DIR / "notebooks" / f"lab{lab}.ipynb"


def _nbgrader(cell: NotebookNode) -> dict:
    """A cell's nbgrader metadata; {} when missing or malformed (a submitted notebook's cells
    can carry anything: a list, a string, a grade_id that is not a string)."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def _student_answers(student: NotebookNode, notes: list[str]) -> dict[str, NotebookNode]:
    """The submitted notebook's answer cells by grade_id; malformed cells are skipped with a note."""
    answers: dict[str, NotebookNode] = {}
    skipped = 0
    cells = student.get("cells") if isinstance(student, dict) else None
    for cell in cells if isinstance(cells, list) else []:
        meta = _nbgrader(cell)
        grade_id = meta.get("grade_id")
        if not meta.get("solution"):
            continue
        if (not isinstance(grade_id, str) or not isinstance(cell.get("source"), str)
                or cell.get("cell_type") not in ("code", "markdown", "raw")):
            skipped += 1
            continue
        answers.setdefault(grade_id, cell)
    if skipped:
        notes.append(f"{skipped} answer cell(s) of the submitted notebook have malformed nbgrader metadata "
                     "or source: they were not used")
    return answers


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
    import nbformat  # seconds to import (its JSON-schema validator): only when a notebook is graded

    source = nbformat.read(source_path, as_version=4)
    answers: dict[str, NotebookNode] = {}
    if not student_path.is_file():
        notes.append(f"no notebooks/lab{lab}.ipynb in the submission: its tests run with empty answers")
    elif student_path.stat().st_size > MAX_NOTEBOOK_BYTES:
        notes.append(f"notebooks/lab{lab}.ipynb is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB: not read")
    else:
        try:
            student = nbformat.reads(student_path.read_text(encoding="utf-8"), as_version=4)
            answers = _student_answers(student, notes)
        except Exception as error:  # noqa: BLE001 - anything a malformed file raises: graded without it
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
