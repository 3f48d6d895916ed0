"""The hidden suites, one folder per lab: `autograder/suites/labN/` defines `SUITE`.

Suites never leave autograder/: they are not part of any lab folder or student release.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from autograder.errors import GraderError
from autograder.suites.base import Suite

SUITES_DIR = Path(__file__).resolve().parent


def available_labs() -> list[int]:
    """Labs that have a hidden suite."""
    return sorted(
        int(p.name[3:]) for p in SUITES_DIR.glob("lab*") if p.name[3:].isdigit() and (p / "__init__.py").exists()
    )


def load_suite(lab: int) -> Suite:
    """The hidden suite of lab `lab`; a clear error when it does not exist yet."""
    if lab not in available_labs():
        have = ", ".join(str(n) for n in available_labs()) or "none"
        raise GraderError(
            f"there is no hidden suite for lab {lab} yet (suites exist for labs: {have}); add "
            f"autograder/suites/lab{lab}/ (see autograder/README.md, 'Adding a lab's suite')."
        )
    return importlib.import_module(f"autograder.suites.lab{lab}").SUITE
