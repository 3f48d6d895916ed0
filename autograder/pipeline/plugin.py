"""The pytest plugin that turns a lab's hidden suite into Gradescope results.

Loaded explicitly (`-p autograder.pipeline.plugin`) by `suite_run` in the grader's trusted pytest process.
It gives hidden tests their fixtures:

- `grading`: this grading's `GradingContext` (lab, state folder, submission facts);
- `seed`, `state_dir`: the installation's secret seed and state folder;
- `sandbox`: the one `SandboxSession` of the grading; `sandbox.call(...)` is the only way a
  test reaches student code, and it returns plain data;
- `feedback`: notes for the student (`feedback.say`), partial credit (`feedback.partial`),
  figures for the instructor only (`feedback.instructor`);
- `leaderboard`: `leaderboard.publish(public, private)` for a test marked with a leaderboard.

and collects each test's outcome into results rows (`marks.graded` says how), written as JSON
to the context's `rows` file: first the catalogue (every test at 0, "did not run") as soon as
the suite is collected, then the real outcomes when the session ends.
"""

from __future__ import annotations

import json
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from autograder.pipeline.context import GradingContext
from autograder.pipeline.marks import GradedMeta, meta_of
from autograder.sandbox.session import SandboxSession, StudentCodeFailed

MAX_MESSAGE = 1500
MAX_ROW_OUTPUT = 8000
GRADER_ERROR = "The grader could not check this test (an error on the grader's side; your instructor was told)."


@dataclass
class Feedback:
    """What one test adds to its results row beyond pass / fail."""

    notes: list[str] = field(default_factory=list)
    fraction: float | None = None
    label: str | None = None

    def say(self, text: str) -> None:
        """A line of feedback for the student (trusted text: never quote hidden data here)."""
        self.notes.append(str(text)[:MAX_MESSAGE])

    def partial(self, fraction: float, note: str | None = None) -> None:
        """Earn `fraction` (0..1) of the test's points, whether it then passes or fails."""
        self.fraction = min(max(float(fraction), 0.0), 1.0)
        if note:
            self.say(note)

    def instructor(self, key: str, value: Any) -> None:
        """A figure for the instructor's report only (private leaderboard split, per-class scores)."""
        _collector.private[key] = value


@dataclass
class Leaderboard:
    """Publishes a leaderboard-marked test's values (the metric's name and order are on the mark)."""

    meta: GradedMeta | None

    def publish(self, public: float, private: float | None = None) -> None:
        if self.meta is None or self.meta.leaderboard is None:
            raise RuntimeError("only a test marked graded(..., leaderboard=(name, order)) publishes values")
        name, order = self.meta.leaderboard
        _collector.leaderboard.append({"name": f"{name} (public)", "value": round(float(public), 6),
                                       "order": order, "public": True})
        if private is not None:
            _collector.leaderboard.append({"name": f"{name} (private)", "value": round(float(private), 6),
                                           "order": order, "public": False})


@dataclass
class _Case:
    meta: GradedMeta
    label: str
    outcome: str = "not_run"  # passed | failed | skipped | not_run
    message: str = ""
    feedback: Feedback = field(default_factory=Feedback)


class _Collector:
    """Every collected test's case, merged into rows at the end."""

    def __init__(self) -> None:
        self.cases: dict[str, _Case] = {}
        self.order: list[str] = []
        self.leaderboard: list[dict] = []
        self.private: dict[str, Any] = {}
        self.grader_errors: list[str] = []
        self.sandbox: dict[str, Any] = {}
        self.context: GradingContext | None = None
        self.rows_path: Path | None = None
        self.unmarked: list[str] = []

    def rows(self) -> list[dict]:
        grouped: dict[str, list[_Case]] = {}
        for nodeid in self.order:
            case = self.cases[nodeid]
            key = case.meta.name if case.meta.merge else nodeid
            grouped.setdefault(key, []).append(case)
        names = [cases[0].meta.name for cases in grouped.values()]
        rows = []
        for cases in grouped.values():
            meta = cases[0].meta
            name = meta.name if meta.merge or names.count(meta.name) == 1 else f"{meta.name} [{cases[0].label}]"
            rows.append(self._row(name, meta, cases))
        return rows

    @staticmethod
    def _row(name: str, meta: GradedMeta, cases: list[_Case]) -> dict:
        graded = [c for c in cases if c.outcome != "skipped"]
        max_score = meta.points if graded else 0.0
        share = max_score / len(graded) if graded else 0.0
        score, lines = 0.0, []
        for case in cases:
            fraction = case.feedback.fraction
            if fraction is None:
                fraction = 1.0 if case.outcome == "passed" else 0.0
            if case.outcome != "skipped":
                score += share * fraction
            text = "\n".join([*case.feedback.notes, case.message] if case.message else case.feedback.notes)
            if len(cases) > 1:
                mark = {"passed": "ok  ", "skipped": "skip"}.get(case.outcome, "FAIL")
                lines.append(f"{mark} {case.feedback.label or case.label}" + (f": {text}" if text else ""))
            elif text:
                lines.append(text)
            elif case.outcome == "passed":
                lines.append("Passed.")
        output = "\n".join(lines)
        if len(output) > MAX_ROW_OUTPUT:
            output = output[:MAX_ROW_OUTPUT] + "\n[... feedback cut ...]"
        return {"name": name, "score": round(score, 6), "max_score": max_score,
                "visibility": meta.visibility, "output": output}

    def write(self) -> None:
        if self.rows_path is None:
            return
        metric = next((list(c.meta.leaderboard) for c in self.cases.values() if c.meta.leaderboard), None)
        data = {"tests": self.rows(), "metric": metric, "leaderboard": self.leaderboard, "private": self.private,
                "grader_errors": self.grader_errors[:20], "sandbox": self.sandbox, "unmarked": self.unmarked}
        temporary = self.rows_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1, default=str))
        temporary.replace(self.rows_path)


_collector = _Collector()


# --- configuration and collection ---------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--grading-context", help="the GradingContext JSON file of this grading")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "graded(meta): a hidden test's results row (autograder.pipeline.marks.graded)")
    config.addinivalue_line("markers", "notebook: a case of the lab notebook (left out when no notebook runs)")
    config.addinivalue_line("markers", "hidden_data: the test sends hidden-set inputs to the student's code (the "
                            "runner that saw them serves no later test without this mark)")
    path = config.getoption("--grading-context")
    if path:
        _collector.context = GradingContext.read(Path(path))
        _collector.rows_path = Path(_collector.context.rows)


@pytest.hookimpl(trylast=True)  # after pytest's own reordering (parametrized fixtures), which would undo ours
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    _drop_notebook_cases(config, items)
    for item in items:
        meta = meta_of(item)
        if meta is None:
            # An unmarked function in a hidden suite is a mistake of the suite's author.
            _collector.unmarked.append(item.nodeid)
            continue
        label = item.callspec.id if hasattr(item, "callspec") else item.name
        _collector.cases[item.nodeid] = _Case(meta, label, message="this test did not run")
        _collector.order.append(item.nodeid)
    context = _collector.context
    if context is not None and context.rejected:
        for case in _collector.cases.values():
            case.outcome, case.message = "failed", f"Your submission could not be graded: {context.rejected}"
        config.hook.pytest_deselected(items=list(items))
        items[:] = []
    items.sort(key=_run_order)  # stable: the suite's order within each part (results keep it anyway)
    _collector.write()


def _run_order(item: pytest.Item) -> int:
    """0: the notebook's cases, 1: the others, 2: the `hidden_data` tests.

    Each runner start costs a new sandbox and Keras imported again (some 8 s on 2 cores). The
    notebook runs in a runner that has made no call into the submission, and a runner that saw
    hidden data serves no later test without the mark: in this order one runner serves them all.
    """
    if item.get_closest_marker("notebook") is not None:
        return 0
    return 2 if item.get_closest_marker("hidden_data") is not None else 1


# --- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def grading() -> GradingContext:
    """This grading's context (the grader starts pytest with `--grading-context`)."""
    if _collector.context is None:
        raise pytest.UsageError("hidden suites run through the grader: python -m autograder test --lab N FOLDER")
    return _collector.context


@pytest.fixture(scope="session")
def state_dir(grading: GradingContext) -> Path:
    return Path(grading.state_dir)


@pytest.fixture(scope="session")
def seed(grading: GradingContext) -> int:
    return grading.seed


class _Warmup:
    """Starts the grading's sandbox while the suite is still being collected.

    The runner's first job, importing Keras (seconds), then overlaps with the parent's own
    imports and collection instead of adding to them.
    """

    def __init__(self, context: GradingContext) -> None:
        from autograder.pipeline.sandbox_job import open_session

        self.session: SandboxSession = open_session(context)
        self.session.spawn()  # from the main thread: the sandbox lives as long as its starter
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        # The call only imports Keras: it gets an import's limit, not a call's (which the hidden
        # suites' timeout scale shortens to seconds on a loaded machine).
        limits = self.session.limits
        self.session.call("grader:ready", timeout=limits.import_seconds / limits.timeout_scale)

    def ready(self) -> SandboxSession:
        self.thread.join()
        return self.session


_warmup: _Warmup | None = None


def start_sandbox(context: GradingContext) -> None:
    """Start the grading's sandbox now, before pytest itself starts (`suite_run` calls this)."""
    global _warmup
    if _warmup is None and not context.rejected:
        _warmup = _Warmup(context)


def pytest_sessionstart(session: pytest.Session) -> None:
    if _collector.context is not None:
        start_sandbox(_collector.context)


def pytest_collection_finish(session: pytest.Session) -> None:
    if _warmup is not None and session.items:
        import keras  # noqa: F401 - the parent's reference networks need it: import it beside the sandbox's

@pytest.fixture(scope="session")
def sandbox(grading: GradingContext):
    """The grading's sandbox: one runner for the whole suite, restarted after a crash."""
    if _warmup is None:
        raise pytest.UsageError("the sandbox is only available to a grading that was taken in")
    session = _warmup.ready()
    try:
        yield session
    finally:
        session.close()
        _collector.sandbox = {
            "starts": session.starts, "fresh_starts": session.fresh_starts,
            "seconds": round(session.seconds, 2), "notes": session.notes[:200],
            "calls": session.calls[:500], "stdout_bytes": session.stdout.total,
            "stderr_bytes": session.stderr.total, "largest_record_bytes": session.largest_record,
            "received_bytes": session.received,
        }
        work = Path(grading.work)
        (work / "sandbox_stdout.log").write_text(session.stdout.text())
        (work / "sandbox_stderr.log").write_text(session.stderr.text())


@pytest.fixture
def feedback(request: pytest.FixtureRequest) -> Feedback:
    case = _collector.cases.get(request.node.nodeid)
    return case.feedback if case is not None else Feedback()


@pytest.fixture
def leaderboard(request: pytest.FixtureRequest) -> Leaderboard:
    return Leaderboard(meta_of(request.node))


# --- outcomes -----------------------------------------------------------------------------------
def _student_message(excinfo: pytest.ExceptionInfo) -> str:
    """The failure text of a test: its own assertion message, never pytest's value dump."""
    error = excinfo.value
    text = str(error)
    if not isinstance(error, StudentCodeFailed):
        # pytest's assertion rewriting appends "assert <left> == <right>": keep only the message.
        text = text.split("\nassert ")[0] if not text.startswith("assert ") else "a check failed"
    return text[:MAX_MESSAGE]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    if _warmup is not None:
        _warmup.session.label = item.nodeid.split("::", 1)[-1]
        _warmup.session.hidden = item.get_closest_marker("hidden_data") is not None
    return (yield)


def _drop_notebook_cases(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a notebook to run (none in the lab, `--no-notebook`, or a refused submission),
    the notebook's cases are not part of this grading."""
    context = _collector.context
    if context is None or context.notebook is not None:
        return
    dropped = [item for item in items if item.get_closest_marker("notebook")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    case = _collector.cases.get(item.nodeid)
    if case is None:
        return report
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if report.passed:
            case.outcome, case.message = "passed", ""
        elif report.skipped:
            case.outcome = "skipped"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            case.message = f"Not graded: {str(reason).removeprefix('Skipped: ')[:MAX_MESSAGE]}"
        else:
            case.outcome = "failed"
            excinfo = call.excinfo
            if excinfo is not None and isinstance(excinfo.value, AssertionError):
                case.message = case.meta.hidden_message or _student_message(excinfo)
            else:
                case.message = case.meta.hidden_message or GRADER_ERROR
                trace = "".join(traceback.format_exception(excinfo.value)) if excinfo else str(report.longrepr)
                _collector.grader_errors.append(f"{item.nodeid}: {trace[-3000:]}")
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _warmup is not None and not _collector.sandbox:  # started, but no test asked for it
        _warmup.ready().close()
    if _collector.sandbox:
        import resource

        # This trusted process's peak memory (what a submission's records could make it hold).
        _collector.sandbox["parent_max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    _collector.write()
