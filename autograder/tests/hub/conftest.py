"""One course hub for the hub tests (session-scoped: started once, for the e2e and browser tests).

On loopback ports, in a temporary folder: JupyterHub with configurable-http-proxy, the dummy
authenticator (a shared test password), an instructor and three students as real system
accounts, Lab 1 released through nbgrader's exchange, and the grading service run by the hub.
Needs root (accounts, runuser), the npm proxy and the sandbox; skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.hub.settings import SERVICE_NAME
from autograder.paths import REPO_ROOT

PY = str(REPO_ROOT / ".venv" / "bin" / "python")
PROXY = REPO_ROOT / "setup" / "node_modules" / ".bin" / "configurable-http-proxy"
INSTRUCTOR = "htr-prof"
STUDENTS = ("htr-ann", "htr-ben", "htr-cat")


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@dataclass
class Hub:
    """A running test hub."""

    url: str
    env: dict[str, str]
    base: Path
    token: str
    password: str
    process: subprocess.Popen

    def api(self, path: str, method: str = "GET", body: dict | None = None) -> dict | list:
        """The hub's REST API with the instructor's token."""
        request = urllib.request.Request(f"{self.url}/hub/api{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else {}

    def grading_status(self) -> dict:
        request = urllib.request.Request(f"{self.url}/services/{SERVICE_NAME}/status.json",
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def wait_graded(self, keys_wanted: int, timeout: float = 600) -> dict:
        """The grading status once `keys_wanted` jobs are done (fails after `timeout` s)."""
        deadline = time.monotonic() + timeout
        status: dict = {}
        while time.monotonic() < deadline:
            status = self.grading_status()
            if sum(1 for j in status["jobs"] if j["state"] in ("done", "failed")) >= keys_wanted:
                return status
            time.sleep(1)
        pytest.fail(f"the grading service did not grade {keys_wanted} submissions within {timeout:.0f} s: {status}")

    def run_as(self, user: str, *command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """A command as OS user `user` with the hub's nbgrader set-up (what their terminal has)."""
        from autograder.hub import course, settings

        old = dict(os.environ)
        os.environ.update(self.env)
        try:
            return course.run_as(user, list(command), settings.load(), cwd=cwd)
        finally:
            os.environ.clear()
            os.environ.update(old)

    def log_tail(self) -> str:
        return (self.base / "hub.log").read_text(errors="replace")[-6000:]


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "the hub tests create system accounts: run them as root"
    if not PROXY.exists():
        return "configurable-http-proxy is not installed: run `make setup` (npm ci in setup/)"
    for tool in ("useradd", "runuser", "bwrap"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def remove_accounts() -> None:
    for name in (INSTRUCTOR, *STUDENTS):
        subprocess.run(["userdel", "--remove", name], capture_output=True, check=False)


@pytest.fixture(scope="session")
def hub() -> Hub:
    reason = _skip_reason()
    if reason:
        if os.environ.get("AUTOGRADER_REQUIRE_SANDBOX") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    remove_accounts()  # a previous run that was killed
    base = Path(tempfile.mkdtemp(prefix="htr-hub-test-"))
    base.chmod(0o755)  # the students reach the exchange inside it
    port, api_port, service_port, proxy_port = free_ports(4)
    token, password = secrets.token_hex(24), secrets.token_hex(8)
    env = {
        "HTR_HUB_STATE": str(base / "state"), "HTR_HUB_EXCHANGE": str(base / "exchange"), "HTR_HUB_COURSE": "htr",
        "HTR_HUB_PORT": str(port), "HTR_HUB_API_PORT": str(api_port), "HTR_HUB_SERVICE_PORT": str(service_port),
        "HTR_HUB_PROXY_API_PORT": str(proxy_port), "HTR_HUB_AUTH": "dummy", "HTR_HUB_DUMMY_PASSWORD": password,
        "HTR_HUB_ADMIN_TOKEN": token, "HTR_HUB_FORMGRADER": "0", "HTR_HUB_POLL": "1", "HTR_HUB_WORKERS": "2",
    }
    full_env = {**os.environ, **env}
    steps = [["add-users", "--instructor", INSTRUCTOR], ["add-users", *STUDENTS], ["release", "1"]]
    for step in steps:
        done = subprocess.run([PY, "-m", "autograder.hub", *step], env=full_env, cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=600, check=False)
        assert done.returncode == 0, f"hub set-up step {step} failed:\n{done.stdout}\n{done.stderr}"
    log = open(base / "hub.log", "w")  # noqa: SIM115 - open for the hub's lifetime
    process = subprocess.Popen([PY, "-m", "autograder.hub", "start"], env=full_env, cwd=REPO_ROOT, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    the_hub = Hub(f"http://127.0.0.1:{port}", env, base, token, password, process)
    deadline = time.monotonic() + 120
    while True:
        try:
            the_hub.grading_status()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the hub did not start:\n{the_hub.log_tail()}")
            time.sleep(1)
    yield the_hub
    os.killpg(process.pid, 15)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
    log.close()
    remove_accounts()
    shutil.rmtree(base, ignore_errors=True)
