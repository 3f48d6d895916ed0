"""Grade one submission: intake, the hidden pytest suite in a trusted process, results always written.

    outcome = grade(Path("submissions/alice"), GradeOptions(lab=1, student="alice", out_dir=...))

The grader takes the submission in (a checked copy), prepares the lab notebook, decides how
the sandbox runs, and starts the lab's hidden suite (`suite_run`: pytest on
`autograder/suites/labN/`) in a trusted child process. The suite reaches student code only
through its `sandbox` fixture. The child writes results rows; the grader turns them into:

- `results.json`: Gradescope's format (what students see), always, whatever happened;
- `grading_report.json`: for the instructor: sandbox notes, each call into student code,
  private leaderboard values, intake notes, grader errors;
- `sandbox_stdout.log`, `sandbox_stderr.log`: the submission's output (capped);
- `pytest.log`: the hidden suite's own pytest output.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograder.errors import GraderError, SandboxUnavailable, SubmissionRejected
from autograder.paths import default_state_dir, ensure_private_dir, secret_seed
from autograder.pipeline import lab_suites, notebooks
from autograder.pipeline.context import GradingContext
from autograder.pipeline.intake import remove_tree, take_in
from autograder.pipeline.sandbox_job import remove_stage_dir
from autograder.pipeline.suite_run import run_suite_process
from autograder.records.leaderboard import Leaderboard
from autograder.records.results import LeaderboardEntry, Results, TestResult, fallback_results, write_results
from autograder.sandbox import launch as launching
from autograder.sandbox import users
from autograder.sandbox.limits import Limits

#: Time the trusted pytest process may take beyond the sandbox's own budget (collection, checks).
SUITE_GRACE_SECONDS = 300.0


@dataclass
class GradeOptions:
    """How to grade: which lab, as whom, where results go, what limits apply."""

    lab: int
    student: str
    out_dir: Path
    state_dir: Path = field(default_factory=default_state_dir)
    limits: Limits = field(default_factory=Limits)
    allow_unsandboxed: bool = False
    slot: int = 0
    gpu: str | None = None
    leaderboard_db: Path | None = None
    submitted_at: str | None = None
    notebook: bool = True
    #: Run without bubblewrap even where it works (the benchmark's baseline); needs allow_unsandboxed.
    force_unsandboxed: bool = False
    #: Show the hidden suite's pytest output on this terminal (`autograder test`).
    verbose: bool = False
    #: The nbgrader gradebook that receives the notebook's autograded scores (None: not recorded).
    gradebook: Path | None = None


@dataclass
class GradeOutcome:
    """A grading's summary, for the command line and grade-all's table."""

    student: str
    lab: int
    score: float
    max_score: float
    status: str  # graded | rejected | refused | error
    seconds: float
    results_path: Path
    report_path: Path
    public_value: float | None = None
    private_value: float | None = None
    message: str = ""
    #: The lab's leaderboard metric and its order ("asc"/"desc"); None when the lab ranks nothing.
    metric: tuple[str, str] | None = None


_checked: dict[int | None, str | None] = {}
_check_lock = threading.Lock()


def sandbox_problem(identity: users.SandboxIdentity | None, limits: Limits) -> str | None:
    """Why bubblewrap cannot be used here (None when it can); checked once per identity."""
    key = identity.uid if identity else None
    with _check_lock:
        if key not in _checked:
            with tempfile.TemporaryDirectory(prefix="autograder-check-") as work:
                try:
                    launching.check_bwrap(identity, Path(work), limits)
                    _checked[key] = None
                except SandboxUnavailable as error:
                    _checked[key] = str(error)
        return _checked[key]


def grade(submission: Path, options: GradeOptions) -> GradeOutcome:
    """Grade `submission` for `options.lab`; always writes results.json (see module docstring)."""
    started = time.monotonic()
    out_dir = Path(options.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path, report_path = out_dir / "results.json", out_dir / "grading_report.json"
    report: dict[str, Any] = {"student": options.student, "lab": options.lab, "submission": str(submission),
                              "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    results: Results | None = None
    rows: dict[str, Any] = {}
    status, message = "error", ""
    try:
        ensure_private_dir(options.state_dir)
        secret_seed(options.state_dir)
        rows, status, message = _grade_in_slot(submission, options, report, out_dir)
        results = _results(options.lab, rows, report)
    except SandboxUnavailable as error:
        status, message = "refused", f"Refused to run student code without a sandbox: {error}"
        report["error"] = message
        results = _zero_results(options.lab, "The autograder is not set up on this machine; your instructor was told.")
    except GraderError as error:
        message = str(error)
        report["error"] = message
        results = _zero_results(options.lab, f"The autograder could not grade this submission: {message}")
    except Exception as error:  # noqa: BLE001 - whatever broke, the student still gets a results file
        message = f"internal grader error: {type(error).__name__}: {error}"
        report["error"] = message
        report["traceback"] = traceback.format_exc()
        results = _zero_results(options.lab, "The autograder hit an internal error; your instructor was told.")
    finally:
        seconds = time.monotonic() - started
        if options.gradebook is not None and results is not None and status == "graded":
            report["gradebook_notes"] = _record_in_gradebook(options, results, report)
        if results is None:
            written = write_results(results_path, fallback_results("the grading was interrupted", seconds))
        else:
            results.execution_time = seconds
            written = write_results(results_path, results)
        report.update(score=written["score"], max_score=sum(t["max_score"] for t in written["tests"]),
                      status=status, seconds=round(seconds, 2))
        _write_json(report_path, report)
    entries = rows.get("leaderboard", []) if isinstance(rows.get("leaderboard"), list) else []
    public = next((e["value"] for e in entries if e.get("public")), None)
    private = next((e["value"] for e in entries if not e.get("public")), None)
    metric = rows.get("metric")
    outcome = GradeOutcome(options.student, options.lab, written["score"], report["max_score"], status, seconds,
                           results_path, report_path, public, private, message,
                           (str(metric[0]), str(metric[1])) if metric else None)
    if options.leaderboard_db is not None:
        record_on_leaderboard(options.leaderboard_db, outcome, options.submitted_at)
    return outcome


def record_on_leaderboard(db: Path, outcome: GradeOutcome, submitted_at: str | None) -> None:
    """A graded (or rejected) submission of a lab with a metric into the leaderboard at `db`."""
    if outcome.status in ("graded", "rejected") and outcome.metric:
        Leaderboard(db).record(
            lab=outcome.lab, student=outcome.student, score=outcome.score, max_score=outcome.max_score,
            metric=outcome.metric[0], order=outcome.metric[1], public_value=outcome.public_value,
            private_value=outcome.private_value, submitted_at=submitted_at, results_path=str(outcome.results_path),
        )


def notebook_cells(tests: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """The autograded notebook cells among results.json's tests: grade_id -> (earned, max points)."""
    prefix, suffix = "Notebook: ", " (nbgrader)"
    return {t["name"][len(prefix):-len(suffix)]: (float(t["score"]), float(t["max_score"])) for t in tests
            if t["name"].startswith(prefix) and t["name"].endswith(suffix) and float(t["max_score"]) > 0}


def _record_in_gradebook(options: GradeOptions, results: Results, report: dict[str, Any]) -> list[str]:
    """The notebook's autograded cells into the nbgrader gradebook, beside the TA's written grades."""
    from autograder.records.gradebook import record_autograded

    cells = notebook_cells([{"name": t.name, "score": t.score, "max_score": t.max_score} for t in results.tests])
    if not cells:
        return []
    try:
        return record_autograded(options.gradebook, options.lab, options.student, cells,
                                 submitted_at=options.submitted_at, notebook=report.get("notebook_path"))
    except Exception as error:  # noqa: BLE001 - the gradebook must not cost the student their results
        return [f"could not record in the gradebook: {type(error).__name__}: {error}"]


def _zero_results(lab: int, reason: str) -> Results:
    """Every test of the lab's catalogue at 0 with `reason` (nothing could be run)."""
    try:
        tests = [TestResult(row["name"], 0.0, row["max_score"], reason, row.get("visibility", "visible"))
                 for row in catalogue(lab)]
    except Exception:  # noqa: BLE001 - no catalogue either: the reason alone
        tests = []
    return Results(tests=tests, output=reason)


@functools.lru_cache(maxsize=16)
def collect(lab: int) -> dict[str, Any]:
    """pytest's own collection of the lab's hidden suite: every test with its points (`tests`,
    all at 0) and the leaderboard metric (`metric`). Nothing is run."""
    with tempfile.TemporaryDirectory(prefix="autograder-catalogue-") as work:
        context = GradingContext(lab, submission=work, work=work, state_dir=work, rows=f"{work}/rows.json",
                                 rejected="(catalogue only)")
        return _run_suite(context, Path(work), Path(work) / "pytest.log", timeout=120.0, verbose=False)


def metric(lab: int) -> tuple[str, str] | None:
    """The lab's leaderboard metric (name, order), as its hidden test declares it; None without one."""
    found = collect(lab).get("metric")
    return (found[0], found[1]) if found else None


def catalogue(lab: int) -> list[dict[str, Any]]:
    """Every hidden test of the lab with its points (used when a submission cannot run at all)."""
    return collect(lab).get("tests", [])


def _results(lab: int, rows: dict[str, Any], report: dict[str, Any]) -> Results:
    tests = [TestResult(row["name"], float(row["score"]), float(row["max_score"]), str(row.get("output", "")),
                     row.get("visibility", "visible")) for row in rows.get("tests", [])]
    leaderboard = [LeaderboardEntry(e["name"], e["value"], e["order"], public=bool(e.get("public")))
                   for e in rows.get("leaderboard", [])]
    score, max_score = sum(t.score for t in tests), sum(t.max_score for t in tests)
    lines = [f"{lab_suites.title(lab)}: {score:.1f} / {max_score:.0f}"]
    lines += [f"Note: {note}" for note in report.get("intake_notes", [])[:20]]
    if report.get("rejected"):
        lines.append(f"Your submission could not be graded: {report['rejected']}")
    return Results(tests=tests, leaderboard=leaderboard, output="\n".join(lines))


def _grade_in_slot(submission: Path, options: GradeOptions, report: dict[str, Any],
                   out_dir: Path) -> tuple[dict[str, Any], str, str]:
    lab_suites.suite_dir(options.lab)  # a clear error before anything else when the lab has no suite
    with users.claim_slot(options.slot) as slot:
        identity = users.sandbox_identity(slot)
        problem = sandbox_problem(identity, options.limits)
        if options.force_unsandboxed and options.allow_unsandboxed:
            problem = problem or "bubblewrap turned off for this run (benchmark baseline)"
        if problem is not None and not options.allow_unsandboxed:
            raise SandboxUnavailable(problem)
        sandboxed = problem is None
        report["sandbox"] = {"sandboxed": sandboxed, "user": identity.name if identity else f"uid {os.getuid()}",
                             "identity_note": identity.note if identity else "", "problem": problem}
        work = Path(tempfile.mkdtemp(prefix="autograder-job-"))
        try:
            return _grade_in_work(submission, options, report, out_dir, work, slot, sandboxed)
        finally:
            remove_stage_dir(work)
            remove_tree(work)  # however deep a tree the grading left in it


def _grade_in_work(submission: Path, options: GradeOptions, report: dict[str, Any], out_dir: Path,
                   work: Path, slot: int, sandboxed: bool) -> tuple[dict[str, Any], str, str]:
    identity = users.sandbox_identity(slot)
    if not sandboxed and identity is not None:
        work.chmod(0o711)  # the sandbox user must reach job/ and submission/ (no bwrap staging)
    context = GradingContext(options.lab, submission=str(work / "submission"), work=str(work),
                             state_dir=str(options.state_dir), rows=str(work / "rows.json"),
                             limits=asdict(options.limits), slot=slot, sandboxed=sandboxed, gpu=options.gpu)
    status, message = "graded", ""
    try:
        intake = take_in(submission, work / "submission", options.lab)
        report["intake_notes"] = intake.notes
        report["intake"] = {"files": intake.files, "bytes": intake.bytes}
        context.submission = str(intake.root)
    except SubmissionRejected as error:
        report["rejected"] = context.rejected = str(error)
        status, message = "rejected", str(error)
    if context.rejected is None and options.notebook:
        prepared_path = work / "notebook" / f"lab{options.lab}.ipynb"
        prepared = notebooks.prepare(options.lab, Path(context.submission), prepared_path)
        if prepared is not None:
            context.notebook = str(prepared_path)
            report["notebook_notes"] = prepared[1]
            # Kept for formgrader (instructor-only folder): the student's answers in the lab notebook.
            shutil.copy(prepared_path, out_dir / prepared_path.name)
            report["notebook_path"] = out_dir / prepared_path.name
    if context.rejected is None and notebooks.NODE_MODULES.is_dir():
        # Every grading, notebook or not: the notebook builds its small dataset from the course's
        # offline data packages, and Lab 5's page reader builds its language model from them.
        inside = "/course/node_modules" if sandboxed else str(notebooks.NODE_MODULES)
        context.extra_binds.append((str(notebooks.NODE_MODULES), inside))
        context.extra_env["TEXT_RECOGNIZER_NODE_MODULES"] = inside
    # The suite builds its hidden data itself (`lab_suites.prepare`, locked): not loaded here as well.
    budget = options.limits.total_seconds + (notebooks.NOTEBOOK_TIMEOUT if context.notebook else 0.0)
    rows = _run_suite(context, work, out_dir / "pytest.log", timeout=budget * options.limits.timeout_scale
                      + budget + SUITE_GRACE_SECONDS, verbose=options.verbose)
    killed = users.sweep(identity)  # a suite process that was killed leaves no sandbox behind
    if killed:
        report.setdefault("notes", []).append(f"killed {killed} leftover sandbox process(es)")
    for name in ("sandbox_stdout.log", "sandbox_stderr.log"):
        if (work / name).exists():
            shutil.copy(work / name, out_dir / name)
    report["sandbox"].update(rows.get("sandbox", {}))
    report["private"] = rows.get("private", {})
    if rows.get("grader_errors"):
        report["grader_errors"] = rows["grader_errors"]
    if rows.get("suite_error"):
        report["suite_error"] = rows["suite_error"]
    return rows, status, message


def _run_suite(context: GradingContext, work: Path, log_path: Path, timeout: float, verbose: bool) -> dict[str, Any]:
    """Run the hidden suite in the grader's trusted pytest process; its rows (never raises for a
    submission's sake: a suite that dies leaves the catalogue it wrote at collection)."""
    context_path = context.write(work / "context.json")
    error = ""
    returncode = run_suite_process(context_path, log_path, timeout=timeout, verbose=verbose)
    # A rejected submission (and the catalogue) runs no test by design: pytest ends with 5 then.
    success_codes = (0, 1, 5) if context.rejected else (0, 1)
    if returncode is None:
        error = f"the hidden suite did not finish within {timeout:.0f} s"
    elif returncode not in success_codes:
        error = f"the hidden suite's pytest process exited with status {returncode}"
    rows_path = Path(context.rows)
    rows = json.loads(rows_path.read_text()) if rows_path.exists() else {}
    if not rows.get("tests") and not error:
        error = "the hidden suite collected no tests"
    if error:
        # The grader's failure, not the submission's (a crashed or timed-out suite process, nothing
        # collected): never scored from the rows written so far; the hub retries it.
        raise GraderError(f"{error} (see {log_path})")
    return rows


def _write_json(path: Path, data: dict[str, Any]) -> None:
    try:
        path.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n")
    except Exception as error:  # noqa: BLE001 - the report must not take the results down with it
        path.write_text(json.dumps({"error": f"could not write the report: {error}"}) + "\n")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return str(value)
