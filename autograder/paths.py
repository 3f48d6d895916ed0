"""Where the autograder finds the course and keeps its state.

State (the hidden sets, the secret seed, the leaderboard database) lives in
`autograder/state/` (gitignored, 0700) unless `--state-dir` or `AUTOGRADER_STATE_DIR` says
otherwise. Nothing under it may ever be bound into the sandbox.
"""

from __future__ import annotations

import os
import secrets
import shutil
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


#: Bits of the secret drawn from the OS: every hidden set derives from it (with public code,
#: fonts and text), so it must be too long to search, even given feedback from many gradings.
SECRET_BITS = 256


def secret_seed(state_dir: Path) -> int:
    """This installation's secret (hidden sets, probe inputs), drawn from OS randomness on first
    use; `new_term` draws the next one."""
    ensure_private_dir(state_dir)
    path = state_dir / "secret_seed"
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(f"{secrets.randbits(SECRET_BITS)}\n")
    return int(path.read_text().strip())


def new_term(state_dir: Path, label: str) -> Path:
    """Draw a new secret for a new term: the old one is kept as `secret_seed.<label>` (with its
    leaderboard database, for the old term's records) and every hidden set built from it is
    removed, to be built again from the new secret. Returns where the old secret went."""
    ensure_private_dir(state_dir)
    path = state_dir / "secret_seed"
    kept = state_dir / f"secret_seed.{label}"
    if kept.exists():
        raise FileExistsError(f"{kept} exists already: choose another label for the term that ends")
    if path.exists():
        path.rename(kept)
    board = state_dir / "leaderboard.sqlite"
    if board.exists():
        board.rename(state_dir / f"leaderboard.{label}.sqlite")
    for lab_state in state_dir.glob("lab*"):
        if lab_state.is_dir() and lab_state.name[3:].isdigit():
            shutil.rmtree(lab_state)
    secret_seed(state_dir)
    return kept
