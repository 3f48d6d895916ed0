"""The grader's trusted pytest process: run one lab's hidden suite against one grading.

    returncode = run_suite_process(context_path, log_path, timeout=600)   # from the grader
    python -m autograder.pipeline.suite_run CONTEXT.json [--verbose]                # by hand

The suite is collected only from `autograder/suites/labN/` with a fixed rootdir and config
file, no plugin autoloading, no cache, and the submission never on `sys.path`: nothing of the
submission is ever collected or imported here. Student code runs only through the `sandbox`
fixture. Results rows go to the context's `rows` file (see `autograder.pipeline.plugin`).

Each grading gets a fresh process, forked from a fork server that has imported pytest and
Keras once (`autograder.pipeline.suite_preload`): grade-all would otherwise pay those imports, a few
CPU seconds, for every submission.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from pathlib import Path

from autograder.paths import REPO_ROOT
from autograder.pipeline.context import GradingContext
from autograder.pipeline.lab_suites import suite_dir, suites_root

_forkserver_lock = threading.Lock()
_context = None


def pytest_args(context_path: Path, lab: int, verbose: bool = False) -> list[str]:
    """The pytest command line of one grading (also used to list a suite's catalogue)."""
    root = suites_root()
    return [
        str(suite_dir(lab)),
        "-c", str(root / "pytest.ini"),
        "--rootdir", str(root),
        "--confcutdir", str(root),
        "-p", "no:cacheprovider",
        # Plain asserts: a test shows its own message only, never values (hidden data) that
        # rewriting would print; and the parent imports TensorFlow without rewriting its modules.
        "--assert=plain",
        "-p", "autograder.pipeline.plugin",
        "--grading-context", str(context_path),
        "-rfE" if verbose else "-q",
        "--tb=short" if verbose else "--tb=line",
        "-v" if verbose else "-q",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the suite of the grading described by `argv[0]` (a context file) in this process."""
    from autograder.pipeline import suite_preload

    suite_preload.configure()
    import pytest

    argv = sys.argv[1:] if argv is None else argv
    context_path = Path(argv[0])
    context = GradingContext.read(context_path)
    # Belt and braces: no folder of the submission on the path.
    sys.path[:] = [p for p in sys.path if p and not Path(p).resolve().is_relative_to(Path(context.work))]
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from autograder.pipeline import plugin

    plugin.start_sandbox(context)  # its start-up (importing Keras) overlaps with pytest's own
    return int(pytest.main(pytest_args(context_path, context.lab, "--verbose" in argv)))


def _forked_main(context_path: str, log_path: str | None, verbose: bool, environment: dict[str, str]) -> None:
    """The fork server's child: the grader's environment of now (the server's is from its
    start), output to the log, the suite, then out without tear-down."""
    os.environ.clear()
    os.environ.update(environment)
    if log_path is not None:
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 - lives as long as the process
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    os.chdir(REPO_ROOT)
    status = 2
    try:
        status = main([context_path] + (["--verbose"] if verbose else []))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        # The rows are written; skip tearing down TensorFlow and JAX (a second of nothing).
        os._exit(status)


def _fork_context() -> multiprocessing.context.BaseContext:
    global _context
    with _forkserver_lock:
        if _context is None:
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload(["autograder.pipeline.suite_preload"])
        return _context


def run_suite_process(context_path: Path, log_path: Path, timeout: float, verbose: bool = False) -> int | None:
    """Run the suite of one grading in a fresh trusted process; its exit status (None: timed out
    and killed). Its pytest output goes to `log_path` (to this terminal with `verbose`)."""
    log = None if verbose else str(log_path)
    process = _fork_context().Process(target=_forked_main, args=(str(context_path), log, verbose, dict(os.environ)),
                                      name="autograder-suite")
    process.start()
    process.join(timeout)
    if process.is_alive():
        process.kill()
        process.join()
        return None
    return process.exitcode


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # as `_forked_main`
