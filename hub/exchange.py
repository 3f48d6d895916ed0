"""What a student's `nbgrader submit` puts in the exchange on the hub (hub/config/jupyter/nbgrader_config.py).

nbgrader's own submit leaves the submission folder writable by everyone (0777) and its files
readable by everyone, the submission secret included. This one:

- leaves out caches (`data/`, `.cache/`, checkpoints) and any file or `runs/` folder above the
  size limits, and lists what it left out, and why, in `LEFT_OUT.txt` (the feedback shows it);
- makes the submission the student's alone (folders 0700, files 0600) until the grading service
  (root) takes it.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

from nbgrader.exchange.default.submit import ExchangeSubmit

#: Names never submitted, anywhere in the lab folder: tool caches, checkpoints, fetched feedback.
CACHE_NAMES = [".cache", ".ipynb_checkpoints", "__pycache__", "*.pyc", "feedback", ".git", ".pytest_cache", ".keras"]
#: Top-level folders never submitted: the data cache a training writes beside the code (where
#: TEXT_RECOGNIZER_DATA_DIR is not set; text_recognizer/data/ is code and is submitted).
TOP_CACHE_NAMES = ["data"]
#: The largest file submitted, and the largest `runs/` folder (weights, metrics), in bytes.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_RUNS_BYTES = 50 * 1024 * 1024
#: Where the left-out list is written, inside the submission.
LEFT_OUT = "LEFT_OUT.txt"


def folder_size(folder: Path) -> int:
    """Bytes in the files below `folder` (links not followed)."""
    return sum(path.lstat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def copy_submission(source: Path, target: Path) -> list[str]:
    """Copy `source` to `target` without caches and oversized things; returns what was left out."""
    left_out: list[str] = []

    def ignore(directory: str, names: list[str]) -> list[str]:
        ignored = []
        for name in names:
            path = Path(directory) / name
            relative = path.relative_to(source).as_posix()
            top = Path(directory) == source
            if any(fnmatch.fnmatch(name, pattern) for pattern in CACHE_NAMES) or (top and name in TOP_CACHE_NAMES):
                ignored.append(name)
                if path.is_dir() and name not in ("__pycache__", ".ipynb_checkpoints", "feedback"):
                    left_out.append(f"{relative}/: a cache (never submitted; it is made again when needed)")
            elif name == "runs" and path.is_dir() and (size := folder_size(path)) > MAX_RUNS_BYTES:
                ignored.append(name)
                left_out.append(f"{relative}/: {size / 2**20:.0f} MB, above the {MAX_RUNS_BYTES // 2**20} MB "
                                "limit for runs/ (keep only the runs you need)")
            elif path.is_file() and (size := path.lstat().st_size) > MAX_FILE_BYTES:
                ignored.append(name)
                left_out.append(f"{relative}: {size / 2**20:.0f} MB, above the {MAX_FILE_BYTES // 2**20} MB "
                                "limit per file")
        return ignored

    shutil.copytree(source, target, ignore=ignore, symlinks=True)
    if left_out:
        (target / LEFT_OUT).write_text("Left out of this submission:\n" + "".join(f"- {line}\n" for line in left_out))
    return left_out


def make_private(folder: Path) -> None:
    """Folders 0700 and files 0600 below (and at) `folder`: the owner's alone."""
    for directory, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, 0o600)
        os.chmod(directory, 0o700)


class PrivateExchangeSubmit(ExchangeSubmit):
    """nbgrader's submit, with the copy and the permissions of the module docstring."""

    def do_copy(self, src, dest, log=None):
        left_out = copy_submission(Path(src), Path(dest))
        for line in left_out:
            self.log.warning("not submitted: %s", line)

    def copy_files(self):
        super().copy_files()
        # nbgrader made the folder 0777 and its files world-readable: the student's alone now.
        make_private(Path(self.inbound_path) / self.assignment_filename)
