"""The course's reference implementation (solutions/), imported by the trusted parent only.

The parent uses it to build hidden sets from the course's offline data. Student code is never
imported into the parent: the submission is only ever run inside the sandbox.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from autograder.errors import GraderError
from autograder.paths import SOLUTIONS_DIR


def reference_module(name: str, solutions_dir: Path = SOLUTIONS_DIR) -> ModuleType:
    """Import `name` (a `text_recognizer...` module) from solutions/; refuse any other copy."""
    package_dir = (solutions_dir / "text_recognizer").resolve()
    if not package_dir.is_dir():
        raise GraderError(
            f"the reference package {package_dir} is missing; the grader builds its hidden sets "
            "from solutions/text_recognizer, so run it from a full course checkout."
        )
    loaded = sys.modules.get("text_recognizer")
    if loaded is not None:
        origin = Path(getattr(loaded, "__file__", "") or "").resolve().parent
        if origin != package_dir:
            raise GraderError(
                f"`text_recognizer` is already imported from {origin}, not from the reference "
                f"{package_dir}; run the grader in its own process (`python -m autograder`)."
            )
    if str(solutions_dir) not in sys.path:
        sys.path.insert(0, str(solutions_dir))
    module = importlib.import_module(name)
    origin = Path(sys.modules["text_recognizer"].__file__).resolve().parent
    if origin != package_dir:
        raise GraderError(f"`text_recognizer` was imported from {origin}, not from {package_dir}.")
    return module
