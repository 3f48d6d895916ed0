"""The lab notebook's autograded cells, as one parametrized hidden test per lab.

nbgrader's model, applied so that no student code runs outside the sandbox:

1. The grader (trusted) builds the notebook to run, like `nbgrader autograde`'s OverwriteCells:
   the instructor's notebook gives every locked cell and every test cell (hidden tests
   included); the student's notebook gives only the answer cells (`notebooks.prepare`).
2. The sandbox executes it (`grader:run_notebook`, `LAB_QUICK=1`) and reports each graded
   cell's outputs as plain data.
3. Each autograded test cell is one case of `test_notebook_cell`, scored with nbgrader's own
   rule (`nbgrader.utils.determine_grade`). Text on stderr (library warnings) costs nothing.

Evidence of a pass that the student's code cannot write in advance. Student code runs in the
kernel and in the runner that drives it: it can silence tracebacks (a failing cell then shows
no error) or patch the executor (cells reported as run, with no output). So a cell earns its
points only when its outputs carry its **token**: `HMAC(secret, grading nonce + grade_id)`, with
a secret drawn per grading in this (trusted) process and never written anywhere. The tokens
travel only in the `run_notebook` request; the sandbox appends `print(<token>)` as each test
cell's last statement, which runs only when every check above it passed. A generic silencer
or a patched executor prints no token; guessing one is guessing 128 random bits. And the
notebook runs in a fresh runner, which has imported no student module: the executor itself is
the grader's, and student code runs only in the kernel. What student code *can* still do there
is read the cell's source while it runs (the token is in it) and print it after swallowing the
failure, or, as the runner's user, tamper with the runner process itself: that takes code
written against this grader, which the instructor sees in the submission; the notebook cells
are low-stakes (6 of Lab 1's points), and every exercise is also graded by the suite's own
probes.

A lab's suite uses it in two lines (see `lab1/test_notebook.py`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets

import pytest

from autograder.pipeline import notebooks
from autograder.pipeline.marks import graded, meta_of


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


#: This grading's secret and nonce, drawn in the suite process of the grading (per process id:
#: suite processes are forked from a server, which must not hand one secret to all), never
#: written anywhere.
_SECRETS: dict[int, tuple[bytes, str]] = {}


def cell_token(grade_id: str) -> str:
    """The token the test cell `grade_id` prints as its last statement in this grading."""
    secret, nonce = _SECRETS.setdefault(os.getpid(), (secrets.token_bytes(32), secrets.token_hex(8)))
    digest = hmac.new(secret, f"{nonce}:{grade_id}".encode(), hashlib.sha256)
    return "autograder" + digest.hexdigest()[:32]


def run(grading, sandbox) -> dict:
    """Execute the prepared notebook once in the sandbox; the plain report, or a failure reason."""
    if grading.notebook is None:
        pytest.skip("the notebook was not run for this grading")
    limits = grading.limits_object
    sandbox.extend_budget(notebooks.NOTEBOOK_TIMEOUT * limits.timeout_scale)
    tokens = {param.values[0]: cell_token(param.values[0]) for param in cases(grading.lab)}
    # A runner that has imported no student module yet drives the kernel: code of the submission
    # that earlier calls imported cannot have patched the executor. The suite runs the notebook
    # first (`plugin`), so the warm runner (Keras imported) usually still qualifies.
    if sandbox.ran_submission_code:
        sandbox.close()
    reply = sandbox.call("grader:run_notebook", notebook=f"notebook/{grading.notebook.rsplit('/', 1)[-1]}",
                         cwd="/submission/notebooks" if grading.sandboxed else f"{grading.submission}/notebooks",
                         cell_timeout=notebooks.CELL_TIMEOUT, tokens=tokens, timeout=notebooks.NOTEBOOK_TIMEOUT)
    if not reply.ok or not isinstance(reply.value, dict) or not isinstance(reply.value.get("cells"), list):
        return {"error": f"the notebook did not run: {reply.message()}"}
    return reply.value


def printed_token(outputs: list[dict], token: str) -> bool:
    """Whether the cell's stdout carries `token` as a line of its own."""
    text = "".join(str(o.get("text", "")) for o in outputs
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return token in text.splitlines()


def check_cell(report: dict, grade_id: str, points: float, feedback, token: str | None = None) -> None:
    """Score one autograded cell from the notebook's plain report (nbgrader's rule), counting
    it only when its outputs carry `token` (the cell ran to its last statement)."""
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
    finished = token is None or printed_token(outputs, token)
    if not finished:
        earned = 0.0
    if points:
        feedback.partial(earned / points)
    assert finished, "the cell did not run to its end (its checks did not all pass)"
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
        check_cell(notebook_report, grade_id, meta.points if meta else 0.0, feedback, token=cell_token(grade_id))

    return test_notebook_cell
