"""Lab notebooks: nbgrader's generate_assignment for the lab's own notebook, cleaning for later labs.

`notebooks/labK.ipynb` in solutions/ is the instructor's solved notebook with nbgrader cell
metadata. In lab K it goes through nbgrader's `generate_assignment` (solutions replaced by
nbgrader's stubs, hidden tests and mark schemes removed, cells locked). In later labs it appears
solved: nbgrader's solution delimiters dropped, hidden tests and mark schemes removed, outputs
and execution counts cleared, and its written answers blank (they are graded in their own lab,
so a later lab must not hand them out).

Every autograded test cell must give feedback a student can act on: each `assert` carries a
message saying what was expected, and the cell ends by printing a line once every check passed
(`feedback_problems`; `load_course` refuses a course where one does not).

Every notebook written to a lab is normalised first (nbformat 4.5 with deterministic cell ids,
no outputs, no volatile metadata) and serialised the same way, so builds are byte-identical.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import logging
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from instructor.errors import CourseError
from instructor.layout import SOLUTIONS_DIR, lab_dir_name
from instructor.markers import (
    BEGIN_HIDDEN,
    BEGIN_MARK_SCHEME,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_MARK_SCHEME,
    END_SOLUTION,
    significant_lines,
)

_PAIRS = (
    (BEGIN_SOLUTION, END_SOLUTION, "solution"),
    (BEGIN_HIDDEN, END_HIDDEN, "hidden tests"),
    (BEGIN_MARK_SCHEME, END_MARK_SCHEME, "mark scheme"),
)

# Metadata that records a session rather than the course: timings, widget state, UI toggles.
_VOLATILE_CELL_METADATA = (
    "execution",
    "ExecuteTime",
    "collapsed",
    "scrolled",
    "jp-MarkdownHeadingCollapsed",
)
_VOLATILE_NOTEBOOK_METADATA = ("widgets", "toc", "varInspector", "celltoolbar")
_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

#: What a later lab shows in place of an earlier lab's written answer.
BLANK_WRITTEN_ANSWER = (
    "*Written answer: blank in later labs. Answers are graded in the lab that asks the question;"
    " yours is in that lab's notebook.*"
)


def _nbgrader(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_written_answer(cell: NotebookNode) -> bool:
    """A manually graded answer cell (nbgrader `grade` and `solution`): graded in formgrader."""
    meta = _nbgrader(cell)
    return bool(meta.get("grade") and meta.get("solution"))


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded test cell (nbgrader `grade` without `solution`, code)."""
    meta = _nbgrader(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def read_notebook(data: bytes, where: str) -> NotebookNode:
    """Parse notebook bytes; raise CourseError naming `where` when they are not a valid notebook."""
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    # nbformat raises several unrelated exception types for broken files.
    except Exception as exc:
        raise CourseError(
            f"{where} is not a valid Jupyter notebook ({type(exc).__name__}: {exc}); "
            f"open and re-save it in JupyterLab."
        ) from exc
    return nb


def notebook_bytes(nb: NotebookNode) -> bytes:
    """Serialise a notebook the one way every lab uses (nbformat's layout, LF, final newline)."""
    text = nbformat.writes(nb, version=4)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def normalise(nb: NotebookNode) -> NotebookNode:
    """A copy at nbformat 4.5 with deterministic cell ids, no outputs and no volatile metadata.

    Missing cell ids would otherwise be invented at random by the next tool that upgrades the
    notebook, and random ids break byte-for-byte comparison of builds.
    """
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))
    for key in _VOLATILE_NOTEBOOK_METADATA:
        nb.metadata.pop(key, None)
    used: set[str] = set()
    for index, cell in enumerate(nb.cells):
        cell_id = cell.get("id")
        if not cell_id or not _CELL_ID.match(cell_id) or cell_id in used:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            base = (
                grade_id
                if _CELL_ID.match(grade_id or "-") and grade_id
                else f"cell-{index}"
            )
            cell_id, n = base[:60], 1
            while cell_id in used:
                cell_id, n = f"{base[:56]}-{n}", n + 1
            cell["id"] = cell_id
        used.add(cell_id)
        for key in _VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def marker_problems(nb: NotebookNode, where: str) -> list[str]:
    """Unbalanced or nested nbgrader delimiters in any cell, each naming the cell and line."""
    problems: list[str] = []
    for index, cell in enumerate(nb.cells):
        cell_name = _cell_name(index, cell)
        open_kind: tuple[str, int] | None = None
        for line_no, line in enumerate(cell.source.split("\n"), start=1):
            for begin, end, kind in _PAIRS:
                if begin in line:
                    if open_kind is not None:
                        problems.append(
                            f"{where} {cell_name} line {line_no}: '{begin}' inside the {open_kind[0]} "
                            f"opened at line {open_kind[1]}; close that first."
                        )
                    open_kind = (kind, line_no)
                elif end in line:
                    if open_kind is None or open_kind[0] != kind:
                        problems.append(
                            f"{where} {cell_name} line {line_no}: '{end}' without a matching "
                            f"'{begin}'; add the BEGIN line or remove this one."
                        )
                    open_kind = None
        if open_kind is not None:
            problems.append(
                f"{where} {cell_name} line {open_kind[1]}: the {open_kind[0]} block is never closed; "
                f"add its END line."
            )
    return problems


def solved_notebook(nb: NotebookNode, *, written_answers: bool = False) -> NotebookNode:
    """The notebook as later labs show it: solved, without hidden tests, mark schemes or markers,
    and with its written answers blank unless `written_answers` (the instructor's solved view)."""
    nb = normalise(nb)
    for cell in nb.cells:
        kept: list[str] = []
        skipping = False
        for line in cell.source.split("\n"):
            if BEGIN_HIDDEN in line or BEGIN_MARK_SCHEME in line:
                skipping = True
            elif END_HIDDEN in line or END_MARK_SCHEME in line:
                skipping = False
            elif (
                not skipping and BEGIN_SOLUTION not in line and END_SOLUTION not in line
            ):
                kept.append(line)
        if kept != cell.source.split("\n"):
            # Removing a block at the end of a cell would leave blank lines behind.
            cell.source = "\n".join(kept).rstrip("\n")
        if is_written_answer(cell) and not written_answers:
            cell.source = BLANK_WRITTEN_ANSWER
    return nb


def feedback_problems(nb: NotebookNode, where: str) -> list[str]:
    """Autograded test cells that would fail a student silently, each naming the cell and line.

    In Jupyter a bare `assert` fails with an empty `AssertionError`, and a cell that prints
    nothing when it passes looks the same as one that did not run.
    """
    problems: list[str] = []
    for index, cell in enumerate(nb.cells):
        if not is_test_cell(cell):
            continue
        name = f"{where} {_cell_name(index, cell)}"
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as exc:
            problems.append(f"{name} line {exc.lineno}: the test cell is not valid Python ({exc.msg}); fix it.")
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert) and node.msg is None:
                problems.append(
                    f"{name} line {node.lineno}: `assert` without a message; add one that says what "
                    f"was expected (`assert ok, \"expected ...\"`)."
                )
        last = tree.body[-1] if tree.body else None
        prints = (
            isinstance(last, ast.Expr)
            and isinstance(last.value, ast.Call)
            and isinstance(last.value.func, ast.Name)
            and last.value.func.id == "print"
        )
        if not prints:
            problems.append(
                f"{name}: the test cell does not end with a print; end it with a line such as "
                f"`print(\"<exercise> looks right\")` so that students see it passed."
            )
    return problems


def secret_lines(nb: NotebookNode, nb_lab: int, lab: int) -> tuple[list[str], str]:
    """Significant lines of lab `nb_lab`'s notebook that lab `lab` must not carry, and what they are.

    Every lab: hidden tests and mark schemes. The notebook's own lab: its solutions too. Later
    labs: its written answers.
    """
    secret = significant_lines(hidden_lines(nb))
    what = "a hidden test or mark-scheme line"
    if nb_lab == lab:
        secret += significant_lines(solution_lines(nb))
        what = "a hidden test, mark-scheme or solution line"
    elif nb_lab < lab:
        secret += significant_lines(written_answer_lines(nb))
        what = "a hidden test, mark-scheme or written-answer line"
    return secret, what


def hidden_lines(nb: NotebookNode) -> list[str]:
    """Lines inside hidden-test and mark-scheme blocks: they must never reach a student."""
    return _lines_inside(
        nb, ((BEGIN_HIDDEN, END_HIDDEN), (BEGIN_MARK_SCHEME, END_MARK_SCHEME))
    )


def written_answer_lines(nb: NotebookNode) -> list[str]:
    """Lines of the written answers (manually graded cells), delimiters left out."""
    pairs = tuple((begin, end) for begin, end, _kind in _PAIRS)
    return [
        line
        for cell in nb.cells
        if is_written_answer(cell)
        for line in cell.source.split("\n")
        if not any(begin in line or end in line for begin, end in pairs)
    ]


def solution_lines(nb: NotebookNode) -> list[str]:
    """Lines inside nbgrader solution blocks (what students must write in the lab's notebook)."""
    return _lines_inside(nb, ((BEGIN_SOLUTION, END_SOLUTION),))


def outside_lines(nb: NotebookNode) -> set[str]:
    """Stripped lines outside every delimited block and every written answer (text that may
    legitimately repeat)."""
    found: set[str] = set()
    for cell in nb.cells:
        if is_written_answer(cell):
            continue  # nbgrader takes a written answer whole, delimited or not
        inside = False
        for line in cell.source.split("\n"):
            if any(begin in line for begin, _end, _kind in _PAIRS):
                inside = True
            elif any(end in line for _begin, end, _kind in _PAIRS):
                inside = False
            elif not inside:
                found.add(line.strip())
    return found


def notebook_text(nb: NotebookNode) -> str:
    """A readable text form of the cells (for diffs): a header line per cell, then its source."""
    parts: list[str] = []
    for index, cell in enumerate(nb.cells):
        parts.append(f"# ---- {_cell_name(index, cell)} [{cell.cell_type}] ----")
        parts.append(cell.source)
    return "\n".join(parts) + "\n"


class NbgraderReleaser:
    """Runs nbgrader's generate_assignment on lab notebooks inside one nbgrader course directory.

    `gradebook=True` (build) records the graded cells in `<course_dir>/gradebook.db`;
    `gradebook=False` (check, diff) leaves every database alone. The released notebook does not
    depend on the gradebook, so both give the same bytes.
    """

    def __init__(self, course_dir: Path, *, gradebook: bool) -> None:
        self.course_dir = course_dir.resolve()
        self.gradebook = gradebook
        self._cache: dict[tuple[int, bytes], bytes] = {}

    def release(self, lab: int, nb: NotebookNode) -> bytes:
        """Lab `lab`'s notebook as students get it, serialised."""
        source = notebook_bytes(normalise(nb))
        key = (lab, source)
        if key not in self._cache:
            released = self._generate_assignment(lab, source)
            self._cache[key] = notebook_bytes(normalise(released))
        return self._cache[key]

    def _generate_assignment(self, lab: int, source: bytes) -> NotebookNode:
        # Imported here: nbgrader takes seconds to import and most commands never need it.
        from nbgrader.converters import GenerateAssignment
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config import Config

        assignment = lab_dir_name(lab)
        where = f"{SOLUTIONS_DIR}/notebooks/{assignment}.ipynb"
        source_dir = self.course_dir / "source" / assignment
        release_dir = self.course_dir / "release" / assignment
        # nbgrader copies every other file of the source folder: keep it to the one notebook.
        shutil.rmtree(source_dir, ignore_errors=True)
        source_dir.mkdir(parents=True)
        (source_dir / f"{assignment}.ipynb").write_bytes(source)

        config = Config()
        config.CourseDirectory.root = str(self.course_dir)
        config.CourseDirectory.assignment_id = assignment
        config.BaseConverter.force = True
        if not self.gradebook:
            config.GenerateAssignment.no_database = True
            config.SaveCells.enabled = False

        records = _LogRecords()
        logger = logging.getLogger(f"instructor.nbgrader.{assignment}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.handlers = [records]
        try:
            with _venv_on_path():
                coursedir = CourseDirectory(config=config, log=logger)
                GenerateAssignment(
                    coursedir=coursedir, config=config, log=logger
                ).start()
        # nbgrader reports its failures as generic exceptions, with details in its log.
        except Exception as exc:
            details = records.errors() or [f"{type(exc).__name__}: {exc}"]
            headline = (
                f"nbgrader generate_assignment failed on {where}; fix the notebook's nbgrader "
                f"cell metadata or delimiters (nbgrader said:)"
            )
            raise CourseError([headline, *(f"    {line}" for line in details)]) from exc
        released = release_dir / f"{assignment}.ipynb"
        if not released.is_file():
            raise CourseError(
                f"nbgrader wrote no {released}; run `nbgrader generate_assignment {assignment}` in "
                f"{self.course_dir} to see why."
            )
        return read_notebook(released.read_bytes(), str(released))


class _LogRecords(logging.Handler):
    """Collects nbgrader's log so that a failure can be reported in one readable message."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[str]:
        """nbgrader's error messages, without tracebacks and its generic follow-up lines."""
        lines: list[str] = []
        for record in self.records:
            if record.levelno < logging.ERROR:
                continue
            message = record.getMessage().strip()
            if message.startswith("Traceback"):
                message = message.splitlines()[-1]  # the exception itself
            for line in message.splitlines():
                if (
                    line
                    and not line.startswith(_GENERIC_NBGRADER_ERRORS)
                    and line not in lines
                ):
                    lines.append(line)
        return lines


_GENERIC_NBGRADER_ERRORS = (
    "There was an error processing assignment",
    "Please see the",
)


@contextlib.contextmanager
def _venv_on_path() -> Iterator[None]:
    """Put this interpreter's bin folder first on PATH while nbgrader runs.

    nbgrader creates a new gradebook by running the `alembic` command from PATH; when the venv
    is not activated (`.venv/bin/python -m instructor`), that command is only found this way.
    """
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old])
    try:
        yield
    finally:
        os.environ["PATH"] = old


def _cell_name(index: int, cell: NotebookNode) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {index + 1}" + (f" ({grade_id})" if grade_id else "")


def _lines_inside(nb: NotebookNode, pairs: tuple[tuple[str, str], ...]) -> list[str]:
    found: list[str] = []
    for cell in nb.cells:
        inside = False
        for line in cell.source.split("\n"):
            if any(begin in line for begin, _end in pairs):
                inside = True
            elif any(end in line for _begin, end in pairs):
                inside = False
            elif inside:
                found.append(line)
    return found
