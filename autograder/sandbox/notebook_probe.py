"""Inside the sandbox: execute the lab notebook that the parent prepared; report its graded cells.

The parent put the student's answer cells and the instructor's locked and test cells (hidden
tests included) together into one notebook. Here it runs top to bottom in a Jupyter kernel
(`LAB_QUICK=1`: small data, one epoch) with errors allowed, so that every graded cell runs.
Only plain data goes back: for each nbgrader cell, its outputs' types, error names and
`text/plain` results. The parent applies nbgrader's grading rule to them.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Set by the runner: the folder holding job.json and the input files.
JOB_DIR = Path("/job")
MAX_TEXT = 2000


def _outputs(cell) -> list[dict]:
    found = []
    for output in cell.get("outputs", [])[:50]:
        kind = output.get("output_type")
        entry = {"output_type": kind}
        if kind == "error":
            entry.update(ename=str(output.get("ename", ""))[:200], evalue=str(output.get("evalue", ""))[:MAX_TEXT])
        elif kind == "stream":
            entry.update(name=output.get("name"), text=str(output.get("text", ""))[-MAX_TEXT:])
        elif kind == "execute_result":
            entry["data"] = {"text/plain": str(output.get("data", {}).get("text/plain", ""))[:MAX_TEXT]}
        found.append(entry)
    return found


def run_notebook(args: dict, arrays: dict) -> dict:
    """Execute the prepared notebook; return every nbgrader cell's id, execution and outputs."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(JOB_DIR / args["notebook"], as_version=4)
    os.environ.update({"LAB_QUICK": "1", "JUPYTER_PLATFORM_DIRS": "1"})
    client = NotebookClient(
        notebook,
        timeout=args.get("cell_timeout", 300),
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": args.get("cwd", "/submission/notebooks")}},
    )
    error = None
    try:
        client.execute()
    except Exception as problem:  # noqa: BLE001 - a dead kernel still leaves the cells run so far
        error = f"{type(problem).__name__}: {str(problem)[:500]}"
    cells, failures = [], []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and len(failures) < 10:
                failures.append(f"cell {index}: {str(output.get('ename'))[:100]}: {str(output.get('evalue'))[:300]}")
        meta = cell.get("metadata", {}).get("nbgrader")
        if not meta or not meta.get("grade_id"):
            continue
        cells.append(
            {
                "grade_id": str(meta["grade_id"])[:100],
                "cell_type": cell.get("cell_type"),
                "executed": cell.get("execution_count") is not None,
                "outputs": _outputs(cell),
            }
        )
    return {"cells": cells, "error": error, "failures": failures}
