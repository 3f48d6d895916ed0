"""The command that starts the in-sandbox runner: bubblewrap, as a sandbox user, with rlimits.

Run as root, the chain is

    prlimit <limits> -- unshare --mount --propagation private -- sh -c '
        mount tmpfs on a stage folder; bind the host folders the sandbox needs into it
        exec setpriv --reuid=<sandbox user> ... -- bwrap <namespaces, read-only binds> -- python runner.py'

The private mount namespace lets the sandbox user reach folders it could not traverse on the
host (a Python under /root, a 0700 work folder) without changing any host mount or permission.
bwrap then gives the runner new user, pid, network, ipc, uts and cgroup namespaces (no network
at all), a read-only view of /usr, the Python installation, the submission copy and the job,
a private size-limited /tmp, a new session, and it dies with its parent. Every process the
submission starts lives in the new pid namespace and dies with it.

Every tmpfs of the sandbox is host memory, so each has a size or is read-only: the root (and
with it /etc, which is only mount points and the files bound there) is a small tmpfs remounted
read-only once built, /dev is bwrap's device folder remounted read-only, and the only writable
places are /tmp (`Limits.tmp_bytes`) and /dev/shm (`Limits.shm_bytes`). Needs bubblewrap 0.5
or newer (`--size`).

Not root, the grader cannot switch users: it runs `prlimit -- bwrap ...` as itself.
With `allow_unsandboxed`, where bubblewrap cannot run, it runs `prlimit -- [setpriv] python`
directly: limits, another user and a new session still apply, but no namespaces.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.errors import SandboxUnavailable
from autograder.sandbox import users
from autograder.sandbox.limits import Limits
from autograder.sandbox.users import SandboxIdentity

#: Inside the sandbox: where the submission copy, the job inputs and the grader's runner appear.
SUBMISSION = "/submission"
JOB = "/job"
GRADER = "/grader"
#: Small files of /etc that Python, TensorFlow and matplotlib read; nothing else of /etc.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts", "alternatives")
INSTALL_HINT = (
    "Install it with `apt-get install bubblewrap` (Debian/Ubuntu) and make sure unprivileged user "
    "namespaces are enabled (`sysctl kernel.unprivileged_userns_clone=1` on Debian, "
    "`sysctl user.max_user_namespaces=15000`); in Docker run the container with "
    "`--security-opt seccomp=unconfined --security-opt apparmor=unconfined` or use a VM. "
    "Only if you accept running student code without isolation, pass --allow-unsandboxed."
)


@dataclass(frozen=True)
class Bind:
    """A host path shown read-only inside the sandbox at `dest`."""

    source: Path
    dest: str


@dataclass
class Launch:
    """Everything `subprocess.Popen` needs to start the runner once."""

    argv: list[str]
    env: dict[str, str]
    #: Paths the job file must use for the submission and the grader folder.
    submission_path: str
    grader_path: str
    job_path: str
    notes: list[str] = field(default_factory=list)


def python_install_paths() -> list[Path]:
    """Folders that make up the running Python: the venv, the base installation, and package
    folders that `.pth` files or `--system-site-packages` add (only `*-packages` folders: the
    repository, with the hidden suites and the state, must never be bound)."""
    candidates = [sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent.parent)]
    candidates += [p for p in sys.path if p and Path(p).name.endswith("-packages") and Path(p).is_dir()]
    # Each folder appears where Python sees it and where its symbolic links lead.
    candidates += [str(Path(c).resolve()) for c in candidates]
    paths: list[Path] = []
    for candidate in candidates:
        path = Path(os.path.abspath(candidate))
        if not any(path == p or path.is_relative_to(p) for p in paths):
            paths = [p for p in paths if not p.is_relative_to(path)] + [path]
    return sorted(paths)


def gpu_devices() -> list[str]:
    """NVIDIA device files to pass through (empty on CPU machines)."""
    return sorted(glob.glob("/dev/nvidia*")) if Path("/dev/nvidiactl").exists() else []


def sandbox_env(limits: Limits, gpu: str | None) -> dict[str, str]:
    """The whole environment of the runner (nothing of the grader's leaks in)."""
    threads = str(max(1, limits.threads))
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp/home",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "KERAS_BACKEND": os.environ.get("AUTOGRADER_KERAS_BACKEND", "tensorflow"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "OMP_NUM_THREADS": threads,
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "TEXT_RECOGNIZER_DATA_DIR": "/tmp/data",
        "TEXT_RECOGNIZER_RUNS_DIR": "/tmp/runs",
        "WANDB_MODE": "disabled",
        "PYTHONHASHSEED": "0",
        # glibc reserves address space per thread arena; under RLIMIT_AS that wastes the budget.
        "MALLOC_ARENA_MAX": "2",
        # No GPU unless this job was given one: "" hides every device from CUDA.
        "CUDA_VISIBLE_DEVICES": gpu if gpu is not None else "",
    }


def _drop_to(identity: SandboxIdentity) -> list[str]:
    """The `setpriv` prefix that runs the rest of a command as the sandbox user, without privileges."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise SandboxUnavailable("`setpriv` (util-linux) is needed; install util-linux.")
    return [
        setpriv,
        f"--reuid={identity.uid}",
        f"--regid={identity.gid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--no-new-privs",
        "--",
    ]


def _prlimit(limits: Limits, identity: SandboxIdentity | None) -> list[str]:
    tool = shutil.which("prlimit")
    if tool is None:
        raise SandboxUnavailable("`prlimit` (util-linux) is missing; install util-linux.")
    # RLIMIT_NPROC counts every thread of the user. A dedicated sandbox user starts with none;
    # run as the grader's own user (not root), the sandbox may add `processes` to what is there.
    processes = limits.processes if identity is not None else users.tasks_of(os.getuid()) + limits.processes
    return [
        tool,
        f"--as={limits.memory_bytes}",
        f"--cpu={limits.cpu_seconds}",
        f"--nproc={processes}",
        f"--fsize={limits.file_bytes}",
        f"--nofile={limits.open_files}",
        "--core=0",
        "--",
    ]


def _runner_argv(job_path: str, grader_path: str, request_fd: int, reply_fd: int) -> list[str]:
    return [sys.executable, "-I", "-B", f"{grader_path}/runner.py", job_path,
            "--requests", str(request_fd), "--replies", str(reply_fd)]


def bwrap_launch(
    *,
    submission: Path,
    job_dir: Path,
    grader_dir: Path,
    stage_dir: Path,
    identity: SandboxIdentity | None,
    limits: Limits,
    request_fd: int,
    reply_fd: int,
    gpu: str | None = None,
    inner: list[str] | None = None,
    extra_binds: list[Bind] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Launch:
    """The bwrap command for one start of the runner (or of `inner`, for the availability check)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(f"bubblewrap (`bwrap`) is not installed. {INSTALL_HINT}")
    binds = [Bind(path.resolve(), str(path)) for path in python_install_paths()]
    binds += [
        Bind(submission, SUBMISSION),
        Bind(job_dir, JOB),
        Bind(grader_dir, GRADER),
        *(extra_binds or []),
    ]
    staged = identity is not None
    stage_of = {bind.dest: (f"{stage_dir}/{i}" if staged else str(bind.source)) for i, bind in enumerate(binds)}

    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    # A sized root of our own (bwrap's default root tmpfs has no size); read-only at the end.
    args += ["--size", str(limits.root_bytes), "--tmpfs", "/"]
    # The private /tmp first: binds below it (a venv under /tmp) must sit on top of it, not under.
    args += ["--size", str(limits.tmp_bytes), "--tmpfs", "/tmp", "--dir", "/tmp/home"]
    for top in ("usr",):
        args += ["--ro-bind", f"/{top}", f"/{top}"]
    for link in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / link
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{link}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{link}"]
    for name in ETC_FILES:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for bind in binds:
        args += ["--ro-bind", stage_of[bind.dest], bind.dest]
    job_source = stage_of[JOB]
    args += ["--ro-bind", f"{job_source}/etc/passwd", "/etc/passwd"]
    args += ["--ro-bind", f"{job_source}/etc/group", "/etc/group"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    devices = gpu_devices() if gpu is not None else []
    for device in devices:
        args += ["--dev-bind", device, device]
    if devices:
        args += ["--ro-bind", "/sys", "/sys"]  # CUDA reads PCI topology from sysfs
    # /dev read-only (its device nodes still work), with a sized /dev/shm; then the root.
    args += ["--remount-ro", "/dev", "--size", str(limits.shm_bytes), "--tmpfs", "/dev/shm"]
    args += ["--remount-ro", "/"]
    args += ["--chdir", SUBMISSION, "--clearenv"]
    for key, value in {**sandbox_env(limits, gpu), **(extra_env or {})}.items():
        args += ["--setenv", key, value]
    job_path = f"{JOB}/job.json"
    args += ["--", *(inner or _runner_argv(job_path, GRADER, request_fd, reply_fd))]

    if not staged:
        argv = _prlimit(limits, identity) + args
    else:
        script = [
            "set -e",
            f"mount -t tmpfs -o mode=0755,size=1m autograder-stage {shlex.quote(str(stage_dir))}",
        ]
        for bind in binds:
            target = shlex.quote(stage_of[bind.dest])
            script.append(f"mkdir {target}")
            script.append(f"mount --bind {shlex.quote(str(bind.source))} {target}")
        unshare = shutil.which("unshare")
        if unshare is None:
            raise SandboxUnavailable("`unshare` (util-linux) is needed; install util-linux.")
        drop = _drop_to(identity)
        script.append("exec " + shlex.join(drop + args))
        argv = _prlimit(limits, identity) + [
            unshare,
            "--mount",
            "--propagation",
            "private",
            "--",
            "/bin/sh",
            "-c",
            "\n".join(script),
        ]
    notes = [] if identity else ["the grader is not root: student code runs as the grader's own user (inside bwrap)"]
    return Launch(argv, {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, SUBMISSION, GRADER, job_path, notes)


def unsandboxed_launch(
    *,
    submission: Path,
    job_dir: Path,
    grader_dir: Path,
    identity: SandboxIdentity | None,
    limits: Limits,
    request_fd: int,
    reply_fd: int,
    gpu: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> Launch:
    """Run the runner without bwrap: rlimits, a new session and (as root) another user only."""
    argv = _prlimit(limits, identity)
    if identity is not None:
        argv += _drop_to(identity)
    job_path = str(job_dir / "job.json")
    argv += _runner_argv(job_path, str(grader_dir), request_fd, reply_fd)
    env = sandbox_env(limits, gpu)
    home = job_dir / "home"
    env.update(
        {
            "HOME": str(home),
            "TMPDIR": str(home),
            "MPLCONFIGDIR": str(home / "matplotlib"),
            "TEXT_RECOGNIZER_DATA_DIR": str(home / "data"),
            "TEXT_RECOGNIZER_RUNS_DIR": str(home / "runs"),
            **(extra_env or {}),
        }
    )
    notes = ["UNSANDBOXED: no bubblewrap namespaces (network and files of this machine are reachable)"]
    return Launch(argv, env, str(submission), str(grader_dir), job_path, notes)


def check_bwrap(identity: SandboxIdentity | None, work_dir: Path, limits: Limits) -> None:
    """Start a trivial Python inside the sandbox; raise SandboxUnavailable (saying why) if it fails."""
    for name in ("submission", "job/etc", "grader"):
        (work_dir / name).mkdir(parents=True, exist_ok=True)
    write_etc(work_dir / "job", identity)
    for path in (work_dir / "submission", work_dir / "job", work_dir / "grader"):
        path.chmod(0o755)
    stage = Path(tempfile.mkdtemp(prefix="autograder-stage-"))
    stage.chmod(0o755)
    try:
        launch = bwrap_launch(
            submission=work_dir / "submission",
            job_dir=work_dir / "job",
            grader_dir=work_dir / "grader",
            stage_dir=stage,
            identity=identity,
            limits=limits,
            request_fd=0,
            reply_fd=1,
            inner=[sys.executable, "-I", "-c", "import os; print('sandbox-ok', os.getuid())"],
        )
        result = subprocess.run(
            launch.argv,
            env=launch.env,
            capture_output=True,
            text=True,
            timeout=60,
            start_new_session=True,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SandboxUnavailable("a trivial command did not finish in bubblewrap within 60 s.") from None
    finally:
        stage.rmdir()
    if result.returncode != 0 or "sandbox-ok" not in result.stdout:
        detail = (result.stderr or result.stdout).strip()[-600:]
        if "--size" in detail or "Unknown option" in detail:
            detail += " (bubblewrap 0.5 or newer is needed: it sizes every tmpfs of the sandbox with --size)"
        raise SandboxUnavailable(
            f"bubblewrap is installed but could not start a sandbox here (exit {result.returncode}: "
            f"{detail or 'no message'}). {INSTALL_HINT}"
        )


#: The grader's files inside the sandbox (runner, wire codec, observers): every file of this folder,
#: and nothing else, is copied to /grader. The only grader code that runs next to student code.
INSIDE_DIR = Path(__file__).resolve().parent / "inside"


def write_grader_files(grader_dir: Path) -> None:
    """Copy the files of `sandbox/inside/` into `grader_dir` (readable by the sandbox user)."""
    grader_dir.mkdir(parents=True, exist_ok=True)
    for source in sorted(INSIDE_DIR.glob("*.py")):
        shutil.copy(source, grader_dir / source.name)
    for path in [grader_dir, *grader_dir.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def write_etc(job_dir: Path, identity: SandboxIdentity | None) -> None:
    """A minimal /etc/passwd and /etc/group naming only the sandbox user (bound into the sandbox)."""
    etc = job_dir / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    uid = identity.uid if identity else os.getuid()
    gid = identity.gid if identity else os.getgid()
    (etc / "passwd").write_text(f"student:x:{uid}:{gid}:sandbox:/tmp/home:/usr/sbin/nologin\n")
    (etc / "group").write_text(f"student:x:{gid}:\n")
    for path in (etc, etc / "passwd", etc / "group"):
        path.chmod(0o755 if path.is_dir() else 0o644)
