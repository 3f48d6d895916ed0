"""The parent's side of the sandbox: one runner per grading, called one request at a time.

    with SandboxSession(start, limits) as sandbox:
        reply = sandbox.call("text_recognizer.networks.mlp:mlp", (28, 28), 62, observe="network",
                             observe_args={"inputs": x})

`start(request_fd, reply_fd)` builds the launch (bubblewrap, another user, limits); the runner
starts on the first call. Each call has its own time limit; an import has the import limit;
the whole session has a time budget. When a call kills the process or runs out of time, that
call fails with the reason, and the next call starts a new runner (up to `Limits.max_restarts`).
When a student module's import killed the runner, every later call needing that module fails
with the same reason without another start.

Only the trusted parent decides: records that are malformed, that do not answer the
outstanding request (its random id), or that arrive between calls are refused and noted.
Nothing from the sandbox is unpickled: arrays come back through `wire.from_plain`.
"""

from __future__ import annotations

import os
import secrets
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograder.sandbox import shapes
from autograder.sandbox.inside.wire import WireError, dumps, loads
from autograder.sandbox.launch import Launch
from autograder.sandbox.limits import Limits

#: The longest record the parent reads (an honest reply is well under 2 MiB: arrays travel as
#: base64); a longer one ends the call. JSON parsed into Python objects takes up to 40 times
#: its size, so this and `MAX_VALUES` bound what one record can cost the parent.
MAX_LINE = 24 * 1024 * 1024
#: The most JSON values (commas and brackets, counted before parsing) one record may hold.
MAX_VALUES = 250_000
MAX_BAD_RECORDS = 50
#: What the instructor's report keeps of a student exception (type, message, module), per field.
MAX_ERROR_TEXT = 300
#: What a test may show the student of an exception: the first line of its message, this long
#: at most, printable characters only ...
SHOWN_ERROR_CHARS = 200
#: ... and this much in all, per grading; later failures show only the exception's type. With
#: this a submission cannot raise hidden inputs it saw into its feedback in bulk.
SHOWN_ERROR_BUDGET = 2000
#: Per-item error texts of an `each` call (quoted by tests beside each input): first line only.
ITEM_ERROR_CHARS = 120


def one_line(text: object, limit: int) -> str:
    """`text`'s first line, control characters dropped, at most `limit` characters (with ...)."""
    lines = str(text).strip().splitlines()
    line = lines[0] if lines else ""
    line = "".join(ch for ch in line if ch.isprintable())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def exception_name(text: object) -> str:
    """A student exception's type name as shown: an identifier (dotted), at most 60 characters."""
    name = "".join(ch for ch in one_line(text, 60) if ch.isalnum() or ch in "._")
    return name or "an exception"


class TextBudget:
    """How much student exception text the feedback of one grading may still show."""

    def __init__(self, total: int = SHOWN_ERROR_BUDGET) -> None:
        self.left = total

    def take(self, text: str) -> str:
        """`text` when it still fits, else "" (nothing is shown in part)."""
        if len(text) > self.left:
            self.left = 0
            return ""
        self.left -= len(text)
        return text


class StudentCodeFailed(AssertionError):
    """A call into student code gave no usable result; the message is fit for the student."""


@dataclass
class Reply:
    """What became of one call. Only `status == "ok"` carries a `value` (untrusted plain data)."""

    target: str
    status: str  # ok | error | timeout | crashed | not_run | invalid
    value: Any = None
    error: dict[str, str] | None = None
    seconds: float = 0.0
    reason: str = ""
    #: The grading's budget of student exception text (None: no budget, as in unit tests).
    budget: TextBudget | None = field(default=None, repr=False, compare=False)
    _shown: str | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def message(self, student_visible: bool = True) -> str:
        """Why there is no usable value, in words for the feedback.

        With `student_visible=False` the student's own exception message is left out: calls
        on hidden data must not let a submission print hidden inputs into its feedback. Shown,
        it is the first line of the message, `SHOWN_ERROR_CHARS` long at most, while the
        grading's `TextBudget` lasts.
        """
        if self.status == "error" and self.error:
            kind = exception_name(self.error.get("type", ""))
            module = self.error.get("module")
            where = f" while importing {one_line(module, 120)}" if module else ""
            if student_visible and self._shown is None:
                text = one_line(self.error.get("message", ""), SHOWN_ERROR_CHARS)
                self._shown = self.budget.take(text) if self.budget is not None else text
            text = self._shown if student_visible else ""
            if not text:
                return f"your code raised {kind}{where}"
            return f"your code raised {kind}{where}: {text}"
        if self.status == "ok":
            return ""
        return f"no usable result: {self.reason}" if self.reason else "this call did not run"

    def unwrap(self, student_visible: bool = True) -> Any:
        """The value, or `StudentCodeFailed` with `message()`."""
        if not self.ok:
            raise StudentCodeFailed(self.message(student_visible))
        return self.value


def _short_item_error(item: dict) -> dict:
    """One answer of an `each` call, its error text (student-written) cut to one short line."""
    if item.get("ok") is False:
        return {"ok": False, "error": one_line(item.get("error", ""), ITEM_ERROR_CHARS)}
    return item


class CappedText:
    """Keeps the first and last `limit` bytes of a stream and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.lock = threading.Lock()

    def add(self, data: bytes) -> None:
        with self.lock:
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
class SandboxFile:
    """A file to hand to student code: written into the sandbox for the call, passed as a path."""

    name: str
    data: bytes

    @classmethod
    def of(cls, path: Path) -> SandboxFile:
        return cls(Path(path).name, Path(path).read_bytes())


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


def _drain(stream, sink: CappedText) -> None:
    try:
        while chunk := stream.read1(65536):
            sink.add(chunk)
    except (OSError, ValueError):
        pass


class _Ended(Exception):
    """The runner is gone or must go: `status` and `reason` say how."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class _Process:
    popen: subprocess.Popen
    requests: int  # our end: write requests
    replies: int  # our end: read records
    drains: list[threading.Thread]
    buffer: bytearray = field(default_factory=bytearray)
    greeted: bool = False


class SandboxSession:
    """One grading's sandbox: start on first use, one call at a time, restart after a crash."""

    def __init__(
        self,
        start: Callable[[int, int], Launch],
        limits: Limits,
        after_run: Callable[[], int] | None = None,
    ) -> None:
        self.start, self.limits, self.after_run = start, limits, after_run
        self.stdout, self.stderr = CappedText(limits.log_bytes), CappedText(limits.log_bytes)
        self.notes: list[str] = []
        self.starts = 0
        self.calls: list[dict[str, Any]] = []
        self.began = time.monotonic()
        self.budget = limits.total_seconds
        self.bad_records = 0
        self.received = 0
        #: The longest record read, in bytes (the instructor's report; caps are sized from it).
        self.largest_record = 0
        self.text_budget = TextBudget()
        self.crashed_imports: dict[str, str] = {}
        self.failed_imports: dict[str, dict] = {}
        self.unstartable = ""
        #: Whether the running runner has made a call into the submission (reset by each start):
        #: the notebook runs in a runner that has not (`suites/notebook.py`).
        self.ran_submission_code = False
        #: Who is calling (the running hidden test), for the instructor's report.
        self.label = ""
        #: Whether the running test sends hidden-set inputs to the student's code (set by the
        #: plugin from the test's `hidden_data` mark). A runner that saw hidden data serves no call
        #: of a later test without that mark: the call gets a fresh runner (new process, new
        #: /tmp), so no later feedback can quote what the code saw.
        self.hidden = False
        self.saw_hidden = False
        #: Runners started fresh after hidden data (not restarts after a crash).
        self.fresh_starts = 0
        self._fresh = False
        self._process: _Process | None = None

    # --- public -----------------------------------------------------------------------------
    def __enter__(self) -> SandboxSession:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def extend_budget(self, seconds: float) -> None:
        """Allow the session more time (the notebook's run)."""
        self.budget += seconds

    def call(
        self,
        target: str,
        *args: Any,
        observe: str = "value",
        observe_args: dict[str, Any] | None = None,
        each: bool = False,
        on: tuple[str, dict[str, Any]] | None = None,
        imports: tuple[str, ...] | None = None,
        timeout: float = 60.0,
        **kwargs: Any,
    ) -> Reply:
        """Run `target` on the arguments inside the sandbox and observe its result.

        target: `package.module:function`, `package.module:Class().method` (the instance is
          built once per runner), a method name of the object built by recipe `on`
          (`("character_model", {...})`), or `grader:run_notebook`.
        args / kwargs: plain data, numpy arrays, `SandboxFile`s (passed as a path).
        observe: an observer of `observers.py` (value, array, arrays, prediction, predictions,
          network, http_response); `observe_args` its extra arguments (network inputs).
        each: call once per element of the first argument; the value is then a list of
          `{"ok": bool, "value" | "error"}`, one per element.
        imports: student modules to import first (default: the target's module).
        """
        if imports is None:
            module = target.partition(":")[0]
            imports = () if module == "grader" or on is not None else (module,)
        if self.saw_hidden and not self.hidden:
            self._stop(grace=0.0)  # the runner that saw hidden data serves no later call
            self._fresh, self.saw_hidden = True, False
        self.saw_hidden |= self.hidden
        started = time.monotonic()
        reply = self._call(target, args, kwargs, observe, observe_args or {}, each, on, tuple(imports), timeout)
        if imports or on is not None or not target.startswith("grader:"):
            self.ran_submission_code = True
        reply.seconds = reply.seconds or time.monotonic() - started
        reply.budget = self.text_budget
        if reply.ok:
            found = shapes.problem(observe, reply.value, len(args[0]) if each and args and
                                   isinstance(args[0], (list, tuple, np.ndarray)) else None)
            if found:
                self._bad(f"{target}: a reply not in the form of a {observe!r} observation ({found[:200]})")
                reply = Reply(target, "invalid", seconds=reply.seconds, budget=self.text_budget,
                              reason=f"its report was malformed ({found[:200]})")
            elif each:
                reply.value = [_short_item_error(item) for item in reply.value]
        error = {k: v[:MAX_ERROR_TEXT] for k, v in (reply.error or {}).items() if k in ("type", "message", "module")}
        self.calls.append({"target": target, "test": self.label, "status": reply.status,
                           "seconds": round(reply.seconds, 3), "at": round(started - self.began, 3),
                           "reason": reply.reason, "error": error or None})
        return reply

    def close(self) -> None:
        """Ask the runner to finish, then make sure every process of it is gone."""
        process = self._process
        if process is None:
            return
        try:
            os.write(process.requests, dumps({"event": "close"}))
        except OSError:
            pass
        self._stop(grace=10.0)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.began

    # --- one call ---------------------------------------------------------------------------
    def _call(self, target, args, kwargs, observe, observe_args, each, on, imports, timeout) -> Reply:
        for module in imports:
            if module in self.crashed_imports:
                return Reply(target, "crashed", reason=self.crashed_imports[module])
            if module in self.failed_imports:
                return Reply(target, "error", error=self.failed_imports[module], reason="its import failed")
        if self.unstartable:
            return Reply(target, "not_run", reason=self.unstartable)
        if self.seconds >= self.budget:
            return Reply(target, "not_run", reason=f"the grading time budget ({self.budget:.0f} s) ran out")
        files: dict[str, np.ndarray] = {}
        request = {
            "event": "call",
            "call": secrets.token_hex(8),
            "target": target,
            "args": [self._outgoing(a, files) for a in args],
            "kwargs": {k: self._outgoing(v, files) for k, v in kwargs.items()},
            "observe": observe,
            "observe_args": observe_args,
            "each": each,
            "on": {"recipe": on[0], "args": on[1]} if on else None,
            "imports": list(imports),
            "files": files,
        }
        try:
            process = self._ensure_started()
        except _Ended as ended:
            return Reply(target, "not_run", reason=ended.reason)
        self._discard_stray(process)
        try:
            self._send(process, dumps(request))
            return self._await_reply(process, request, target, timeout)
        except _Ended as ended:
            module = getattr(ended, "module", None)
            reason = ended.reason
            if module:
                reason = f"importing {module} ended the sandbox: {ended.reason}"
                if ended.status == "crashed":
                    self.crashed_imports[module] = reason
            self._stop(grace=0.5)
            self.notes.append(f"{target}: {reason}")
            return Reply(target, ended.status, reason=reason)

    @staticmethod
    def _outgoing(value: Any, files: dict[str, np.ndarray]) -> Any:
        if isinstance(value, SandboxFile):
            key = f"{len(files):03d}-{Path(value.name).name}"
            files[key] = np.frombuffer(value.data, dtype=np.uint8)
            return {"__file__": key}
        if isinstance(value, tuple):  # JSON has no tuples: the runner rebuilds them for student code
            return {"__tuple__": [SandboxSession._outgoing(v, files) for v in value]}
        if isinstance(value, list):
            return [SandboxSession._outgoing(v, files) for v in value]
        if isinstance(value, dict):
            return {k: SandboxSession._outgoing(v, files) for k, v in value.items()}
        return value

    def _send(self, process: _Process, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + 60.0
        while view:
            _, ready, _ = select.select([], [process.requests], [], 1.0)
            if process.popen.poll() is not None:
                raise _Ended("crashed", f"the sandbox process {_describe_exit(process.popen.returncode)}")
            if time.monotonic() > deadline:
                raise _Ended("timeout", "the sandbox stopped reading the grader's requests")
            if ready:
                try:
                    view = view[os.write(process.requests, view[: 1 << 16]):]
                except BrokenPipeError:
                    raise _Ended("crashed", "the sandbox closed the grader's request channel") from None

    def _await_reply(self, process: _Process, request: dict, target: str, timeout: float) -> Reply:
        call_id = request["call"]
        call_limit = timeout * self.limits.timeout_scale
        deadline = time.monotonic() + call_limit
        module: str | None = None
        while True:
            record = self._next_record(process, deadline, module, call_limit)
            if record is None:
                continue
            event = record.get("event")
            if record.get("call") != call_id:
                self._bad(f"{str(event)[:40]} record that does not answer the running call")
            elif event == "import_start" and isinstance(record.get("module"), str) and module is None:
                module = record["module"]
                deadline = time.monotonic() + self.limits.import_seconds
            elif event == "import_done" and module is not None and record.get("module") == module:
                module = None
                deadline = time.monotonic() + call_limit
            elif event == "reply":
                return self._reply(record, target, tuple(request["imports"]))
            else:
                self._bad(f"unexpected {str(event)[:40]} record")

    def _next_record(self, process: _Process, deadline: float, module: str | None, call_limit: float):
        """The runner's next record (None for a refused line); raises `_Ended` when it dies or overruns."""
        total_deadline = self.began + self.budget
        while (newline := process.buffer.find(b"\n")) < 0:
            if len(process.buffer) > MAX_LINE:
                raise _Ended("invalid", f"the sandbox sent a record longer than {MAX_LINE:,} bytes")
            now = time.monotonic()
            if now >= total_deadline:
                raise self._with_module(_Ended("timeout", f"the grading time budget ({self.budget:.0f} s) ran out"),
                                        module)
            if now >= deadline:
                if module:
                    raise self._with_module(_Ended("timeout", f"importing {module} took longer than "
                                                   f"{self.limits.import_seconds:.0f} s"), module)
                raise _Ended("timeout", f"it ran longer than its time limit ({call_limit:.0f} s)")
            ready, _, _ = select.select([process.replies], [], [], min(deadline, total_deadline) - now)
            if not ready:
                continue
            try:
                chunk = os.read(process.replies, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:  # EOF: the runner ended, or closed the channel and goes on
                try:
                    code = process.popen.wait(timeout=2.0)
                    why = f"the sandbox process {_describe_exit(code)}"
                except subprocess.TimeoutExpired:
                    why = "the submission closed the grader's result channel"
                raise self._with_module(_Ended("crashed", why), module)
            self.received += len(chunk)
            if self.received > self.limits.result_bytes:
                raise _Ended("invalid", f"the sandbox wrote more than {self.limits.result_bytes:,} bytes of results")
            process.buffer += chunk
        line = bytes(process.buffer[:newline])
        del process.buffer[: newline + 1]
        if self.bad_records > MAX_BAD_RECORDS:
            raise _Ended("invalid", "the sandbox sent too many malformed records")
        if len(line) > MAX_LINE:
            raise _Ended("invalid", f"the sandbox sent a record longer than {MAX_LINE:,} bytes")
        self.largest_record = max(self.largest_record, len(line))
        if not line.strip():
            return None
        values = line.count(b",") + line.count(b"[") + line.count(b"{")
        if values > MAX_VALUES:
            self._bad(f"a record of {values:,} JSON values (at most {MAX_VALUES:,} are read)")
            return None
        try:
            record = loads(line)
        except WireError as error:
            self._bad(str(error))
            return None
        except Exception as error:  # noqa: BLE001 - whatever the bytes, a refused record, never a grader error
            self._bad(f"an unreadable record ({type(error).__name__})")
            return None
        return record

    @staticmethod
    def _with_module(ended: _Ended, module: str | None) -> _Ended:
        ended.module = module  # type: ignore[attr-defined]
        return ended

    def _reply(self, record: dict, target: str, imports: tuple[str, ...]) -> Reply:
        seconds = record.get("seconds")
        seconds = float(seconds) if type(seconds) in (int, float) and 0 <= seconds < 1e6 else 0.0
        if record.get("tampered"):
            tampered = record["tampered"]
            names = tampered if isinstance(tampered, list) else [tampered]
            changed = one_line(", ".join(one_line(name, 80) for name in names[:5]), 200)
            self.notes.append(f"{target}: grader code replaced in memory: {changed}")
            return Reply(target, "invalid", seconds=seconds,
                         reason=f"the submission replaced the grader's code while this test ran ({changed})")
        ok = record.get("ok")
        if ok is True and "value" in record:
            return Reply(target, "ok", value=record["value"], seconds=seconds)
        if ok is False and isinstance(record.get("error"), dict):
            error = {k: str(v)[:MAX_ERROR_TEXT] for k, v in record["error"].items()
                     if k in ("type", "message", "module", "traceback")}
            if error.get("module") in imports:
                self.failed_imports[error["module"]] = error
            return Reply(target, "error", error=error, seconds=seconds,
                         reason=f"raised {exception_name(error.get('type', ''))}")
        self._bad(f"{target}: a reply that is neither a value nor an error (ok={one_line(repr(ok), 40)})")
        return Reply(target, "invalid", seconds=seconds, reason="its report was malformed")

    def _bad(self, text: str) -> None:
        self.bad_records += 1
        if len(self.notes) < 200:
            self.notes.append(f"refused a record from the sandbox: {text}")

    def _discard_stray(self, process: _Process) -> None:
        """Records written between calls answer nothing: refuse them before the next request."""
        while True:
            ready, _, _ = select.select([process.replies], [], [], 0)
            if not ready:
                break
            try:
                chunk = os.read(process.replies, 1 << 20)
            except OSError:
                break
            if not chunk:
                break
            self.received += len(chunk)
            process.buffer += chunk
            if self.received > self.limits.result_bytes:
                break
        if process.buffer.strip():
            self._bad(f"{len(process.buffer):,} bytes written between calls")
        process.buffer.clear()

    # --- starting and stopping --------------------------------------------------------------
    def spawn(self) -> None:
        """Start the runner now (it is greeted on the next call).

        Start it from the thread that will outlive it: bubblewrap's `--die-with-parent` ends the
        sandbox when the *thread* that started it ends.
        """
        if self._process is not None and self._process.popen.poll() is None:
            return
        if self._process is not None:
            self._stop(grace=0.0)
        if self.starts > self.limits.max_restarts:
            raise _Ended("not_run", f"the sandbox was restarted {self.limits.max_restarts} times already")
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        self.ran_submission_code = False
        if self._fresh:
            self.fresh_starts += 1
            self._fresh = False
        else:
            self.starts += 1
        banner = f"\n===== sandbox start {self.starts + self.fresh_starts} =====\n".encode()
        self.stdout.add(banner)
        self.stderr.add(banner)
        try:
            launch = self.start(request_read, reply_write)
            for note in launch.notes:
                if note not in self.notes:
                    self.notes.append(note)
            popen = subprocess.Popen(
                launch.argv, env=launch.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, pass_fds=(request_read, reply_write), start_new_session=True,
            )
        except BaseException:
            for fd in (request_read, request_write, reply_read, reply_write):
                os.close(fd)
            raise
        os.close(request_read)
        os.close(reply_write)
        drains = [threading.Thread(target=_drain, args=(popen.stdout, self.stdout), daemon=True),
                  threading.Thread(target=_drain, args=(popen.stderr, self.stderr), daemon=True)]
        for thread in drains:
            thread.start()
        self._process = _Process(popen, request_write, reply_read, drains)

    def _ensure_started(self) -> _Process:
        self.spawn()
        process = self._process
        if process.greeted:
            return process
        try:
            deadline = time.monotonic() + self.limits.startup_seconds
            while True:
                record = self._next_record(process, deadline, None, self.limits.startup_seconds)
                if record is not None and record.get("event") == "hello":
                    process.greeted = True
                    return process
                self._bad(f"{str((record or {}).get('event'))[:40]} record before the runner's hello")
        except _Ended as ended:
            tail = self.stderr.last_lines()
            self._stop(grace=0.0)
            self.unstartable = f"the sandbox could not start ({ended.reason})"
            self.notes.append(f"the sandbox ended before the runner started: {ended.reason}. {tail}")
            raise _Ended("not_run", self.unstartable) from None

    def _stop(self, grace: float) -> None:
        """Wait up to `grace` s for the runner to exit, then kill its whole process group."""
        process, self._process = self._process, None
        if process is None:
            return
        for fd in (process.requests,):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            process.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        try:
            # bwrap is the group leader; killing it kills the sandbox's pid namespace with it.
            os.killpg(process.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.popen.wait()
        try:
            os.close(process.replies)
        except OSError:
            pass
        for thread in process.drains:
            thread.join(timeout=5.0)
        for stream in (process.popen.stdout, process.popen.stderr):
            stream.close()
        if self.after_run is not None:
            killed = self.after_run()
            if killed:
                self.notes.append(f"killed {killed} process(es) the submission left running")
