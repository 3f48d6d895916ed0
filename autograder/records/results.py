"""Gradescope-compatible results: the model, its validation, and a writer that never fails.

The format is Gradescope's `results.json` (https://gradescope-autograders.readthedocs.io):

    {"score": 87.5, "execution_time": 31.2, "output": "...", "visibility": "visible",
     "stdout_visibility": "hidden",
     "tests": [{"name": ..., "score": ..., "max_score": ..., "status": "passed"|"failed",
                "visibility": "visible", "output": ...}, ...],
     "leaderboard": [{"name": "Accuracy (public)", "value": 0.91, "order": "desc"}]}

`write_results` caps every text (`cap_results`: a test's output, the top-level output, names,
and all of them together), validates, writes atomically, and falls back to a minimal valid
file (score 0, the reason in `output`) if anything about the real one goes wrong. Whatever a
submission makes its feedback say, `results.json` stays under `MAX_RESULTS_BYTES`.
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
#: Characters kept of one test's output, of the top-level output, of a name.
MAX_TEST_OUTPUT = 8000
MAX_OUTPUT = 16000
MAX_NAME = 200
#: The most leaderboard entries a results file lists.
MAX_ENTRIES = 20
#: The whole file (JSON, indented) stays under this many bytes.
MAX_RESULTS_BYTES = 1024 * 1024
CUT = "\n[... cut ...]"
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


def _cut(text: Any, limit: int) -> Any:
    if not isinstance(text, str) or len(text) <= limit:
        return text
    return text[: max(0, limit - len(CUT))] + CUT


def _size(data: dict[str, Any]) -> int:
    return len(json.dumps(data, indent=2, allow_nan=False).encode()) + 1


def cap_results(data: dict[str, Any], max_bytes: int = MAX_RESULTS_BYTES) -> dict[str, Any]:
    """A copy of `data` whose texts fit the caps and whose JSON fits `max_bytes`: each test's
    output is cut to MAX_TEST_OUTPUT, the top-level output to MAX_OUTPUT, names to MAX_NAME;
    if the whole is still too large, every output is cut further, to an equal share."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    data["output"] = _cut(data.get("output", ""), MAX_OUTPUT)
    tests = data.get("tests")
    if isinstance(tests, list):
        data["tests"] = [{**t, "name": _cut(t.get("name"), MAX_NAME), "output": _cut(t.get("output", ""),
                                                                                   MAX_TEST_OUTPUT)}
                         if isinstance(t, dict) else t for t in tests]
    if isinstance(data.get("leaderboard"), list):
        data["leaderboard"] = [{**e, "name": _cut(e.get("name"), MAX_NAME)} if isinstance(e, dict) else e
                               for e in data["leaderboard"][:MAX_ENTRIES]]
    tests = [t for t in data.get("tests", []) if isinstance(t, dict)] if isinstance(data.get("tests"), list) else []
    share = MAX_TEST_OUTPUT
    while _size(data) > max_bytes and share > 0:
        share //= 2
        # JSON escapes may take 6 bytes a character: the shares are of characters, so halve on.
        data["output"] = _cut(data["output"], max(share, 200))
        for test in tests:
            test["output"] = _cut(test.get("output", ""), share)
    return data


def write_results(path: Path, results: Results | dict[str, Any]) -> dict[str, Any]:
    """Write `results` to `path` as JSON, texts capped (`cap_results`); on any problem write the
    fallback instead.

    Returns what was written."""
    try:
        data = cap_results(results.to_json() if isinstance(results, Results) else results)
        problems = validate_results(data)
        if problems:
            raise ValueError("; ".join(problems[:5]))
        _atomic_write(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
        return data
    except Exception as error:  # noqa: BLE001 - a results file must exist whatever happened
        data = fallback_results(_cut(f"internal error while writing results ({type(error).__name__}: {error})",
                                     2000))
        try:
            _atomic_write(path, json.dumps(data, indent=2) + "\n")
        except Exception:  # noqa: BLE001 - last resort: a plain write
            path.write_text(json.dumps(data) + "\n")
        return data


def as_dict(value: Any) -> Any:
    """Dataclasses to dicts (for the instructor report)."""
    return asdict(value)
