"""The grader's trusted pytest process: run one lab's hidden suite against one grading.

    python -m autograder.suite_run CONTEXT.json [--verbose]

The suite is collected only from `autograder/suites/labN/` with a fixed rootdir and config
file, no plugin autoloading, no cache, and the submission never on `sys.path`: nothing of the
submission is ever collected or imported here. Student code runs only through the `sandbox`
fixture. Results rows go to the context's `rows` file (see `autograder.plugin`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from autograder.context import GradingContext
from autograder.paths import REPO_ROOT
from autograder.suites import SUITES_DIR, suite_dir


def pytest_args(context_path: Path, lab: int, verbose: bool = False) -> list[str]:
    """The pytest command line of one grading (also used to list a suite's catalogue)."""
    return [
        str(suite_dir(lab)),
        "-c", str(SUITES_DIR / "pytest.ini"),
        "--rootdir", str(SUITES_DIR),
        "--confcutdir", str(SUITES_DIR),
        "-p", "no:cacheprovider",
        # Plain asserts: a test shows its own message only, never values (hidden data) that
        # rewriting would print; and the parent imports TensorFlow without rewriting its modules.
        "--assert=plain",
        "-p", "autograder.plugin",
        "--grading-context", str(context_path),
        "-rfE" if verbose else "-q",
        "--tb=short" if verbose else "--tb=line",
        "-v" if verbose else "-q",
    ]


def main(argv: list[str] | None = None) -> int:
    import pytest

    argv = sys.argv[1:] if argv is None else argv
    context_path = Path(argv[0])
    context = GradingContext.read(context_path)
    # Belt and braces: plugins only by name, and no folder of the submission on the path.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    sys.path[:] = [p for p in sys.path if p and not Path(p).resolve().is_relative_to(Path(context.work))]
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from autograder import plugin

    plugin.start_sandbox(context)  # its start-up (importing Keras) overlaps with pytest's own
    return int(pytest.main(pytest_args(context_path, context.lab, "--verbose" in argv)))


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # The rows are written; skip tearing down TensorFlow and JAX (a second of nothing).
    os._exit(status)
