"""Starting and stopping the hub: the state folder's permissions, and `python -m autograder.hub stop`.

The state folder (HTR_HUB_STATE) holds the hub's database (every password hash), the roster, the
grading queue, every student's results and logs, and the leaderboard. It belongs to root and the
course's instructors group (mode 0750): a student reads none of it. The database is root's alone
(0600). Students see their own results through the grading service's pages and the feedback
nbgrader fetches for them.
"""

from __future__ import annotations

import grp
import os
import signal
import time
from pathlib import Path

from autograder.hub.settings import HubSettings

#: How long `stop` waits for the hub to stop its servers and services before killing what is left.
STOP_SECONDS = 8.0


def prepare_state(settings: HubSettings) -> None:
    """Create the state folder with the permissions of the module docstring (before the hub starts)."""
    from autograder.hub.accounts import instructors_group

    group = grp.getgrnam(instructors_group(settings)).gr_gid
    for folder in (settings.state, settings.grading_dir, settings.grading_dir / "results"):
        folder.mkdir(parents=True, exist_ok=True)
        os.chown(folder, 0, group)
        folder.chmod(0o750)
    database = settings.state / "jupyterhub.sqlite"
    # SQLite gives its journal the database file's mode: made 0600 before the hub first opens it.
    database.touch(mode=0o600, exist_ok=True)
    os.chown(database, 0, 0)
    database.chmod(0o600)


def hub_pid(settings: HubSettings) -> int | None:
    """The running hub's pid (from its pid file), None when it is not running."""
    try:
        pid = int((settings.state / "jupyterhub.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def stop(settings: HubSettings) -> str:
    """Stop the hub: SIGTERM (it stops the servers, services and proxy itself), then, after
    STOP_SECONDS, SIGKILL to whatever of it is left. Returns what happened, in words."""
    pid = hub_pid(settings)
    if pid is None:
        return f"no hub is running (no live pid in {settings.state / 'jupyterhub.pid'})"
    start = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    while time.monotonic() - start < STOP_SECONDS and _alive(pid):
        time.sleep(0.2)
    if not _alive(pid):
        return f"hub {pid} stopped in {time.monotonic() - start:.1f} s"
    killed = _kill_leftovers(settings, pid)
    return (f"hub {pid} did not stop within {STOP_SECONDS:.0f} s: killed it and {len(killed)} processes it left "
            f"({time.monotonic() - start:.1f} s)")


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def _kill_leftovers(settings: HubSettings, pid: int) -> list[int]:
    """SIGKILL the hub, its proxy, its grading service's group and the users' servers."""
    from autograder.hub.leftovers import descendants

    targets = [pid, *descendants(pid)]
    proxy = settings.state / "jupyterhub-proxy.pid"
    if proxy.is_file():
        try:
            targets.append(int(proxy.read_text().strip()))
        except ValueError:
            pass
    killed = []
    for target in targets:
        try:
            os.kill(target, signal.SIGKILL)
            killed.append(target)
        except ProcessLookupError:
            continue
    return killed
