"""The course autograder: hidden suites, a bubblewrap sandbox, Gradescope results, a leaderboard.

Run `python -m autograder --help` from the repository root. See autograder/README.md.
"""

import os
import sys
from pathlib import Path

_REPO_ROOT = str(Path(__file__).resolve().parent.parent)

# `python -m autograder` puts the current folder first on sys.path. Started from inside a
# student's submission, that would let a planted `numpy.py` run in the trusted (root) grader:
# keep only the repository root.
_cwd = os.getcwd()
if _cwd != _REPO_ROOT:
    sys.path[:] = [p for p in sys.path if p not in ("", ".", _cwd)]
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

__version__ = "1.0"
