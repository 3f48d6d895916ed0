"""The autograder's layers, read from the source with `ast` (nothing is imported):

    python -m pytest -q -p no:xdist autograder/tests/test_import_layers.py

From the bottom up, a module imports only from its own layer or a layer below it:

    base       autograder (its __init__), errors, paths
    sandbox    autograder.sandbox, with sandbox/inside/ (copied into the sandbox: imports none of these)
    records    autograder.records: results, leaderboard, gradebook, submissions, web
    pipeline   autograder.pipeline: intake, notebooks, context, grading, suite run, plugin, marks
    suites     autograder.suites: the hidden tests and their shared helpers
    commands   autograder.cli and the commands it runs (demo, grade-all, benchmark, Gradescope export)
    hub        hub/: the course hub, which grades through the autograder

The pipeline reaches the suites only by path and by module name at run time (`lab_suites`), so
that the suites may import the pipeline. Every import counts, also those inside functions, and
no module may import itself back through others (an import circle). The tests are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

from autograder.paths import REPO_ROOT

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("autograder", "autograder.errors", "autograder.paths")),
    ("sandbox", ("autograder.sandbox",)),
    ("records", ("autograder.records",)),
    ("pipeline", ("autograder.pipeline",)),
    ("suites", ("autograder.suites",)),
    ("commands", ("autograder.__main__", "autograder.cli", "autograder.demo", "autograder.gradescope",
                  "autograder.grading_speed", "autograder.labs", "autograder.parallel")),
    ("hub", ("hub",)),
]
OURS = ("autograder", "hub")
INSIDE = "autograder.sandbox.inside"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, Path]:
    """Every module of the autograder and the hub but their tests (and the hub's config files)."""
    found = {}
    for package in OURS:
        for path in (REPO_ROOT / package).rglob("*.py"):
            relative = path.relative_to(REPO_ROOT).parts
            if "tests" not in relative and "config" not in relative:
                found[module_name(path)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours that `name` imports, wherever the import statement sits."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from package import module` imports the module; `from module import name`, the module.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t.split(".")[0] in OURS and t != name)
    return found


def layer_of(name: str) -> int:
    """The index of the layer that holds `name` (the longest matching prefix wins)."""
    matches = [(len(prefix), index) for index, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes
               if name == prefix or name.startswith(prefix + ".")]
    assert matches, f"{name} belongs to no layer: add it to LAYERS in {Path(__file__).name} (and to the README)"
    return max(matches)[1]


def graph() -> dict[str, set[str]]:
    modules = sources()
    known = set(modules)
    return {name: imports(name, path, known) for name, path in modules.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: strongly connected groups of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_autograder_and_the_hub_have_no_import_circle():
    assert circles(graph()) == []


def test_no_module_imports_from_a_layer_above_it():
    upward = [f"{name} ({LAYERS[layer_of(name)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
              for name, targets in sorted(graph().items()) for target in sorted(targets)
              if layer_of(target) > layer_of(name)]
    assert upward == []


def test_the_files_copied_into_the_sandbox_import_none_of_the_grader():
    inside = {name: targets for name, targets in graph().items() if name.startswith(INSIDE + ".")}
    assert sorted(inside) == [f"{INSIDE}.observers", f"{INSIDE}.runner", f"{INSIDE}.wire"]
    assert {name: targets for name, targets in inside.items() if targets} == {}


def test_the_checks_see_a_circle_and_an_upward_import():
    # The checker itself: the circle that suites/__init__.py's metric() once made through grading.
    assert circles({"autograder.suites": {"autograder.pipeline.grading"},
                    "autograder.pipeline.grading": {"autograder.suites"}}) == [
        ["autograder.pipeline.grading", "autograder.suites"]]
    assert layer_of("autograder.pipeline.grading") > layer_of("autograder.records.results")
    assert layer_of("hub.service") > layer_of("autograder.cli")
