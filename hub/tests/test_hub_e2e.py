"""The course hub end to end, on loopback: release Lab 1, three students fetch and submit through
nbgrader's exchange as their own accounts, the grading service grades them in the sandbox, and
the scores come back as feedback, in the gradebook and on the leaderboard page."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from autograder.paths import REPO_ROOT
from hub.settings import SERVICE_NAME
from hub.tests.conftest import INSTRUCTOR, STUDENTS, login, solve_lab1

pytestmark = pytest.mark.xdist_group("hub")

ANN, BEN, CAT = STUDENTS  # solved, stubbed, hostile

#: The hostile student's package: at import it tries to forge a result, plant feedback for
#: everyone, and speak the grader's reply protocol on stdout; none of it may earn a point.
HOSTILE = '''
import json, os, pathlib, sys
for target in ("/tmp/results.json", os.path.expanduser("~/results.json")):
    try:
        pathlib.Path(target).write_text(json.dumps({"score": 106, "tests": []}))
    except OSError:
        pass
for folder in pathlib.Path("/").glob("tmp/htr-hub-test-*/exchange/htr/feedback"):
    try:
        (folder / "forged.html").write_text("Score: 106 / 106")
    except OSError:
        pass
print(json.dumps({"ok": True, "score": 106, "value": 106}), flush=True)
'''


def _home(user: str) -> Path:
    import pwd

    return Path(pwd.getpwnam(user).pw_dir)


def _login(hub, user: str) -> urllib.request.OpenerDirector:
    """A browser-like session logged in to the hub as `user` (the password the instructor set)."""
    return login(hub, user, hub.passwords[user])


def _kill_service_while_grading(hub, timeout: float = 300) -> tuple:
    """SIGKILL the grading service's process once a job is running; (its pid, *running keys)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = [j["key"] for j in hub.grading_status()["jobs"] if j["state"] == "running"]
        if running:
            pid = hub.service_pid()
            os.kill(pid, signal.SIGKILL)
            return (pid, *running)
        time.sleep(0.3)
    raise TimeoutError(f"no job started within {timeout:.0f} s: {hub.grading_status()}")


def _server_process(user: str) -> int:
    """The pid of `user`'s JupyterLab server (the process the hub's spawner started as them)."""
    import pwd

    uid = pwd.getpwnam(user).pw_uid
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and proc.stat().st_uid == uid and \
                    b"jupyterhub-singleuser" in (proc / "cmdline").read_bytes():
                return int(proc.name)
        except OSError:  # gone meanwhile
            continue
    raise AssertionError(f"{user} has no jupyterhub-singleuser process")


def _wait_server(hub, user: str, ready: bool, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = hub.api(f"/users/{user}").get("servers", {}).get("")
        if (ready and server is not None and server.get("ready")) or (not ready and server is None):
            return
        time.sleep(1)
    raise TimeoutError(f"{user}'s server is not {'ready' if ready else 'stopped'} after {timeout:.0f} s:\n"
                       f"{hub.log_tail()}")


def _check_server_cgroup(hub, user: str) -> None:
    """The user's server runs in its cgroup with the hub's limits; stopping it removes the group."""
    from hub.cgroups import UserCgroup

    _wait_server(hub, user, ready=True)
    pid = _server_process(user)
    group = UserCgroup(Path(hub.env.get("HTR_HUB_CGROUP_ROOT", "/sys/fs/cgroup")), hub.env["HTR_HUB_CGROUP"], user)
    membership = Path(f"/proc/{pid}/cgroup").read_text()
    assert f"/{group.parent}/{user}\n" in membership, membership
    assert pid in group.pids()
    if group.version == 2:
        folder = group.folders()[0]
        assert (folder / "memory.max").read_text().strip() == str(8 * 1024**3)
        assert (folder / "cpu.max").read_text().split() == ["200000", "100000"]
    else:
        memory, cpu, _ = group.folders()
        assert int((memory / "memory.limit_in_bytes").read_text()) == 8 * 1024**3
        assert int((cpu / "cpu.cfs_quota_us").read_text()) == 200000
    hub.api(f"/users/{user}/server", method="DELETE")
    _wait_server(hub, user, ready=False)
    assert not any(folder.exists() for folder in group.folders()), "the group outlived the server"


def _check_terminal_environment(hub, user: str) -> None:
    """A terminal of the user's server (bash with the server's environment, as JupyterLab starts it)
    runs the course's python, finds the offline data and caches outside the lab folder."""
    _wait_server(hub, user, ready=True)
    environ = dict(item.split("=", 1) for item in
                   Path(f"/proc/{_server_process(user)}/environ").read_text().split("\0") if "=" in item)
    lab = _home(user) / "htr" / "lab1"
    script = ("python -c 'import sys, text_recognizer.paths as p; "
              "print(sys.executable, p.node_modules_dir(), p.data_dir(), sep=chr(10))'")
    done = subprocess.run(["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in environ.items()),
                           "/bin/bash", "-c", script], cwd=lab, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    python, node_modules, data = done.stdout.split()
    assert python == str(REPO_ROOT / ".venv" / "bin" / "python"), python
    assert Path(node_modules) == (REPO_ROOT / "setup" / "node_modules").resolve() and Path(node_modules).is_dir(), \
        node_modules
    assert Path(data).is_relative_to(_home(user) / ".cache") and not Path(data).is_relative_to(lab), data


def _leaderboard_rows(hub) -> dict[str, int]:
    """How many leaderboard rows each student has (none before the first grading)."""
    path = hub.base / "state" / "grading" / "leaderboard.sqlite"
    if not path.exists():
        return {}
    with sqlite3.connect(path) as board:
        return dict(board.execute("SELECT student, COUNT(*) FROM submissions GROUP BY student").fetchall())


def test_three_students_are_graded_through_the_hub(hub):
    # Other tests share this hub (one xdist group): their jobs and leaderboard rows are not this test's.
    before = frozenset(j["key"] for j in hub.grading_status()["jobs"])
    rows_before = _leaderboard_rows(hub)
    # Ann's JupyterLab starts meanwhile (checked at the end: in its cgroup, with the hub's limits).
    hub.api(f"/users/{ANN}/server", method="POST")
    # Each student fetches Lab 1 from the exchange, as their own account.
    labs = {s: _home(s) / "htr" / "lab1" for s in STUDENTS}
    for student in STUDENTS:
        if labs[student].is_dir():  # fetched by an earlier test on this hub (nbgrader refuses a second copy)
            continue
        done = hub.run_as(student, "nbgrader", "fetch_assignment", "lab1")
        assert done.returncode == 0, done.stderr
    released = (labs[BEN] / "lab1.ipynb").read_text()
    assert "BEGIN SOLUTION" not in released and "BEGIN HIDDEN" not in released

    solve_lab1(labs[ANN])
    (labs[CAT] / "text_recognizer" / "__init__.py").write_text(HOSTILE)
    (labs[CAT] / "results.json").write_text('{"score": 106}')
    for student in (ANN, CAT):
        subprocess.run(["chown", "-R", f"{student}:", str(labs[student])], check=True)
    for student in STUDENTS:
        done = hub.run_as(student, "nbgrader", "submit", "lab1")
        assert done.returncode == 0, done.stderr
    # Cat also drops a copy of her lab into the inbound under Ann's name: refused, never graded.
    inbound = hub.base / "exchange" / "htr" / "inbound"
    forged = f"{ANN}+lab1+2030-01-01 00:00:00.000000 UTC+forged"
    done = hub.run_as(CAT, "cp", "-r", str(labs[CAT]), str(inbound / forged))
    assert done.returncode == 0, done.stderr

    # The grading service dies alone while it grades (SIGKILL to its process; its gradings' processes
    # go on): the hub starts it again (JupyterHub restarts a managed service that exits), the new
    # service ends what the old one left running, and its queue, which survives, has the
    # submissions it was grading graded again, once.
    killed = _kill_service_while_grading(hub)
    status = hub.wait_graded(STUDENTS, ignore=before)
    status["jobs"] = [j for j in status["jobs"] if j["key"] not in before]
    jobs = {j["student"]: j for j in status["jobs"] if j["student"] in STUDENTS}
    assert len([j for j in status["jobs"] if j["student"] in STUDENTS]) == 3, status
    assert forged in status["refused"] and all(j["key"] != forged for j in status["jobs"])
    assert all(j["state"] == "done" for j in jobs.values()), status
    assert {j["attempts"] for j in jobs.values()} <= {1, 2} and any(
        j["attempts"] == 2 and j["key"] in killed for j in jobs.values()), f"killed during {killed}: {status}"
    assert hub.service_pid() != killed[0], "the hub did not start the service again"
    rows = _leaderboard_rows(hub)
    assert all(rows.get(s, 0) - rows_before.get(s, 0) == 1 for s in STUDENTS), \
        f"not on the leaderboard exactly once: {rows} (before this test: {rows_before})"
    assert jobs[ANN]["score"] == jobs[ANN]["max_score"] > 0, f"the solved lab lost points: {status}"
    assert jobs[BEN]["score"] == 0
    assert jobs[CAT]["score"] == 0, "the hostile submission got points"

    # Feedback: fetched from the exchange by each student, with their own score.
    for student, score in ((ANN, jobs[ANN]["max_score"]), (BEN, 0), (CAT, 0)):
        done = hub.run_as(student, "nbgrader", "fetch_feedback", "lab1")
        assert done.returncode == 0, done.stderr
        # nbgrader files each submission's feedback under its timestamp (an earlier test's too).
        page = labs[student] / "feedback" / jobs[student]["key"].split("+")[2] / "lab1.html"
        assert page.is_file(), f"no feedback for this submission: {sorted((labs[student] / 'feedback').glob('*/*'))}"
        assert f"Score: {score:g} / {jobs[student]['max_score']:g}" in page.read_text()
    assert not (hub.base / "exchange" / "htr" / "feedback" / "forged.html").exists()

    # The course's gradebook holds all three submissions.
    from nbgrader.api import Gradebook

    gradebook = Gradebook(f"sqlite:///{_home(INSTRUCTOR) / 'htr' / 'gradebook.db'}")
    try:
        recorded = {s.student.id for s in gradebook.find_assignment("lab1").submissions}
        assert recorded >= set(STUDENTS), recorded
    finally:
        gradebook.close()

    # The leaderboard page, behind the hub's login, lists them; a student reaches it with HubOAuth.
    page = _login(hub, BEN).open(f"{hub.url}/services/{SERVICE_NAME}/lab/1", timeout=60).read().decode()
    for student in STUDENTS:
        assert student in page
    anonymous = urllib.request.urlopen(f"{hub.url}/services/{SERVICE_NAME}/lab/1", timeout=30)
    assert "/hub/login" in anonymous.url, "the leaderboard page must be behind the hub's login"

    _check_terminal_environment(hub, ANN)
    if hub.env["HTR_HUB_LIMITS"] == "enforce":  # "warn": this machine's cgroups are not writable
        _check_server_cgroup(hub, ANN)
