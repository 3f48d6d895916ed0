"""grade-all: grade a folder of submissions in parallel, one bad submission never stopping the rest.

Each entry of the folder (a lab folder or an archive) is one submission; the student is the
entry's name without its archive suffix (made safe as a folder name: `submissions.safe_student_id`).
Two entries that come to the same student id (`alice/` and `alice.zip`) are not graded over
each other: the first in name order is graded, every other one is refused with the reason, its
results in a folder of its own. The submission time is when this grader first received that
content (`submissions.first_seen`), never the file's modification time, which the student
chooses. Jobs run in threads (the work happens in sandbox processes): as many as the machine has CPU cores, or
one per GPU when `nvidia-smi -L` lists GPUs (each job then sees only its own GPU). Each
parallel slot runs as its own sandbox user.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm import tqdm

from autograder.paths import ensure_private_dir, secret_seed
from autograder.pipeline.grading import GradeOptions, GradeOutcome, grade
from autograder.pipeline.intake import ARCHIVE_SUFFIXES, shown
from autograder.pipeline.lab_suites import prepare
from autograder.records.results import fallback_results, write_results
from autograder.records.submissions import fingerprint, first_seen, now_iso, safe_student_id


@dataclass(frozen=True)
class Submission:
    """One entry of the submissions folder."""

    path: Path
    student: str
    submitted_at: str
    #: The results folder's name (the student id; another for a refused duplicate).
    key: str = ""
    #: Why it is not graded (another entry has the same student id), or "".
    refused: str = ""


def find_submissions(folder: Path, state_dir: Path | None = None, lab: int | None = None) -> list[Submission]:
    """Every lab folder or archive directly inside `folder` (hidden entries skipped).

    With `state_dir` and `lab`, each submission's time is when the grader first received its
    content (recorded there); otherwise now.
    """
    found: list[Submission] = []
    taken: dict[str, str] = {}
    now = now_iso()
    for entry in sorted(Path(folder).iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        name = entry.name
        if entry.is_file():
            suffix = next((s for s in ARCHIVE_SUFFIXES if name.lower().endswith(s)), None)
            if suffix is None:
                continue
            name = name[: -len(suffix)]
        elif not entry.is_dir():
            continue
        student = safe_student_id(name)
        if student in taken:
            count = sum(1 for s in found if s.student == student)
            reason = (f"{shown(entry.name, 80)} and {shown(taken[student], 80)} are both submissions of student "
                      f"{student!r}; only {shown(taken[student], 80)} was graded. Leave one submission per "
                      "student in the folder and grade again.")
            found.append(Submission(entry, student, now, key=f"{student}.duplicate-{count}", refused=reason))
            continue
        taken[student] = entry.name
        submitted = now
        if state_dir is not None and lab is not None:
            submitted = first_seen(state_dir, lab, student, fingerprint(entry), now)
        found.append(Submission(entry, student, submitted, key=student))
    return found


def _refuse(submission: Submission, base: GradeOptions) -> GradeOutcome:
    """A refused duplicate: its own results folder, score 0 and the reason; nothing graded."""
    out_dir = base.out_dir / submission.key
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path, report_path = out_dir / "results.json", out_dir / "grading_report.json"
    written = write_results(results_path, fallback_results(submission.refused))
    report = {"student": submission.student, "lab": base.lab, "submission": str(submission.path),
              "status": "rejected", "rejected": submission.refused, "score": 0.0, "max_score": 0.0}
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    return GradeOutcome(submission.student, base.lab, written["score"], 0.0, "rejected", 0.0, results_path,
                        report_path, message=submission.refused)


def gpu_count() -> int:
    """GPUs that `nvidia-smi -L` lists (0 when there is no nvidia-smi)."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return 0
    try:
        listing = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in listing.splitlines() if line.startswith("GPU "))


def plan_workers(jobs: int, requested: int | None = None) -> tuple[int, list[str | None]]:
    """(workers, the GPU each slot gets): one job per GPU when there are GPUs, else per core."""
    gpus = gpu_count()
    cores = os.cpu_count() or 1
    limit = gpus if gpus else cores
    workers = max(1, min(jobs, requested or limit, limit))
    devices: list[str | None] = [str(i) for i in range(workers)] if gpus else [None] * workers
    return workers, devices


def grade_all(
    folder: Path, base: GradeOptions, workers: int | None = None, progress: bool = True
) -> list[GradeOutcome]:
    """Grade every submission in `folder` into `base.out_dir/<student>/`; returns one outcome each."""
    ensure_private_dir(base.state_dir)  # before the first-seen times are recorded in it
    submissions = find_submissions(folder, base.state_dir, base.lab)
    if not submissions:
        return []
    # Build the hidden set once, before the threads start.
    secret_seed(base.state_dir)
    prepare(base.lab, base.state_dir)
    count, devices = plan_workers(len(submissions), workers)
    cores_each = max(1, (os.cpu_count() or 1) // count)
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(count):
        slots.put(slot)

    def run(submission: Submission) -> GradeOutcome:
        if submission.refused:
            return _refuse(submission, base)
        slot = slots.get()
        try:
            options = replace(
                base,
                student=submission.student,
                out_dir=base.out_dir / submission.key,
                slot=slot,
                gpu=devices[slot],
                submitted_at=submission.submitted_at,
                limits=base.limits.scaled(threads=cores_each),
            )
            return grade(submission.path, options)
        finally:
            slots.put(slot)

    outcomes: list[GradeOutcome] = []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = {pool.submit(run, s): s for s in submissions}
        bar = tqdm(
            total=len(futures),
            unit="submission",
            desc=f"Grading lab {base.lab} ({count} at a time)",
            disable=not progress,
        )
        for future in as_completed(futures):
            submission = futures[future]
            try:
                outcome = future.result()
            except Exception as error:  # noqa: BLE001 - grade() writes results itself; this is a last resort
                outcome = GradeOutcome(
                    submission.student,
                    base.lab,
                    0.0,
                    0.0,
                    "error",
                    0.0,
                    base.out_dir / submission.key / "results.json",
                    base.out_dir / submission.key / "grading_report.json",
                    message=f"{type(error).__name__}: {error}",
                )
            outcomes.append(outcome)
            bar.set_postfix_str(f"{outcome.student}: {outcome.score:.0f}/{outcome.max_score:.0f}")
            bar.update()
        bar.close()
    outcomes.sort(key=lambda o: (o.student, o.results_path))
    grade_all.last_seconds = time.monotonic() - started  # type: ignore[attr-defined]
    return outcomes


def summary_table(outcomes: list[GradeOutcome], metric: str) -> str:
    """A plain-text table: student, score, metric, time, status."""
    header = f"{'student':<24} {'score':>13} {metric:>20} {'time':>8}  status"
    lines = [header, "-" * (len(header) + 10)]
    for o in outcomes:
        value = "—" if o.public_value is None else f"{o.public_value:.4f}"
        status = o.status + (f": {o.message[:70]}" if o.message else "")
        lines.append(
            f"{o.student[:24]:<24} {o.score:>6.1f} / {o.max_score:<4.0f} {value:>20} {o.seconds:>7.1f}s  {status}"
        )
    return "\n".join(lines)
