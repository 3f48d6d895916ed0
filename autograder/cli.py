"""Command line of the autograder: `python -m autograder --help`.

grade SUBMISSION --lab 1 --student alice     one submission (folder or archive) -> results.json
test FOLDER --lab 1                          the hidden suite on any folder: pytest's output + results.json
grade-all FOLDER --lab 1                     every submission in FOLDER, in parallel
leaderboard --lab 1 [--private] [--html F]   the table (best per student)
serve                                        the leaderboards as a small web page
export-gradescope --lab 1 --to lab1.zip      the zip Gradescope's autograder upload expects
export-grades --lab 1 --to grades.csv        the grade sheet: hidden suite, notebook, written answers, leaderboard
check-sandbox                                is bubblewrap usable here? as whom? with which limits?
demo                                         grade the solutions and the stubbed labs, show the leaderboard
benchmark                                    grading time, sandbox overhead, grade-all throughput
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from autograder.errors import GraderError
from autograder.paths import default_state_dir
from autograder.sandbox.limits import GiB, Limits

DEFAULT_STATE_DIR = default_state_dir()

app = typer.Typer(
    help="Grade untrusted lab submissions in a sandbox; write Gradescope results; keep the leaderboard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Lab = Annotated[int, typer.Option("--lab", min=1, max=7, help="Lab number (a suite must exist for it).")]
StateDir = Annotated[
    Path,
    typer.Option(
        "--state-dir",
        help="Hidden sets, secret seed, default database (env AUTOGRADER_STATE_DIR). Never readable by the sandbox.",
    ),
]
Db = Annotated[
    Path | None, typer.Option("--db", help="Leaderboard database (default: <state-dir>/leaderboard.sqlite).")
]
AllowUnsandboxed = Annotated[
    bool,
    typer.Option(
        "--allow-unsandboxed",
        help="Grade even where bubblewrap cannot run (student code then reaches this machine's files and "
        "network). Off by default: the grader refuses instead.",
    ),
]
TimeoutScale = Annotated[
    float,
    typer.Option("--timeout-scale", min=0.05, help="Multiply every test's time limit (slow machines: 2)."),
]
MemoryGb = Annotated[float, typer.Option("--memory-gb", min=1.0, help="Address-space limit of student code, GiB.")]
TotalSeconds = Annotated[float, typer.Option("--time-budget", min=10.0, help="Wall-time budget of one submission, s.")]
NoNotebook = Annotated[bool, typer.Option("--no-notebook", help="Skip grading the lab notebook with nbgrader.")]
Gradebook = Annotated[
    Path | None,
    typer.Option("--gradebook", help="nbgrader gradebook for the notebook's autograded scores "
                 "(default: build/nbgrader/gradebook.db when it exists; see `make labs`)."),
]
NoGradebook = Annotated[bool, typer.Option("--no-gradebook", help="Do not record notebook scores in nbgrader.")]


def _gradebook(gradebook: Path | None, no_gradebook: bool) -> Path | None:
    from autograder.records.gradebook import DEFAULT_GRADEBOOK

    if no_gradebook:
        return None
    if gradebook is not None:
        return gradebook
    return DEFAULT_GRADEBOOK if DEFAULT_GRADEBOOK.is_file() else None


def _limits(timeout_scale: float, memory_gb: float, total_seconds: float) -> Limits:
    return Limits(memory_bytes=int(memory_gb * GiB), timeout_scale=timeout_scale, total_seconds=total_seconds)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def grade(
    submission: Annotated[Path, typer.Argument(help="The student's lab folder, or a .zip/.tar(.gz) of it.")],
    lab: Lab,
    student: Annotated[str, typer.Option("--student", help="Student id (leaderboard, result folder).")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for results.json and the instructor "
            "report (default: <state-dir>/results/lab<N>/<student>/<time>).",
        ),
    ] = None,
    state_dir: StateDir = DEFAULT_STATE_DIR,
    db: Db = None,
    no_leaderboard: Annotated[bool, typer.Option("--no-leaderboard", help="Do not record the result.")] = False,
    submitted_at: Annotated[
        str | None,
        typer.Option("--submitted-at", help="ISO 8601 submission time (ties on the leaderboard go to the earlier)."),
    ] = None,
    allow_unsandboxed: AllowUnsandboxed = False,
    timeout_scale: TimeoutScale = 1.0,
    memory_gb: MemoryGb = 8.0,
    time_budget: TotalSeconds = 600.0,
    no_notebook: NoNotebook = False,
    gradebook: Gradebook = None,
    no_gradebook: NoGradebook = False,
) -> None:
    """Grade one submission; always writes results.json (even if the submission crashes or hangs)."""
    from autograder.pipeline.grading import GradeOptions
    from autograder.pipeline.grading import grade as grade_one
    from autograder.records.submissions import safe_student_id, student_id_problem

    problem = student_id_problem(student)
    if problem and out is None:  # it would name a folder inside the results folder
        _fail(f"refusing to grade: {problem} (or give --out)")
    if problem:  # results go to --out; the id only names the leaderboard and gradebook rows
        student = safe_student_id(student)
        typer.echo(f"note: {problem}; graded as {student!r}", err=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    results_dir = state_dir / "results" / f"lab{lab}"
    out_dir = out or results_dir / student / stamp
    if out is None and not out_dir.resolve().is_relative_to(results_dir.resolve()):
        _fail(f"refusing to grade: results for {student!r} would leave {results_dir}")
    options = GradeOptions(
        lab=lab,
        student=student,
        out_dir=out_dir,
        state_dir=state_dir,
        limits=_limits(timeout_scale, memory_gb, time_budget),
        allow_unsandboxed=allow_unsandboxed,
        leaderboard_db=None if no_leaderboard else (db or state_dir / "leaderboard.sqlite"),
        submitted_at=submitted_at,
        notebook=not no_notebook,
        gradebook=_gradebook(gradebook, no_gradebook),
    )
    outcome = grade_one(submission, options)
    typer.echo(f"{student}: {outcome.score:.2f} / {outcome.max_score:.0f} ({outcome.status}, {outcome.seconds:.1f} s)")
    if outcome.public_value is not None:
        typer.echo(f"  leaderboard: {outcome.public_value:.4f} public, {outcome.private_value} private")
    typer.echo(f"  results: {outcome.results_path}\n  instructor report: {outcome.report_path}")
    if outcome.status == "refused":
        _fail(outcome.message, 2)
    if outcome.status == "error":
        _fail(f"{outcome.message} (see {outcome.report_path})", 3)


@app.command("test")
def test_command(
    submission: Annotated[Path, typer.Argument(help="Any lab folder (or archive) to run the hidden suite on.")],
    lab: Lab,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where results.json goes (default: a temporary folder).")
    ] = None,
    state_dir: StateDir = DEFAULT_STATE_DIR,
    allow_unsandboxed: AllowUnsandboxed = False,
    timeout_scale: TimeoutScale = 1.0,
    no_notebook: NoNotebook = False,
) -> None:
    """Run lab N's hidden suite on a folder: pytest's own output here, results.json beside it.

    Nothing is recorded (no leaderboard, no gradebook): for instructors writing or checking tests.
    """
    import tempfile

    from autograder.pipeline.grading import GradeOptions
    from autograder.pipeline.grading import grade as grade_one

    out_dir = out or Path(tempfile.mkdtemp(prefix=f"autograder-test-lab{lab}-"))
    options = GradeOptions(lab=lab, student="instructor-test", out_dir=out_dir, state_dir=state_dir,
                           limits=_limits(timeout_scale, 8.0, 600.0), allow_unsandboxed=allow_unsandboxed,
                           notebook=not no_notebook, verbose=True)
    outcome = grade_one(submission, options)
    typer.echo(f"\n{outcome.score:.2f} / {outcome.max_score:.0f} ({outcome.status}, {outcome.seconds:.1f} s)")
    typer.echo(f"  results: {outcome.results_path}\n  instructor report: {outcome.report_path}")
    if outcome.status in ("refused", "error"):
        _fail(outcome.message, 2 if outcome.status == "refused" else 3)


@app.command("export-grades")
def export_grades(
    lab: Lab,
    to: Annotated[Path, typer.Option("--to", help="The CSV to write, e.g. lab1-grades.csv.")],
    gradebook: Gradebook = None,
    state_dir: StateDir = DEFAULT_STATE_DIR,
    db: Db = None,
) -> None:
    """Lab N's grade sheet (CSV): autograder total, notebook tests, written answers (formgrader), leaderboard."""
    from autograder.records.gradebook import DEFAULT_GRADEBOOK, export_grade_sheet

    try:
        board = db or state_dir / "leaderboard.sqlite"
        path, count = export_grade_sheet(gradebook or DEFAULT_GRADEBOOK, board, lab, to)
    except GraderError as error:
        _fail(str(error))
    typer.echo(f"wrote {path} ({count} students)")


@app.command("grade-all")
def grade_all_command(
    folder: Annotated[
        Path,
        typer.Argument(help="Folder with one lab folder or archive per student.", exists=True, file_okay=False),
    ],
    lab: Lab,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Results folder (default: <state-dir>/results/lab<N>/all-<time>); one subfolder per student.",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Parallel jobs (default: cores, or one per GPU).")
    ] = None,
    state_dir: StateDir = DEFAULT_STATE_DIR,
    db: Db = None,
    no_leaderboard: Annotated[bool, typer.Option("--no-leaderboard", help="Do not record the results.")] = False,
    allow_unsandboxed: AllowUnsandboxed = False,
    timeout_scale: TimeoutScale = 1.0,
    memory_gb: MemoryGb = 8.0,
    time_budget: TotalSeconds = 600.0,
    no_notebook: NoNotebook = False,
    gradebook: Gradebook = None,
    no_gradebook: NoGradebook = False,
) -> None:
    """Grade every submission in FOLDER in parallel, with a progress bar and a summary table."""
    from autograder.parallel import grade_all, summary_table
    from autograder.pipeline.grading import GradeOptions, metric, sandbox_problem
    from autograder.pipeline.lab_suites import suite_dir
    from autograder.sandbox.users import sandbox_identity

    try:
        suite_dir(lab)
    except GraderError as error:
        _fail(str(error))
    limits = _limits(timeout_scale, memory_gb, time_budget)
    problem = sandbox_problem(sandbox_identity(0), limits)
    if problem and not allow_unsandboxed:
        _fail(f"refusing to grade: {problem}", 2)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = GradeOptions(
        lab=lab,
        student="",
        out_dir=out or state_dir / "results" / f"lab{lab}" / f"all-{stamp}",
        state_dir=state_dir,
        limits=limits,
        allow_unsandboxed=allow_unsandboxed,
        leaderboard_db=None if no_leaderboard else (db or state_dir / "leaderboard.sqlite"),
        notebook=not no_notebook,
        gradebook=_gradebook(gradebook, no_gradebook),
    )
    outcomes = grade_all(folder, base, workers)
    if not outcomes:
        _fail(f"no submissions (folders or {', '.join(('.zip', '.tar.gz'))} archives) in {folder}")
    typer.echo(summary_table(outcomes, f"{(metric(lab) or ('Value', 'desc'))[0]} (public)"))
    typer.echo(f"\n{len(outcomes)} submissions graded into {base.out_dir}")


@app.command()
def leaderboard(
    lab: Lab,
    state_dir: StateDir = DEFAULT_STATE_DIR,
    db: Db = None,
    private: Annotated[
        bool, typer.Option("--private", help="The final ranking on the private split (instructors only).")
    ] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the table as an HTML page.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Lab N's leaderboard: best submission per student, ties to the earlier submission."""
    from dataclasses import asdict

    from autograder.records.leaderboard import Leaderboard, format_table, render_html

    board = Leaderboard(db or state_dir / "leaderboard.sqlite")
    split = "private" if private else "public"
    rows = board.table(lab, split)
    metric, order = board.metric(lab)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "lab": lab,
                    "metric": metric,
                    "order": order,
                    "split": split,
                    "rows": [asdict(r) for r in rows],
                },
                indent=2,
            )
        )
    else:
        typer.echo(format_table(rows, metric, split))
    if html:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(render_html(lab, rows, metric, split))
        typer.echo(f"wrote {html}")


@app.command()
def serve(
    state_dir: StateDir = DEFAULT_STATE_DIR,
    db: Db = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8050,
    final: Annotated[bool, typer.Option("--final", help="Also serve /lab/<N>/final (the private ranking).")] = False,
) -> None:
    """Serve the leaderboards as web pages (/, /lab/<N>, /lab/<N>.json)."""
    from autograder.records.web import create_app

    create_app(db or state_dir / "leaderboard.sqlite", show_final=final).run(host=host, port=port)


@app.command("new-term")
def new_term_command(
    label: Annotated[str, typer.Option("--label", help="A name for the term that ends, e.g. 2026-fall.")],
    state_dir: StateDir = DEFAULT_STATE_DIR,
) -> None:
    """Draw a new secret for a new term (hidden sets and leaderboard start again; the old kept)."""
    from autograder.paths import new_term

    if not label.replace("-", "").replace("_", "").isalnum():
        _fail("--label takes letters, digits, '-' and '_' only, e.g. 2026-fall.")
    try:
        kept = new_term(state_dir, label)
    except FileExistsError as error:
        _fail(str(error))
    typer.echo(f"new secret drawn; the old one is {kept}. Export the Gradescope zips again for the new term.")


@app.command("export-gradescope")
def export_gradescope(
    lab: Lab,
    to: Annotated[Path, typer.Option("--to", help="The zip to write, e.g. lab1-autograder.zip.")],
    state_dir: StateDir = DEFAULT_STATE_DIR,
    allow_unsandboxed: Annotated[
        bool,
        typer.Option(
            "--allow-unsandboxed-on-gradescope",
            help="Let run_autograder grade without bubblewrap when Gradescope's container forbids user "
            "namespaces (each Gradescope submission already runs in its own container).",
        ),
    ] = False,
) -> None:
    """Write the zip Gradescope expects: setup.sh, run_autograder, the grader and the hidden suite."""
    from autograder.gradescope import export

    try:
        path, files = export(lab, to, state_dir, allow_unsandboxed=allow_unsandboxed)
    except GraderError as error:
        _fail(str(error))
    typer.echo(f"wrote {path} ({files} files): upload it as the autograder of the Gradescope assignment.")


@app.command("check-sandbox")
def check_sandbox(
    timeout_scale: TimeoutScale = 1.0,
    memory_gb: MemoryGb = 8.0,
) -> None:
    """Say whether student code can be sandboxed here, as which user, with which limits."""
    from dataclasses import asdict

    from autograder.pipeline.grading import sandbox_problem
    from autograder.sandbox.launch import gpu_devices, python_install_paths
    from autograder.sandbox.users import sandbox_identity

    limits = _limits(timeout_scale, memory_gb, 600.0)
    identity = sandbox_identity(0)
    problem = sandbox_problem(identity, limits)
    typer.echo(
        "sandbox user: " + (f"{identity.name} (uid {identity.uid})" if identity else "the grader itself (not root)")
    )
    if identity and identity.note:
        typer.echo(f"  note: {identity.note}")
    typer.echo(f"python bound read-only: {', '.join(map(str, python_install_paths()))}")
    typer.echo(f"GPU devices passed through: {', '.join(gpu_devices()) or 'none'}")
    typer.echo("limits: " + ", ".join(f"{k}={v}" for k, v in asdict(limits).items()))
    if problem:
        _fail(f"the sandbox is NOT usable: {problem}", 2)
    typer.echo("bubblewrap sandbox: OK (no network, read-only system, private /tmp, new pid namespace)")


@app.command()
def demo(
    state_dir: StateDir = DEFAULT_STATE_DIR,
    out: Annotated[Path | None, typer.Option("--out", help="Where results go (default: <state-dir>/demo).")] = None,
    allow_unsandboxed: AllowUnsandboxed = False,
) -> None:
    """Grade the solutions and stubbed labs of every lab with a suite; print scores and the leaderboard."""
    from autograder.demo import run_demo

    try:
        code = run_demo(state_dir, out or state_dir / "demo", allow_unsandboxed=allow_unsandboxed, echo=typer.echo)
    except GraderError as error:
        _fail(str(error))
    raise typer.Exit(code)


@app.command()
def benchmark(
    lab: Lab = 1,
    submissions: Annotated[int, typer.Option("--submissions", min=1, help="Copies graded by grade-all.")] = 20,
    out: Annotated[Path, typer.Option("--out", help="Where the figures (JSON) go.")] = Path(
        "reports/autograder_benchmark.json"
    ),
    state_dir: StateDir = DEFAULT_STATE_DIR,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="grade-all workers (default: cores).")] = None,
    repeats: Annotated[int, typer.Option("--repeats", min=1, help="Single gradings timed (median).")] = 3,
) -> None:
    """Time one grading (sandboxed and not), the sandbox overhead, and grade-all's throughput."""
    from autograder.grading_speed import run_benchmark

    try:
        figures = run_benchmark(lab, submissions, state_dir, workers, repeats=repeats, echo=typer.echo)
    except GraderError as error:
        _fail(str(error))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    typer.echo(f"wrote {out}")


def main() -> None:
    """Entry point: report GraderErrors as one readable line (no traceback)."""
    try:
        app()
    except GraderError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(1)
