"""Parse the markers of a Python module in solutions/ and render the module for one lab.

Markers (see solutions/AUTHORING.md) are whole comment lines:
`### BEGIN SOLUTION labK` ... `### END SOLUTION` holds the body of lab K's exercise.

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

Code that only exists from lab K on has no marker: it is a file of its own that the manifest
lists at lab K (see solutions/AUTHORING.md). The in-line `### BEGIN FROM LAB K` blocks of
earlier versions are refused with a message saying so.

Rules checked here (each error names the file and line): markers balance; regions do not nest;
labs are 1..LAB_COUNT; a solution region lies inside a function and holds code. Markers are
matched per line, so they also act inside string literals: keep marker text out of strings.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from instructor.errors import CourseError
from instructor.layout import LAB_COUNT, LABS, SOLUTIONS_DIR, lab_notebook

SOLUTION_BEGIN = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION lab(?P<lab>\d+)[ \t]*$"
)
SOLUTION_END = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")
#: The docstring line that names the notebook section teaching an exercise's idea.
NOTEBOOK_SECTION = re.compile(r'^[ \t]*Notebook:[ \t]*"(?P<title>[^"]+)"', re.MULTILINE)
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

@dataclass(frozen=True)
class Region:
    """A solution region; `begin` and `end` are 0-based indexes of its marker lines."""

    lab: int
    begin: int
    end: int
    indent: str


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

    def stubbed_exercises(
        self, lab: int, solved_through: int | None = None
    ) -> list[Exercise]:
        """Exercises that appear as stubs when rendering lab `lab` (see `render`)."""
        solved = lab - 1 if solved_through is None else solved_through
        return [e for e in self.exercises if e.lab > solved]

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
            if region is not None and region.lab > solved:
                out.append(exercise_at[region.begin].stub_line())
                i = region.end + 1
                continue
            if region is None and i not in ends:
                out.append(self.lines[i])
            i += 1
        return "\n".join(out)

    def region_lines(self, region: Region) -> list[str]:
        """The source lines strictly between a region's markers."""
        return list(self.lines[region.begin + 1 : region.end])


def parse_regions(where: str, lines: tuple[str, ...]) -> tuple[list[Region], list[str]]:
    """The marker regions of a file's `lines` (unsorted) and the structural problems found.

    `where` names the file in problem sentences (`solutions/<path>`).
    """
    problems: list[str] = []
    regions: list[Region] = []
    opened: Region | None = None  # the open region (its `end` not known yet)
    for index, line in enumerate(lines):
        at = f"{where}:{index + 1}"
        if begin := SOLUTION_BEGIN.match(line):
            lab = int(begin.group("lab"))
            if lab not in LABS:
                problems.append(
                    f"{at}: marker names lab {lab}, but labs run from 1 to {LAB_COUNT}; "
                    f"tag it with the lab whose exercise it is."
                )
            elif opened is not None:
                problems.append(
                    f"{at}: solution region opened inside another solution region "
                    f"(opened at line {opened.begin + 1}); close the first one before."
                )
            else:
                opened = Region(lab, index, -1, begin.group("indent"))
        elif SOLUTION_END.match(line):
            if opened is None:
                problems.append(
                    f"{at}: `### END SOLUTION` without a matching BEGIN; remove it or add the BEGIN."
                )
            else:
                regions.append(Region(opened.lab, opened.begin, index, opened.indent))
                opened = None
        elif _MARKER_LIKE.search(line):
            problems.append(f"{at}: {_malformed_hint(line)}")
    if opened is not None:
        problems.append(
            f"{where}:{opened.begin + 1}: solution region is never closed; add its END marker."
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

    scopes = _scopes(tree)
    exercises: list[Exercise] = []
    for region in regions:
        at = f"{where}:{region.begin + 1}"
        body = [ln for ln in lines[region.begin + 1 : region.end] if ln.strip()]
        if not any(not ln.strip().startswith("#") for ln in body):
            problems.append(
                f"{at}: the solution region holds no code; put the reference solution in it."
            )
            continue
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
            f"{exc.msg}); check that its markers are indented like the code they wrap."
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


def _malformed_hint(line: str) -> str:
    stripped = line.strip()
    if "HIDDEN TESTS" in stripped or "MARK SCHEME" in stripped:
        return (
            "hidden tests and mark schemes belong in notebook test cells or in autograder/, "
            "not in a module; move them there."
        )
    if re.search(r"(BEGIN|END)\s+FROM\s+LAB", stripped):
        return (
            "in-line `FROM LAB` blocks are gone: code that a later lab adds is a file of its own, "
            "listed at that lab in solutions/manifest.toml and looked up with importlib.util.find_spec "
            "where it is used (see solutions/AUTHORING.md, 'Labs add files')."
        )
    if re.search(r"BEGIN\s+SOLUTION\s*$", stripped):
        return "solution marker without its lab; write `### BEGIN SOLUTION labK` (K = the exercise's lab)."
    return (
        f"malformed marker `{stripped}`; write exactly `### BEGIN SOLUTION labK` or "
        f"`### END SOLUTION` on a line of its own."
    )


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
