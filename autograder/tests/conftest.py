"""Shared fixtures: a private state folder, the honest and stubbed Lab 1, and a grading helper.

Sandboxed tests need bubblewrap and user namespaces. Where they are missing the tests are
skipped with the reason, unless AUTOGRADER_REQUIRE_SANDBOX=1 (set it in CI) turns that into
a failure. Tests that need the deployed Lab 1 weights and support images skip while those are
absent from solutions/.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.labs import write_lab
from autograder.paths import SOLUTIONS_DIR, SUPPORT_IMAGES_DIR
from autograder.pipeline.grading import GradeOptions, GradeOutcome, catalogue, grade, sandbox_problem
from autograder.records.results import validate_results
from autograder.sandbox.limits import GiB, Limits
from autograder.sandbox.users import sandbox_identity
from autograder.suites.lab1 import hidden_set

#: Each pytest-xdist worker grades as its own sandbox user (a fork bomb in one must not
#: starve the other: the process limit counts per user).
SLOT = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
TEST_SEED = 20240601
#: Tight limits keep hostile cases short; honest probes need well under a second each.
TEST_LIMITS = Limits(
    memory_bytes=3 * GiB,
    processes=96,
    timeout_scale=0.15,
    import_seconds=90.0,
    idle_seconds=20.0,
    total_seconds=240.0,
    max_restarts=4,
)
WEIGHTS = SOLUTIONS_DIR / "text_recognizer" / "weights" / "character_model_mlp.json"

needs_weights = pytest.mark.skipif(
    not WEIGHTS.is_file() or not any(SUPPORT_IMAGES_DIR.glob("*.png")),
    reason="the deployed Lab 1 weights (solutions/text_recognizer/weights/character_model_mlp.*) or the "
    "support images (solutions/tests/support/emnist/) are not there yet",
)


def _sandbox_skip_reason() -> str | None:
    problem = sandbox_problem(sandbox_identity(SLOT), TEST_LIMITS)
    if problem and os.environ.get("AUTOGRADER_REQUIRE_SANDBOX") == "1":
        pytest.fail(f"AUTOGRADER_REQUIRE_SANDBOX=1 but the sandbox is unusable: {problem}")
    return problem


@pytest.fixture(scope="session")
def sandbox_ok() -> None:
    reason = _sandbox_skip_reason()
    if reason:
        pytest.skip(f"bubblewrap sandbox unavailable here: {reason}")


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory):
    """A private state folder with a fixed seed and a small hidden set (512 images).

    The small recipe stays patched for the whole session: grading rebuilds the hidden set
    whenever the recipe differs from the cached one.
    """
    state = tmp_path_factory.mktemp("state")
    state.chmod(0o700)
    (state / "secret_seed").write_text(f"{TEST_SEED}\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hidden_set, "LETTERS_PER_CLASS_PER_FONT", 2)
        patch.setattr(hidden_set, "DIGITS_PER_CLASS", 7)
        hidden_set.load_or_build(state, TEST_SEED)
        yield state


@pytest.fixture(scope="session")
def lab1_sources(tmp_path_factory) -> dict[str, Path]:
    """The honest Lab 1 submission (solved) and the stubbed lab, written once."""
    root = tmp_path_factory.mktemp("lab1")
    return {
        "honest": write_lab(1, root / "honest", solved=True),
        "stub": write_lab(1, root / "stub", solved=False, prefer_committed=False),
    }


@dataclass
class Graded:
    """A grading and everything it wrote."""

    outcome: GradeOutcome
    results: dict
    report: dict
    out_dir: Path

    @property
    def scores(self) -> dict[str, float]:
        return {t["name"]: t["score"] for t in self.results["tests"]}

    @property
    def max_scores(self) -> dict[str, float]:
        return {t["name"]: t["max_score"] for t in self.results["tests"]}

    def test(self, prefix: str) -> dict:
        return next(t for t in self.results["tests"] if t["name"].startswith(prefix))

    def group_score(self, prefix: str) -> tuple[float, float]:
        tests = [t for t in self.results["tests"] if t["name"].startswith(prefix)]
        return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)

    def probe(self, key: str) -> dict:
        """The report of one call into student code: "mlp/A" (B, C: the hidden argument sets in
        order), "predict_on_image/course_mapping" or "predict_on_image/shuffled_mapping"."""
        kind, _, case = key.partition("/")
        index = {"A": 0, "B": 1, "C": 2, "course_mapping": 0, "shuffled_mapping": 2}[case]
        calls = [c for c in self.report["sandbox"]["calls"] if c["target"].rsplit(":", 1)[-1] == kind]
        return calls[index]

    @property
    def stdout(self) -> str:
        path = self.out_dir / "sandbox_stdout.log"
        return path.read_text() if path.exists() else ""

    @property
    def stderr(self) -> str:
        path = self.out_dir / "sandbox_stderr.log"
        return path.read_text() if path.exists() else ""


def assert_full_marks(graded: Graded, lab: int) -> None:
    """`graded` earned every point of every row, wrote valid results and graded every row of lab
    `lab`'s catalogue (a row that never ran would be missing, not zero)."""
    tests = graded.results["tests"]
    failures = [(t["name"], t["score"], t["output"][:300]) for t in tests if t["score"] != t["max_score"]]
    assert graded.results["score"] == pytest.approx(sum(t["max_score"] for t in tests)), failures
    assert graded.results["score"] > 0
    assert validate_results(graded.results) == []
    assert sum(t["max_score"] for t in tests) == sum(row["max_score"] for row in catalogue(lab))


def assert_zero(graded: Graded) -> None:
    """`graded` earned no point in any row."""
    assert graded.results["score"] == 0, [(t["name"], t["score"]) for t in graded.results["tests"] if t["score"]]


def graded_once(grade_submission: Callable[..., Graded], sources: dict[str, Path],
                **options) -> Callable[[str], Graded]:
    """`get(name)`: `sources[name]` graded with `options` (lab, limits ...) once, on first use."""
    cache: dict[str, Graded] = {}

    def get(name: str) -> Graded:
        if name not in cache:
            cache[name] = grade_submission(sources[name], student=name, **options)
        return cache[name]

    return get


@pytest.fixture(scope="session")
def grade_submission(state_dir, tmp_path_factory) -> Callable[..., Graded]:
    """grade_submission(path, **option_changes) -> Graded (sandboxed, test limits)."""

    def run(submission: Path, student: str = "student", **changes) -> Graded:
        out_dir = tmp_path_factory.mktemp(f"results-{student}")
        options = GradeOptions(
            lab=1,
            student=student,
            out_dir=out_dir,
            state_dir=state_dir,
            limits=TEST_LIMITS,
            slot=SLOT,
            notebook=False,
        )
        for key, value in changes.items():
            setattr(options, key, value)
        outcome = grade(submission, options)
        results = json.loads((out_dir / "results.json").read_text())
        report = json.loads((out_dir / "grading_report.json").read_text())
        return Graded(outcome, results, report, out_dir)

    return run


@pytest.fixture
def make_submission(lab1_sources, tmp_path) -> Callable[..., Path]:
    """make_submission(base="honest"|"stub", patches={path: text | callable}) -> a new lab folder.

    A patch value is the file's new text, or a function old text -> new text.
    """

    def make(base: str = "honest", patches: dict | None = None, name: str = "submission") -> Path:
        target = tmp_path / name
        shutil.copytree(lab1_sources[base], target)
        for relative, change in (patches or {}).items():
            path = target / relative
            old = path.read_text() if path.exists() else ""
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(change(old) if callable(change) else change)
        return target

    return make


@pytest.fixture(scope="session")
def honest(sandbox_ok, lab1_sources, grade_submission) -> Graded:
    """The honest solution, graded once per test session (and worker)."""
    return grade_submission(lab1_sources["honest"], student="honest")


@pytest.fixture(scope="session")
def stubbed(sandbox_ok, lab1_sources, grade_submission) -> Graded:
    """The stubbed Lab 1, graded once per test session (and worker)."""
    return grade_submission(lab1_sources["stub"], student="stub")
