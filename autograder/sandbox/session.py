"""Drive the in-sandbox runner probe by probe; turn whatever happens into plain outcomes.

The runner announces each probe and each student import before it starts them, so when the
process dies, hangs or floods its output, the parent knows exactly what was running. That probe
fails with the reason; probes needing a module whose import killed the process fail too; the
runner is started again for the rest (up to `Limits.max_restarts`). An honest submission needs
a single start.

Only the trusted parent decides: records that are malformed, arrive for a probe that is not
running, or repeat a probe's report (something other than the runner wrote them) are refused,
and an expected probe that never reported is failed.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autograder.sandbox.launch import Launch
from autograder.sandbox.limits import Limits
from autograder.wire import WireError, loads

EVENTS = frozenset({"hello", "probe_start", "import_start", "import_done", "probe_done", "bye"})
MAX_LINE = 32 * 1024 * 1024
MAX_BAD_RECORDS = 50


@dataclass(frozen=True)
class ProbeSpec:
    """What the parent needs to know about a probe to watch it."""

    id: str
    imports: tuple[str, ...]
    timeout: float


@dataclass
class ProbeOutcome:
    """What became of one probe. Only `status == "ok"` carries a `result` (untrusted data)."""

    probe: str
    status: str  # ok | error | timeout | crashed | not_run | invalid
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    seconds: float = 0.0
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class CappedText:
    """Keeps the first and last `limit` bytes of a stream and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self.limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > self.limit:
                del self.tail[: len(self.tail) - self.limit]

    def text(self) -> str:
        skipped = self.total - len(self.head) - len(self.tail)
        middle = f"\n[... {skipped:,} bytes not kept ...]\n" if skipped > 0 else ""
        return bytes(self.head).decode(errors="replace") + middle + bytes(self.tail).decode(errors="replace")

    def last_lines(self, count: int = 6) -> str:
        data = bytes(self.tail or self.head).decode(errors="replace").strip().splitlines()
        return "\n".join(line[:300] for line in data[-count:])


@dataclass
class SessionReport:
    """All outcomes of a grading run plus what the instructor should know about it."""

    outcomes: dict[str, ProbeOutcome]
    starts: int = 0
    stdout: CappedText | None = None
    stderr: CappedText | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _drain(stream, sink: CappedText) -> None:
    try:
        while chunk := stream.read1(65536):
            sink.add(chunk)
    except (OSError, ValueError):
        pass


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "did not exit"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    if code > 128:  # bwrap and shells report a child killed by signal N as status 128 + N
        try:
            return f"exited with status {code} (killed by {signal.Signals(code - 128).name})"
        except ValueError:
            pass
    return f"exited with status {code}"


class _Run:
    """One start of the runner: reads its records until it ends, dies or runs out of time."""

    def __init__(
        self,
        specs: dict[str, ProbeSpec],
        pending: list[str],
        limits: Limits,
        report: SessionReport,
        deadline_total: float,
    ) -> None:
        self.specs = specs
        self.pending = pending
        self.limits = limits
        self.report = report
        self.deadline_total = deadline_total
        self.phase = "startup"
        self.current: str | None = None
        self.module: str | None = None
        self.started_at = time.monotonic()
        self.deadline = self.started_at + limits.startup_seconds
        self.bad_records = 0
        self.bytes = 0
        self.said_hello = False
        self.finished: set[str] = set()
        self.end_reason = ""

    # --- event handling ------------------------------------------------------------------
    def _note(self, text: str) -> None:
        if len(self.report.notes) < 200:
            self.report.notes.append(text)

    def _bad(self, text: str) -> None:
        self.bad_records += 1
        self._note(f"refused a record from the sandbox: {text}")

    def _set_deadline(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def handle(self, record: dict[str, Any]) -> None:
        event, probe = record.get("event"), record.get("probe")
        if event not in EVENTS:
            return self._bad(f"unknown event {str(event)[:60]!r}")
        if event == "hello":
            if self.said_hello:
                return self._bad("a second hello")
            self.said_hello, self.phase = True, "idle"
            return self._set_deadline(self.limits.idle_seconds)
        if event == "bye":
            if self.phase not in ("idle",):
                return self._bad(f"bye while {self.phase}")
            self.phase = "done"
            return self._set_deadline(10.0)
        if not isinstance(probe, str):
            return self._bad(f"{event} without a probe id")
        outcomes = self.report.outcomes
        if event == "probe_start":
            if self.phase == "done" and probe in self.pending and probe not in self.finished:
                # Work after a "bye": that bye did not come from the runner, which stops after it.
                self._note(f"a bye was followed by {probe!r} starting: ignored that bye")
                self.phase = "idle"
            if self.phase != "idle" or probe not in self.pending or probe in self.finished:
                return self._bad(f"probe_start for {probe[:80]!r} while {self.phase}")
            self.current, self.phase = probe, "probe"
            self.probe_started = time.monotonic()
            return self._set_deadline(self._probe_timeout(probe))
        if event == "probe_done" and (
            probe in self.finished or (probe in outcomes and outcomes[probe].status != "not_run")
        ):
            # The runner reports each probe once: a second report means something else wrote one.
            outcomes[probe] = ProbeOutcome(
                probe,
                "invalid",
                reason="the probe reported twice: one report cannot have come from "
                "the grader's runner (the submission wrote to the grader's result channel)",
            )
            self.finished.add(probe)
            return self._bad(f"second report for {probe!r}")
        if probe != self.current:
            return self._bad(f"{event} for {probe[:80]!r}, but {self.current!r} is running")
        if event == "import_start":
            module = record.get("module")
            if self.phase != "probe" or not isinstance(module, str):
                return self._bad(f"import_start while {self.phase}")
            self.phase, self.module = "import", module
            return self._set_deadline(self.limits.import_seconds)
        if event == "import_done":
            if self.phase != "import" or record.get("module") != self.module:
                return self._bad("import_done without its import_start")
            self.phase, self.module = "probe", None
            return self._set_deadline(self._probe_timeout(probe))
        # probe_done for the running probe
        if self.phase != "probe":
            return self._bad(f"probe_done for {probe!r} while {self.phase}")
        ok, seconds = record.get("ok"), time.monotonic() - self.probe_started
        if record.get("tampered"):
            changed = ", ".join(str(name)[:80] for name in record["tampered"][:5])
            outcomes[probe] = ProbeOutcome(
                probe,
                "invalid",
                seconds=seconds,
                reason=f"the submission replaced the grader's code while this test ran ({changed})",
            )
            self._note(f"{probe}: grader code replaced in memory: {changed}")
        elif ok is True and isinstance(record.get("result"), dict):
            outcomes[probe] = ProbeOutcome(probe, "ok", result=record["result"], seconds=seconds)
        elif ok is False and isinstance(record.get("error"), dict):
            error = {k: str(v)[:4000] for k, v in record["error"].items() if isinstance(k, str)}
            outcomes[probe] = ProbeOutcome(
                probe,
                "error",
                error=error,
                seconds=seconds,
                reason=f"raised {error.get('type', 'an exception')}",
            )
        else:
            outcomes[probe] = ProbeOutcome(probe, "invalid", seconds=seconds, reason="its report was malformed")
        self.finished.add(probe)
        self.current, self.phase = None, "idle"
        self._set_deadline(self.limits.idle_seconds)

    def _probe_timeout(self, probe: str) -> float:
        return self.specs[probe].timeout * self.limits.timeout_scale

    # --- the read loop -------------------------------------------------------------------
    def read(self, process: subprocess.Popen, fd: int) -> None:
        buffer = bytearray()
        while True:
            now = time.monotonic()
            if now >= self.deadline_total:
                self.end_reason = f"the grading time budget ({self.limits.total_seconds:.0f} s) ran out"
                return
            if now >= self.deadline:
                self.end_reason = self._timeout_reason()
                return
            wait = min(self.deadline, self.deadline_total) - now
            ready, _, _ = select.select([fd], [], [], min(wait, 1.0))
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                self.end_reason = ""  # EOF: the process ended (or closed the channel)
                return
            self.bytes += len(chunk)
            if self.bytes > self.limits.result_bytes:
                self.end_reason = f"the sandbox wrote more than {self.limits.result_bytes:,} bytes of results"
                return
            buffer += chunk
            while (newline := buffer.find(b"\n")) >= 0:
                line = bytes(buffer[:newline])
                del buffer[: newline + 1]
                if not line.strip():
                    continue
                try:
                    self.handle(loads(line))
                except WireError as error:
                    self._bad(str(error))
                if self.bad_records > MAX_BAD_RECORDS:
                    self.end_reason = "the sandbox sent too many malformed records"
                    return
            if len(buffer) > MAX_LINE:
                self.end_reason = f"the sandbox sent a record longer than {MAX_LINE:,} bytes"
                return

    def _timeout_reason(self) -> str:
        if self.phase == "import":
            return f"importing {self.module} took longer than {self.limits.import_seconds:.0f} s"
        if self.phase == "probe" and self.current:
            return f"it ran longer than its time limit ({self._probe_timeout(self.current):.0f} s)"
        if self.phase == "startup":
            return f"the sandbox did not start within {self.limits.startup_seconds:.0f} s"
        if self.phase == "done":
            return ""
        return f"the sandbox did nothing for {self.limits.idle_seconds:.0f} s between tests"


def run_session(
    specs: list[ProbeSpec],
    start: Callable[[list[str], int], Launch],
    limits: Limits,
    after_run: Callable[[], int] | None = None,
) -> SessionReport:
    """Run every probe, restarting the runner after a crash or timeout; always returns outcomes.

    `start(only, result_fd)` builds the launch for the given probe ids; `after_run()` is called
    after each start to sweep leftover processes (returns how many it killed).
    """
    by_id = {spec.id: spec for spec in specs}
    report = SessionReport(outcomes={spec.id: ProbeOutcome(spec.id, "not_run") for spec in specs})
    report.stdout, report.stderr = CappedText(limits.log_bytes), CappedText(limits.log_bytes)
    began = time.monotonic()
    deadline_total = began + limits.total_seconds
    pending = [spec.id for spec in specs]
    while pending:
        if report.starts > limits.max_restarts:
            reason = f"not run: the sandbox was restarted {limits.max_restarts} times already"
            break
        if time.monotonic() >= deadline_total:
            reason = f"not run: the grading time budget ({limits.total_seconds:.0f} s) ran out"
            break
        run = _start_once(by_id, pending, start, limits, report, deadline_total)
        if after_run is not None:
            killed = after_run()
            if killed:
                report.notes.append(f"killed {killed} process(es) the submission left running")
        pending = [p for p in pending if report.outcomes[p].status == "not_run"]
        if not run.said_hello and pending:
            reason = f"not run: the sandbox could not start ({run.end_reason or 'see the log'})"
            break
    else:
        reason = ""
    for probe in pending:
        report.outcomes[probe].reason = reason
    report.seconds = time.monotonic() - began
    return report


def _start_once(by_id, pending, start, limits, report, deadline_total) -> _Run:
    read_fd, write_fd = os.pipe()
    report.starts += 1
    banner = f"\n===== sandbox start {report.starts}: {len(pending)} test probe(s) =====\n".encode()
    report.stdout.add(banner)
    report.stderr.add(banner)
    run = _Run(by_id, pending, limits, report, deadline_total)
    try:
        launch = start(pending if report.starts > 1 else [], write_fd)
        for note in launch.notes:
            if note not in report.notes:
                report.notes.append(note)
        process = subprocess.Popen(
            launch.argv,
            env=launch.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_fd,),
            start_new_session=True,
        )
    except BaseException:
        os.close(read_fd)
        os.close(write_fd)
        raise
    os.close(write_fd)
    drains = [
        threading.Thread(target=_drain, args=(process.stdout, report.stdout), daemon=True),
        threading.Thread(target=_drain, args=(process.stderr, report.stderr), daemon=True),
    ]
    for thread in drains:
        thread.start()
    try:
        run.read(process, read_fd)
    finally:
        os.close(read_fd)
        ended_on_its_own = _stop(process, grace=10.0 if run.phase == "done" else 2.0)
        for thread in drains:
            thread.join(timeout=5.0)
        for stream in (process.stdout, process.stderr):
            stream.close()
    _settle(run, process.returncode, ended_on_its_own, report)
    return run


def _stop(process: subprocess.Popen, grace: float) -> bool:
    """Wait up to `grace` s for the process to exit, then kill its whole process group."""
    try:
        process.wait(timeout=grace)
        ended = True
    except subprocess.TimeoutExpired:
        ended = False
    try:
        # bwrap is the group leader; killing it kills the sandbox's pid namespace with it.
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
    return ended


def _settle(run: _Run, code: int | None, ended_on_its_own: bool, report: SessionReport) -> None:
    """Fail whatever was running when the process ended, and say why."""
    if run.phase == "done":
        return
    if run.end_reason:
        why = run.end_reason
        status = "timeout" if "longer than" in why or "time budget" in why or "did nothing" in why else "crashed"
    elif not ended_on_its_own:
        why = "the submission closed the grader's result channel"
        status = "crashed"
    else:
        why = f"the sandbox process {_describe_exit(code)}"
        status = "crashed"
    tail = report.stderr.last_lines()
    if run.current is None:
        if run.phase == "startup" and not run.said_hello:
            report.notes.append(f"the sandbox ended before the runner started: {why}. {tail}")
        else:
            report.notes.append(f"the sandbox ended between tests: {why}")
        return
    culprit = run.current
    if run.phase == "import" and run.module:
        module = run.module
        reason = f"importing {module} ended the sandbox: {why}"
        for probe in run.pending:
            spec = run.specs[probe]
            if probe != culprit and report.outcomes[probe].status == "not_run" and module in spec.imports:
                report.outcomes[probe] = ProbeOutcome(probe, status, reason=reason)
    else:
        reason = f"{why} while this test ran"
    report.outcomes[culprit] = ProbeOutcome(
        culprit, status, reason=reason, seconds=time.monotonic() - run.probe_started
    )
    report.notes.append(f"{culprit}: {reason}")
