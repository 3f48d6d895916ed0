"""Where the course hub keeps its things: one set of settings read from the environment.

The hub's configuration (hub/config/jupyterhub_config.py), the grading service and the
`python -m hub` commands all read these, so that a test can move the whole hub to a
temporary folder and loopback ports by setting environment variables.

| variable | default | what |
|---|---|---|
| HTR_HUB_STATE | /srv/htr-hub | the hub's database, cookie secret, roster, grading queue, results |
| HTR_HUB_EXCHANGE | /srv/nbgrader/exchange | nbgrader's exchange (one folder per course inside) |
| HTR_HUB_COURSE | htr | the nbgrader course id |
| HTR_HUB_COURSE_DIR | ~instructor/htr | the instructor's nbgrader course folder (gradebook.db) |
| HTR_HUB_IP / HTR_HUB_PORT | 127.0.0.1 / 8000 | where the proxy listens (the hub's public address) |
| HTR_HUB_API_PORT, _SERVICE_PORT, _PROXY_API_PORT, _FORMGRADER_PORT | port+1..+4 | hub API, grader, proxy, formgrader |
| HTR_HUB_AUTH | native | `native` (passwords: set by an instructor, or chosen at sign-up) or `dummy` (tests) |
| HTR_HUB_POLL | 2 | seconds between two looks at the exchange's inbound folder |
| HTR_HUB_WORKERS | 1 | submissions graded at once (one GPU each where there are GPUs) |
| HTR_HUB_RETRY_SECONDS | 30 | wait before retrying a grading that failed on the grader's side (doubled each time) |
| HTR_HUB_MEM_LIMIT / HTR_HUB_CPU_LIMIT / HTR_HUB_PIDS_LIMIT | 8G / 2 / 4096 | each student's server (its cgroup) |
| HTR_HUB_LIMITS | enforce | `enforce`: no server starts without its limits; `warn`: start it unlimited, logged |
| HTR_HUB_CGROUP_ROOT / HTR_HUB_CGROUP | /sys/fs/cgroup / htr-hub | where the per-user cgroups are made |
| HTR_HUB_RAY_ADDRESS | (none) | grade on this Ray cluster (`ray://…` or `host:port`) instead of local slots |
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from autograder.paths import REPO_ROOT

#: The hub's configuration files: JupyterHub's, nbgrader's, the students' JupyterLab, Kubernetes values.
CONFIG_DIR = Path(__file__).resolve().parent / "config"
#: The service's name in the hub: its pages are under /services/grader/.
SERVICE_NAME = "grader"
#: The shortest password the hub accepts (set by an instructor or chosen at sign-up).
MINIMUM_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class HubSettings:
    """The hub's folders, ports and course (see the module docstring for the variables)."""

    state: Path
    exchange: Path
    course: str
    course_dir: Path | None
    ip: str
    port: int
    auth: str
    poll_seconds: float
    workers: int
    #: The loopback ports: the grading service, the hub's internal API, the proxy's API, formgrader.
    service_port: int
    hub_port: int
    proxy_api_port: int
    formgrader_port: int
    venv: Path = field(default=REPO_ROOT / ".venv")
    #: Each student's server: memory (JupyterHub's byte syntax, "8G"), CPUs, processes (0: unlimited).
    mem_limit: str = "8G"
    cpu_limit: float = 2.0
    pids_limit: int = 4096
    limits_policy: str = "enforce"
    cgroup_root: Path = Path("/sys/fs/cgroup")
    cgroup_parent: str = "htr-hub"
    #: A Ray cluster for the grading jobs (None: the service grades in its own slots).
    ray_address: str | None = None
    #: The first retry's wait after a grading failed on the grader's side (jobs.py).
    retry_seconds: float = 30.0

    @property
    def roster_path(self) -> Path:
        return self.state / "roster.json"

    @property
    def grading_dir(self) -> Path:
        return self.state / "grading"

    def gradebook(self) -> Path | None:
        """The course's nbgrader gradebook (made by `python -m hub release`)."""
        course_dir = self.course_dir or default_course_dir(self)
        return None if course_dir is None else course_dir / "gradebook.db"

    def env(self) -> dict[str, str]:
        """These settings as environment variables (for the service and the students' servers)."""
        values = {
            "HTR_HUB_STATE": str(self.state), "HTR_HUB_EXCHANGE": str(self.exchange), "HTR_HUB_COURSE": self.course,
            "HTR_HUB_IP": self.ip, "HTR_HUB_PORT": str(self.port), "HTR_HUB_AUTH": self.auth,
            "HTR_HUB_POLL": str(self.poll_seconds), "HTR_HUB_WORKERS": str(self.workers),
            "HTR_HUB_SERVICE_PORT": str(self.service_port), "HTR_HUB_API_PORT": str(self.hub_port),
            "HTR_HUB_PROXY_API_PORT": str(self.proxy_api_port), "HTR_HUB_FORMGRADER_PORT": str(self.formgrader_port),
            "HTR_HUB_MEM_LIMIT": self.mem_limit, "HTR_HUB_CPU_LIMIT": str(self.cpu_limit),
            "HTR_HUB_PIDS_LIMIT": str(self.pids_limit), "HTR_HUB_LIMITS": self.limits_policy,
            "HTR_HUB_CGROUP_ROOT": str(self.cgroup_root), "HTR_HUB_CGROUP": self.cgroup_parent,
            "HTR_HUB_RETRY_SECONDS": str(self.retry_seconds),
        }
        if self.course_dir is not None:
            values["HTR_HUB_COURSE_DIR"] = str(self.course_dir)
        if self.ray_address:
            values["HTR_HUB_RAY_ADDRESS"] = self.ray_address
        return values


def load() -> HubSettings:
    """The settings from the environment (defaults for a real course machine)."""
    env = os.environ
    port = int(env.get("HTR_HUB_PORT", "8000"))
    course_dir = env.get("HTR_HUB_COURSE_DIR")
    return HubSettings(
        state=Path(env.get("HTR_HUB_STATE", "/srv/htr-hub")),
        exchange=Path(env.get("HTR_HUB_EXCHANGE", "/srv/nbgrader/exchange")),
        course=env.get("HTR_HUB_COURSE", "htr"),
        course_dir=Path(course_dir) if course_dir else None,
        ip=env.get("HTR_HUB_IP", "127.0.0.1"),
        port=port,
        auth=env.get("HTR_HUB_AUTH", "native"),
        poll_seconds=float(env.get("HTR_HUB_POLL", "2")),
        workers=int(env.get("HTR_HUB_WORKERS", "1")),
        service_port=int(env.get("HTR_HUB_SERVICE_PORT", str(port + 2))),
        hub_port=int(env.get("HTR_HUB_API_PORT", str(port + 1))),
        proxy_api_port=int(env.get("HTR_HUB_PROXY_API_PORT", str(port + 3))),
        formgrader_port=int(env.get("HTR_HUB_FORMGRADER_PORT", str(port + 4))),
        mem_limit=env.get("HTR_HUB_MEM_LIMIT", "8G"),
        cpu_limit=float(env.get("HTR_HUB_CPU_LIMIT", "2")),
        pids_limit=int(env.get("HTR_HUB_PIDS_LIMIT", "4096")),
        limits_policy=_policy(env.get("HTR_HUB_LIMITS", "enforce")),
        cgroup_root=Path(env.get("HTR_HUB_CGROUP_ROOT", "/sys/fs/cgroup")),
        cgroup_parent=env.get("HTR_HUB_CGROUP", "htr-hub"),
        ray_address=env.get("HTR_HUB_RAY_ADDRESS") or None,
        retry_seconds=float(env.get("HTR_HUB_RETRY_SECONDS", "30")),
    )


def ports(settings: HubSettings) -> dict[str, int]:
    """Every port the hub listens on, by the variable that sets it."""
    return {"HTR_HUB_PORT": settings.port, "HTR_HUB_API_PORT": settings.hub_port,
            "HTR_HUB_SERVICE_PORT": settings.service_port, "HTR_HUB_PROXY_API_PORT": settings.proxy_api_port,
            "HTR_HUB_FORMGRADER_PORT": settings.formgrader_port}


def check_ports(settings: HubSettings) -> None:
    """Raise GraderError when two of the hub's ports are the same or one is taken already."""
    import socket

    from autograder.errors import GraderError

    seen: dict[int, str] = {}
    for variable, port in ports(settings).items():
        if port in seen:
            raise GraderError(f"{variable} and {seen[port]} are both {port}: give each its own port "
                              "(by default HTR_HUB_PORT and the four ports above it)")
        seen[port] = variable
        address = settings.ip if variable == "HTR_HUB_PORT" else "127.0.0.1"
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((address, port))
            except OSError as error:
                raise GraderError(f"port {port} ({variable}) on {address} is in use ({error.strerror}): stop what "
                                  f"holds it (`ss -ltnp 'sport = :{port}'` names it; a hub still running: "
                                  "`python -m hub stop`), or set HTR_HUB_PORT to another base") from None


def _policy(value: str) -> str:
    if value not in ("enforce", "warn"):
        raise ValueError(f"HTR_HUB_LIMITS={value!r}: use `enforce` (no server without its limits) or `warn`")
    return value


@dataclass
class Roster:
    """Who is in the course: instructors (hub admins, nbgrader graders) and students, and any
    per-user GPU setting (`{"alice": "1"}`: alice's server sees GPU 1 only; `""`: none)."""

    instructors: list[str] = field(default_factory=list)
    students: list[str] = field(default_factory=list)
    gpus: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Roster:
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text())
        return cls(list(data.get("instructors", [])), list(data.get("students", [])), dict(data.get("gpus", {})))

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"instructors": self.instructors, "students": self.students,
                                    "gpus": self.gpus}, indent=2) + "\n")


def default_course_dir(settings: HubSettings) -> Path | None:
    """The first instructor's `~/<course>` folder (nbgrader's usual place), when there is one."""
    roster = Roster.read(settings.roster_path)
    if not roster.instructors:
        return None
    import pwd

    try:
        return Path(pwd.getpwnam(roster.instructors[0]).pw_dir) / settings.course
    except KeyError:
        return None
