"""The local run registry: one SQLite row per training run, whatever happened to it.

W&B keeps the rich record of a run (curves, system figures, sample predictions, the weights), but
an offline W&B run cannot be read back from Python, and a run that crashed may never reach W&B.
So `run_experiment` also writes every run here, at its start ("running") and at its end
("finished" with its metrics, or "failed" with the error). Best-run selection reads this file.

    registry = RunRegistry()                 # runs/registry.sqlite (TEXT_RECOGNIZER_RUNS_DIR moves it)
    registry.runs(group="lab4_mlp_sweep")    # -> list of records (dicts), oldest first

SQLite takes concurrent writers on one machine (parallel trials); trials on other machines of a
Ray cluster need `TEXT_RECOGNIZER_RUNS_DIR` on a shared file system.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

STATUSES = ("running", "finished", "failed", "stopped")
COLUMNS = {
    "run_id": "TEXT PRIMARY KEY", "name": "TEXT", "group_name": "TEXT", "status": "TEXT",
    "config": "TEXT", "metrics": "TEXT", "error": "TEXT", "wandb_run_id": "TEXT", "wandb_mode": "TEXT",
    "wandb_url": "TEXT", "git_commit": "TEXT", "data_source": "TEXT", "started_at": "TEXT",
    "ended_at": "TEXT", "run_dir": "TEXT", "weights": "TEXT", "model_config": "TEXT", "trial_id": "TEXT",
}
JSON_COLUMNS = ("config", "metrics")


def now() -> str:
    """The current time, ISO 8601 in UTC (strings compare like the times)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def new_run_id() -> str:
    """A short random id (8 characters of [0-9a-z]), also used as the run's W&B id."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def git_commit(folder: Path | None = None) -> str | None:
    """The commit checked out where the code lives (with `-dirty` for uncommitted edits), or None."""
    from text_recognizer import paths

    folder = folder or paths.PACKAGE_DIR
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "."], cwd=folder,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if dirty else commit


def default_path() -> Path:
    """`<runs>/registry.sqlite`, beside the run folders."""
    from text_recognizer import paths

    return paths.runs_dir() / "registry.sqlite"


class RunRegistry:
    """The runs table in a SQLite file (created on first use)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
            db.execute(f"CREATE TABLE IF NOT EXISTS runs ({columns})")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=60)  # waits for a parallel trial's write
        db.row_factory = sqlite3.Row
        try:
            with db:  # one transaction, committed on success
                yield db
        finally:
            db.close()

    def start(self, name: str, config: dict[str, Any], group: str | None = None, run_id: str | None = None,
              **fields: Any) -> str:
        """Record a run that starts now (status "running"); returns its run id."""
        run_id = run_id or new_run_id()
        record = {"run_id": run_id, "name": name, "group_name": group, "status": "running", "config": config,
                  "git_commit": git_commit(), "started_at": now(), **fields}
        self._write(record, insert=True)
        return run_id

    def update(self, run_id: str, **fields: Any) -> None:
        """Change some fields of a run (unknown field names are an error)."""
        self._write({"run_id": run_id, **fields}, insert=False)

    def finish(self, run_id: str, metrics: dict[str, Any], **fields: Any) -> None:
        """Mark a run finished, with its final metrics."""
        self.update(run_id, status="finished", metrics=metrics, ended_at=now(), **fields)

    def fail(self, run_id: str, error: str, status: str = "failed") -> None:
        """Mark a run failed (or "stopped"), keeping the reason."""
        self.update(run_id, status=status, error=error[:2000], ended_at=now())

    def get(self, run_id: str) -> dict[str, Any]:
        """One run's record; KeyError naming the id when there is none."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(f"no run {run_id!r} in {self.path}")
        return _record(row)

    def runs(self, group: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Records (oldest first), optionally of one group and / or one status."""
        query, values = "SELECT * FROM runs WHERE 1=1", []
        if group is not None:
            query, values = query + " AND group_name = ?", [*values, group]
        if status is not None:
            query, values = query + " AND status = ?", [*values, status]
        with self._connect() as db:
            return [_record(row) for row in db.execute(query + " ORDER BY started_at, rowid", values)]

    def groups(self) -> list[str]:
        """The names of the groups that have runs."""
        with self._connect() as db:
            rows = db.execute("SELECT DISTINCT group_name FROM runs WHERE group_name IS NOT NULL ORDER BY 1")
            return [row[0] for row in rows]

    def _write(self, record: dict[str, Any], insert: bool) -> None:
        unknown = sorted(set(record) - set(COLUMNS) - {"group"})
        if unknown:
            raise ValueError(f"unknown run record fields {unknown}; known: {sorted(COLUMNS)}")
        if "group" in record:
            record["group_name"] = record.pop("group")
        if record.get("status", "running") not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {record['status']!r}")
        values = {k: json.dumps(v) if k in JSON_COLUMNS else v for k, v in record.items()}
        with self._connect() as db:
            if insert:
                names = ", ".join(values)
                db.execute(f"INSERT INTO runs ({names}) VALUES ({', '.join('?' * len(values))})", list(values.values()))
            else:
                run_id = values.pop("run_id")
                assignments = ", ".join(f"{name} = ?" for name in values)
                updated = db.execute(f"UPDATE runs SET {assignments} WHERE run_id = ?", [*values.values(), run_id])
                if updated.rowcount == 0:
                    raise KeyError(f"no run {run_id!r} in {self.path}")


def _record(row: sqlite3.Row) -> dict[str, Any]:
    record = dict(row)
    for key in JSON_COLUMNS:
        record[key] = json.loads(record[key]) if record[key] else ({} if key == "metrics" else None)
    record["group"] = record.pop("group_name")
    return record
