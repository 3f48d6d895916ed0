"""The grading service on a Ray cluster (HTR_HUB_RAY_ADDRESS): a local cluster of a head and one
worker node grades a solved and a stubbed Lab 1 through the service's own workers (full marks and
0, each graded once, written back by the service); a grading Ray loses is queued again."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from autograder.pipeline.grading import GradeOutcome
from autograder.records.leaderboard import Leaderboard
from hub import service as service_module
from hub.jobs import MAX_ATTEMPTS
from hub.ray_grading import RayGradingLost, pack
from hub.settings import load
from hub.tests.conftest import solve_lab1

MiB = 1024**2
TIME = "2026-12-01 10:00:00.000000 UTC"


def _service(tmp_path: Path, monkeypatch, ray_address: str | None = None) -> service_module.GradingService:
    monkeypatch.setenv("HTR_HUB_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("HTR_HUB_EXCHANGE", str(tmp_path / "exchange"))
    monkeypatch.setenv("HTR_HUB_RETRY_SECONDS", "0.5")  # the retry's backoff is not under test here
    if ray_address:
        monkeypatch.setenv("HTR_HUB_RAY_ADDRESS", ray_address)
    return service_module.GradingService(load())


def _submit(service: service_module.GradingService, student: str, lab_folder: Path) -> str:
    """The lab as nbgrader's exchange holds a submission, and queued."""
    key = f"{student}+lab1+{TIME}+x"
    folder = service.inbound / key
    shutil.copytree(lab_folder, folder)
    (folder / "submission_secret.txt").write_text(f"secret-{student}")
    service.queue.add(key, student, 1, "2026-12-01T10:00:00+00:00", str(folder))
    return key


def _run_workers(service: service_module.GradingService, count: int, timeout: float) -> None:
    """The service's own worker threads, until no job is queued or running."""
    threads = [threading.Thread(target=service.work, args=(service_module.FIRST_SLOT + i, None), daemon=True)
               for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    try:
        while any(j.state in ("queued", "running") for j in service.queue.jobs()):
            assert time.monotonic() < deadline, f"not graded within {timeout:.0f} s: {service.status()}"
            time.sleep(0.5)
    finally:
        service.stopping.set()
        for thread in threads:
            thread.join(60)


@pytest.fixture(scope="module")
def ray_cluster():
    """A head and one worker node, one CPU each, on this machine."""
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    small = {"num_cpus": 1, "object_store_memory": 80 * MiB}
    for attempt in (1, 2):
        # Ray gives a node 30 s (fixed) to register; on a loaded 2-core machine that can pass once.
        cluster = Cluster(initialize_head=False)
        try:
            cluster.add_node(**small, include_dashboard=False)
            cluster.add_node(**small)
            break
        except Exception:
            cluster.shutdown()
            if attempt == 2:
                raise
    try:
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


def test_a_solved_and_a_stubbed_lab_are_graded_on_ray(sandbox_ok, lab1_sources, ray_cluster, tmp_path, monkeypatch):
    service = _service(tmp_path, monkeypatch, ray_cluster.address)
    solved = tmp_path / "solved"
    shutil.copytree(lab1_sources["stub"], solved)
    solve_lab1(solved)
    keys = {"ann": _submit(service, "ann", solved), "ben": _submit(service, "ben", lab1_sources["stub"])}
    _run_workers(service, count=2, timeout=900)

    import ray

    assert len(ray.nodes()) == 2
    jobs = {j.student: j for j in service.queue.jobs()}
    assert all(j.state == "done" and j.attempts == 1 for j in jobs.values()), service.status()
    assert jobs["ann"].score == jobs["ann"].max_score > 0, jobs["ann"]
    assert jobs["ben"].score == 0 and jobs["ben"].max_score == jobs["ann"].max_score
    for key in keys.values():
        report = json.loads((service.results_dir / key / "grading_report.json").read_text())
        assert "htr-ray-grade-" in report["submission"], "graded by the service, not on Ray"
        assert (service.results_dir / key / "results.json").is_file()
    # Written back here, once each: the leaderboard and the feedback pages.
    rows = Leaderboard(service.leaderboard_db).table(1, "public")
    assert sorted(r.student for r in rows) == ["ann", "ben"]
    # A feedback page per submitted notebook: Ann's (Ben's stubbed package came without one).
    pages = [p.read_text() for p in service.feedback_dir.glob("*.html")]
    assert len(pages) == 1 and f"Score: {jobs['ann'].max_score:g} / {jobs['ann'].max_score:g}" in pages[0]


def test_a_grading_lost_on_ray_is_queued_again_and_recorded_once(tmp_path, monkeypatch):
    service = _service(tmp_path, monkeypatch)
    lab = tmp_path / "lab"
    (lab / "text_recognizer").mkdir(parents=True)
    key = _submit(service, "ann", lab)
    calls: list[int] = []

    class FlakyCluster:
        def grade(self, folder, lab, student, submitted_at, out_dir):
            calls.append(1)
            if len(calls) == 1:
                raise RayGradingLost("the Ray task was lost after 2 retries: NodeDiedError")
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / "results.json").write_text('{"score": 3, "tests": [{"name": "t", "score": 3, "max_score": 4}]}')
            return GradeOutcome(student, lab, 3.0, 4.0, "graded", 0.1, out_dir / "results.json",
                                out_dir / "grading_report.json", metric=("accuracy", "desc"), public_value=0.5)

    service.ray = FlakyCluster()
    _run_workers(service, count=1, timeout=60)
    job = service.queue.jobs()[0]
    assert (job.key, job.state, job.attempts, job.score) == (key, "done", 2, 3.0)
    assert len(calls) == 2
    assert [r.student for r in Leaderboard(service.leaderboard_db).table(1, "public")] == ["ann"]


def test_a_grading_ray_keeps_losing_ends_failed_with_feedback(tmp_path, monkeypatch):
    service = _service(tmp_path, monkeypatch)
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "lab1.ipynb").write_text("{}")
    _submit(service, "ann", tmp_path / "lab")

    class DeadCluster:
        def grade(self, *args):
            raise RayGradingLost("the Ray cluster at 10.0.0.9:6379 cannot be reached")

    service.ray = DeadCluster()
    _run_workers(service, count=1, timeout=60)
    job = service.queue.jobs()[0]
    assert (job.state, job.attempts) == ("failed", MAX_ATTEMPTS) and "cannot be reached" in job.note
    pages = list(service.feedback_dir.glob("*.html"))
    page = pages[0].read_text() if len(pages) == 1 else ""
    assert f"Grading failed {MAX_ATTEMPTS} times on the grader&#x27;s side (not because of your work)" in page, page


def test_the_archive_sent_to_ray_never_reads_through_a_link(tmp_path):
    import io
    import tarfile

    folder = tmp_path / "sub"
    (folder / "text_recognizer").mkdir(parents=True)
    (folder / "text_recognizer" / "__init__.py").write_text("x = 1\n")
    secret = tmp_path / "grader-secret"
    secret.write_text("hidden labels")
    (folder / "link").symlink_to(secret)
    (folder / "linked-folder").symlink_to(tmp_path)
    (folder / "hard").hardlink_to(secret)
    with tarfile.open(fileobj=io.BytesIO(pack(folder)), mode="r:gz") as archive:
        members = {m.name: m for m in archive.getmembers()}
        assert set(members) == {"text_recognizer", "text_recognizer/__init__.py", "link", "linked-folder"}
        assert members["link"].issym() and members["linked-folder"].issym()  # links, never their targets
        assert archive.extractfile("text_recognizer/__init__.py").read() == b"x = 1\n"
