"""Lab folders to grade without a student: the honest solution and the stubbed lab.

Used by the demo (`python -m autograder demo`), the benchmark and the tests.

- solved: solutions/ itself (its `text_recognizer/` package, deployed weights included, and the
  CI file and serverless.yml that Labs 6 and 7 grade) is the honest submission of every lab;
- stubbed: the committed `labN/` when it exists; otherwise lab N's package rendered by the
  instructor's own generator (what `make labs` writes): lab N's exercises raise
  NotImplementedError exactly as students get them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.paths import REPO_ROOT, SOLUTIONS_DIR
from autograder.pipeline.intake import GRADED_FILES

PACKAGE = "text_recognizer"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


def write_lab(lab: int, dest: Path, *, solved: bool, prefer_committed: bool = True) -> Path:
    """Write lab `lab`'s `text_recognizer/` and the graded files beside it (`intake.GRADED_FILES`,
    those the lab has) into `dest`, stubbed as students get them or solved."""
    dest = Path(dest)
    if solved:
        shutil.copytree(SOLUTIONS_DIR / PACKAGE, dest / PACKAGE, ignore=_IGNORE)
        _copy_graded_files(SOLUTIONS_DIR, dest)
        return dest
    committed = REPO_ROOT / f"lab{lab}"
    if prefer_committed and (committed / PACKAGE / "__init__.py").is_file():
        shutil.copytree(committed / PACKAGE, dest / PACKAGE, ignore=_IGNORE)
        _copy_graded_files(committed, dest)
        return dest
    from instructor.generate import load_course, render_files

    course = load_course(REPO_ROOT)
    for under in (f"{PACKAGE}/", *GRADED_FILES):
        for path, file in render_files(course, lab, None, under=under).items():
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.data)
    return dest


def _copy_graded_files(source: Path, dest: Path) -> None:
    for relative in GRADED_FILES:
        if (source / relative).is_file():
            (dest / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / relative, dest / relative)
