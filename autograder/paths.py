"""Where the autograder finds the course and keeps its state.

State (the hidden sets, the secret seed, the leaderboard database) lives in
`autograder/state/` (gitignored, 0700) unless `--state-dir` or `AUTOGRADER_STATE_DIR` says
otherwise. Nothing under it may ever be bound into the sandbox.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
SOLUTIONS_DIR = REPO_ROOT / "solutions"
SUPPORT_IMAGES_DIR = SOLUTIONS_DIR / "tests" / "support" / "emnist"


def default_state_dir() -> Path:
    """`AUTOGRADER_STATE_DIR`, or `autograder/state/`."""
    override = os.environ.get("AUTOGRADER_STATE_DIR")
    return Path(override).expanduser().resolve() if override else PACKAGE_DIR / "state"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by its owner only: sandbox users must not read it."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def secret_seed(state_dir: Path) -> int:
    """This installation's secret seed (hidden sets, probe inputs), created on first use."""
    ensure_private_dir(state_dir)
    path = state_dir / "secret_seed"
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(f"{secrets.randbits(62)}\n")
    return int(path.read_text().strip())
