"""Resource limits of one sandboxed grading run (all overridable from the command line)."""

from __future__ import annotations

from dataclasses import dataclass, replace

GiB = 1024**3
MiB = 1024**2


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times in seconds, sizes in bytes.

    Memory is an address-space limit (RLIMIT_AS): TensorFlow reserves about 2.3 GiB of virtual
    memory just by importing, so values under 4 GiB break honest submissions (measured on Keras
    3.15 / TF 2.20 CPU). The Lab 3 line model, predicting a batch of lines, was seen to abort
    (SIGABRT, an allocation refused) once at 6 GiB: 8 GiB leaves headroom for two parallel
    gradings on a 24 GiB machine.
    """

    memory_bytes: int = 8 * GiB
    cpu_seconds: int = 900
    processes: int = 512
    file_bytes: int = 64 * MiB
    open_files: int = 1024
    tmp_bytes: int = 512 * MiB
    #: /dev/shm (POSIX shared memory, multiprocessing's semaphores); like /tmp it is host memory.
    shm_bytes: int = 64 * MiB
    #: The sandbox's root tmpfs: it holds only the mount points bwrap creates, and is read-only.
    root_bytes: int = 4 * MiB
    startup_seconds: float = 60.0
    import_seconds: float = 120.0
    idle_seconds: float = 30.0
    total_seconds: float = 600.0
    #: Every probe's own timeout (from the suite) is multiplied by this.
    timeout_scale: float = 1.0
    #: Kept of stdout and of stderr: this much of the beginning and as much of the end.
    log_bytes: int = 128 * 1024
    #: All result records together may not exceed this.
    result_bytes: int = 64 * MiB
    #: Sandbox restarts after a probe killed the process or ran out of time.
    max_restarts: int = 8
    #: CPU threads TensorFlow / OpenMP may use inside the sandbox.
    threads: int = 2

    def scaled(self, **changes) -> Limits:
        """A copy with some fields changed."""
        return replace(self, **changes)
