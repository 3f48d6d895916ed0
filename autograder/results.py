"""Gradescope-compatible results: the model, its validation, and a writer that never fails.

The format is Gradescope's `results.json` (https://gradescope-autograders.readthedocs.io):

    {"score": 87.5, "execution_time": 31.2, "output": "...", "visibility": "visible",
     "stdout_visibility": "hidden",
     "tests": [{"name": ..., "score": ..., "max_score": ..., "status": "passed"|"failed",
                "visibility": "visible", "output": ...}, ...],
     "leaderboard": [{"name": "Accuracy (public)", "value": 0.91, "order": "desc"}]}

`write_results` validates before writing, writes atomically, and falls back to a minimal valid
file (score 0, the reason in `output`) if anything about the real one goes wrong.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
ORDERS = ("asc", "desc")
STATUSES = ("passed", "failed")


@dataclass
class TestResult:
    """One graded test as Gradescope shows it."""

    __test__ = False  # not a pytest test class, despite its name

    name: str
    score: float
    max_score: float
    output: str = ""
    visibility: str = "visible"

    @property
    def status(self) -> str:
        return "passed" if self.score >= self.max_score - 1e-9 else "failed"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "score": round(self.score, 4),
            "max_score": self.max_score,
            "status": self.status,
            "visibility": self.visibility,
            "output": self.output,
        }


@dataclass
class LeaderboardEntry:
    """A leaderboard value. `public=False` values go to the instructor only, never results.json."""

    name: str
    value: float
    order: str = "desc"
    public: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "order": self.order}


@dataclass
class Results:
    """Everything a grading produces for Gradescope."""

    tests: list[TestResult] = field(default_factory=list)
    leaderboard: list[LeaderboardEntry] = field(default_factory=list)
    output: str = ""
    execution_time: float = 0.0

    @property
    def score(self) -> float:
        return sum(test.score for test in self.tests)

    @property
    def max_score(self) -> float:
        return sum(test.max_score for test in self.tests)

    def to_json(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "execution_time": round(self.execution_time, 2),
            "output": self.output,
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [test.to_json() for test in self.tests],
            "leaderboard": [entry.to_json() for entry in self.leaderboard if entry.public],
        }


def validate_results(data: Any) -> list[str]:
    """Problems that would make Gradescope reject or misread `data` (empty when valid)."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return ["results must be a JSON object"]

    def number(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    for key in ("score", "execution_time"):
        if not number(data.get(key)):
            problems.append(f"top-level {key!r} must be a finite number")
    if not isinstance(data.get("output", ""), str):
        problems.append("top-level 'output' must be a string")
    tests = data.get("tests")
    if not isinstance(tests, list):
        problems.append("'tests' must be a list")
        tests = []
    names = set()
    for index, test in enumerate(tests):
        where = f"tests[{index}]"
        if not isinstance(test, dict):
            problems.append(f"{where} must be an object")
            continue
        if not isinstance(test.get("name"), str) or not test["name"]:
            problems.append(f"{where}.name must be a non-empty string")
        elif test["name"] in names:
            problems.append(f"{where}.name {test['name']!r} is used twice")
        else:
            names.add(test["name"])
        if not number(test.get("score")) or not number(test.get("max_score")):
            problems.append(f"{where}.score and max_score must be finite numbers")
        elif not 0 <= test["score"] <= test["max_score"] + 1e-9:
            problems.append(f"{where}.score must lie between 0 and max_score")
        if test.get("status") not in STATUSES:
            problems.append(f"{where}.status must be one of {STATUSES}")
        if test.get("visibility") not in VISIBILITIES:
            problems.append(f"{where}.visibility must be one of {VISIBILITIES}")
        if not isinstance(test.get("output", ""), str):
            problems.append(f"{where}.output must be a string")
    if tests and number(data.get("score")):
        total = sum(t.get("score", 0) for t in tests if isinstance(t, dict) and number(t.get("score")))
        if abs(total - data["score"]) > 1e-3:
            problems.append(f"top-level score {data['score']} is not the sum of the tests ({total})")
    for index, entry in enumerate(data.get("leaderboard", [])):
        where = f"leaderboard[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            problems.append(f"{where} must be an object with a string name")
            continue
        if not number(entry.get("value")):
            problems.append(f"{where}.value must be a finite number")
        if entry.get("order", "desc") not in ORDERS:
            problems.append(f"{where}.order must be 'asc' or 'desc'")
    return problems


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".results-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fallback_results(reason: str, execution_time: float = 0.0) -> dict[str, Any]:
    """A minimal valid results document: score 0 and why."""
    return {
        "score": 0.0,
        "execution_time": round(execution_time, 2) if math.isfinite(execution_time) else 0.0,
        "output": f"The autograder could not grade this submission: {reason}",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
        "leaderboard": [],
    }


def write_results(path: Path, results: Results | dict[str, Any]) -> dict[str, Any]:
    """Write `results` to `path` as JSON; on any problem write the fallback instead.

    Returns what was written."""
    try:
        data = results.to_json() if isinstance(results, Results) else results
        problems = validate_results(data)
        if problems:
            raise ValueError("; ".join(problems[:5]))
        _atomic_write(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
        return data
    except Exception as error:  # noqa: BLE001 - a results file must exist whatever happened
        data = fallback_results(f"internal error while writing results ({type(error).__name__}: {error})")
        try:
            _atomic_write(path, json.dumps(data, indent=2) + "\n")
        except Exception:  # noqa: BLE001 - last resort: a plain write
            path.write_text(json.dumps(data) + "\n")
        return data


def as_dict(value: Any) -> Any:
    """Dataclasses to dicts (for the instructor report)."""
    return asdict(value)
