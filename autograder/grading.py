"""Grade one submission: intake, sandboxed probes, scoring in the parent, results always written.

    outcome = grade(Path("submissions/alice"), GradeOptions(lab=1, student="alice", out_dir=...))

Writes into `out_dir`:
- `results.json`: Gradescope's format (what students see), always, whatever happened;
- `grading_report.json`: for the instructor: sandbox notes, each probe's outcome, private
  leaderboard values, intake notes, grader errors;
- `sandbox_stdout.log`, `sandbox_stderr.log`: the submission's output (capped).
"""

from __future__ import annotations

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

from autograder import notebooks
from autograder.errors import GraderError, SandboxUnavailable, SubmissionRejected
from autograder.intake import take_in
from autograder.leaderboard import Leaderboard
from autograder.paths import default_state_dir, ensure_private_dir, secret_seed
from autograder.results import Results, fallback_results, write_results
from autograder.sandbox import launch as launching
from autograder.sandbox import users
from autograder.sandbox.limits import Limits
from autograder.sandbox.session import SessionReport, run_session
from autograder.suites import load_suite
from autograder.suites.base import Plan, Scored, Suite, SuiteContext

SANDBOX_DIR = Path(__file__).resolve().parent / "sandbox"
WIRE_FILE = Path(__file__).resolve().parent / "wire.py"


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


_checked: dict[tuple[int | None, bool], str | None] = {}
_check_lock = threading.Lock()


def sandbox_problem(identity: users.SandboxIdentity | None, limits: Limits) -> str | None:
    """Why bubblewrap cannot be used here (None when it can); checked once per identity."""
    key = (identity.uid if identity else None, True)
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
    report: dict[str, Any] = {
        "student": options.student,
        "lab": options.lab,
        "submission": str(submission),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    results: Results | None = None
    scored: Scored | None = None
    status, message = "error", ""
    suite: Suite | None = None
    try:
        suite = load_suite(options.lab)
        ensure_private_dir(options.state_dir)
        context = SuiteContext(options.state_dir, secret_seed(options.state_dir))
        scored, status, message = _grade_in_sandbox(submission, suite, context, options, report, out_dir)
        results = _results(suite, scored, report)
    except SandboxUnavailable as error:
        status, message = "refused", f"Refused to run student code without a sandbox: {error}"
        report["error"] = message
        results = _zero_results(suite, "The autograder is not set up on this machine; your instructor was told.")
    except GraderError as error:
        message = str(error)
        report["error"] = message
        results = _zero_results(suite, f"The autograder could not grade this submission: {message}")
    except Exception as error:  # noqa: BLE001 - whatever broke, the student still gets a results file
        message = f"internal grader error: {type(error).__name__}: {error}"
        report["error"] = message
        report["traceback"] = traceback.format_exc()
        results = _zero_results(suite, "The autograder hit an internal error; your instructor was told.")
    finally:
        seconds = time.monotonic() - started
        if results is None:
            written = write_results(results_path, fallback_results("the grading was interrupted", seconds))
        else:
            results.execution_time = seconds
            written = write_results(results_path, results)
        report.update(
            score=written["score"],
            max_score=sum(t["max_score"] for t in written["tests"]),
            status=status,
            seconds=round(seconds, 2),
        )
        _write_json(report_path, report)
    public = next((e.value for e in scored.leaderboard if e.public), None) if scored else None
    private = next((e.value for e in scored.leaderboard if not e.public), None) if scored else None
    outcome = GradeOutcome(
        options.student,
        options.lab,
        written["score"],
        report["max_score"],
        status,
        seconds,
        results_path,
        report_path,
        public,
        private,
        message,
    )
    if options.leaderboard_db is not None and suite is not None and status in ("graded", "rejected"):
        Leaderboard(options.leaderboard_db).record(
            lab=options.lab,
            student=options.student,
            score=outcome.score,
            max_score=outcome.max_score,
            metric=suite.metric[0],
            order=suite.metric[1],
            public_value=public,
            private_value=private,
            submitted_at=options.submitted_at,
            results_path=str(results_path),
        )
    return outcome


def _zero_results(suite: Suite | None, reason: str) -> Results:
    tests = suite.zero(reason).tests if suite is not None else []
    return Results(tests=tests, output=reason)


def _results(suite: Suite, scored: Scored, report: dict[str, Any]) -> Results:
    score, max_score = sum(t.score for t in scored.tests), sum(t.max_score for t in scored.tests)
    lines = [f"{suite.title}: {score:.1f} / {max_score:.0f}"]
    lines += [f"Note: {note}" for note in report.get("intake_notes", [])[:20]]
    if report.get("rejected"):
        lines.append(f"Your submission could not be graded: {report['rejected']}")
    return Results(tests=scored.tests, leaderboard=scored.leaderboard, output="\n".join(lines))


def _grade_in_sandbox(
    submission: Path,
    suite: Suite,
    context: SuiteContext,
    options: GradeOptions,
    report: dict[str, Any],
    out_dir: Path,
) -> tuple[Scored, str, str]:
    with users.claim_slot(options.slot) as slot:
        return _grade_in_slot(submission, suite, context, options, report, out_dir, slot)


def _grade_in_slot(
    submission: Path,
    suite: Suite,
    context: SuiteContext,
    options: GradeOptions,
    report: dict[str, Any],
    out_dir: Path,
    slot: int,
) -> tuple[Scored, str, str]:
    identity = users.sandbox_identity(slot)
    sandboxed = True
    problem = sandbox_problem(identity, options.limits)
    if options.force_unsandboxed and options.allow_unsandboxed:
        problem = problem or "bubblewrap turned off for this run (benchmark baseline)"
    if problem is not None:
        if not options.allow_unsandboxed:
            raise SandboxUnavailable(problem)
        sandboxed = False
    report["sandbox"] = {
        "sandboxed": sandboxed,
        "user": identity.name if identity else f"uid {os.getuid()}",
        "identity_note": identity.note if identity else "",
        "problem": problem,
    }
    work = Path(tempfile.mkdtemp(prefix="autograder-job-"))
    try:
        if not sandboxed and identity is not None:
            work.chmod(0o711)  # the sandbox user must reach job/ and submission/ (no bwrap staging)
        try:
            intake = take_in(submission, work / "submission", options.lab)
        except SubmissionRejected as error:
            report["rejected"] = str(error)
            return suite.zero(f"Your submission could not be graded: {error}"), "rejected", str(error)
        report["intake_notes"] = intake.notes
        report["intake"] = {"files": intake.files, "bytes": intake.bytes}
        suite.prepare(context)
        plan = suite.plan(context)
        notebook_points = None
        if options.notebook:
            prepared_path = work / "notebook" / f"lab{options.lab}.ipynb"
            prepared = notebooks.prepare(options.lab, intake.root, prepared_path)
            if prepared is not None:
                notebook_points, notes = prepared
                report["notebook_notes"] = notes
                plan.probes.append(notebooks.probe(options.lab, prepared_path))
        job_dir, grader_dir = work / "job", work / "grader"
        _write_grader(grader_dir, suite)
        launching.write_etc(job_dir, identity)
        _write_inputs(job_dir, plan)
        if not sandboxed:
            home = job_dir / "home"
            home.mkdir()
            if identity is not None:
                os.chown(home, identity.uid, identity.gid)
        extra_binds, extra_env = [], {}
        if notebook_points is not None and notebooks.NODE_MODULES.is_dir():
            # The notebook builds its small dataset from the course's offline data packages.
            inside = "/course/node_modules" if sandboxed else str(notebooks.NODE_MODULES)
            extra_binds.append(launching.Bind(notebooks.NODE_MODULES, inside))
            extra_env["TEXT_RECOGNIZER_NODE_MODULES"] = inside
        limits = options.limits
        if notebook_points is not None:
            limits = limits.scaled(
                total_seconds=limits.total_seconds + notebooks.NOTEBOOK_TIMEOUT * limits.timeout_scale
            )

        def start(only: list[str], result_fd: int) -> launching.Launch:
            common = dict(
                submission=intake.root,
                job_dir=job_dir,
                grader_dir=grader_dir,
                identity=identity,
                limits=limits,
                result_fd=result_fd,
                only=only,
                gpu=options.gpu,
                extra_env=extra_env,
            )
            launch = (
                launching.bwrap_launch(stage_dir=_stage_dir(work), extra_binds=extra_binds, **common)
                if sandboxed
                else launching.unsandboxed_launch(**common)
            )
            _write_job(job_dir, plan, suite, launch)
            return launch

        session = run_session(
            [probe.spec() for probe in plan.probes], start, limits, after_run=lambda: users.sweep(identity)
        )
        _report_session(report, session, out_dir)
        scored = suite.score(session.outcomes, plan)
        if notebook_points is not None:
            tests, notes = notebooks.score(session.outcomes.get("notebook"), notebook_points)
            scored.tests += tests
            report.setdefault("notebook_notes", []).extend(notes)
        report["private"] = scored.private
        return scored, "graded", ""
    finally:
        marker = work / "stage-path"
        if marker.exists():
            Path(marker.read_text()).rmdir()
        shutil.rmtree(work, ignore_errors=True)


def _stage_dir(work: Path) -> Path:
    """An empty, world-traversable mount point for the private staging tmpfs.

    It cannot sit inside `work` (0700): the sandbox user must reach it. Nothing is ever
    written into it on the host; the tmpfs exists only in the grader's private mount namespace.
    """
    marker = work / "stage-path"
    if marker.exists():
        return Path(marker.read_text())
    stage = Path(tempfile.mkdtemp(prefix="autograder-stage-"))
    stage.chmod(0o755)
    marker.write_text(str(stage))
    return stage


def _write_grader(grader_dir: Path, suite: Suite) -> None:
    """The sandbox's read-only view of the grader: the runner, the wire codec, the probes."""
    grader_dir.mkdir(parents=True)
    shutil.copy(SANDBOX_DIR / "runner.py", grader_dir / "runner.py")
    shutil.copy(WIRE_FILE, grader_dir / "wire.py")
    shutil.copy(suite.probes_file, grader_dir / "probes.py")
    shutil.copy(SANDBOX_DIR / "notebook_probe.py", grader_dir / "notebook_probe.py")
    for path in [grader_dir, *grader_dir.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _write_inputs(job_dir: Path, plan: Plan) -> None:
    """Arrays as .npy (no pickle) and input files into the job folder; labels never go there."""
    arrays_dir = job_dir / "arrays"
    arrays_dir.mkdir(parents=True, exist_ok=True)
    written: dict[int, str] = {}
    for probe in plan.probes:
        for array in probe.arrays.values():
            key = id(array)
            if key not in written:  # probes often share inputs: write each array once
                relative = f"arrays/{len(written):03d}.npy"
                np.save(job_dir / relative, np.ascontiguousarray(array), allow_pickle=False)
                written[key] = relative
        for relative, source in probe.files.items():
            target = job_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    for path in [job_dir, *job_dir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    plan.expected["_array_files"] = written


def _write_job(job_dir: Path, plan: Plan, suite: Suite, launch: launching.Launch) -> None:
    written = plan.expected["_array_files"]
    job = {
        "protocol": 1,
        "lab": suite.lab,
        "submission": launch.submission_path,
        "modules": {"probes": "probes.py", "notebook": "notebook_probe.py"},
        "probes": [
            {
                "id": probe.id,
                "module": probe.module,
                "function": probe.function,
                "imports": list(probe.imports),
                "args": probe.args,
                "arrays": {name: written[id(array)] for name, array in probe.arrays.items()},
            }
            for probe in plan.probes
        ],
    }
    path = job_dir / "job.json"
    path.write_text(json.dumps(job))
    path.chmod(0o644)


def _report_session(report: dict[str, Any], session: SessionReport, out_dir: Path) -> None:
    report["sandbox"].update(
        starts=session.starts,
        seconds=round(session.seconds, 2),
        notes=session.notes,
        stdout_bytes=session.stdout.total,
        stderr_bytes=session.stderr.total,
    )
    report["probes"] = {
        probe: {
            "status": outcome.status,
            "seconds": round(outcome.seconds, 2),
            "reason": outcome.reason,
            "error": outcome.error,
        }
        for probe, outcome in session.outcomes.items()
    }
    (out_dir / "sandbox_stdout.log").write_text(session.stdout.text())
    (out_dir / "sandbox_stderr.log").write_text(session.stderr.text())


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
