"""`release N --to DIR`: a student bundle for lab N, verified to contain no solutions.

The bundle holds `labN/` (the committed lab, work folders left out), the course's `setup/`
(without `node_modules/`, which `setup/install.sh` recreates) and a short README. After writing,
every file is scanned: no instructor-only path (solutions/, autograder/, hub/, build/, instructor/,
manifest.toml, AUTHORING.md, a gradebook), no solution or hidden-test marker, and no line of a
hidden test, of the lab's own solutions or of an earlier lab's written answers from the lab
notebooks. Any finding fails the command and names the file.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from instructor.check import marker_leaks
from instructor.errors import CourseError
from instructor.generate import load_course
from instructor.lab_readme import hand_in_section
from instructor.layout import (
    INSTRUCTOR_ONLY_FILES,
    SETUP_DIR,
    SOLUTIONS_DIR,
    lab_dir_name,
    lab_notebook,
    list_files,
)
from instructor.manifest import load_manifest
from instructor.notebooks import outside_lines, read_notebook, secret_lines

#: Folders that are for instructors only, at any depth of a bundle.
FORBIDDEN_DIRS = frozenset({SOLUTIONS_DIR, "autograder", "instructor", "node_modules"})
#: Folders forbidden at the top of a bundle only (a lab may legitimately have a `build` folder);
#: `hub` is the course hub's code and configuration.
FORBIDDEN_TOP_DIRS = frozenset({"build", ".git", "hub"})
FORBIDDEN_FILES = INSTRUCTOR_ONLY_FILES | {"gradebook.db"}


@dataclass(frozen=True)
class ReleaseResult:
    """Where the bundle went and how many files it holds."""

    path: Path
    files: int


def make_release(
    root: Path, lab: int, to: Path, *, force: bool = False
) -> ReleaseResult:
    """Write lab `lab`'s student bundle into `to` and verify it; raise CourseError on any problem."""
    name = lab_dir_name(lab)
    lab_folder = root / name
    if not lab_folder.is_dir():
        raise CourseError(f"{lab_folder} does not exist; run `make labs` first.")
    to = to.expanduser().resolve()
    _refuse_dangerous_target(root.resolve(), to)
    if to.exists() and not to.is_dir():
        raise CourseError(f"{to} is a file; pass a folder to --to.")
    if to.is_dir() and any(to.iterdir()):
        if not force:
            raise CourseError(
                f"{to} is not empty; choose an empty folder, or pass --force to replace its contents."
            )
        for child in to.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    to.mkdir(parents=True, exist_ok=True)

    _copy_tree(lab_folder, to / name, list_files(lab_folder))
    setup = root / SETUP_DIR
    if setup.is_dir():
        _copy_tree(
            setup, to / SETUP_DIR, list_files(setup, skip_dirs=("node_modules",))
        )
    has_notebook = (lab_folder / lab_notebook(lab)).is_file()
    # What the lab's leaderboard ranks is the manifest's; a copy of the labs without solutions/ has none.
    manifest = load_manifest(root / SOLUTIONS_DIR) if (root / SOLUTIONS_DIR).is_dir() else None
    leaderboard = manifest.leaderboards.get(lab) if manifest else None
    readme = _bundle_readme(lab, has_setup=setup.is_dir(), has_notebook=has_notebook, leaderboard=leaderboard)
    (to / "README.md").write_text(readme, encoding="utf-8")

    problems = verify_bundle(to, root=root)
    if problems:
        raise CourseError(
            [f"the bundle in {to} is NOT safe to hand out; do not publish it:"]
            + [f"  {p}" for p in problems]
        )
    return ReleaseResult(path=to, files=len(list_files(to)))


def verify_bundle(bundle: Path, *, root: Path | None = None) -> list[str]:
    """Every leak in `bundle`: forbidden paths, markers, hidden-test lines (when solutions/ is known)."""
    problems: list[str] = []
    files = _all_files(bundle)
    for path in files:
        parts = PurePosixPath(path).parts
        bad_dir = next((p for p in parts[:-1] if p in FORBIDDEN_DIRS), None)
        if bad_dir or (parts[0] in FORBIDDEN_TOP_DIRS and len(parts) > 1):
            problems.append(
                f"{path} is inside an instructor-only folder ({bad_dir or parts[0]}/); remove it."
            )
        elif parts[-1] in FORBIDDEN_FILES:
            problems.append(f"{path} is an instructor-only file; remove it.")
    problems.extend(marker_leaks(bundle, str(bundle), files))
    if root is not None and (root / SOLUTIONS_DIR).is_dir():
        problems.extend(_hidden_test_leaks(bundle, root))
    return problems


def _hidden_test_leaks(bundle: Path, root: Path) -> list[str]:
    course = load_course(root)
    problems = []
    for path in _all_files(bundle):
        parts = PurePosixPath(path).parts
        inner = PurePosixPath(*parts[1:]).as_posix() if len(parts) > 1 else ""
        if inner not in course.lab_notebooks:
            continue
        nb_lab, source = course.lab_notebooks[inner]
        try:
            shipped = read_notebook((bundle / path).read_bytes(), path)
        except CourseError as exc:
            problems.extend(exc.problems)
            continue
        present = {
            ln.strip() for cell in shipped.cells for ln in cell.source.split("\n")
        }
        allowed = outside_lines(source)
        # A bundle's top folder is its lab (labN/); anything else is checked as the notebook's own lab.
        shipped_lab = int(parts[0][3:]) if re.fullmatch(r"lab\d+", parts[0]) else nb_lab
        secret, what = secret_lines(source, nb_lab, shipped_lab)
        for line in secret:
            if line in present and line not in allowed:
                problems.append(f"{path} carries {what}: `{line}`; run `make labs` and release again.")
    return problems


def _all_files(folder: Path) -> list[str]:
    """Every file under `folder`, work folders included (a leak could hide anywhere)."""
    found = []
    for current, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        rel = Path(current).relative_to(folder)
        found.extend((rel / name).as_posix() for name in filenames)
    return sorted(found)


def _copy_tree(source: Path, dest: Path, files: list[str]) -> None:
    for path in files:
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / path, target, follow_symlinks=True)


def _refuse_dangerous_target(root: Path, to: Path) -> None:
    """Never let --force wipe the repository, one of its parents, or a home folder."""
    home = Path.home().resolve()
    if to == Path(to.anchor) or to == home or to in root.parents or to == root:
        raise CourseError(
            f"refusing to write a release into {to}; pass a new or empty folder to --to."
        )
    if to.is_relative_to(root) and to.relative_to(root).parts[0] in {
        SOLUTIONS_DIR,
        SETUP_DIR,
        "autograder",
        "hub",
    }:
        raise CourseError(
            f"refusing to write a release inside {to.relative_to(root).parts[0]}/; choose another folder."
        )
    if to.is_relative_to(root) and re.fullmatch(
        r"lab\d+", to.relative_to(root).parts[0]
    ):
        raise CourseError(
            f"refusing to write a release inside a lab folder ({to}); choose another folder."
        )


def _bundle_readme(lab: int, *, has_setup: bool, has_notebook: bool, leaderboard: str | None) -> str:
    name = lab_dir_name(lab)
    install = (
        [
            "## 1. Install (once)",
            "",
            "```bash",
            "bash setup/install.sh",
            "```",
            "",
            "This installs the pinned Python packages and the offline datasets the labs use.",
        ]
        if has_setup
        else [
            "## 1. Install (once)",
            "",
            "Install the course's Python packages as your instructor describes.",
        ]
    )
    notebook = (
        f"The lab notebook is `{name}/{lab_notebook(lab)}`; open it in JupyterLab. "
        if has_notebook
        else ""
    )
    return "\n".join(
        [
            f"# Handwritten text recognizer: lab {lab}",
            "",
            f"This bundle holds lab {lab} of the course (`{name}/`) and the course's setup files.",
            "",
            *install,
            "",
            "## 2. Start the lab",
            "",
            "```bash",
            f"cd {name}",
            "```",
            "",
            (
                f"Then read `{name}/README.md`: it lists your exercises. {notebook}"
                f"`python -m pytest` (run from `{name}/`) runs the visible tests."
            ),
            "",
            *hand_in_section(lab, leaderboard, first_number=3),
            "",
        ]
    )
