"""Grading on a Ray cluster, for a course that outgrows one machine (HTR_HUB_RAY_ADDRESS).

The grading service stays the only writer of the queue, the gradebook, the leaderboard and the
feedback: a Ray task only grades. The service packs the submission folder (a tar archive in
memory, so that the cluster's nodes need no shared disk), the task unpacks it on its node, grades
it there with the autograder in its sandbox (`grading.grade`, as the service does locally, without
leaderboard or gradebook) and returns plain data: results.json, the grading report, the graded
notebook. Each task asks for one GPU where the cluster has GPUs (`CUDA_VISIBLE_DEVICES` of the
sandbox is the one Ray gives it), one CPU otherwise.

A task whose node dies is retried by Ray (`max_retries`); the job stays `running` in the queue
until its result is back, and is recorded once (jobs.JobQueue.finish).
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from autograder.errors import GraderError
from autograder.paths import REPO_ROOT
from autograder.pipeline.grading import GradeOptions, GradeOutcome, grade
from autograder.pipeline.intake import MAX_FILE_BYTES, MAX_TOTAL_BYTES

#: Ray retries a task whose worker or node died this many times before the service sees an error.
MAX_RETRIES = 2
#: A grading that has not come back after this long is given up (and the job queued again).
RESULT_TIMEOUT_SECONDS = 3600.0


class RayGradingLost(GraderError):
    """The cluster did not return a grading (unreachable, the task lost after its retries, too slow)."""


def pack(folder: Path) -> bytes:
    """The submission folder as a gzip'd tar archive for the node, which takes it in as the grader
    takes in any archive (intake.py: links and special members refused, with a note each).

    Read here as root, so nothing is read through a link: symbolic links go in as links (never
    followed), hard links and files over intake's size caps are left out (intake drops them too).
    """
    buffer = io.BytesIO()
    total = 0
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in _walk(folder):
            info = path.lstat()
            regular = stat.S_ISREG(info.st_mode)
            too_big = info.st_size > MAX_FILE_BYTES or total + info.st_size > MAX_TOTAL_BYTES
            if regular and (info.st_nlink > 1 or too_big):
                continue
            if regular or stat.S_ISDIR(info.st_mode) or stat.S_ISLNK(info.st_mode):
                archive.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
                total += info.st_size if regular else 0
    return buffer.getvalue()


def _walk(folder: Path) -> list[Path]:
    """Every entry under `folder`, never descending through a link to a folder."""
    found: list[Path] = []
    for top, dirs, files in os.walk(folder):  # os.walk follows no links by default
        found += [Path(top) / name for name in sorted(dirs) + sorted(files)]
    return found


def grade_archive(archive: bytes, lab: int, student: str, submitted_at: str, gpu: str | None) -> dict[str, Any]:
    """On a Ray node: grade the packed submission; returns the outcome, results, report and notebook."""
    from autograder.paths import default_state_dir

    with tempfile.TemporaryDirectory(prefix="htr-ray-grade-") as tmp:
        submission = Path(tmp) / f"{student}-lab{lab}.tar.gz"
        submission.write_bytes(archive)
        out = Path(tmp) / "out"
        outcome = grade(submission, GradeOptions(lab=lab, student=student, out_dir=out, state_dir=default_state_dir(),
                                                 slot=4, gpu=gpu, submitted_at=submitted_at))
        graded = sorted(out.glob("*.ipynb"))  # the notebook as graded (grading.py puts it there)
        return {
            "outcome": {k: v for k, v in asdict(outcome).items() if k not in ("results_path", "report_path")},
            "results": (out / "results.json").read_text(),
            "report": (out / "grading_report.json").read_text(),
            "notebook": graded[0].read_bytes() if graded else None,
        }


def _ray_task(archive: bytes, lab: int, student: str, submitted_at: str) -> dict[str, Any]:
    import ray

    gpus = ray.get_gpu_ids()
    gpu = ",".join(str(g) for g in gpus) if gpus else None
    return grade_archive(archive, lab, student, submitted_at, gpu)


class RayGrader:
    """Sends gradings to the Ray cluster at `address` (started or joined once, on first use)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._remote = None
        self._lock = threading.Lock()  # the service's workers connect from their own threads

    def _connect(self):
        with self._lock:
            return self._connect_once()

    def _connect_once(self):
        import ray

        if not ray.is_initialized():
            repo = str(REPO_ROOT)
            env = {"PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))}
            ray.init(address=self.address, runtime_env={"env_vars": env}, log_to_driver=False)
        if self._remote is None:
            gpu = ray.cluster_resources().get("GPU", 0) > 0
            resources = {"num_gpus": 1} if gpu else {"num_cpus": 1}
            self._remote = ray.remote(max_retries=MAX_RETRIES, retry_exceptions=False, **resources)(_ray_task)
        return self._remote

    def grade(self, folder: Path, lab: int, student: str, submitted_at: str, out_dir: Path) -> GradeOutcome:
        """Grade `folder` on the cluster; its files land in `out_dir` as a local grading's would."""
        import ray

        try:
            remote = self._connect()
            task = remote.remote(pack(folder), lab, student, submitted_at)
        except (ConnectionError, RuntimeError, ray.exceptions.RayError) as error:
            raise RayGradingLost(f"the Ray cluster at {self.address} cannot be reached ({error}); check "
                                 "`ray status --address ...` on the head node") from None
        try:
            reply = ray.get(task, timeout=RESULT_TIMEOUT_SECONDS)
        except ray.exceptions.GetTimeoutError:
            ray.cancel(task, force=True)
            raise RayGradingLost(f"no result from Ray after {RESULT_TIMEOUT_SECONDS:.0f} s") from None
        except ray.exceptions.RayError as error:
            raise RayGradingLost(f"the Ray task was lost after {MAX_RETRIES} retries: "
                                 f"{type(error).__name__}: {str(error)[:500]}") from None
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "results.json").write_text(reply["results"])
        (out_dir / "grading_report.json").write_text(reply["report"])
        if reply["notebook"] is not None:
            (out_dir / f"lab{lab}.ipynb").write_bytes(reply["notebook"])
        fields = reply["outcome"]
        metric = tuple(fields.pop("metric")) if fields.get("metric") else None
        return GradeOutcome(**fields, metric=metric, results_path=out_dir / "results.json",
                            report_path=out_dir / "grading_report.json")
