"""Load the course from solutions/ and render any lab, in memory, as the files students get.

`load_course` validates the whole course first (manifest, markers, notebooks) and reports every
problem at once; rendering a lab then cannot fail half-way on an authoring mistake. `build`
renders every requested lab before it writes any, so a failure leaves the labs as they were.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from instructor.config_markers import check_rendered_config, is_config_file, parse_config
from instructor.errors import CourseError
from instructor.lab_readme import notebook_text, reference_reports, render_readme
from instructor.layout import (
    LAB_README,
    LABS,
    NBGRADER_COURSE_DIR,
    SOLUTIONS_DIR,
    is_work_dir,
    lab_dir_name,
    lab_notebook,
    list_files,
)
from instructor.manifest import Manifest, load_manifest
from instructor.markers import ANY_MARKER, Exercise, ParsedModule, check_rendered, parse_module
from instructor.notebooks import (
    NbgraderReleaser,
    feedback_problems,
    marker_problems,
    notebook_bytes,
    read_notebook,
    solved_notebook,
)

_LAB_NOTEBOOK = re.compile(r"^notebooks/lab(\d+)\.ipynb$")


@dataclass(frozen=True)
class LabFile:
    """One file of a rendered lab: its bytes and whether it is executable."""

    data: bytes
    executable: bool = False


@dataclass
class Course:
    """The validated course: manifest, parsed modules and lab notebooks of solutions/."""

    root: Path
    manifest: Manifest
    modules: dict[str, ParsedModule]
    #: lab notebooks `notebooks/labK.ipynb` -> (K, notebook)
    lab_notebooks: dict[str, tuple[int, NotebookNode]]
    _bytes: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def solutions(self) -> Path:
        """The solutions/ folder."""
        return self.root / SOLUTIONS_DIR

    def read(self, path: str) -> bytes:
        """Bytes of course file `path` (read once, then cached)."""
        if path not in self._bytes:
            self._bytes[path] = (self.solutions / path).read_bytes()
        return self._bytes[path]

    def is_executable(self, path: str) -> bool:
        """Whether course file `path` has an executable bit (kept in the labs)."""
        return bool((self.solutions / path).stat().st_mode & stat.S_IXUSR)

    def exercises(self, lab: int) -> list[Exercise]:
        """Every exercise present in lab `lab` (any lab's), ordered by file and line."""
        found = []
        for path in self.manifest.files_of_lab(lab):
            if path in self.modules:
                found.extend(self.modules[path].exercises)
        return found


def load_course(root: Path) -> Course:
    """Read and validate solutions/ under `root`; raise CourseError listing every problem."""
    solutions = root / SOLUTIONS_DIR
    if not solutions.is_dir():
        raise CourseError(
            f"no {SOLUTIONS_DIR}/ folder under {root}; pass --root pointing at the course repository."
        )
    manifest = load_manifest(solutions)
    problems: list[str] = []
    modules: dict[str, ParsedModule] = {}
    lab_notebooks: dict[str, tuple[int, NotebookNode]] = {}
    course = Course(
        root=root, manifest=manifest, modules=modules, lab_notebooks=lab_notebooks
    )
    for path, intro in sorted(manifest.intro_lab.items()):
        where = f"{SOLUTIONS_DIR}/{path}"
        data = course.read(path)
        try:
            if path.endswith(".py"):
                module = parse_module(path, _decode(data, where))
                _check_intro(where, module, intro, problems)
                modules[path] = module
            elif match := _LAB_NOTEBOOK.match(path):
                lab = int(match.group(1))
                nb = read_notebook(data, where)
                if lab not in LABS:
                    problems.append(
                        f"{where}: there is no lab {lab}; lab notebooks are notebooks/lab1.ipynb .. "
                        f"notebooks/lab{LABS[-1]}.ipynb."
                    )
                elif intro != lab:
                    problems.append(
                        f"{where} is lab {lab}'s notebook but the manifest introduces it in lab "
                        f"{intro}; list it under [lab{lab}]."
                    )
                problems.extend(marker_problems(nb, where))
                problems.extend(feedback_problems(nb, where))
                lab_notebooks[path] = (lab, nb)
            elif is_config_file(path) and any(marker.encode() in data for marker in ANY_MARKER):
                module = parse_config(path, _decode(data, where))
                _check_intro(where, module, intro, problems)
                modules[path] = module
            elif any(
                marker.encode() in data
                for marker in ANY_MARKER
            ):
                problems.append(
                    f"{where} contains solution or hidden-test markers, but markers only work in "
                    f".py modules, YAML files, Dockerfiles and notebooks/labK.ipynb; remove them or "
                    f"move the content."
                )
        except CourseError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CourseError(problems)
    return course


def _check_intro(where: str, module: ParsedModule, intro: int, problems: list[str]) -> None:
    """Add a problem for each exercise tagged with a lab before the one that introduces its file."""
    for exercise in module.exercises:
        if exercise.lab < intro:
            problems.append(
                f"{where}:{exercise.line}: exercise tagged lab{exercise.lab}, but the "
                f"manifest introduces this file in lab {intro}, so the stub would never "
                f"be shown; tag it lab{intro} or later, or move the file to lab "
                f"{exercise.lab}."
            )


def render_lab(
    course: Course, lab: int, releaser: NbgraderReleaser, *, solved: bool = False
) -> dict[str, LabFile]:
    """Every file of lab `lab` (POSIX path relative to the lab folder -> content).

    `solved=True` renders lab N's solved form instead: its own exercises solved (later labs'
    exercises stay stubbed) and its notebook solved; this is what `diff` compares against.
    """
    files = render_files(course, lab, releaser, solved=solved)
    exercises = course.exercises(lab)
    notebook = course.lab_notebooks.get(lab_notebook(lab))
    introduced = sorted(path for path, intro in course.manifest.intro_lab.items() if intro == lab)
    trained = [] if solved else [path for path in introduced if path in course.manifest.trained]
    new_files = [path for path in introduced if path not in trained]
    files[LAB_README] = LabFile(
        render_readme(
            lab,
            title=course.manifest.titles.get(lab),
            exercises=[e for e in exercises if e.lab == lab],
            later_exercises=[e for e in exercises if e.lab > lab],
            has_notebook=lab_notebook(lab) in files,
            notebook_text=notebook_text(notebook[1]) if notebook and notebook[0] == lab else "",
            new_files=new_files,
            reference_reports=reference_reports(course.read, introduced),
            trained=trained,
            leaderboard=course.manifest.leaderboards.get(lab),
            extra=course.manifest.readmes.get(lab),
        ).encode("utf-8")
    )
    return dict(sorted(files.items()))


def render_files(
    course: Course,
    lab: int,
    releaser: NbgraderReleaser | None,
    *,
    solved: bool = False,
    under: str = "",
) -> dict[str, LabFile]:
    """Lab `lab`'s course files (every one under `under`), rendered as in `render_lab`, without
    the lab README. With no `releaser`, notebooks are left out (the autograder needs only code)."""
    solved_through = lab if solved else lab - 1
    files: dict[str, LabFile] = {}
    for path in course.manifest.files_of_lab(lab, with_trained=solved):
        if not path.startswith(under):
            continue
        if path in course.modules:
            text = course.modules[path].render(lab, solved_through)
            if path.endswith(".py"):
                check_rendered(path, lab, text)
            else:
                check_rendered_config(path, lab, text)
            data = text.encode("utf-8")
        elif path in course.lab_notebooks:
            if releaser is None:
                continue
            nb_lab, nb = course.lab_notebooks[path]
            if nb_lab > solved_through:
                data = releaser.release(nb_lab, nb)
            else:
                # Written answers are shown only in the instructor's solved view of their own lab.
                data = notebook_bytes(solved_notebook(nb, written_answers=solved and nb_lab == lab))
        else:
            data = course.read(path)
        files[path] = LabFile(data, course.is_executable(path))
    return files


def build(root: Path, labs: list[int]) -> dict[int, dict[str, LabFile]]:
    """Regenerate the given labs under `root` from solutions/; return what was written."""
    course = load_course(root)
    releaser = NbgraderReleaser(root / NBGRADER_COURSE_DIR, gradebook=True)
    rendered = {lab: render_lab(course, lab, releaser) for lab in labs}
    for lab, files in rendered.items():
        write_lab(root / lab_dir_name(lab), files)
    return rendered


def write_lab(dest: Path, files: dict[str, LabFile]) -> None:
    """Make `dest` hold exactly `files`, keeping untracked work folders (runs/, data/ ...).

    Files whose bytes are already right are left alone, so that an editor with a lab file open
    does not see it "changed on disk" after every build.
    """
    if dest.exists():
        for path in list_files(dest):
            if path not in files:
                (dest / path).unlink()
        # A folder emptied here may be where a file must now go.
        _remove_empty_folders(dest)
    for path, file in files.items():
        target = dest / path
        if target.is_symlink():
            target.unlink()
        if not (target.is_file() and target.read_bytes() == file.data):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.data)
        os.chmod(target, 0o755 if file.executable else 0o644)
    _remove_empty_folders(dest)


def _remove_empty_folders(folder: Path) -> None:
    """Remove folders left empty under `folder`, deepest first; work folders always stay."""
    for current, _dirnames, _filenames in sorted(
        os.walk(folder), key=lambda w: -len(w[0])
    ):
        path = Path(current)
        parts = path.relative_to(folder).parts
        inside_work = any(is_work_dir(parts[: i + 1]) for i in range(len(parts)))
        if path != folder and not inside_work and not any(path.iterdir()):
            path.rmdir()


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CourseError(
            f"{where} is not UTF-8 text ({exc}); save it as UTF-8."
        ) from exc
