"""Which GPUs a student's server sees: round robin over `nvidia-smi -L`, or a per-user setting.

Each user keeps the GPU first given to them (recorded in `<state>/gpu_assignments.json`), so a
server restarted tomorrow lands on the same device; a new user gets the next GPU in turn. On a
machine without GPUs every server gets `CUDA_VISIBLE_DEVICES=""`: it sees none.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
from pathlib import Path

_GPU_LINE = re.compile(r"^GPU (\d+):")


def parse_gpu_list(listing: str) -> list[str]:
    """The GPU indices in `nvidia-smi -L` output ("GPU 0: NVIDIA H200 (UUID: ...)" lines)."""
    return [match.group(1) for line in listing.splitlines() if (match := _GPU_LINE.match(line.strip()))]


def list_gpus() -> list[str]:
    """This machine's GPU indices ([] without nvidia-smi or when it fails)."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return []
    try:
        listing = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse_gpu_list(listing)


def assign_gpu(user: str, gpus: list[str], record: Path, per_user: dict[str, str] | None = None) -> str:
    """The CUDA_VISIBLE_DEVICES value for `user`'s server.

    A per-user setting wins (it may name several GPUs, "0,1", or none, ""); otherwise the GPU
    recorded for the user, or the next one in round robin; "" when `gpus` is empty.
    """
    if per_user and user in per_user:
        return per_user[user]
    if not gpus:
        return ""
    record.parent.mkdir(parents=True, exist_ok=True)
    with open(record.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two servers starting at once must not take the same turn
        assigned: dict[str, str] = json.loads(record.read_text()) if record.is_file() else {}
        if assigned.get(user) in gpus:
            return assigned[user]
        # The next turn: how many users have been given a GPU so far, modulo the GPUs.
        gpu = gpus[len(assigned) % len(gpus)]
        assigned[user] = gpu
        record.write_text(json.dumps(assigned, indent=2) + "\n")
    return gpu
