"""Set up one grading's sandbox: the grader files it sees, its /etc, and how to start it.

`open_session(context)` returns the `SandboxSession` that the hidden tests' `sandbox` fixture
calls into. The sandbox sees only what is written here (the files of `autograder/sandbox/inside/`:
the runner, the wire codec, the observers), the submission copy, the Python installation and its own private /tmp.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from autograder.pipeline.context import GradingContext
from autograder.sandbox import launch as launching
from autograder.sandbox import users
from autograder.sandbox.session import SandboxSession


def stage_dir(work: Path) -> Path:
    """An empty, world-traversable mount point for the private staging tmpfs.

    It cannot sit inside `work` (0700): the sandbox user must reach it. Nothing is ever
    written into it on the host; the tmpfs exists only in the grader's private mount namespace.
    """
    marker = work / "stage-path"
    if marker.exists():
        return Path(marker.read_text())
    stage = Path(tempfile.mkdtemp(prefix="autograder-stage-"))
    stage.chmod(0o755)
    marker.write_text(str(stage))
    return stage


def remove_stage_dir(work: Path) -> None:
    marker = work / "stage-path"
    if marker.exists():
        try:
            Path(marker.read_text()).rmdir()
        except OSError:
            pass


def open_session(context: GradingContext) -> SandboxSession:
    """The grading's sandbox session (the runner starts on the first call)."""
    work = Path(context.work)
    identity = users.sandbox_identity(context.slot)
    job_dir, grader_dir, submission = work / "job", work / "grader", Path(context.submission)
    launching.write_grader_files(grader_dir)
    launching.write_etc(job_dir, identity)
    if context.notebook:
        target = job_dir / "notebook" / Path(context.notebook).name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(context.notebook, target)
    if not context.sandboxed:
        home = job_dir / "home"
        home.mkdir(exist_ok=True)
        if identity is not None:
            os.chown(home, identity.uid, identity.gid)
    for path in [job_dir, *job_dir.rglob("*")]:
        if path.name != "home":
            path.chmod(0o755 if path.is_dir() else 0o644)
    limits = context.limits_object
    binds = [launching.Bind(Path(source), dest) for source, dest in context.extra_binds]
    env = dict(context.extra_env)
    if not context.sandboxed:  # no bind mounts: the runner reads the host paths themselves
        env.update({key: source for (source, dest) in context.extra_binds
                    for key, value in context.extra_env.items() if value == dest})

    def start(request_fd: int, reply_fd: int) -> launching.Launch:
        common = dict(submission=submission, job_dir=job_dir, grader_dir=grader_dir, identity=identity,
                      limits=limits, request_fd=request_fd, reply_fd=reply_fd, gpu=context.gpu, extra_env=env)
        launch = (launching.bwrap_launch(stage_dir=stage_dir(work), extra_binds=binds, **common)
                  if context.sandboxed else launching.unsandboxed_launch(**common))
        job = job_dir / "job.json"
        job.write_text(json.dumps({"protocol": 2, "lab": context.lab, "submission": launch.submission_path}))
        job.chmod(0o644)
        return launch

    return SandboxSession(start, limits, after_run=lambda: users.sweep(identity))
