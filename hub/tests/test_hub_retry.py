"""A grading that fails on the grader's side is retried, never scored: the hidden suite's process
is killed while it grades a solved Lab 1 (as the kernel's OOM killer or an operator would); the
student sees "we will retry", and the retry grades it in full."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from hub.leftovers import descendants
from hub.tests.conftest import STUDENTS, solve_lab1

pytestmark = pytest.mark.xdist_group("hub")

BEN = STUDENTS[1]


def _suite_process(service: int, key: str) -> int | None:
    """The trusted suite process grading `key`: a child of the service's multiprocessing fork
    server whose output goes to that job's own pytest.log (another student's grading may run in
    the other slot at the same time)."""
    for pid in descendants(service):
        try:
            parent_cmdline = Path(f"/proc/{Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[1]}"
                                  "/cmdline").read_bytes()
            output = os.readlink(f"/proc/{pid}/fd/1")
        except (OSError, IndexError):
            continue
        if b"forkserver" in parent_cmdline and output.endswith(f"/{key}/pytest.log"):
            return pid
    return None


def test_a_grading_whose_suite_process_is_killed_is_retried_then_graded(hub):
    import pwd

    lab = Path(pwd.getpwnam(BEN).pw_dir) / "htr" / "lab1"
    if not lab.is_dir():
        assert hub.run_as(BEN, "nbgrader", "fetch_assignment", "lab1").returncode == 0
    solve_lab1(lab)
    subprocess.run(["chown", "-R", f"{BEN}:", str(lab)], check=True)
    before = {j["key"] for j in hub.grading_status()["jobs"]}
    done = hub.run_as(BEN, "nbgrader", "submit", "lab1")
    assert done.returncode == 0, done.stderr

    deadline, killed, key = time.monotonic() + 300, None, None
    while killed is None and time.monotonic() < deadline:
        running = [j for j in hub.grading_status()["jobs"] if j["key"] not in before and j["state"] == "running"
                   and j["student"] == BEN]
        suite = _suite_process(hub.service_pid(), running[0]["key"]) if running else None
        if suite is not None:
            key = running[0]["key"]
            time.sleep(2)  # in the middle of its tests
            os.kill(suite, signal.SIGKILL)
            killed = suite
        time.sleep(0.2)
    assert killed is not None, f"no suite process seen: {hub.grading_status()}"

    job = hub.wait_job(key)
    assert job["state"] == "done" and job["attempts"] == 2, job
    assert job["score"] == job["max_score"] > 0, f"the retry did not grade the solved lab in full: {job}"
    assert f"{key}: grading failed" in (hub.base / "hub.log").read_text(), hub.log_tail()
