"""One course hub for the hub tests (session-scoped: started once, for the e2e and browser tests).

`hub.loopback`: loopback ports, a temporary folder, the course's native authenticator
(passwords set by the instructor; the browser test's student signs up), an instructor and four
students as real system accounts, Lab 1 released through nbgrader's exchange, the grading service
and formgrader run by the hub. Needs root, the npm proxy and the sandbox; skipped with the
reason otherwise (a failure under AUTOGRADER_REQUIRE_SANDBOX=1, as in CI).
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.paths import SOLUTIONS_DIR

# The autograder's fixtures that the hub tests compare with: Lab 1 stubbed, graded directly.
from autograder.tests.conftest import grade_submission, lab1_sources, sandbox_ok, state_dir, stubbed  # noqa: F401
from hub.loopback import LoopbackHub, loopback_hub, problem

#: Account names of this pytest-xdist worker: should the e2e and browser tests land on two workers
#: (each then starts its own hub), their accounts and homes stay apart.
_W = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
INSTRUCTOR = f"htr{_W}-prof"
STUDENTS = (f"htr{_W}-ann", f"htr{_W}-ben", f"htr{_W}-cat")
#: The student of the browser test (a fourth, so that the e2e test's three stay as they are).
BROWSER_STUDENT = f"htr{_W}-dan"


@pytest.fixture(scope="session")
def hub() -> Iterator[LoopbackHub]:
    reason = problem()
    if reason:
        if os.environ.get("AUTOGRADER_REQUIRE_SANDBOX") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        with loopback_hub(INSTRUCTOR, [*STUDENTS, BROWSER_STUDENT], sign_up=(BROWSER_STUDENT,)) as running:
            yield running
    except (RuntimeError, TimeoutError) as error:
        pytest.fail(str(error))


def login(hub: LoopbackHub, user: str, password: str) -> urllib.request.OpenerDirector:
    """A browser-like HTTP session logged in to the hub as `user` (cookies kept); AssertionError
    when the hub refuses the password."""
    try:
        return hub.login(user, password)
    except RuntimeError as error:
        raise AssertionError(str(error)) from None


def solve_lab1(lab: Path) -> None:
    """A student's Lab 1 folder made solved: the course's solution of every exercise and every
    notebook answer."""
    from nbformat import write

    from instructor.notebooks import read_notebook, solved_notebook

    shutil.rmtree(lab / "text_recognizer", ignore_errors=True)
    shutil.copytree(SOLUTIONS_DIR / "text_recognizer", lab / "text_recognizer",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    source = SOLUTIONS_DIR / "notebooks" / "lab1.ipynb"
    write(solved_notebook(read_notebook(source.read_bytes(), str(source))), str(lab / "lab1.ipynb"))
