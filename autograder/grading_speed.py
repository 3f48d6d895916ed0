"""How fast the autograder grades (`python -m autograder benchmark`): grading time, sandbox overhead, throughput.

Figures (printed and returned as JSON; nothing is asserted):
- `single_seconds`: wall time to grade the Lab 1 solution once, sandboxed, median of repeats
  (the hidden suite; `single_with_notebook_seconds` adds executing the lab notebook);
- `profile_with_notebook`: where that grading's time went (`grading_profile`), and the CPU
  seconds the machine spent during it (what bounds gradings per minute on a given number of cores);
- `unsandboxed_seconds` and `sandbox_overhead_ratio`: the same suite without bubblewrap
  (same rlimits, same user), and sandboxed / unsandboxed;
- `sandbox_start`: a trivial Python started through the whole sandbox chain versus directly
  (the fixed cost of one sandbox start, free of TensorFlow's import-time noise);
- `grade_all`: N copies of the solution through grade-all: wall time, submissions per minute;
- `lab3`: the same figures for one Lab 3 submission (the solution: CTC probes, the LSTM-CTC
  network, the deployed line predictor on the support lines and the 200 hidden lines).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from autograder.labs import write_lab
from autograder.parallel import grade_all, plan_workers
from autograder.paths import SOLUTIONS_DIR
from autograder.pipeline import notebooks
from autograder.pipeline.grading import GradeOptions, grade, sandbox_problem
from autograder.pipeline.lab_suites import available_labs
from autograder.sandbox.limits import Limits
from autograder.sandbox.users import sandbox_identity

TARGET_SECONDS = {1: 60.0, 3: 60.0}


def _time_one(submission: Path, options: GradeOptions) -> tuple[float, float]:
    started = time.monotonic()
    outcome = grade(submission, options)
    return time.monotonic() - started, outcome.score


def run_benchmark(
    lab: int,
    copies: int,
    state_dir: Path,
    workers: int | None = None,
    repeats: int = 2,
    echo: Callable[[str], None] = print,
) -> dict:
    """Measure and return the figures (see module docstring)."""
    from autograder.errors import SandboxUnavailable

    problem = sandbox_problem(sandbox_identity(0), Limits())
    if problem:
        raise SandboxUnavailable(problem)
    cores = os.cpu_count() or 1
    figures: dict = {
        "machine": {
            "cores": cores,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
        },
        "notes": "Wall-clock figures; other work on the machine inflates them (see load_average).",
    }
    figures["sandbox_start"] = _sandbox_start_cost()
    echo(
        f"sandbox start: {figures['sandbox_start']['sandboxed_seconds']:.3f} s through bwrap vs "
        f"{figures['sandbox_start']['direct_seconds']:.3f} s direct (trivial Python, median of 7)"
    )
    for number in sorted({lab, 3}):
        if number not in available_labs():
            figures[f"lab{number}"] = {"status": f"pending: no Lab {number} suite yet (autograder/suites/lab{number}/)"}
            echo(f"Lab {number}: pending (no suite yet)")
            continue
        figures[f"lab{number}"] = _benchmark_lab(number, copies, state_dir, workers, repeats, echo)
    return figures


def _sandbox_start_cost(repeats: int = 7) -> dict:
    """Median wall time of `python -c pass` through prlimit+unshare+setpriv+bwrap, and directly."""
    import subprocess
    import sys

    from autograder.sandbox import launch

    identity = sandbox_identity(0)
    with tempfile.TemporaryDirectory(prefix="autograder-start-") as work:
        work_dir = Path(work)
        for name in ("submission", "grader"):
            (work_dir / name).mkdir(mode=0o755)
        launch.write_etc(work_dir / "job", identity)
        (work_dir / "job").chmod(0o755)
        stage = Path(tempfile.mkdtemp(prefix="autograder-stage-"))
        stage.chmod(0o755)
        try:
            command = launch.bwrap_launch(
                submission=work_dir / "submission",
                job_dir=work_dir / "job",
                grader_dir=work_dir / "grader",
                stage_dir=stage,
                identity=identity,
                limits=Limits(),
                request_fd=0,
                reply_fd=1,
                inner=[sys.executable, "-I", "-c", "pass"],
            )
            timings = {"sandboxed_seconds": [], "direct_seconds": []}
            for _ in range(repeats):
                for key, argv, env in (
                    ("sandboxed_seconds", command.argv, command.env),
                    ("direct_seconds", [sys.executable, "-I", "-c", "pass"], None),
                ):
                    started = time.monotonic()
                    subprocess.run(argv, env=env, check=True, capture_output=True)
                    timings[key].append(time.monotonic() - started)
        finally:
            stage.rmdir()
    return {key: round(statistics.median(values), 4) for key, values in timings.items()}


def grading_profile(report: dict) -> dict:
    """Where one grading's wall time went, from its instructor report (`grading_report.json`).

    `runner_start_seconds`: the runner's start with its Keras import (`grader:ready`);
    `notebook_seconds`: executing the notebook in the sandbox; `tests`: the time each hidden
    test's calls spent in the sandbox (the student's code and the observation), slowest first;
    `grader_side_seconds`: everything else (the grader's pytest, reference checks, intake,
    writing results), the total less the sandbox calls.
    """
    sandbox = report.get("sandbox", {})
    calls = sandbox.get("calls", [])
    per_test: dict[str, float] = {}
    for call in calls:
        if call["target"] in ("grader:ready", "grader:run_notebook"):
            continue
        test = str(call.get("test") or "?").split("[")[0]
        per_test[test] = per_test.get(test, 0.0) + float(call["seconds"])

    def seconds_of(target: str) -> float:
        return round(sum(float(c["seconds"]) for c in calls if c["target"] == target), 2)

    in_sandbox = sum(float(c["seconds"]) for c in calls)
    total = float(report.get("seconds", 0.0))
    return {
        "total_seconds": round(total, 2),
        "runner_starts": int(sandbox.get("starts", 0)) + int(sandbox.get("fresh_starts", 0)),
        "runner_start_seconds": seconds_of("grader:ready"),
        "notebook_seconds": seconds_of("grader:run_notebook"),
        "tests": {name: round(value, 2) for name, value in sorted(per_test.items(), key=lambda kv: -kv[1])},
        "grader_side_seconds": round(total - in_sandbox, 2),
    }


def _busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (Linux `/proc/stat`)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _benchmark_lab(
    lab: int, copies: int, state_dir: Path, workers: int | None, repeats: int, echo: Callable[[str], None]
) -> dict:
    with tempfile.TemporaryDirectory(prefix="autograder-benchmark-") as work:
        work_dir = Path(work)
        solution = write_lab(lab, work_dir / "solution", solved=True)
        base = GradeOptions(lab=lab, student="benchmark", out_dir=work_dir / "out", state_dir=state_dir, notebook=False)
        # Warm-up: builds the hidden set and the OS file cache, so that the timings compare.
        grade(solution, base)
        sandboxed, unsandboxed, score = [], [], None
        for run in range(repeats):
            seconds, score = _time_one(solution, base)
            sandboxed.append(seconds)
            echo(f"Lab {lab}: sandboxed grading {run + 1}/{repeats}: {seconds:.1f} s (score {score:.1f})")
            free = GradeOptions(**{**base.__dict__, "allow_unsandboxed": True, "force_unsandboxed": True})
            seconds, _ = _time_one(solution, free)
            unsandboxed.append(seconds)
            echo(f"Lab {lab}: unsandboxed grading {run + 1}/{repeats}: {seconds:.1f} s")
        with_notebook, profile = None, None
        if notebooks.source_notebook(lab).is_file():
            full = write_lab(lab, work_dir / "with-notebook", solved=True)
            for part in ("notebooks", "experiments", "tests/support"):
                if (SOLUTIONS_DIR / part).is_dir():
                    shutil.copytree(SOLUTIONS_DIR / part, full / part)
            notebook_options = GradeOptions(**{**base.__dict__, "notebook": True, "out_dir": work_dir / "profiled"})
            busy = _busy_cpu_seconds()
            with_notebook, notebook_score = _time_one(full, notebook_options)
            cpu_seconds = _busy_cpu_seconds() - busy
            profile = {**grading_profile(json.loads((work_dir / "profiled" / "grading_report.json").read_text())),
                       "machine_cpu_seconds": round(cpu_seconds, 1)}
            echo(f"Lab {lab}: sandboxed grading with the notebook: {with_notebook:.1f} s (score {notebook_score:.1f})")
            echo(f"Lab {lab}: its profile: {json.dumps(profile)}")
        folder = work_dir / "many"
        folder.mkdir()
        for index in range(copies):
            write_lab(lab, folder / f"student{index:02d}", solved=True)
        count, _ = plan_workers(copies, workers)
        started = time.monotonic()
        outcomes = grade_all(
            folder,
            GradeOptions(**{**base.__dict__, "out_dir": work_dir / "many-out"}),
            workers,
            progress=True,
        )
        wall = time.monotonic() - started
    single, free_median = statistics.median(sandboxed), statistics.median(unsandboxed)
    figures = {
        "single_seconds": round(single, 2),
        "single_runs": [round(s, 2) for s in sandboxed],
        "single_with_notebook_seconds": None if with_notebook is None else round(with_notebook, 2),
        "profile_with_notebook": profile,
        "target_seconds": TARGET_SECONDS.get(lab),
        "score": score,
        "unsandboxed_seconds": round(free_median, 2),
        "unsandboxed_runs": [round(s, 2) for s in unsandboxed],
        "sandbox_overhead_ratio": round(single / free_median, 3),
        "grade_all": {
            "submissions": copies,
            "workers": count,
            "wall_seconds": round(wall, 1),
            "submissions_per_minute": round(60 * copies / wall, 2),
            "all_full_marks": all(o.score >= o.max_score - 1e-6 for o in outcomes),
        },
    }
    echo(
        f"Lab {lab}: one grading {single:.1f} s sandboxed vs {free_median:.1f} s unsandboxed "
        f"(overhead x{figures['sandbox_overhead_ratio']}); grade-all: {copies} in {wall:.0f} s "
        f"with {count} workers = {figures['grade_all']['submissions_per_minute']} per minute"
    )
    return figures
