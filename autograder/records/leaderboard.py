"""The leaderboard: every graded submission in SQLite; best per student; public and private splits.

Rules:
- a student's *best* submission is the one with the best public value (higher for "desc"
  metrics such as accuracy, lower for "asc" ones such as CER); among equal values the earlier
  submission wins (then the earlier row);
- the public table ranks students by that submission's public value, ties to the earlier one;
- the private (final) table ranks the same submissions by their private value: students choose
  nothing by a score they never saw, so the private half cannot be overfitted.

Submissions without a value (crashed, no predictor) rank last.
"""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lab INTEGER NOT NULL,
    student TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    metric TEXT NOT NULL,
    metric_order TEXT NOT NULL CHECK (metric_order IN ('asc', 'desc')),
    public_value REAL,
    private_value REAL,
    results_path TEXT
);
CREATE INDEX IF NOT EXISTS submissions_by_lab ON submissions (lab, student);
"""


@dataclass(frozen=True)
class Submission:
    """One row of the database."""

    id: int
    lab: int
    student: str
    submitted_at: str
    graded_at: str
    score: float
    max_score: float
    metric: str
    order: str
    public_value: float | None
    private_value: float | None
    results_path: str | None


@dataclass(frozen=True)
class Row:
    """One line of a leaderboard table."""

    rank: int
    student: str
    value: float | None
    submitted_at: str
    score: float
    max_score: float
    submissions: int


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def normalize_time(value: str | None) -> str:
    """An ISO 8601 time in UTC (naive times are taken as UTC); now when None."""
    if value is None:
        return now_iso()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 time such as 2025-03-01T14:05:00+01:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat(timespec="seconds")


class Leaderboard:
    """The SQLite store (one file, safe for parallel writers)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            yield db
            db.commit()
        finally:
            db.close()

    def record(
        self,
        *,
        lab: int,
        student: str,
        score: float,
        max_score: float,
        metric: str,
        order: str,
        public_value: float | None,
        private_value: float | None,
        submitted_at: str | None = None,
        results_path: str | None = None,
    ) -> int:
        """Store one graded submission; returns its id."""
        if order not in ("asc", "desc"):
            raise ValueError(f"order must be 'asc' or 'desc', not {order!r}")
        graded_at = now_iso()
        # A time in the future would lose every tie it should and win none; it is clamped to now.
        submitted_at = min(normalize_time(submitted_at), graded_at)
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO submissions (lab, student, submitted_at, graded_at, score, max_score, metric,"
                " metric_order, public_value, private_value, results_path) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    lab,
                    student,
                    submitted_at,
                    graded_at,
                    score,
                    max_score,
                    metric,
                    order,
                    public_value,
                    private_value,
                    results_path,
                ),
            )
            return int(cursor.lastrowid)

    def submissions(self, lab: int) -> list[Submission]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, lab, student, submitted_at, graded_at, score, max_score, metric, metric_order,"
                " public_value, private_value, results_path FROM submissions WHERE lab = ? ORDER BY id",
                (lab,),
            ).fetchall()
        return [Submission(*row) for row in rows]

    def labs(self) -> list[int]:
        with self._connect() as db:
            return [row[0] for row in db.execute("SELECT DISTINCT lab FROM submissions ORDER BY lab")]

    def table(self, lab: int, split: str = "public") -> list[Row]:
        """The ranked table of lab `lab`: split "public" (shown) or "private" (final ranking)."""
        if split not in ("public", "private"):
            raise ValueError(f"split must be 'public' or 'private', not {split!r}")
        by_student: dict[str, list[Submission]] = {}
        for submission in self.submissions(lab):
            by_student.setdefault(submission.student, []).append(submission)
        chosen = [(min(subs, key=lambda s: _rank_key(s, s.public_value)), len(subs)) for subs in by_student.values()]
        value_of = (lambda s: s.public_value) if split == "public" else (lambda s: s.private_value)
        chosen.sort(key=lambda pair: _rank_key(pair[0], value_of(pair[0])))
        return [
            Row(rank, best.student, value_of(best), best.submitted_at, best.score, best.max_score, count)
            for rank, (best, count) in enumerate(chosen, start=1)
        ]

    def metric(self, lab: int) -> tuple[str, str]:
        """(metric name, order) of the lab's latest submission."""
        submissions = self.submissions(lab)
        return (submissions[-1].metric, submissions[-1].order) if submissions else ("value", "desc")


def _rank_key(submission: Submission, value: float | None) -> tuple:
    """Sort key: better value first (missing values last), then earlier submission, then row id."""
    if value is None:
        primary = (1, 0.0)
    else:
        primary = (0, -value if submission.order == "desc" else value)
    return (*primary, submission.submitted_at, submission.id)


def format_table(rows: list[Row], metric: str, split: str) -> str:
    """A plain-text table for the terminal."""
    title = f"{metric} ({split})"
    header = f"{'rank':>4}  {'student':<24} {title:>24}  {'score':>11}  {'subs':>4}  submitted"
    lines = [header, "-" * len(header)]
    for row in rows:
        value = "—" if row.value is None else f"{row.value:.4f}"
        lines.append(
            f"{row.rank:>4}  {row.student[:24]:<24} {value:>24}  "
            f"{row.score:>5.1f}/{row.max_score:<5.0f}  {row.submissions:>4}  {row.submitted_at}"
        )
    if not rows:
        lines.append("(no submissions yet)")
    return "\n".join(lines)


def render_html(lab: int, rows: list[Row], metric: str, split: str, title: str = "") -> str:
    """A standalone HTML page of the table (all text escaped)."""
    body = (
        "\n".join(
            f"<tr><td>{row.rank}</td><td>{html.escape(row.student)}</td>"
            f"<td>{'—' if row.value is None else f'{row.value:.4f}'}</td>"
            f"<td>{row.score:.1f} / {row.max_score:.0f}</td><td>{row.submissions}</td>"
            f"<td>{html.escape(row.submitted_at)}</td></tr>"
            for row in rows
        )
        or '<tr><td colspan="6">No submissions yet.</td></tr>'
    )
    split_note = (
        "Public split of the hidden set: what students see while the lab is open."
        if split == "public"
        else "Private split: the final ranking, of each student's best public submission."
    )
    heading = html.escape(title or f"Lab {lab} leaderboard")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{heading}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ padding: .4rem .8rem; border-bottom: 1px solid #ddd; text-align: left; }}
th {{ background: #f4f4f4; }} tr:nth-child(1) td {{ font-weight: bold; }}
</style></head><body>
<h1>{heading}</h1>
<p>{html.escape(split_note)} Best submission per student; ties go to the earlier submission.</p>
<table><thead><tr><th>Rank</th><th>Student</th><th>{html.escape(metric)} ({split})</th><th>Score</th>
<th>Submissions</th><th>Submitted (UTC)</th></tr></thead>
<tbody>
{body}
</tbody></table>
<p><small>Generated {html.escape(now_iso())}.</small></p>
</body></html>
"""
