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

from autograder.grading import GradeOutcome
from autograder.hub import service as service_module
from autograder.hub.gpus import assign_gpu, parse_gpu_list
from autograder.hub.jobs import MAX_ATTEMPTS, JobQueue
from autograder.hub.leftovers import end_previous_group
from autograder.hub.settings import load
from autograder.paths import REPO_ROOT

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


def test_the_collector_queues_own_submissions_and_refuses_forged_names(tmp_path, monkeypatch):
    service = _service(tmp_path, monkeypatch)
    service.inbound.mkdir(parents=True)
    me = __import__("pwd").getpwuid(os.getuid()).pw_name
    mine = service.inbound / f"{me}+lab1+2026-12-01 10:00:00.000000 UTC+abc"
    forged = service.inbound / "somebody-else+lab1+2026-12-01 10:00:00.000000 UTC+abc"
    mine.mkdir()
    forged.mkdir()
    (service.inbound / "not-a-submission").mkdir()
    assert service.scan() == 1
    assert service.scan() == 0  # the same folder seen again is not queued again
    assert [j.student for j in service.queue.jobs()] == [me]
    assert forged.name in service.refused
    assert service.queue.jobs()[0].submitted_at == "2026-12-01T10:00:00+00:00"


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


@pytest.mark.parametrize("path", ["setup/hub/z2jh-values.yaml"])
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
    """setup/hub/jupyterhub_config.py runs and sets the spawner, proxy, services and groups."""
    from traitlets.config import PyFileConfigLoader

    monkeypatch.setenv("HTR_HUB_STATE", str(tmp_path))
    monkeypatch.setenv("HTR_HUB_AUTH", "native")
    loader = PyFileConfigLoader("jupyterhub_config.py", path=str(REPO_ROOT / "setup" / "hub"))
    config = loader.load_config()
    assert config.JupyterHub.spawner_class == "autograder.hub.spawner.LimitedLocalProcessSpawner"
    assert config.Spawner.mem_limit == "8G" and config.Spawner.cpu_limit == 2.0
    assert config.LimitedLocalProcessSpawner.limits_policy == "enforce"
    assert config.ConfigurableHTTPProxy.command[0].endswith("configurable-http-proxy")
    assert [s["name"] for s in config.JupyterHub.services][0] == "grader"
    assert config.JupyterHub.authenticator_class == "nativeauthenticator.NativeAuthenticator"
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
