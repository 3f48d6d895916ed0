"""No module of `text_recognizer` imports from a layer above its own (read with `ast`, nothing run).

From the bottom: the foundation (paths, environment, lookup), then `images`, then `data` and
`networks`, `models`, `predictors` (the recognizer façade among them), then `training`,
`monitoring` and `corrections`, then `api`, then `serverless` (which serves the api), and on top
`reports` (the scripts whose product is a `reports/*.json`, which may measure anything below).
A module may import its own layer and those below. Imports inside functions count too: a lazy
import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

from lab_folders import LAB_DIR

PACKAGE = LAB_DIR / "text_recognizer"
LAYERS = {"images": 1, "data": 2, "networks": 2, "models": 3, "predictors": 4, "training": 5,
          "monitoring": 5, "corrections": 5, "api": 6, "serverless": 7, "reports": 8}
"""The layer of each subpackage; other top-level modules are layer 0."""


def layer(module: str) -> int:
    """The layer of a dotted module name under text_recognizer (0 for top-level modules)."""
    parts = module.split(".")
    return LAYERS.get(parts[1], 0) if len(parts) > 1 else 0


def imported_modules(path: Path) -> set[str]:
    """The text_recognizer modules that `path` imports, absolute or relative, anywhere in it."""
    own = ".".join(("text_recognizer", *path.relative_to(PACKAGE).with_suffix("").parts))
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = own.split(".")[: -node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found |= {f"{name}.{alias.name}" for alias in node.names}  # `from pkg import module` too
    return {name for name in found if name.startswith("text_recognizer.")}


def test_no_module_imports_from_a_layer_above_its_own():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(("text_recognizer", *path.relative_to(PACKAGE).with_suffix("").parts))
        upward += [f"{module} -> {name}" for name in imported_modules(path) if layer(name) > layer(module)]
    assert upward == [], "imports from a layer above:\n" + "\n".join(upward)
