"""`check`: are the committed lab1..lab7 exactly what `build` produces, with nothing leaked?

Checks, in order: the course validates (manifest, markers, notebooks); every lab folder holds
exactly the files `build` would write, with the same bytes; no lab file contains a marker
string; no stub still carries a line of its solution; no notebook carries a hidden test (nor, in
its own lab, a solution line; nor, in a later lab, a written answer); every notebook section a stub
points to is a heading of its lab's notebook. The build happens in memory, with nbgrader working in
a temporary course directory, so the real gradebook and the committed labs are never touched.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from instructor.errors import CourseError
from instructor.generate import Course, LabFile, load_course, render_lab
from instructor.layout import (
    LABS,
    SOLUTIONS_DIR,
    lab_dir_name,
    lab_notebook,
    list_files,
)
from instructor.markers import LEAK_MARKERS, significant_lines
from instructor.notebooks import NbgraderReleaser, outside_lines, read_notebook, secret_lines

FIX = "run `make labs` (python -m instructor build)"


@dataclass(frozen=True)
class CheckResult:
    """What `check` found: problems (one sentence each) and counts for the OK summary."""

    problems: list[str]
    files: int = 0
    exercises: int = 0

    @property
    def ok(self) -> bool:
        """Whether the labs are up to date and clean."""
        return not self.problems


def run_check(root: Path) -> CheckResult:
    """Compare the committed labs under `root` with a fresh build and scan them for leaks."""
    try:
        course = load_course(root)
    except CourseError as exc:
        return CheckResult(problems=exc.problems)
    problems: list[str] = section_problems(course)
    files = 0
    with tempfile.TemporaryDirectory(prefix="instructor-check-") as tmp:
        releaser = NbgraderReleaser(Path(tmp) / "nbgrader", gradebook=False)
        for lab in LABS:
            try:
                expected = render_lab(course, lab, releaser)
            except CourseError as exc:
                problems.extend(exc.problems)
                continue
            files += len(expected)
            problems.extend(compare_lab(root, lab, expected))
            problems.extend(marker_leaks(root / lab_dir_name(lab), lab_dir_name(lab)))
            problems.extend(solution_leaks(course, root, lab))
    exercises = sum(len(module.exercises) for module in course.modules.values())
    return CheckResult(problems=problems, files=files, exercises=exercises)


def notebook_sections(course: Course, lab: int) -> set[str]:
    """The headings of lab `lab`'s notebook, without their `#`s and their "3." numbers."""
    _lab, notebook = course.lab_notebooks.get(lab_notebook(lab), (lab, None))
    if notebook is None:
        return set()
    return {
        _HEADING_NUMBER.sub("", line.lstrip("#").strip())
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for line in cell.source.split("\n")
        if line.startswith("#")
    }


_HEADING_NUMBER = re.compile(r"^\d+(\.\d+)*\.?\s+")


def section_problems(course: Course) -> list[str]:
    """Exercises whose docstring points to a section their lab's notebook does not have."""
    problems = []
    for path, module in sorted(course.modules.items()):
        for exercise in module.exercises:
            if exercise.section and exercise.section not in notebook_sections(course, exercise.lab):
                problems.append(
                    f"{SOLUTIONS_DIR}/{path}:{exercise.line}: {exercise.qualname}'s docstring points "
                    f'to the section "{exercise.section}" of {lab_notebook(exercise.lab)}, which has '
                    f"no such heading; write the heading's title (without its number) after "
                    f"`Notebook:`, or rename the heading back."
                )
    return problems


def compare_lab(root: Path, lab: int, expected: dict[str, LabFile]) -> list[str]:
    """Missing, extra and differing files of the committed lab folder, as problem sentences."""
    name = lab_dir_name(lab)
    folder = root / name
    if not folder.is_dir():
        return [f"{name}/ is missing; {FIX}."]
    actual = set(list_files(folder))
    problems = []
    for path in sorted(actual | set(expected)):
        shown = f"{name}/{path}"
        if path not in actual:
            problems.append(f"{shown} is missing; {FIX}.")
        elif path not in expected:
            problems.append(
                f"{shown} is not produced by build (extra file); delete it, or add it to "
                f"{SOLUTIONS_DIR}/ and manifest.toml, then {FIX}."
            )
        elif (folder / path).read_bytes() != expected[path].data:
            problems.append(f"{shown} differs from what build produces; {FIX}.")
        elif _is_executable(folder / path) != expected[path].executable:
            problems.append(
                f"{shown} has a different executable bit than its source; {FIX}."
            )
    return problems


def marker_leaks(folder: Path, shown: str, files: list[str] | None = None) -> list[str]:
    """Files under `folder` that contain a solution or hidden-test marker.

    `files` (relative paths) defaults to every file outside work folders.
    """
    if not folder.is_dir():
        return []
    problems = []
    for path in list_files(folder) if files is None else files:
        data = (folder / path).read_bytes()
        for marker in LEAK_MARKERS:
            if marker.encode() in data:
                problems.append(
                    f"{shown}/{path} contains the marker '{marker}', which must never reach "
                    f"students; fix the markers in {SOLUTIONS_DIR}/ and {FIX}."
                )
    return problems


def solution_leaks(course: Course, root: Path, lab: int) -> list[str]:
    """Stubs in lab `lab` that still carry solution lines, and notebooks with hidden tests."""
    name = lab_dir_name(lab)
    folder = root / name
    problems = []
    for path in course.manifest.files_of_lab(lab):
        committed = folder / path
        if not committed.is_file():
            continue  # reported as missing already
        if path in course.modules:
            module = course.modules[path]
            stubbed = module.stubbed_exercises(lab)
            if not stubbed:
                continue
            inside = {
                i for e in stubbed for i in range(e.region.begin, e.region.end + 1)
            }
            allowed = {
                ln.strip() for i, ln in enumerate(module.lines) if i not in inside
            }
            present = {
                ln.strip()
                for ln in committed.read_text("utf-8", errors="replace").split("\n")
            }
            for exercise in stubbed:
                body = module.region_lines(exercise.region)
                for line in significant_lines(body):
                    if line in present and line not in allowed:
                        problems.append(
                            f"{name}/{path}: the stub of {exercise.qualname} (lab {exercise.lab} "
                            f"exercise, {SOLUTIONS_DIR}/{path}:{exercise.line}) still carries solution "
                            f"code `{line}`; {FIX}."
                        )
        elif path in course.lab_notebooks:
            nb_lab, source = course.lab_notebooks[path]
            try:
                shipped = read_notebook(committed.read_bytes(), f"{name}/{path}")
            except CourseError:
                continue  # reported as differing already
            present = {
                ln.strip() for cell in shipped.cells for ln in cell.source.split("\n")
            }
            allowed = outside_lines(source)
            secret, what = secret_lines(source, nb_lab, lab)
            for line in secret:
                if line in present and line not in allowed:
                    problems.append(f"{name}/{path} carries {what}: `{line}`; {FIX}.")
    return problems


def _is_executable(path: Path) -> bool:
    return bool(path.stat().st_mode & 0o100)
