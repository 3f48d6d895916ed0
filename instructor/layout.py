"""Where things live in the course repository, in one place.

Every command reuses these names, so that `build`, `check` and `release` agree on what a lab
is, which folders are students' untracked work, and which paths must never reach a student.
"""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

#: Number of labs in the course. Lab numbers run from 1 to LAB_COUNT.
LAB_COUNT = 7
LABS: tuple[int, ...] = tuple(range(1, LAB_COUNT + 1))

SOLUTIONS_DIR = "solutions"
SETUP_DIR = "setup"
MANIFEST_NAME = "manifest.toml"
#: Files at the top of solutions/ that are for instructors only and never reach a lab.
INSTRUCTOR_ONLY_FILES = frozenset({MANIFEST_NAME, "AUTHORING.md"})
#: The README at the top of every lab is generated, so solutions/ must not provide one.
LAB_README = "README.md"
#: Where `build` keeps its nbgrader course directory (gitignored).
NBGRADER_COURSE_DIR = PurePosixPath("build/nbgrader")

#: Untracked work folders that may sit inside a lab (or solutions/) while students and
#: instructors work: `build` keeps them, `check` and the manifest ignore them, `release`
#: leaves them out. Names are fnmatch patterns on one folder name.
WORK_DIRS_ANYWHERE = (
    "__pycache__",
    ".ipynb_checkpoints",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",  # Hypothesis' example database (the API's fuzz tests)
    "runs",
    "wandb",
    "*.egg-info",
)
#: Work folders recognised only directly under the lab folder: `text_recognizer/data/` and
#: `text_recognizer/reports/` are course code, while `labN/data/` would be downloaded data and
#: `labN/reports/` the figures a student's runs wrote.
WORK_DIRS_TOP = ("data", "reports")


def default_root() -> Path:
    """The repository root: the folder holding this `instructor/` package."""
    return Path(__file__).resolve().parent.parent


def lab_dir_name(lab: int) -> str:
    """Folder name of lab `lab` at the repository root, e.g. `lab3`."""
    return f"lab{lab}"


def lab_notebook(lab: int) -> str:
    """Path of lab `lab`'s notebook inside solutions/ and inside a lab."""
    return f"notebooks/lab{lab}.ipynb"


def is_work_dir(parts: tuple[str, ...]) -> bool:
    """Whether a folder, given as path parts relative to a lab (or solutions/), is a work folder."""
    if not parts:
        return False
    name = parts[-1]
    if len(parts) == 1 and any(fnmatchcase(name, pattern) for pattern in WORK_DIRS_TOP):
        return True
    return any(fnmatchcase(name, pattern) for pattern in WORK_DIRS_ANYWHERE)


def is_work_path(relative: str) -> bool:
    """Whether a file path relative to a lab lies inside one of the work folders."""
    parts = PurePosixPath(relative).parts[:-1]
    return any(is_work_dir(parts[: i + 1]) for i in range(len(parts)))


def list_files(folder: Path, *, skip_dirs: tuple[str, ...] = ()) -> list[str]:
    """Every file under `folder` as sorted POSIX paths relative to it, without work folders.

    `skip_dirs` names further top-level folders to leave out (for example `node_modules`).
    Symbolic links to files count as files; links to folders are not followed.
    """
    found: list[str] = []
    for current, dirnames, filenames in os.walk(folder):
        rel_dir = PurePosixPath(Path(current).relative_to(folder).as_posix())
        base = () if str(rel_dir) == "." else rel_dir.parts
        # Prune in place so os.walk does not descend into work folders.
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not is_work_dir((*base, d)) and not (not base and d in skip_dirs)
        )
        for name in filenames:
            found.append(PurePosixPath(*base, name).as_posix())
    return sorted(found)
