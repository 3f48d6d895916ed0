"""The grading service's queue: SQLite on disk, so it survives a restart of the service.

One row per submission folder of the exchange's inbound (its name, `student+labN+time+random`,
is the key): a folder seen twice is queued once. A job goes queued -> running -> done. A
grading that fails on the grader's side (its suite process crashed or timed out, nothing was
collected, a Ray task was lost) is not a score: the job is queued again after a backoff
(`requeue`). A service that stops while grading (a crash, a restart, a submission that kills the
grader) finds the job `running` when it starts again and queues it again. After MAX_ATTEMPTS
starts the job is `failed`, and its student gets feedback that says so. `finish` marks a job
done only once, so its results (gradebook, leaderboard, feedback) are written once.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

#: Starts of a job before it is given up as failed (each start after a crash or restart).
MAX_ATTEMPTS = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY,
    student TEXT NOT NULL,
    lab INTEGER NOT NULL,
    submitted_at TEXT NOT NULL,
    path TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    received REAL NOT NULL,
    started REAL,
    finished REAL,
    score REAL,
    max_score REAL,
    results TEXT,
    note TEXT,
    not_before REAL
);
"""
#: Seconds before the first retry of a failed grading; each further retry waits twice as long.
RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class Job:
    """One submission to grade."""

    key: str
    student: str
    lab: int
    submitted_at: str
    path: str
    state: str
    attempts: int
    received: float
    started: float | None
    finished: float | None
    score: float | None
    max_score: float | None
    results: str | None
    note: str | None
    not_before: float | None = None


class JobQueue:
    """The persistent queue at `path` (module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(self.path, timeout=30) as db:
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
            if "not_before" not in columns:  # a queue made before retries had a backoff
                db.execute("ALTER TABLE jobs ADD COLUMN not_before REAL")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time: two workers never claim one job
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def add(self, key: str, student: str, lab: int, submitted_at: str, path: str) -> bool:
        """Queue a submission; False when its key was seen before (it is never queued twice)."""
        with self._connect() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO jobs (key, student, lab, submitted_at, path, received) VALUES (?,?,?,?,?,?)",
                (key, student, lab, submitted_at, path, time.time()))
            return cursor.rowcount == 1

    def keys(self) -> set[str]:
        """The keys of every job ever queued."""
        with self._connect() as db:
            return {row["key"] for row in db.execute("SELECT key FROM jobs")}

    def recover(self) -> list[Job]:
        """At start: jobs left running by a stopped service are queued again; those that have
        had MAX_ATTEMPTS starts are failed instead, and returned (their students must be told)."""
        with self._connect() as db:
            failed = [Job(**dict(row)) for row in db.execute(
                "SELECT * FROM jobs WHERE state = 'running' AND attempts >= ?", (MAX_ATTEMPTS,))]
            db.execute("UPDATE jobs SET state = 'failed', finished = ?, note = ? WHERE state = 'running' AND "
                       "attempts >= ?", (time.time(), f"the grader stopped during each of {MAX_ATTEMPTS} attempts",
                                         MAX_ATTEMPTS))
            db.execute("UPDATE jobs SET state = 'queued' WHERE state = 'running'")
        return failed

    def claim(self) -> Job | None:
        """The oldest queued job whose backoff is over, now running (None when there is none)."""
        with self._connect() as db:
            row = db.execute("SELECT key FROM jobs WHERE state = 'queued' AND (not_before IS NULL OR not_before <= ?) "
                             "ORDER BY received, key LIMIT 1", (time.time(),)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE jobs SET state = 'running', attempts = attempts + 1, started = ? WHERE key = ?",
                       (time.time(), row["key"]))
            return Job(**dict(db.execute("SELECT * FROM jobs WHERE key = ?", (row["key"],)).fetchone()))

    def finish(self, key: str, state: str, score: float | None, max_score: float | None, results: str | None,
               note: str = "") -> bool:
        """Mark a running job done (or failed); False when it was not running (already finished)."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE jobs SET state = ?, finished = ?, score = ?, max_score = ?, results = ?, note = ? "
                "WHERE key = ? AND state = 'running'", (state, time.time(), score, max_score, results, note, key))
            return cursor.rowcount == 1

    def requeue(self, key: str, note: str, backoff: float = RETRY_SECONDS) -> str:
        """A running job whose grading failed on the grader's side (module docstring): queued again,
        to start no sooner than `backoff` x 2^(attempts-1) seconds from now, or failed after
        MAX_ATTEMPTS; returns its new state."""
        with self._connect() as db:
            db.execute("UPDATE jobs SET state = CASE WHEN attempts < ? THEN 'queued' ELSE 'failed' END, note = ?, "
                       "finished = CASE WHEN attempts < ? THEN NULL ELSE ? END, "
                       "not_before = ? + ? * (1 << (attempts - 1)) WHERE key = ? AND state = 'running'",
                       (MAX_ATTEMPTS, note, MAX_ATTEMPTS, time.time(), time.time(), backoff, key))
            row = db.execute("SELECT state FROM jobs WHERE key = ?", (key,)).fetchone()
            return row["state"] if row else "unknown"

    def jobs(self) -> list[Job]:
        """Every job, oldest first."""
        with self._connect() as db:
            return [Job(**dict(row)) for row in db.execute("SELECT * FROM jobs ORDER BY received, key")]
