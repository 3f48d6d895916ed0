"""A whole course hub on loopback ports in a temporary folder: for the tests and the load benchmark.

    with loopback_hub("htr-prof", ["htr-ann", "htr-ben"]) as hub:
        hub.run_as("htr-ann", "nbgrader", "fetch_assignment", "lab1")

JupyterHub with configurable-http-proxy and the course's native authenticator (as a real course
runs it: passwords set with `add-users --password-file`, random ones here, except for the
`sign_up` users, who choose theirs at /hub/signup), the accounts created (and removed afterwards),
Lab 1 released, the grading service and formgrader run by the hub.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from autograder.paths import REPO_ROOT
from hub import cgroups
from hub.settings import SERVICE_NAME

PY = str(REPO_ROOT / ".venv" / "bin" / "python")
PROXY = REPO_ROOT / "setup" / "node_modules" / ".bin" / "configurable-http-proxy"


def free_ports(count: int) -> list[int]:
    """`count` loopback ports free at this moment."""
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def problem() -> str | None:
    """Why a loopback hub cannot run here (None when it can)."""
    if os.geteuid() != 0:
        return "the hub creates system accounts: run as root"
    if not PROXY.exists():
        return "configurable-http-proxy is not installed: run `make setup` (npm ci in setup/)"
    for tool in ("useradd", "userdel", "runuser", "bwrap"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


@dataclass
class LoopbackHub:
    """A running hub: its address, settings, an admin service token, each user's password (those
    set by the instructor)."""

    url: str
    env: dict[str, str]
    base: Path
    token: str
    passwords: dict[str, str]
    process: subprocess.Popen

    def api(self, path: str, method: str = "GET") -> dict | list:
        """Call the hub's REST API with the instructor's token (GET, or POST/DELETE without a body)."""
        request = urllib.request.Request(f"{self.url}/hub/api{path}", method=method,
                                         data=None if method == "GET" else b"",
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def grading_status(self) -> dict:
        """The grading service's queue (/services/grader/status.json, through the proxy)."""
        request = urllib.request.Request(f"{self.url}/services/{SERVICE_NAME}/status.json",
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def wait_graded(self, students: tuple[str, ...] | list[str], timeout: float = 600,
                    ignore: frozenset[str] = frozenset()) -> dict:
        """The status once every one of `students` has a finished job (other than the jobs whose keys
        are in `ignore`: an earlier test's, on the same hub); TimeoutError after `timeout` s."""
        deadline = time.monotonic() + timeout
        status: dict = {}
        while time.monotonic() < deadline:
            try:
                status = self.grading_status()
            except OSError:  # the service is restarting (the hub starts it again when it exits)
                time.sleep(1)
                continue
            finished = {j["student"] for j in status["jobs"]
                        if j["state"] in ("done", "failed") and j["key"] not in ignore}
            if finished >= set(students):
                return status
            time.sleep(1)
        raise TimeoutError(f"the grading service did not grade {students} within {timeout:.0f} s: {status}")

    def login(self, user: str, password: str | None = None, next_url: str = "") -> urllib.request.OpenerDirector:
        """A browser-like HTTP session logged in as `user` through the hub's authenticator (its
        password: the one the instructor set, unless given); RuntimeError when the hub refuses it.
        `next_url` "/hub/home" logs in without starting the user's server."""
        from http.cookiejar import CookieJar
        from urllib.parse import quote, urlencode

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        page = opener.open(f"{self.url}/hub/login", timeout=60).read().decode()
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
        form = {"username": user, "password": self.passwords[user] if password is None else password, "_xsrf": xsrf}
        done = opener.open(f"{self.url}/hub/login?next={quote(next_url)}", data=urlencode(form).encode(), timeout=120)
        if "/hub/login" in done.url:
            raise RuntimeError(f"{user} could not log in (back at {done.url})")
        return opener

    def wait_job(self, key: str, timeout: float = 600) -> dict:
        """Job `key` of the queue once it is done or failed; TimeoutError after `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                job = next((j for j in self.grading_status()["jobs"] if j["key"] == key), None)
            except OSError:  # the service is restarting
                job = None
            if job is not None and job["state"] in ("done", "failed"):
                return job
            time.sleep(1)
        raise TimeoutError(f"job {key} not finished within {timeout:.0f} s: {self.grading_status()}")

    def run_as(self, user: str, *command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """A command as OS user `user` with the hub's nbgrader set-up (what their terminal has)."""
        from hub import course, settings

        old = dict(os.environ)
        os.environ.update(self.env)
        try:
            return course.run_as(user, list(command), settings.load(), cwd=cwd)
        finally:
            os.environ.clear()
            os.environ.update(old)

    def service_pid(self) -> int:
        """The pid of this hub's grading service (started by the hub, found by its command and state)."""
        state = f"HTR_HUB_STATE={self.env['HTR_HUB_STATE']}".encode()
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and b"\0hub.service\0" in (proc / "cmdline").read_bytes() and \
                        state in (proc / "environ").read_bytes().split(b"\0"):
                    return int(proc.name)
            except OSError:  # gone meanwhile
                continue
        raise RuntimeError(f"the grading service of the hub in {self.base} is not running:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return (self.base / "hub.log").read_text(errors="replace")[-6000:]


def remove_accounts(names: list[str]) -> None:
    """Remove the test accounts, their homes and the ACL entries the hub gave them."""
    from hub.accounts import remove_account

    python = Path(os.path.realpath(REPO_ROOT / ".venv" / "bin" / "python"))
    for name in names:
        remove_account(name, python)


@contextmanager
def loopback_hub(instructor: str, students: list[str], workers: int = 2, lab: int = 1,
                 sign_up: tuple[str, ...] = (), formgrader: bool = True) -> Iterator[LoopbackHub]:
    """Start the hub (module docstring); everything, accounts included, is removed afterwards."""
    names = [instructor, *students]
    remove_accounts(names)  # left by a run that was killed
    base = Path(tempfile.mkdtemp(prefix="htr-hub-test-"))
    base.chmod(0o755)  # the students reach the exchange inside it
    port, api_port, service_port, proxy_port, formgrader_port = free_ports(5)
    token = secrets.token_hex(24)
    passwords = {name: secrets.token_urlsafe(12) for name in names if name not in sign_up}
    env = {
        "HTR_HUB_STATE": str(base / "state"), "HTR_HUB_EXCHANGE": str(base / "exchange"), "HTR_HUB_COURSE": "htr",
        "HTR_HUB_PORT": str(port), "HTR_HUB_API_PORT": str(api_port), "HTR_HUB_SERVICE_PORT": str(service_port),
        "HTR_HUB_PROXY_API_PORT": str(proxy_port), "HTR_HUB_FORMGRADER_PORT": str(formgrader_port),
        "HTR_HUB_AUTH": "native", "HTR_HUB_ADMIN_TOKEN": token, "HTR_HUB_FORMGRADER": "1" if formgrader else "0",
        "HTR_HUB_POLL": "1", "HTR_HUB_WORKERS": str(workers), "HTR_HUB_RETRY_SECONDS": "2",
        # The students' servers in cgroups of this hub's own; a machine without writable cgroups
        # (a CI container) runs them unlimited, with the hub's warning.
        "HTR_HUB_CGROUP": base.name, "HTR_HUB_LIMITS": "enforce" if cgroups.problem() is None else "warn",
    }
    full_env = {**os.environ, **env}
    process = None
    log = open(base / "hub.log", "w")  # noqa: SIM115 - open for the hub's lifetime
    files = {}
    for group, members in (("instructors", [instructor]), ("students", students)):
        files[group] = base / f"{group}-passwords.txt"
        files[group].write_text("".join(f"{name}:{passwords[name]}\n" for name in members if name in passwords))
        files[group].chmod(0o600)
    try:
        for step in (["add-users", "--instructor", instructor, "--password-file", str(files["instructors"])],
                     ["add-users", *students, "--password-file", str(files["students"])], ["release", str(lab)]):
            done = subprocess.run([PY, "-m", "hub", *step], env=full_env, cwd=REPO_ROOT,
                                  capture_output=True, text=True, timeout=600, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"hub set-up step {step} failed:\n{done.stdout}\n{done.stderr}")
        process = subprocess.Popen([PY, "-m", "hub", "start"], env=full_env, cwd=REPO_ROOT, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        hub = LoopbackHub(f"http://127.0.0.1:{port}", env, base, token, passwords, process)
        deadline = time.monotonic() + 120
        while True:
            try:
                hub.grading_status()
                break
            except OSError as error:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the hub did not start ({error}):\n{hub.log_tail()}") from None
                time.sleep(1)
        yield hub
    finally:
        if process is not None:
            _stop(process, full_env)
        log.close()
        remove_accounts(names)
        if env["HTR_HUB_LIMITS"] == "enforce":
            cgroups.remove_parent(Path("/sys/fs/cgroup"), env["HTR_HUB_CGROUP"])
        shutil.rmtree(base, ignore_errors=True)


def _stop(process: subprocess.Popen, env: dict[str, str]) -> None:
    """`python -m hub stop`, as an instructor stops it; what is left of its group is killed."""
    done = subprocess.run([PY, "-m", "hub", "stop"], env=env, cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    print(f"hub stop: {done.stdout.strip()} {done.stderr.strip()}")
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
