"""Who submitted, and when the grader received it: what grade and grade-all may trust of that.

- A **student id** names a results folder (`<results>/lab<N>/<student>/`) and a leaderboard
  row. `student_id_problem` refuses ids that could leave that folder or add lines to a
  listing (`../../x`, `a/b`, `.hidden`, control characters, over 100 characters);
  `safe_student_id` turns a grade-all entry name into an id that passes.
- A **submission time** decides leaderboard ties (the earlier wins). A file's modification
  time is the student's to choose (an archive keeps the times its author set), so grade-all
  never uses it: `first_seen` records when this grader first saw a submission with this
  content, in the state folder, and gives that time back when the same content is graded
  again (a re-run of grade-all keeps the original order). It is never later than now.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

MAX_ID = 100


def _allowed(ch: str) -> bool:
    return ch.isprintable() and ch not in "/\\"


def student_id_problem(student: str) -> str | None:
    """Why `student` cannot be a student id (None when it can): it must name one folder inside
    the results folder (no "/" or "\\", not "." or "..", not hidden) and one line of text."""
    if not isinstance(student, str) or not student.strip():
        return "a student id must not be empty"
    if len(student) > MAX_ID:
        return f"a student id has at most {MAX_ID} characters"
    if student.startswith(".") or not all(_allowed(ch) for ch in student):
        return (f"the student id {student[:60]!r} must not start with '.' nor hold '/', '\\' or control "
                "characters: it names one folder inside the results folder")
    return None


def safe_student_id(name: str) -> str:
    """A student id made from a grade-all entry's name: disallowed characters become "_"."""
    cleaned = "".join(ch if _allowed(ch) else "_" for ch in name)[:MAX_ID].lstrip(".").strip() or "_"
    return cleaned if student_id_problem(cleaned) is None else "_"


def fingerprint(path: Path) -> str:
    """A digest of a submission's content: an archive's bytes, or a folder's file names and
    sizes with the first 64 KiB of each file (times play no part)."""
    digest = hashlib.sha256()
    path = Path(path)
    if path.is_file():
        with open(path, "rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()
    count = 0
    for current, dirnames, filenames in os.walk(path, followlinks=False):
        dirnames.sort()
        if len(Path(current).relative_to(path).parts) > 30:
            dirnames[:] = []  # as deep as intake goes, and no deeper (os.walk recurses)
        for name in sorted(filenames):
            file_path = Path(current) / name
            count += 1
            if count > 20_000:
                break
            digest.update(str(file_path.relative_to(path)).encode(errors="replace") + b"\0")
            try:
                if file_path.is_file() and not file_path.is_symlink():
                    digest.update(str(file_path.stat().st_size).encode() + b"\0")
                    with open(file_path, "rb") as file:
                        digest.update(file.read(1 << 16))
            except OSError:
                digest.update(b"unreadable\0")
    return digest.hexdigest()


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def first_seen(state_dir: Path, lab: int, student: str, digest: str, now: str | None = None) -> str:
    """When this grader first received `student`'s submission with content `digest` for `lab`
    (recorded now if never before); ISO 8601, UTC, never later than now."""
    now = now or now_iso()
    path = Path(state_dir) / "received.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30)
    try:
        db.execute("CREATE TABLE IF NOT EXISTS received (lab INTEGER NOT NULL, student TEXT NOT NULL, "
                   "digest TEXT NOT NULL, seen_at TEXT NOT NULL, PRIMARY KEY (lab, student, digest))")
        db.execute("INSERT OR IGNORE INTO received VALUES (?, ?, ?, ?)", (lab, student, digest, now))
        db.commit()
        (seen,) = db.execute("SELECT seen_at FROM received WHERE lab = ? AND student = ? AND digest = ?",
                             (lab, student, digest)).fetchone()
    finally:
        db.close()
    return min(seen, now)
