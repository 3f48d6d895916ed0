"""Per-user control groups: the memory, CPU and process limits of one student's server.

JupyterHub's local process spawner ignores `mem_limit` and `cpu_limit` (it only passes them on as
environment variables), and systemdspawner needs systemd as PID 1, which a container-run course
machine often lacks. So the hub's spawner (hub/spawner.py) puts each server, and with it
every kernel and process it starts, into `<root>/<parent>/<user>` with these limits:

| limit | cgroup v2 (`<root>/cgroup.controllers` exists) | cgroup v1 (one hierarchy per controller) |
|---|---|---|
| memory | `memory.max`, `memory.swap.max` = 0 | `memory/…/memory.limit_in_bytes` (+ `memory.memsw.limit_in_bytes`) |
| CPU | `cpu.max` = "quota period" | `cpu/…/cpu.cfs_quota_us`, `cpu.cfs_period_us` |
| processes | `pids.max` | `pids/…/pids.max` |

A process over the memory limit is killed by the kernel's OOM killer inside the group (usually
the kernel that allocated: JupyterLab reports "kernel died", the server lives on); a server over
its CPU quota is throttled. Removing a group kills what is left in it first.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import GraderError

#: The CFS period: the quota is `cpu_limit` times this many microseconds of CPU per period.
CPU_PERIOD_US = 100_000
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]*$")
_FIX = ("Run the hub as root on a machine whose cgroups are writable (cgroup v2 with the memory, cpu "
        "and pids controllers, or cgroup v1 hierarchies under /sys/fs/cgroup), point HTR_HUB_CGROUP_ROOT "
        "at a delegated cgroup, or set HTR_HUB_LIMITS=warn to run servers without limits.")


class CgroupUnavailable(GraderError):
    """The limits cannot be applied here (the message says why and what to do)."""


@dataclass(frozen=True)
class UserLimits:
    """What one user's server may use; None: no limit of that kind."""

    memory_bytes: int | None = None
    cpus: float | None = None
    processes: int | None = None


def version(root: Path) -> int:
    """2 for a unified (v2) hierarchy at `root`, 1 for v1 controller folders; CgroupUnavailable otherwise."""
    if (root / "cgroup.controllers").is_file():
        return 2
    if (root / "memory").is_dir() and (root / "cpu").is_dir():
        return 1
    raise CgroupUnavailable(f"{root} is neither a cgroup v2 nor a cgroup v1 hierarchy. {_FIX}")


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as error:
        raise CgroupUnavailable(f"could not write {value!r} to {path} ({error.strerror}). {_FIX}") from None


@dataclass(frozen=True)
class UserCgroup:
    """The cgroup(s) of one user's server: one folder in v2, one per controller in v1."""

    root: Path
    parent: str
    user: str

    def __post_init__(self) -> None:
        for part in (self.parent, self.user):
            if not _NAME.match(part):
                raise CgroupUnavailable(f"{part!r} cannot name a cgroup (letters, digits, _ . @ - only)")

    @property
    def version(self) -> int:
        return version(self.root)

    def folders(self) -> list[Path]:
        """Where the user's group lives (v2: one folder; v1: memory, cpu, pids)."""
        if self.version == 2:
            return [self.root / self.parent / self.user]
        return [self.root / controller / self.parent / self.user for controller in ("memory", "cpu", "pids")
                if (self.root / controller).is_dir()]

    def create(self, limits: UserLimits) -> None:
        """Make the group (again, when a stopped hub left it) and write the limits into it."""
        if self.version == 2:
            self._create_v2(limits)
        else:
            self._create_v1(limits)

    def _create_v2(self, limits: UserLimits) -> None:
        parent = self.root / self.parent
        wanted = {"memory", "cpu", "pids"}
        available = set((self.root / "cgroup.controllers").read_text().split())
        if not wanted <= available:
            raise CgroupUnavailable(f"{self.root} lacks the cgroup controllers {sorted(wanted - available)}. {_FIX}")
        # Each level passes the controllers down to its children (the root may hold processes, our
        # parent never does: cgroup v2 allows controllers only below groups without processes).
        for level in (self.root, parent):
            level.mkdir(exist_ok=True)
            enabled = set((level / "cgroup.subtree_control").read_text().split()) if (
                level / "cgroup.subtree_control").is_file() else set()
            if not wanted <= enabled:
                _write(level / "cgroup.subtree_control", " ".join(f"+{c}" for c in sorted(wanted - enabled)))
        group = parent / self.user
        group.mkdir(exist_ok=True)
        _write(group / "memory.max", str(limits.memory_bytes) if limits.memory_bytes else "max")
        if (group / "memory.swap.max").exists():
            # No way around the memory limit through swap (a kernel without swap accounting lacks the file).
            _write(group / "memory.swap.max", "0" if limits.memory_bytes else "max")
        quota = f"{round(limits.cpus * CPU_PERIOD_US)}" if limits.cpus else "max"
        _write(group / "cpu.max", f"{quota} {CPU_PERIOD_US}")
        _write(group / "pids.max", str(limits.processes) if limits.processes else "max")

    def _create_v1(self, limits: UserLimits) -> None:
        memory, cpu, pids = (self.root / c / self.parent / self.user for c in ("memory", "cpu", "pids"))
        for folder in self.folders():
            folder.mkdir(parents=True, exist_ok=True)
        unlimited = "-1"
        value = str(limits.memory_bytes) if limits.memory_bytes else unlimited
        if (memory / "memory.memsw.limit_in_bytes").exists():
            # memsw (memory + swap) must stay >= the limit: lift it first, so that raising a limit
            # left by an earlier server works too.
            _write(memory / "memory.memsw.limit_in_bytes", unlimited)
        _write(memory / "memory.limit_in_bytes", value)
        if (memory / "memory.memsw.limit_in_bytes").exists():
            _write(memory / "memory.memsw.limit_in_bytes", value)  # memory + swap: no escape into swap
        _write(cpu / "cpu.cfs_period_us", str(CPU_PERIOD_US))
        _write(cpu / "cpu.cfs_quota_us", str(round(limits.cpus * CPU_PERIOD_US)) if limits.cpus else unlimited)
        if (self.root / "pids").is_dir():
            _write(pids / "pids.max", str(limits.processes) if limits.processes else "max")
        elif limits.processes:
            raise CgroupUnavailable(f"{self.root} has no pids controller for the process limit. {_FIX}")

    def join(self, pid: int) -> None:
        """Move process `pid` (all its threads) into the group; its children are born there."""
        for folder in self.folders():
            _write(folder / "cgroup.procs", str(pid))

    def pids(self) -> set[int]:
        """The processes in the group now."""
        found: set[int] = set()
        for folder in self.folders():
            procs = folder / "cgroup.procs"
            if procs.is_file():
                found |= {int(line) for line in procs.read_text().split()}
        return found

    def remove(self, wait_seconds: float = 10.0) -> None:
        """Kill whatever is still in the group (a kernel the server left behind), then delete it."""
        deadline = time.monotonic() + wait_seconds
        while (left := self.pids()) and time.monotonic() < deadline:
            kill = self.folders()[0] / "cgroup.kill"
            if kill.is_file():
                _write(kill, "1")
            else:
                for pid in left:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            time.sleep(0.05)
        for folder in self.folders():
            try:
                folder.rmdir()
            except FileNotFoundError:
                pass
            except OSError as error:
                raise CgroupUnavailable(f"could not remove {folder} ({error.strerror}); processes left: "
                                        f"{sorted(self.pids())}. Kill them and `rmdir` it.") from None


def remove_parent(root: Path, parent: str) -> None:
    """Delete the parent folder(s) of the users' groups, e.g. after a test hub; one that still
    holds a user's group (another probe, a server still running) is left."""
    folders = [root / parent] if version(root) == 2 else [root / c / parent for c in ("memory", "cpu", "pids")]
    for folder in folders:
        try:
            folder.rmdir()
        except FileNotFoundError:
            pass
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EBUSY):
                raise


def problem(root: Path = Path("/sys/fs/cgroup")) -> str | None:
    """Why per-user cgroups cannot be made here (None when a probe group could be made and removed)."""
    probe = UserCgroup(root, "htr-probe", f"p{os.getpid()}")
    try:
        probe.create(UserLimits(memory_bytes=64 * 1024**2, cpus=1.0, processes=64))
        probe.remove()
        remove_parent(root, "htr-probe")
    except (CgroupUnavailable, OSError) as error:
        return f"per-user cgroups are not available: {error}"
    return None
