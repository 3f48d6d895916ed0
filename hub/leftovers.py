"""What a crashed grading service leaves running: its gradings' processes, ended by the next one.

A service that dies alone (SIGKILL, an OOM kill of just its process) leaves the processes of the
gradings it had running: the hidden suites' trusted processes (forked by multiprocessing's
forkserver) and, through them, their sandboxes. They would go on writing results the restarted
service is about to write again. The hub starts the service as the leader of its own process
group, and those processes stay in that group; so each service records its group id, and the next
one kills whatever is left in the previous group before it takes the queue up again.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path


def _stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, ...); None: gone."""
    try:
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and ")".
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group `pgid`."""
    found = []
    for proc in Path("/proc").iterdir():
        fields = _stat(proc.name) if proc.name.isdigit() else None
        if fields is not None and fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(proc.name))
    return found


def end_previous_group(record: Path) -> list[int]:
    """Kill what the previous service left in its process group (the pids killed); then record this
    service's group, when it leads one (started by the hub), for the next start."""
    killed: list[int] = []
    if record.is_file():
        try:
            pgid = int(record.read_text().strip())
        except ValueError:
            pgid = 0
        # A live leader means the group is not a dead service's (a number reused, or a service
        # still running): nothing is killed then.
        leader = _stat(pgid) if pgid > 0 else None
        leader_alive = leader is not None and leader[0] != "Z"
        if pgid > 0 and not leader_alive and pgid != os.getpgid(0):
            killed = group_members(pgid)
            if killed:
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except ProcessLookupError:
                    killed = []
    if os.getpgid(0) == os.getpid():
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(f"{os.getpid()}\n")
    else:
        record.unlink(missing_ok=True)  # run by hand, in a shell's group: never kill that group later
    return killed


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children, their children, ...)."""
    parents: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        fields = _stat(proc.name) if proc.name.isdigit() else None
        if fields is not None and fields[0] != "Z":
            parents.setdefault(int(fields[1]), []).append(int(proc.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
