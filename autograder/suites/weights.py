"""Whether a submission deploys the course's own reference weights.

The leaderboards rank the models students train. A submission that deploys the weights shipped
with the course still earns its points (the predictor works), but gets no leaderboard entry.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from autograder.paths import SOLUTIONS_DIR


def deploys_reference_weights(submission: str | Path, weights_file: str) -> bool:
    """Whether `submission`'s `weights_file` (a path inside the lab folder) is byte for byte the
    course's reference file of that name."""
    submitted, reference = Path(submission) / weights_file, SOLUTIONS_DIR / weights_file
    try:
        return (submitted.is_file() and reference.is_file() and submitted.stat().st_size == reference.stat().st_size
                and _digest(submitted) == _digest(reference))
    except OSError:
        return False


def _digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()
