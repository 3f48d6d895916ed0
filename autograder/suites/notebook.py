"""The lab notebook's autograded cells, as one parametrized hidden test per lab.

nbgrader's model, applied so that no student code runs outside the sandbox:

1. The grader (trusted) builds the notebook to run, like `nbgrader autograde`'s OverwriteCells:
   the instructor's notebook gives every locked cell and every test cell (hidden tests
   included); the student's notebook gives only the answer cells (`notebooks.prepare`).
2. The sandbox executes it (`grader:run_notebook`, `LAB_QUICK=1`) and reports each graded
   cell's outputs as plain data.
3. Each autograded test cell is one case of `test_notebook_cell`, scored with nbgrader's own
   rule (`nbgrader.utils.determine_grade`). Text on stderr (library warnings) costs nothing.

A lab's suite uses it in two lines (see `lab1/test_notebook.py`).
"""

from __future__ import annotations

import json

import pytest

from autograder import notebooks
from autograder.marks import graded, meta_of


def cases(lab: int) -> list:
    """One pytest param per autograded cell of the lab's notebook, marked with its points.

    Read as plain JSON (the instructor's own notebook): collection stays fast.
    """
    source = notebooks.source_notebook(lab)
    if not source.is_file():
        return []
    params = []
    for cell in json.loads(source.read_text(encoding="utf-8"))["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution") and meta.get("grade_id"):
            name = f"Notebook: {meta['grade_id']} (nbgrader)"
            params.append(pytest.param(meta["grade_id"], id=meta["grade_id"],
                                       marks=[graded(name, float(meta.get("points", 0))), pytest.mark.notebook]))
    return params


def run(grading, sandbox) -> dict:
    """Execute the prepared notebook once in the sandbox; the plain report, or a failure reason."""
    if grading.notebook is None:
        pytest.skip("the notebook was not run for this grading")
    limits = grading.limits_object
    sandbox.extend_budget(notebooks.NOTEBOOK_TIMEOUT * limits.timeout_scale)
    reply = sandbox.call("grader:run_notebook", notebook=f"notebook/{grading.notebook.rsplit('/', 1)[-1]}",
                         cwd="/submission/notebooks" if grading.sandboxed else f"{grading.submission}/notebooks",
                         cell_timeout=notebooks.CELL_TIMEOUT, timeout=notebooks.NOTEBOOK_TIMEOUT)
    if not reply.ok or not isinstance(reply.value, dict) or not isinstance(reply.value.get("cells"), list):
        return {"error": f"the notebook did not run: {reply.message()}"}
    return reply.value


def check_cell(report: dict, grade_id: str, points: float, feedback) -> None:
    """Score one autograded cell from the notebook's plain report (nbgrader's rule)."""
    import nbformat
    from nbgrader.utils import determine_grade

    if "cells" not in report:
        raise AssertionError(report.get("error", "the notebook did not run"))
    cell = next((c for c in report["cells"] if isinstance(c, dict) and c.get("grade_id") == grade_id), None)
    assert cell is not None and cell.get("executed"), "this cell did not run (an earlier cell failed?)"
    outputs = [o for o in cell.get("outputs", []) if isinstance(o, dict)
               and not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    node = nbformat.from_dict({
        "cell_type": "code", "source": "", "execution_count": 1, "outputs": outputs,
        "metadata": {"nbgrader": {"grade": True, "solution": False, "points": points, "grade_id": grade_id}},
    })
    try:
        earned, _ = determine_grade(node)
    except Exception:  # noqa: BLE001 - malformed outputs from the sandbox earn nothing
        earned = 0.0
    earned = min(max(float(earned or 0.0), 0.0), points) if points else 0.0
    errors = [f"{o.get('ename')}: {str(o.get('evalue', ''))[:300]}" for o in outputs if o.get("output_type") == "error"]
    for error in errors:
        feedback.say(error)
    if points:
        feedback.partial(earned / points)
    assert not errors and earned >= points, "the cell's checks did not all pass"


@pytest.fixture(scope="module")
def notebook_report(grading, sandbox) -> dict:
    """The notebook's run, once per suite."""
    return run(grading, sandbox)


def notebook_test(lab: int):
    """The parametrized test of lab `lab`'s autograded notebook cells."""

    @pytest.mark.parametrize("grade_id", cases(lab))
    def test_notebook_cell(grade_id, notebook_report, feedback, request):
        meta = meta_of(request.node)
        check_cell(notebook_report, grade_id, meta.points if meta else 0.0, feedback)

    return test_notebook_cell
