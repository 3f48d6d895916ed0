"""Parse the markers of a Python module in solutions/ and render the module for one lab.

Markers (see solutions/AUTHORING.md) are whole comment lines:

* `### BEGIN SOLUTION labK` ... `### END SOLUTION`: the body of lab K's exercise.
* `### BEGIN FROM LAB K` ... `### END FROM LAB K`: code that exists only from lab K on.

Rendering lab N, a solution region tagged K becomes

* K < N: solved. The body stays as written; the marker lines are dropped.
* K == N: stubbed. The region is replaced by one line, at the indentation of its BEGIN marker:
  `raise NotImplementedError("Lab K exercise: implement <Qualified.name>: <docstring line> See
  notebooks/labK.ipynb, section "<title>".")`, the section being the one the docstring names in a
  line `Notebook: "<title>" ...` (the heading, without its number, where the notebook teaches the
  idea; `check` verifies that the heading exists). The enclosing function keeps its signature and
  docstring.
* K > N: stubbed as well. A module can enter the course before one of its exercises is due
  (for example a file of lab 1 with an exercise of lab 4); showing the region solved in labs
  1..3 would hand out lab 4's answer early, so it stays a stub (naming lab K) until lab K + 1.

A FROM LAB K block is absent from labs before K and present, markers dropped, from lab K on.

Rules checked here (each error names the file and line): markers balance; regions of the same
kind do not nest and never cross; labs are 1..LAB_COUNT; a solution region lies inside a
function, holds code, and is not tagged with a lab earlier than a FROM LAB block around it
(that stub would never be shown). Markers are matched per line, so they also act inside string
literals: keep marker text out of strings.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Literal

from instructor.errors import CourseError
from instructor.layout import LAB_COUNT, LABS, SOLUTIONS_DIR, lab_notebook

SOLUTION_BEGIN = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION lab(?P<lab>\d+)[ \t]*$"
)
SOLUTION_END = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")
#: The docstring line that names the notebook section teaching an exercise's idea.
NOTEBOOK_SECTION = re.compile(r'^[ \t]*Notebook:[ \t]*"(?P<title>[^"]+)"', re.MULTILINE)
FROM_LAB_BEGIN = re.compile(r"^[ \t]*### BEGIN FROM LAB (?P<lab>\d+)[ \t]*$")
FROM_LAB_END = re.compile(r"^[ \t]*### END FROM LAB (?P<lab>\d+)[ \t]*$")
# Anything that looks like a marker in a comment but is not one of the exact forms above is a
# typo that would otherwise leak into a lab unnoticed.
_MARKER_LIKE = re.compile(
    r"#.*\b(BEGIN|END)\s+(SOLUTION|FROM\s+LAB|HIDDEN\s+TESTS|MARK\s+SCHEME)"
)

# nbgrader's own delimiters, used in lab notebooks (ClearSolutions / ClearHiddenTests /
# ClearMarkScheme defaults).
BEGIN_SOLUTION = "BEGIN SOLUTION"
END_SOLUTION = "END SOLUTION"
BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"
BEGIN_MARK_SCHEME = "=== BEGIN MARK SCHEME ==="
END_MARK_SCHEME = "=== END MARK SCHEME ==="

#: Strings that must never appear in a generated lab or a student release.
LEAK_MARKERS = (
    "### BEGIN SOLUTION",
    "### END SOLUTION",
    BEGIN_HIDDEN,
    END_HIDDEN,
    "### BEGIN FROM LAB",
    "### END FROM LAB",
    "BEGIN MARK SCHEME",
)
#: Marker text of any kind: in a course file other than a .py module or a lab notebook, a mistake.
ANY_MARKER = (*LEAK_MARKERS, BEGIN_SOLUTION, END_SOLUTION, "HIDDEN TESTS", "MARK SCHEME")

RegionKind = Literal["solution", "from_lab"]


@dataclass(frozen=True)
class Region:
    """A marked block of lines; `begin` and `end` are 0-based indexes of its marker lines."""

    kind: RegionKind
    lab: int
    begin: int
    end: int
    indent: str

    def contains(self, other: Region) -> bool:
        """Whether `other` lies strictly inside this region."""
        return self.begin < other.begin and other.end < self.end


@dataclass(frozen=True)
class Exercise:
    """A solution region: one function body students write in lab `lab`."""

    path: str
    lab: int
    qualname: str
    summary: str
    line: int
    region: Region = field(repr=False)
    #: The notebook section (heading title without its number) that teaches the idea, or "".
    section: str = ""

    def stub_message(self) -> str:
        """The NotImplementedError message students see in place of the solution."""
        summary = self.summary
        if summary and not summary.endswith((".", "!", "?")):
            summary += "."
        what = f"{self.qualname}: {summary}" if summary else f"{self.qualname}."
        where = lab_notebook(self.lab)
        if self.section:
            where += f', section "{self.section}"'
        return f"Lab {self.lab} exercise: implement {what} See {where}."

    def stub_line(self) -> str:
        """The single source line that replaces the region (indentation included)."""
        return f"{self.region.indent}raise NotImplementedError({_python_string(self.stub_message())})"


@dataclass(frozen=True)
class ParsedModule:
    """A module of solutions/ with its marker regions, checked for structure."""

    path: str
    lines: tuple[str, ...]
    regions: tuple[Region, ...]
    exercises: tuple[Exercise, ...]

    def present_regions(self, lab: int) -> list[Region]:
        """Regions whose lines exist in lab `lab` (not inside a FROM LAB block of a later lab)."""
        absent = [r for r in self.regions if r.kind == "from_lab" and r.lab > lab]
        return [
            r for r in self.regions if not any(a is r or a.contains(r) for a in absent)
        ]

    def present_exercises(self, lab: int) -> list[Exercise]:
        """Exercises whose region exists in lab `lab`, in source order."""
        present = {id(r) for r in self.present_regions(lab)}
        return [e for e in self.exercises if id(e.region) in present]

    def stubbed_exercises(
        self, lab: int, solved_through: int | None = None
    ) -> list[Exercise]:
        """Exercises that appear as stubs when rendering lab `lab` (see `render`)."""
        solved = lab - 1 if solved_through is None else solved_through
        return [e for e in self.present_exercises(lab) if e.lab > solved]

    def render(self, lab: int, solved_through: int | None = None) -> str:
        """The module as it appears in lab `lab`.

        Exercises of labs up to `solved_through` appear solved, later ones stubbed. It defaults
        to `lab - 1` (the lab as students get it); `solved_through=lab` gives lab N's solved form.
        """
        solved = lab - 1 if solved_through is None else solved_through
        begins = {r.begin: r for r in self.regions}
        ends = {r.end for r in self.regions}
        exercise_at = {e.region.begin: e for e in self.exercises}
        out: list[str] = []
        i = 0
        while i < len(self.lines):
            region = begins.get(i)
            if region is not None:
                if region.kind == "from_lab" and region.lab > lab:
                    i = region.end + 1
                    # The blank lines around a dropped block would add up (four between two
                    # functions): keep only those before it.
                    if out and not out[-1].strip():
                        while i < len(self.lines) - 1 and not self.lines[i].strip():
                            i += 1
                    continue
                if region.kind == "solution" and region.lab > solved:
                    out.append(exercise_at[region.begin].stub_line())
                    i = region.end + 1
                    continue
            elif i not in ends:
                out.append(self.lines[i])
            i += 1
        text = "\n".join(out)
        # A block dropped at the end of the file leaves blank lines behind it.
        return text.rstrip("\n") + "\n" if text.endswith("\n") else text

    def region_lines(self, region: Region) -> list[str]:
        """The source lines strictly between a region's markers."""
        return list(self.lines[region.begin + 1 : region.end])


def parse_regions(where: str, lines: tuple[str, ...]) -> tuple[list[Region], list[str]]:
    """The marker regions of a file's `lines` (unsorted) and the structural problems found.

    `where` names the file in problem sentences (`solutions/<path>`).
    """
    problems: list[str] = []
    regions: list[Region] = []
    stack: list[tuple[RegionKind, int, int, str]] = []  # kind, lab, begin, indent
    for index, line in enumerate(lines):
        at = f"{where}:{index + 1}"
        kind, lab, indent, is_end = _classify(line)
        if kind is None:
            if _MARKER_LIKE.search(line):
                problems.append(f"{at}: {_malformed_hint(line)}")
            continue
        if lab is not None and lab not in LABS:
            problems.append(
                f"{at}: marker names lab {lab}, but labs run from 1 to {LAB_COUNT}; "
                f"tag it with the lab whose exercise or code it is."
            )
            continue
        if not is_end:
            if any(open_kind == kind for open_kind, *_ in stack):
                problems.append(
                    f"{at}: {_name(kind)} opened inside another {_name(kind)} "
                    f"(opened at line {_innermost_of(stack, kind) + 1}); close the first one before."
                )
                continue
            stack.append((kind, lab or 0, index, indent))
            continue
        if not stack:
            problems.append(
                f"{at}: {_end_text(kind, lab)} without a matching BEGIN; remove it or add the BEGIN."
            )
            continue
        open_kind, open_lab, open_begin, open_indent = stack[-1]
        if open_kind != kind:
            problems.append(
                f"{at}: {_end_text(kind, lab)} closes a {_name(kind)}, but the innermost open "
                f"block is the {_name(open_kind)} opened at line {open_begin + 1}; "
                f"close blocks in reverse order of opening."
            )
            continue
        if kind == "from_lab" and lab != open_lab:
            problems.append(
                f"{at}: `### END FROM LAB {lab}` closes `### BEGIN FROM LAB {open_lab}` "
                f"(line {open_begin + 1}); use the same lab number in both."
            )
        stack.pop()
        regions.append(Region(kind, open_lab, open_begin, index, open_indent))
    for kind, _lab, begin, _indent in stack:
        problems.append(
            f"{where}:{begin + 1}: {_name(kind)} is never closed; add its END marker."
        )
    return regions, problems


def parse_module(path: str, text: str) -> ParsedModule:
    """Parse `text` (module `path`, relative to solutions/) and check its markers.

    Raises CourseError listing every problem as `solutions/<path>:<line>: ... ; <what to do>`.
    """
    where = f"{SOLUTIONS_DIR}/{path}"
    text = text.replace("\r\n", "\n")
    lines = tuple(text.split("\n"))
    regions, problems = parse_regions(where, lines)
    try:
        tree = ast.parse(text, filename=where)
    except SyntaxError as exc:
        problems.append(
            f"{where}:{exc.lineno}: not valid Python ({exc.msg}); fix the syntax."
        )
    if problems:
        raise CourseError(problems)

    regions.sort(key=lambda r: r.begin)
    scopes = _scopes(tree)
    exercises: list[Exercise] = []
    for region in regions:
        if region.kind != "solution":
            continue
        at = f"{where}:{region.begin + 1}"
        body = [ln for ln in lines[region.begin + 1 : region.end] if ln.strip()]
        if not any(not ln.strip().startswith("#") for ln in body):
            problems.append(
                f"{at}: the solution region holds no code; put the reference solution in it."
            )
            continue
        for outer in regions:
            if (
                outer.kind == "from_lab"
                and outer.contains(region)
                and region.lab < outer.lab
            ):
                problems.append(
                    f"{at}: exercise of lab {region.lab} inside `### BEGIN FROM LAB {outer.lab}` "
                    f"(line {outer.begin + 1}) would never be shown as a stub; tag it lab{outer.lab} "
                    f"or later."
                )
        scope = _innermost_scope(scopes, region.begin + 1)
        if scope is None or not isinstance(
            scope[2], ast.FunctionDef | ast.AsyncFunctionDef
        ):
            problems.append(
                f"{at}: a solution region must sit inside a function or method body (the stub "
                f"raises NotImplementedError when called); move the markers into the function."
            )
            continue
        qualname, node = scope[1], scope[2]
        exercises.append(
            Exercise(
                path=path,
                lab=region.lab,
                qualname=qualname,
                summary=_docstring_summary(node),
                line=region.begin + 1,
                region=region,
                section=_notebook_section(node),
            )
        )
    if problems:
        raise CourseError(problems)
    return ParsedModule(
        path=path, lines=lines, regions=tuple(regions), exercises=tuple(exercises)
    )


def check_rendered(path: str, lab: int, text: str) -> None:
    """Raise CourseError when the module rendered for lab `lab` is no longer valid Python."""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        raise CourseError(
            f"{SOLUTIONS_DIR}/{path}: the lab{lab} version does not parse (line {exc.lineno}: "
            f"{exc.msg}); check that its markers are indented like the code they wrap and that "
            f"FROM LAB blocks hold whole statements."
        ) from exc


def significant_lines(lines: list[str]) -> list[str]:
    """Stripped lines that would reveal a solution: no blanks, comments or trivial lines.

    Trivial lines (`return`, `pass`, `)`, `else:`, very short statements) appear in any code,
    so finding one of them in a lab says nothing about a leaked solution.
    """
    found = []
    for line in lines:
        stripped = line.strip()
        if len(stripped) < 10 or stripped.startswith("#"):
            continue
        if re.fullmatch(r"[\W_]*", stripped) or stripped in _TRIVIAL:
            continue
        found.append(stripped)
    return found


_TRIVIAL = frozenset({"return None", "continue", "finally:", "else:", "raise"})


def _classify(line: str) -> tuple[RegionKind | None, int | None, str, bool]:
    """(kind, lab, indent, is_end) of a marker line; kind is None for ordinary lines."""
    if m := SOLUTION_BEGIN.match(line):
        return "solution", int(m.group("lab")), m.group("indent"), False
    if SOLUTION_END.match(line):
        return "solution", None, "", True
    if m := FROM_LAB_BEGIN.match(line):
        return "from_lab", int(m.group("lab")), "", False
    if m := FROM_LAB_END.match(line):
        return "from_lab", int(m.group("lab")), "", True
    return None, None, "", False


def _malformed_hint(line: str) -> str:
    stripped = line.strip()
    if "HIDDEN TESTS" in stripped or "MARK SCHEME" in stripped:
        return (
            "hidden tests and mark schemes belong in notebook test cells or in autograder/, "
            "not in a module; move them there."
        )
    if re.search(r"BEGIN\s+SOLUTION\s*$", stripped):
        return "solution marker without its lab; write `### BEGIN SOLUTION labK` (K = the exercise's lab)."
    return (
        f"malformed marker `{stripped}`; write exactly `### BEGIN SOLUTION labK`, "
        f"`### END SOLUTION`, `### BEGIN FROM LAB K` or `### END FROM LAB K` on a line of its own."
    )


def _name(kind: RegionKind) -> str:
    return "solution region" if kind == "solution" else "FROM LAB block"


def _end_text(kind: RegionKind, lab: int | None) -> str:
    return "`### END SOLUTION`" if kind == "solution" else f"`### END FROM LAB {lab}`"


def _innermost_of(
    stack: list[tuple[RegionKind, int, int, str]], kind: RegionKind
) -> int:
    return next(begin for k, _lab, begin, _indent in reversed(stack) if k == kind)


def _scopes(tree: ast.Module) -> list[tuple[int, str, ast.AST, int]]:
    """(first line, qualified name, node, last line) of every def and class in the module."""
    found: list[tuple[int, str, ast.AST, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                found.append(
                    (child.lineno, name, child, child.end_lineno or child.lineno)
                )
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def _innermost_scope(
    scopes: list[tuple[int, str, ast.AST, int]], line: int
) -> tuple[int, str, ast.AST, int] | None:
    """The innermost def/class whose body spans 1-based `line`."""
    containing = [s for s in scopes if s[0] < line <= s[3]]
    return max(containing, key=lambda s: s[0]) if containing else None


def _docstring_summary(node: ast.AST) -> str:
    doc = ast.get_docstring(node)  # type: ignore[arg-type]
    if not doc:
        return ""
    return next((ln.strip() for ln in doc.splitlines() if ln.strip()), "")


def _notebook_section(node: ast.AST) -> str:
    doc = ast.get_docstring(node) or ""  # type: ignore[arg-type]
    match = NOTEBOOK_SECTION.search(doc)
    return match.group("title").strip() if match else ""


def _python_string(text: str) -> str:
    """A double-quoted Python string literal for `text`."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
