"""Lab folders to grade without a student: the honest solution and the stubbed lab.

Used by the demo (`python -m autograder demo`), the benchmark and the tests.

- solved: solutions/ itself (its `text_recognizer/` package, deployed weights included) is the
  honest submission of every lab;
- stubbed: the committed `labN/` when it exists; otherwise lab N's package rendered by the
  instructor's own generator (what `make labs` writes): lab N's exercises raise
  NotImplementedError exactly as students get them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.paths import REPO_ROOT, SOLUTIONS_DIR

PACKAGE = "text_recognizer"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


def write_lab(lab: int, dest: Path, *, solved: bool, prefer_committed: bool = True) -> Path:
    """Write lab `lab`'s `text_recognizer/` (stubbed as students get it, or solved) into `dest`."""
    dest = Path(dest)
    source = SOLUTIONS_DIR / PACKAGE
    if solved:
        shutil.copytree(source, dest / PACKAGE, ignore=_IGNORE)
        return dest
    committed = REPO_ROOT / f"lab{lab}" / PACKAGE
    if prefer_committed and (committed / "__init__.py").is_file():
        shutil.copytree(committed, dest / PACKAGE, ignore=_IGNORE)
        return dest
    from instructor.generate import load_course, render_files

    for path, file in render_files(load_course(REPO_ROOT), lab, None, under=f"{PACKAGE}/").items():
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.data)
    return dest
