"""Starting and stopping the hub: the state folder's permissions, and `python -m hub stop`.

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

from hub.settings import HubSettings

#: How long `stop` waits for the hub to stop its servers and services before killing what is left.
STOP_SECONDS = 8.0


def prepare_state(settings: HubSettings) -> None:
    """Create the state folder with the permissions of the module docstring (before the hub starts)."""
    from hub.accounts import instructors_group

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
        # A hub that died (killed, or its start failed) leaves its proxy and grading service running.
        killed = _kill_leftovers(settings, None)
        return (f"no hub is running (no live pid in {settings.state / 'jupyterhub.pid'})"
                + (f"; killed {len(killed)} processes a stopped hub left (proxy, grading service)" if killed else ""))
    start = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    pid_file = settings.state / "jupyterhub.pid"
    # JupyterHub removes its pid file as the last step of its clean-up (servers, services, proxy
    # stopped); what it does after (cancelling its tasks) may take seconds and is not waited for.
    while time.monotonic() - start < STOP_SECONDS and _alive(pid) and pid_file.exists():
        time.sleep(0.2)
    cleaned_up = not pid_file.exists()
    if cleaned_up:
        for _ in range(5):
            if not _alive(pid):
                break
            time.sleep(0.2)
    if not _alive(pid):
        return f"hub {pid} stopped in {time.monotonic() - start:.1f} s"
    killed = _kill_leftovers(settings, pid)
    if cleaned_up:
        return f"hub {pid} stopped its servers, services and proxy in {time.monotonic() - start:.1f} s"
    return (f"hub {pid} did not stop within {STOP_SECONDS:.0f} s: killed it and {len(killed) - 1} processes it left "
            f"({time.monotonic() - start:.1f} s)")


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def _kill_leftovers(settings: HubSettings, pid: int | None) -> list[int]:
    """SIGKILL the hub (when `pid`) and the processes below it, its proxy and its grading service's
    process group (from their pid files)."""
    from hub.leftovers import descendants, group_members

    targets = [pid, *descendants(pid)] if pid is not None else []
    # Each only when the recorded pid is still that process (a pid file can outlive it, the pid reused).
    for record, command, read in ((settings.state / "jupyterhub-proxy.pid", b"configurable-http-proxy", lambda n: [n]),
                                  (settings.grading_dir / "service.pgid", b"\0hub.service\0", group_members)):
        try:
            recorded = int(record.read_text().strip())
            if command in Path(f"/proc/{recorded}/cmdline").read_bytes():
                targets += read(recorded)
        except (OSError, ValueError):
            continue
    killed = []
    for target in dict.fromkeys(targets):
        try:
            os.kill(target, signal.SIGKILL)
            killed.append(target)
        except ProcessLookupError:
            continue
    return killed
