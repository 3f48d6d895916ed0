"""`diff N`: what students must write in lab N, as a unified diff of lab N against its solved form.

The solved form is lab N with lab N's own exercises solved (markers dropped) and its notebook
solved; everything else is identical, so the diff shows exactly lab N's exercises. Notebooks are
compared cell by cell on their sources, not as raw JSON. Both sides are rendered fresh from
solutions/ (nbgrader works in a temporary course directory).
"""

from __future__ import annotations

import difflib
import tempfile
from pathlib import Path

from instructor.generate import LabFile, load_course, render_lab
from instructor.layout import lab_dir_name
from instructor.notebooks import NbgraderReleaser, notebook_text, read_notebook


def lab_diff(root: Path, lab: int) -> str:
    """The unified diff (as text) from lab `lab` to its solved form; empty when they are equal."""
    course = load_course(root)
    with tempfile.TemporaryDirectory(prefix="instructor-diff-") as tmp:
        releaser = NbgraderReleaser(Path(tmp) / "nbgrader", gradebook=False)
        student = render_lab(course, lab, releaser)
        solved = render_lab(course, lab, releaser, solved=True)
    name = lab_dir_name(lab)
    chunks: list[str] = []
    for path in sorted(set(student) | set(solved)):
        before, after = student.get(path), solved.get(path)
        if before == after:
            continue
        old, new = f"{name}/{path}", f"{name}-solved/{path}"
        before_text, after_text = _text(path, before), _text(path, after)
        if before_text is None or after_text is None:
            chunks.append(f"Binary files {old} and {new} differ\n")
            continue
        diff = difflib.unified_diff(
            before_text.splitlines(keepends=True),
            after_text.splitlines(keepends=True),
            fromfile=old,
            tofile=new,
        )
        chunks.append(
            "".join(line if line.endswith("\n") else line + "\n" for line in diff)
        )
    return "".join(chunks)


def _text(path: str, file: LabFile | None) -> str | None:
    """Text to diff for one side (empty when absent); None for binary content."""
    if file is None:
        return ""
    if path.endswith(".ipynb"):
        return notebook_text(read_notebook(file.data, path))
    try:
        return file.data.decode("utf-8")
    except UnicodeDecodeError:
        return None
