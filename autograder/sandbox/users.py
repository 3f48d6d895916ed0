"""The unprivileged users that student code runs as, one per parallel grading slot.

When the grader runs as root, slot 0 runs as `autograder-sandbox`, slot k as
`autograder-sandbox<k>`: system users with no home and no login shell, created on first use.
One user per slot matters because the process limit (RLIMIT_NPROC) counts all processes of a
user: a fork bomb in one submission must not starve the submission graded beside it. Their
processes can also be swept after a run without touching anyone else's (never done for a
shared account such as `nobody`).

When the grader is not root it cannot switch users; student code then runs as the grader's
own user, still inside bubblewrap's namespaces (the report says so).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BASE_NAME = "autograder-sandbox"
_LOCK_DIR = Path("/run/lock") if Path("/run/lock").is_dir() else Path("/tmp")
_LOCK = _LOCK_DIR / "autograder-sandbox-users.lock"
MAX_SLOTS = 64


@dataclass(frozen=True)
class SandboxIdentity:
    """Who student code runs as. `dedicated`: nobody else uses this uid (safe to sweep)."""

    uid: int
    gid: int
    name: str
    dedicated: bool
    note: str = ""


def user_name(slot: int) -> str:
    """Name of the sandbox user of grading slot `slot` (0, 1, ...)."""
    return BASE_NAME if slot == 0 else f"{BASE_NAME}{slot}"


def sandbox_identity(slot: int = 0, create: bool = True) -> SandboxIdentity | None:
    """The identity for `slot`, creating its system user if needed; None when not root."""
    if os.geteuid() != 0:
        return None
    name = user_name(slot)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        entry = _create_user(name) if create else None
    if entry is not None:
        return SandboxIdentity(entry.pw_uid, entry.pw_gid, name, dedicated=True)
    nobody = pwd.getpwnam("nobody")
    return SandboxIdentity(
        nobody.pw_uid,
        nobody.pw_gid,
        "nobody",
        dedicated=False,
        note=(
            f"could not create the system user {name!r} (useradd missing or failed); student code "
            "runs as 'nobody', shared with other services. Create it with "
            f"`useradd --system --user-group --no-create-home --shell /usr/sbin/nologin {name}`."
        ),
    )


def _create_user(name: str) -> pwd.struct_passwd | None:
    """Create a locked system user (no home, no shell); None if that is impossible."""
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    if not Path(useradd).exists():
        return None
    _LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(_LOCK, "w") as lock:
        # Parallel grading jobs may all try at once: one creates, the others find it.
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
        result = subprocess.run(
            [
                useradd,
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--comment",
                "autograder sandbox (untrusted code)",
                name,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            return None
        return pwd.getpwnam(name)


@contextlib.contextmanager
def claim_slot(preferred: int = 0) -> Iterator[int]:
    """Hold a grading slot (and so its sandbox user) for as long as the `with` block runs.

    Two graders on one machine (two `grade` commands, a `grade-all` beside a `grade`) must not
    share a sandbox user: the sweep after a run kills every process of that user. The first
    free slot from `preferred` on is taken, with an exclusive lock file per slot.
    """
    if os.geteuid() != 0:
        # Not root: everything runs as the grader's own user and nothing is swept.
        yield preferred
        return
    _LOCK_DIR.mkdir(parents=True, exist_ok=True)
    for offset in range(MAX_SLOTS):
        slot = (preferred + offset) % MAX_SLOTS
        handle = open(_LOCK_DIR / f"autograder-slot-{slot}.lock", "w")  # noqa: SIM115 - held until exit
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            yield slot
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        return
    raise RuntimeError(f"all {MAX_SLOTS} grading slots are busy; wait for other gradings to finish.")


def processes_of(uid: int, zombies: bool = False) -> list[int]:
    """Pids of the processes whose real uid is `uid` (dead-but-unreaped zombies only if asked:
    they hold nothing, cannot be killed, and the system's init reaps them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            lines = (entry / "status").read_text().splitlines()
        except OSError:
            continue  # the process ended while we looked
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        try:
            real_uid = int(fields.get("Uid", "-1").split()[0])
        except (ValueError, IndexError):
            continue
        if real_uid == uid and (zombies or not fields.get("State", "").strip().startswith("Z")):
            found.append(int(entry.name))
    return found


def tasks_of(uid: int) -> int:
    """Threads of all processes whose real uid is `uid` (what RLIMIT_NPROC counts)."""
    total = 0
    for pid in processes_of(uid, zombies=True):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("Threads:"):
                    total += int(line.split()[1])
                    break
        except (OSError, ValueError):
            continue
    return total


def sweep(identity: SandboxIdentity | None, settle_seconds: float = 2.0) -> int:
    """Kill every process left running as a dedicated sandbox user; return how many.

    The sandbox's pid namespace is torn down asynchronously after bwrap dies, so processes
    get `settle_seconds` to vanish on their own before they count as left behind.
    """
    if identity is None or not identity.dedicated:
        return 0
    deadline = time.monotonic() + settle_seconds
    while processes_of(identity.uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = 0
    for pid in processes_of(identity.uid):
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            pass
    return killed
