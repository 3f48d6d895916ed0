"""Each lab's hidden suite as the grader finds it: where it is, its title, its hidden data.

    suite_dir(1)              # autograder/suites/lab1/ (a clear error when the lab has none)
    prepare(1, state_dir)     # lab 1's hidden set, built once into the state folder

The suites are found by path and imported by name (`autograder.suites.labN`): the pipeline never
imports a suite module directly, so the suites may use the pipeline (marks, notebooks) freely.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import importlib.util
import io
import os
from pathlib import Path

from autograder.errors import GraderError
from autograder.paths import PACKAGE_DIR, ensure_private_dir, secret_seed


def suites_root() -> Path:
    """The suites' folder; `AUTOGRADER_SUITES_DIR` points the grader at another copy (a suite
    being written). Read at every call: the suite fork server outlives changes of the variable."""
    return Path(os.environ.get("AUTOGRADER_SUITES_DIR") or PACKAGE_DIR / "suites")


def available_labs() -> list[int]:
    """Labs that have a hidden suite."""
    return sorted(int(p.name[3:]) for p in suites_root().glob("lab*")
                  if p.name[3:].isdigit() and any(p.glob("test_*.py")))


def suite_dir(lab: int) -> Path:
    """The folder of lab `lab`'s hidden suite; a clear error when it does not exist yet."""
    if lab not in available_labs():
        have = ", ".join(str(n) for n in available_labs()) or "none"
        raise GraderError(
            f"there is no hidden suite for lab {lab} yet (suites exist for labs: {have}); add "
            f"autograder/suites/lab{lab}/test_*.py (see autograder/README.md, 'Adding a hidden test')."
        )
    return suites_root() / f"lab{lab}"


def title(lab: int) -> str:
    """The lab's title, as its suite names it."""
    return getattr(importlib.import_module(f"autograder.suites.lab{lab}"), "TITLE", f"Lab {lab}")


def prepare(lab: int, state_dir: Path) -> None:
    """Build the lab's hidden data once (cached in the state folder; safe to call concurrently)."""
    suite_dir(lab)
    if importlib.util.find_spec(f"autograder.suites.lab{lab}.hidden_set") is None:
        return
    hidden = importlib.import_module(f"autograder.suites.lab{lab}.hidden_set")
    ensure_private_dir(state_dir)
    seed = secret_seed(state_dir)
    with open(state_dir / f".lab{lab}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # The renderers draw progress bars: keep the grader's own output clean.
        with contextlib.redirect_stderr(io.StringIO()):
            hidden.load_or_build(state_dir, seed)


def prepare_reference(lab: int, state_dir: Path) -> list | None:
    """The reference model's answers on lab `lab`'s hidden set (its `hidden_set.reference_answers`,
    cached in the state folder; see `reference_answers.py`); None for a lab without one."""
    prepare(lab, state_dir)
    if importlib.util.find_spec(f"autograder.suites.lab{lab}.hidden_set") is None:
        return None
    hidden = importlib.import_module(f"autograder.suites.lab{lab}.hidden_set")
    if not hasattr(hidden, "reference_answers"):
        return None
    seed = secret_seed(state_dir)
    with open(state_dir / f".lab{lab}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return hidden.reference_answers(state_dir, seed)

