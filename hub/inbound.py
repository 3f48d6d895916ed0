"""A submission in the exchange's inbound, as the grading service takes it.

A student's submission folder is theirs alone (0700, hub/exchange.py) from hand-in
until the grading service queues it; the service then takes it: owned by root, read-only, so
that nobody, its student included, changes what is being graded. A folder changed after its
hand-in (nbgrader's timestamp.txt) is refused: the kernel sets a file's change time (ctime) on
every write or permission change, and no user can set it back.
"""

from __future__ import annotations

import os
import time
from datetime import timezone
from pathlib import Path

#: How long after its timestamp a hand-in may still be writing (nbgrader copies, then sets modes).
HAND_IN_SECONDS = 120.0


def hand_in_time(folder: Path) -> float | None:
    """The hand-in time of a submission folder (seconds since the epoch), None without timestamp.txt."""
    from nbgrader.utils import parse_utc

    stamp = folder / "timestamp.txt"
    if not stamp.is_file() or stamp.is_symlink():
        return None
    try:
        return parse_utc(stamp.read_text()[:100].strip()).replace(tzinfo=timezone.utc).timestamp()
    except (ValueError, TypeError, OverflowError):
        return None


def still_arriving(folder: Path) -> bool:
    """Whether `nbgrader submit` may still be writing `folder`: its timestamp and secret are not both
    there, or the folder is not yet private (exchange.py does that last), and it was made less than
    HAND_IN_SECONDS ago. Such a folder is looked at again at the next scan, never taken half-written."""
    try:
        done = (folder / "timestamp.txt").is_file() and (folder / "submission_secret.txt").is_file() and \
            not os.lstat(folder).st_mode & 0o077
        return not done and time.time() - os.lstat(folder).st_ctime < HAND_IN_SECONDS
    except OSError:
        return True


def changed_after_hand_in(folder: Path) -> str | None:
    """Why `folder` cannot be graded as handed in (None when it can): no timestamp, or a file or
    folder in it changed more than HAND_IN_SECONDS after the timestamp."""
    handed_in = hand_in_time(folder)
    if handed_in is None:
        return "it has no readable timestamp.txt (not made by `nbgrader submit`)"
    for directory, folders, files in os.walk(folder):
        for name in [".", *folders, *files]:
            path = os.path.join(directory, name)
            changed = os.lstat(path).st_ctime
            if changed > handed_in + HAND_IN_SECONDS:
                return (f"{os.path.relpath(path, folder)} changed {changed - handed_in:.0f} s after the hand-in: "
                        "submit again (a submission is never changed after it is handed in)")
    return None


def take(folder: Path) -> None:
    """Make the submission root's, read-only for everyone else (it is queued for grading)."""
    for directory, folders, files in os.walk(folder):
        for name in [*folders, *files]:
            path = os.path.join(directory, name)
            os.lchown(path, 0, 0)
            if not os.path.islink(path):
                os.chmod(path, 0o700 if name in folders else 0o600)
    os.lchown(folder, 0, 0)
    os.chmod(folder, 0o700)
