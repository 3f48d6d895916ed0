"""What a lab's hidden suite provides: probes to run in the sandbox, and how to score them.

A suite is one folder `autograder/suites/labN/` whose `__init__.py` defines `SUITE`, an
instance of a `Suite` subclass:

- `probes_file`: the module copied into the sandbox; each probe names one of its functions;
- `prepare(context)`: build what the suite needs once (hidden sets), outside the sandbox;
- `plan(context)`: the probes of one grading with their inputs (JSON args, numpy arrays,
  files) and the expectations the parent keeps to itself;
- `score(outcomes, plan)`: tests (name, points, feedback) and leaderboard values, computed
  in the parent from the probes' plain-data outcomes.
- `catalog()`: every test's name and points, so that a submission that could not be run at
  all still gets every test listed (with 0 points and the reason).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograder.results import LeaderboardEntry, TestResult
from autograder.sandbox.session import ProbeOutcome, ProbeSpec


@dataclass
class Probe:
    """One call into student code, run in the sandbox by `probes_file`'s `function`."""

    id: str
    function: str
    imports: tuple[str, ...]
    timeout: float
    args: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    #: Extra input files: path inside the job folder -> host file to copy there.
    files: dict[str, Path] = field(default_factory=dict)
    #: Which grader module in the sandbox holds `function`: the suite's probes, or "notebook".
    module: str = "probes"

    def spec(self) -> ProbeSpec:
        return ProbeSpec(self.id, self.imports, self.timeout)


@dataclass
class SuiteContext:
    """Where a suite keeps its state, and this installation's secret seed."""

    state_dir: Path
    seed: int


@dataclass
class Plan:
    """One grading's probes (what goes into the sandbox) and expectations (what never does)."""

    probes: list[Probe]
    expected: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scored:
    """What `Suite.score` returns."""

    tests: list[TestResult]
    leaderboard: list[LeaderboardEntry]
    #: Figures for the instructor only (private split, per-class accuracy...).
    private: dict[str, Any] = field(default_factory=dict)


class Suite(ABC):
    """Base class of the per-lab hidden suites."""

    lab: int
    title: str
    probes_file: Path
    #: The leaderboard's main metric: (name shown, "asc" | "desc").
    metric: tuple[str, str]

    def prepare(self, context: SuiteContext) -> None:  # noqa: B027 - optional hook
        """Build hidden sets or other inputs once (cached under `context.state_dir`)."""

    @abstractmethod
    def catalog(self) -> list[tuple[str, float]]:
        """(test name, max score) of every test, in order."""

    @abstractmethod
    def plan(self, context: SuiteContext) -> Plan:
        """The probes of one grading, with their inputs, and the hidden expectations."""

    @abstractmethod
    def score(self, outcomes: dict[str, ProbeOutcome], plan: Plan) -> Scored:
        """Tests and leaderboard values from the probes' outcomes (untrusted plain data)."""

    def zero(self, reason: str) -> Scored:
        """Every test failed with `reason` (nothing could be run)."""
        return Scored([TestResult(name, 0.0, points, output=reason) for name, points in self.catalog()], [])


def outcome_message(outcome: ProbeOutcome | None, student_visible: bool = True) -> str:
    """Why a probe has no usable result, in words for the feedback.

    With `student_visible=False` the student's own exception message is left out: probes on
    hidden data must not let a submission print hidden images into its feedback.
    """
    if outcome is None:
        return "this test did not run"
    if outcome.status == "error" and outcome.error:
        kind = outcome.error.get("type", "an exception")
        if not student_visible:
            return f"your code raised {kind}"
        message = outcome.error.get("message", "").strip()
        module = outcome.error.get("module")
        where = f" while importing {module}" if module else ""
        return f"your code raised {kind}{where}: {message[:600]}" if message else f"your code raised {kind}{where}"
    if outcome.status in ("timeout", "crashed", "invalid"):
        return f"no usable result: {outcome.reason}"
    if outcome.status == "not_run":
        return outcome.reason or "this test did not run"
    return ""
