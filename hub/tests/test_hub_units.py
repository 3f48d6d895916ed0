"""The hub's parts without a hub: GPU assignment (simulated `nvidia-smi -L`), the grading queue
across restarts, the service's collector, and the Zero to JupyterHub values file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from autograder.errors import GraderError
from autograder.paths import REPO_ROOT
from autograder.pipeline.grading import GradeOutcome
from hub import service as service_module
from hub.gpus import assign_gpu, parse_gpu_list
from hub.jobs import MAX_ATTEMPTS, JobQueue
from hub.leftovers import end_previous_group
from hub.settings import CONFIG_DIR, Roster, check_ports, load

LISTING = """GPU 0: NVIDIA H200 (UUID: GPU-aaaa)
GPU 1: NVIDIA H200 (UUID: GPU-bbbb)
GPU 2: NVIDIA H200 (UUID: GPU-cccc)
"""


def test_gpus_are_given_round_robin_and_kept_per_user(tmp_path):
    gpus = parse_gpu_list(LISTING)
    assert gpus == ["0", "1", "2"]
    record = tmp_path / "gpu_assignments.json"
    given = [assign_gpu(user, gpus, record) for user in ("a", "b", "c", "d", "b")]
    assert given == ["0", "1", "2", "0", "1"]  # d wraps around; b keeps its GPU
    assert assign_gpu("e", gpus, record, per_user={"e": "2,1"}) == "2,1"
    assert assign_gpu("f", gpus, record, per_user={"f": ""}) == ""


def test_no_gpus_means_the_server_sees_none(tmp_path):
    assert parse_gpu_list("") == [] and parse_gpu_list("NVIDIA-SMI has failed\n") == []
    assert assign_gpu("a", [], tmp_path / "record.json") == ""


def test_a_submission_is_queued_once_and_survives_a_restart(tmp_path):
    queue = JobQueue(tmp_path / "queue.sqlite")
    assert queue.add("ann+lab1+t+x", "ann", 1, "2026-12-01T00:00:00+00:00", "/inbound/a")
    assert not queue.add("ann+lab1+t+x", "ann", 1, "2026-12-01T00:00:00+00:00", "/inbound/a")  # seen again
    job = queue.claim()
    assert job is not None and job.state == "running" and job.attempts == 1
    assert queue.claim() is None  # a running job is nobody else's
    # The service stops mid-grading; a new one (a new JobQueue on the same file) takes the job up again.
    restarted = JobQueue(tmp_path / "queue.sqlite")
    assert restarted.recover() == []
    again = restarted.claim()
    assert again.key == job.key and again.attempts == 2
    assert restarted.finish(again.key, "done", 100.0, 106.0, "results.json")
    assert not restarted.finish(again.key, "done", 0.0, 106.0, "results.json")  # recorded once only
    assert [j.state for j in restarted.jobs()] == ["done"]


def test_a_submission_that_keeps_killing_the_grader_ends_failed(tmp_path):
    queue = JobQueue(tmp_path / "queue.sqlite")
    queue.add("k", "ann", 1, "2026-12-01T00:00:00+00:00", "/inbound/k")
    for _ in range(MAX_ATTEMPTS):
        assert queue.claim() is not None
        failed = queue.recover()
    assert [j.key for j in failed] == ["k"]
    assert queue.claim() is None and queue.jobs()[0].state == "failed"


def _service(tmp_path, monkeypatch) -> service_module.GradingService:
    monkeypatch.setenv("HTR_HUB_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("HTR_HUB_EXCHANGE", str(tmp_path / "exchange"))
    return service_module.GradingService(load())


def _hand_in(folder: Path, seconds_ago: float = 0) -> str:
    """A submission folder as nbgrader's submit makes it, handed in `seconds_ago`; its timestamp."""
    from datetime import datetime, timedelta, timezone

    stamp = (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    folder.mkdir()
    (folder / "lab1.ipynb").write_text("{}")
    (folder / "timestamp.txt").write_text(stamp)
    (folder / "submission_secret.txt").write_text("s3cret")
    folder.chmod(0o700)  # what exchange.py does last
    return stamp


def test_the_collector_queues_own_submissions_and_refuses_forged_names(tmp_path, monkeypatch):
    service = _service(tmp_path, monkeypatch)
    service.inbound.mkdir(parents=True)
    me = __import__("pwd").getpwuid(os.getuid()).pw_name
    stamp = _hand_in(service.inbound / "mine")
    mine = (service.inbound / "mine").rename(service.inbound / f"{me}+lab1+{stamp}+abc")
    forged = service.inbound / f"somebody-else+lab1+{stamp}+abc"
    _hand_in(forged)
    # Handed in an hour ago, its notebook written now: changed after the hand-in.
    late = service.inbound / f"{me}+lab1+{_hand_in(service.inbound / 'late', seconds_ago=3600)}+def"
    (service.inbound / "late").rename(late)
    (service.inbound / "not-a-submission").mkdir()
    # Still being written by nbgrader submit (no secret yet, not private yet): left for the next scan.
    arriving = service.inbound / f"{me}+lab1+{stamp}+ghi"
    arriving.mkdir()
    (arriving / "timestamp.txt").write_text(stamp)
    assert service.scan() == 1
    assert service.scan() == 0  # the same folder seen again is not queued again
    assert [j.student for j in service.queue.jobs()] == [me]
    assert forged.name in service.refused and arriving.name not in service.refused
    assert "changed" in service.refused[late.name] and "after the hand-in" in service.refused[late.name]
    assert service.queue.jobs()[0].submitted_at == stamp.replace(" ", "T", 1)[:19] + "+00:00"
    # Taken for grading: root's alone, nothing in it writable or readable by anyone else.
    assert mine.stat().st_uid == 0 and mine.stat().st_mode & 0o777 == 0o700
    assert (mine / "lab1.ipynb").stat().st_mode & 0o777 == 0o600


def test_a_job_is_graded_once_even_when_the_service_restarts(tmp_path, monkeypatch):
    """The first service dies while grading; the second grades the job; results are written once."""
    service = _service(tmp_path, monkeypatch)
    folder = tmp_path / "inbound-copy"
    folder.mkdir()
    (folder / "submission_secret.txt").write_text("s3cret")
    (folder / "lab1.ipynb").write_text("{}")
    service.queue.add("ann+lab1+t+x", "ann", 1, "2026-12-01T00:00:00+00:00", str(folder))
    calls = []

    def fake_grade(path, options):
        calls.append(options.student)
        options.out_dir.mkdir(parents=True, exist_ok=True)
        (options.out_dir / "results.json").write_text('{"score": 5, "tests": [{"name": "t", "score": 5, '
                                                      '"max_score": 10}]}')
        return GradeOutcome("ann", 1, 5.0, 10.0, "graded", 0.1, options.out_dir / "results.json",
                            options.out_dir / "grading_report.json")

    monkeypatch.setattr(service_module, "grade", fake_grade)
    service.queue.claim()  # the first service took it, then stopped
    second = _service(tmp_path, monkeypatch)
    assert second.queue.recover() == []
    job = second.queue.claim()
    second.grade_job(job, slot=0, gpu=None)
    assert calls == ["ann"]
    assert second.queue.claim() is None
    done = second.queue.jobs()[0]
    assert (done.state, done.score, done.attempts) == ("done", 5.0, 2)
    pages = list(second.feedback_dir.glob("*.html"))
    assert len(pages) == 1 and "Score: 5 / 10" in pages[0].read_text()


@pytest.mark.parametrize("path", ["hub/config/z2jh-values.yaml"])
def test_the_zero_to_jupyterhub_values_are_well_formed(path):
    values = yaml.safe_load((REPO_ROOT / path).read_text())
    allowed = {"hub", "proxy", "singleuser", "cull", "scheduling", "prePuller", "ingress", "debug"}
    assert set(values) <= allowed, f"unknown top-level keys {set(values) - allowed}"
    singleuser = values["singleuser"]
    for profile in singleuser["profileList"]:
        assert {"display_name", "description", "kubespawner_override"} <= set(profile)
    gpu = [p for p in singleuser["profileList"] if "nvidia.com/gpu" in
           p["kubespawner_override"].get("extra_resource_limits", {})]
    assert gpu, "a GPU profile (nvidia.com/gpu) is missing"
    assert set(values["hub"]["services"]) >= {"grader", "formgrader-htr"}
    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"].startswith("nativeauthenticator")
    mounts = {m["mountPath"] for m in singleuser["storage"]["extraVolumeMounts"]}
    assert "/srv/nbgrader/exchange" in mounts


def test_the_hub_config_loads(monkeypatch, tmp_path):
    """hub/config/jupyterhub_config.py runs and sets the spawner, proxy, services and groups."""
    from traitlets.config import PyFileConfigLoader

    monkeypatch.setenv("HTR_HUB_STATE", str(tmp_path))
    monkeypatch.setenv("HTR_HUB_AUTH", "native")
    monkeypatch.setenv("HTR_HUB_COURSE_DIR", str(tmp_path / "course"))
    Roster(instructors=["prof"], students=["ann"]).write(tmp_path / "roster.json")
    loader = PyFileConfigLoader("jupyterhub_config.py", path=str(CONFIG_DIR))
    config = loader.load_config()
    assert config.JupyterHub.spawner_class == "hub.spawner.LimitedLocalProcessSpawner"
    assert config.Spawner.mem_limit == "8G" and config.Spawner.cpu_limit == 2.0
    assert config.LimitedLocalProcessSpawner.limits_policy == "enforce"
    assert config.ConfigurableHTTPProxy.command[0].endswith("configurable-http-proxy")
    assert [s["name"] for s in config.JupyterHub.services][0] == "grader"
    assert config.JupyterHub.authenticator_class == "hub.auth.CourseAuthenticator"
    services = [s["url"].rsplit(":", 1)[1] for s in config.JupyterHub.services if "url" in s]
    ports = [config.JupyterHub.bind_url.rsplit(":", 1)[1], config.JupyterHub.hub_port,
             config.ConfigurableHTTPProxy.api_url.rsplit(":", 1)[1], *services]
    assert len({int(port) for port in ports}) == len(ports) == 5, f"two of the hub's ports are the same: {ports}"
    assert Path(config.Spawner.cmd[0]).name == "jupyterhub-singleuser"


def _group_with_a_child() -> tuple[subprocess.Popen, int]:
    """A process leading its own group (as the hub starts the service) with a child in the group."""
    leader = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time\n"
                               "child = subprocess.Popen(['sleep', '60']); print(child.pid, flush=True)\n"
                               "time.sleep(60)"], stdout=subprocess.PIPE, text=True, start_new_session=True)
    return leader, int(leader.stdout.readline())


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_restarted_service_ends_what_its_crashed_predecessor_left_running(tmp_path):
    record = tmp_path / "service.pgid"
    leader, child = _group_with_a_child()
    try:
        record.write_text(f"{leader.pid}\n")
        assert end_previous_group(record) == [] and _alive(child)  # its leader lives: not a dead service's
        record.write_text(f"{leader.pid}\n")
        leader.kill()  # the service dies alone; its grading's process goes on
        leader.wait()
        assert _alive(child)
        assert end_previous_group(record) == [child]
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
        # This service's own group is recorded only when it leads one (the hub starts it so).
        assert record.exists() == (os.getpgid(0) == os.getpid())
    finally:
        leader.kill()
        subprocess.run(["kill", "-9", str(child)], capture_output=True, check=False)


def test_the_hub_refuses_to_start_on_clashing_or_taken_ports(monkeypatch):
    import socket

    monkeypatch.setenv("HTR_HUB_PORT", "18000")
    monkeypatch.setenv("HTR_HUB_FORMGRADER_PORT", "18003")  # the proxy's API port (18000 + 3)
    with pytest.raises(GraderError, match="HTR_HUB_FORMGRADER_PORT and HTR_HUB_PROXY_API_PORT are both 18003"):
        check_ports(load())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("HTR_HUB_FORMGRADER_PORT", str(taken.getsockname()[1]))
        with pytest.raises(GraderError, match="HTR_HUB_FORMGRADER_PORT.* is in use"):
            check_ports(load())


def test_a_grading_that_failed_on_the_graders_side_waits_its_backoff_then_fails_for_good(tmp_path):
    queue = JobQueue(tmp_path / "queue.sqlite")
    queue.add("k", "ann", 1, "2026-12-01T00:00:00+00:00", "/inbound/k")
    assert queue.claim() is not None
    assert queue.requeue("k", "error: the suite's process exited with status -9", backoff=60) == "queued"
    assert queue.claim() is None, "claimed again before its backoff"
    assert queue.requeue("k", "again", backoff=60) == "queued"  # not running: nothing changes
    queue.requeue("k", "", backoff=0)
    with __import__("sqlite3").connect(tmp_path / "queue.sqlite") as db:
        db.execute("UPDATE jobs SET not_before = 0")
    for _ in range(MAX_ATTEMPTS - 1):
        assert queue.claim() is not None
        state = queue.requeue("k", "crashed", backoff=0)
    assert state == "failed" and queue.jobs()[0].attempts == MAX_ATTEMPTS


def test_a_retried_grading_shows_no_score_to_its_student():
    from hub.jobs import Job

    job = Job("k", "ann", 1, "2026-12-01T00:00:00+00:00", "/inbound/k", "queued", 1, 0.0, None, None, None, None,
              None, "error")
    page = service_module.feedback_html(job, service_module._retry_results(job), "no leaderboard yet")
    assert "Score: not graded yet" in page and "we will retry" in page
    assert "grading failed on the grader's side, we will retry (attempt 2 of 3)" == service_module._state_in_words(job)


def test_passwords_set_by_the_instructor_log_in_and_are_removed_with_the_user(tmp_path):
    import bcrypt

    from hub.auth import read_password_file, remove_passwords, set_passwords

    listing = tmp_path / "passwords.txt"
    listing.write_text("# course staff\nprof:correct horse battery\n\nann:ann's password 1\n")
    passwords = read_password_file(listing)
    assert passwords == {"prof": "correct horse battery", "ann": "ann's password 1"}
    database = tmp_path / "jupyterhub.sqlite"
    with pytest.raises(GraderError, match="shorter than 10"):
        set_passwords(database, {"bob": "short"}, 10)
    set_passwords(database, passwords, 10)
    set_passwords(database, {"ann": "a new password"}, 10)  # a reset
    assert database.stat().st_mode & 0o777 == 0o600
    with __import__("sqlite3").connect(database) as db:
        rows = dict(db.execute("SELECT username, password FROM users_info WHERE is_authorized").fetchall())
    assert bcrypt.checkpw(b"a new password", rows["ann"]) and not bcrypt.checkpw(b"ann's password 1", rows["ann"])
    assert bcrypt.checkpw(b"correct horse battery", rows["prof"])
    remove_passwords(database, ["ann"])
    with __import__("sqlite3").connect(database) as db:
        assert [r[0] for r in db.execute("SELECT username FROM users_info")] == ["prof"]
    listing.write_text("no colon here\n")
    with pytest.raises(GraderError, match="name:password"):
        read_password_file(listing)


def test_a_submission_copy_leaves_out_caches_and_oversized_things(tmp_path, monkeypatch):
    from hub import exchange

    monkeypatch.setattr(exchange, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(exchange, "MAX_RUNS_BYTES", 2000)
    lab = tmp_path / "lab1"
    for path, size in {"text_recognizer/data/loader.py": 10, "data/processed/cache.npz": 10, "big.h5": 5000,
                       "runs/a/weights.h5": 900, "runs/b/weights.h5": 900, "runs/c/weights.h5": 900,
                       "text_recognizer/__pycache__/x.pyc": 10, "lab1.ipynb": 10}.items():
        (lab / path).parent.mkdir(parents=True, exist_ok=True)
        (lab / path).write_bytes(b"x" * size)
    left_out = exchange.copy_submission(lab, tmp_path / "out")
    kept = {p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert kept == {"text_recognizer/data/loader.py", "lab1.ipynb", exchange.LEFT_OUT}
    assert sorted(line.split(":")[0] for line in left_out) == ["big.h5", "data/", "runs/"]
    exchange.make_private(tmp_path / "out")
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "out" / "lab1.ipynb").stat().st_mode & 0o777 == 0o600
