"""The lab's folders as the tests see them, from whichever test folder they run.

    from lab_folders import LAB_DIR, SUPPORT_DIR
    lines = SUPPORT_DIR / "emnist_lines"

The tests sit in folders that mirror the package (`tests/data/`, `tests/models/` ...), so a path
built from a test file's own location would change with its depth; this module is the one place
that knows where the lab and `tests/support/` are.
"""

from __future__ import annotations

from pathlib import Path

#: the lab folder (or solutions/): holds text_recognizer/, experiments/ and tests/
LAB_DIR = Path(__file__).resolve().parents[2]
#: the tests' small committed inputs: EMNIST characters, synthetic lines and pages, the evaluation set
SUPPORT_DIR = LAB_DIR / "tests" / "support"
