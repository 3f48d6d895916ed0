"""Inside the sandbox: answer the trusted tests' calls into student code, one at a time.

    python -I -B runner.py /job/job.json --requests FD --replies FD

This file is copied into the sandbox beside `wire.py` and `observers.py`. It runs untrusted
student code in this very process, so nothing it reports is trusted: the hidden tests check
every value against expectations the sandbox never sees. Its job is only to make each call the
parent asks for, turn the result into plain data with one of the whitelisted observers, catch
whatever happens (SystemExit included) and say so, one JSON line per event:

    hello, import_start, import_done, reply          (and bye, when asked to close)

The parent sends one request at a time and waits for its reply; the import events tell it which
student module was loading if the process dies or hangs.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

# Bound before any student code runs, so that casual monkeypatching cannot silence the report.
_write = os.write
_read = os.read
_monotonic = time.monotonic
_exit = os._exit

MAX_TEXT = 2000
MAX_REQUEST = 256 * 1024 * 1024


def _text(value: object, limit: int = MAX_TEXT) -> str:
    """str(value), never raising, truncated (student __str__ methods run here)."""
    try:
        text = str(value)
    except BaseException as error:  # noqa: BLE001 - a student's __str__ may raise anything
        text = f"<str() raised {type(error).__name__}>"
    return text if len(text) <= limit else text[:limit] + " [...]"


def describe(error: BaseException) -> dict:
    """The plain facts of an exception: type name, message, a short traceback."""
    try:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        trace = "".join(lines[-12:])
    except BaseException:  # noqa: BLE001
        trace = ""
    return {"type": _text(type(error).__name__, 200), "message": _text(error), "traceback": trace[-MAX_TEXT:]}


class Channel:
    """The two pipes to the parent: requests in, one JSON line per event out."""

    def __init__(self, request_fd: int, reply_fd: int, wire) -> None:
        self.request_fd, self.reply_fd, self.wire = request_fd, reply_fd, wire
        self.buffer = bytearray()

    def emit(self, record: dict) -> None:
        try:
            data = self.wire.dumps(record)
        except BaseException as error:  # noqa: BLE001 - an unencodable value: report that instead
            data = self.wire.dumps({
                "event": record.get("event"), "call": record.get("call"), "ok": False,
                "error": {"type": "GraderEncodingError", "traceback": "",
                          "message": f"the result could not be encoded: {_text(error, 300)}"},
            })
        view = memoryview(data)
        while view:
            view = view[_write(self.reply_fd, view):]

    def next_request(self) -> dict | None:
        """The next request line, decoded (None when the parent closed the pipe)."""
        while (newline := self.buffer.find(b"\n")) < 0:
            chunk = _read(self.request_fd, 1 << 20)
            if not chunk:
                return None
            self.buffer += chunk
            if len(self.buffer) > MAX_REQUEST:
                return None
        line = bytes(self.buffer[:newline])
        del self.buffer[: newline + 1]
        return self.wire.loads(line)


def fingerprint(*modules) -> dict[str, tuple]:
    """The functions of the grader's modules, to notice a submission replacing them in memory.

    Defence in depth only: code running in this process could also patch this check. What
    really protects the score is that the parent recomputes every expectation itself.
    """
    found = {}
    for module in modules:
        for name, value in list(vars(module).items()):
            if getattr(value, "__module__", None) != module.__name__:
                continue  # imported names (Path, json...) belong to other modules
            code = getattr(value, "__code__", None)
            if code is not None:
                found[f"{module.__name__}.{name}"] = (value, code)
            elif isinstance(value, type):
                for attribute, member in list(vars(value).items()):
                    if getattr(member, "__code__", None) is not None:
                        found[f"{module.__name__}.{name}.{attribute}"] = (member, member.__code__)
    return found


def tampered(snapshot: dict[str, tuple], *modules) -> list[str]:
    """Names of grader functions replaced or recompiled since `snapshot`."""
    now = fingerprint(*modules)
    return sorted(
        name
        for name, (value, code) in snapshot.items()
        if name not in now or now[name][0] is not value or now[name][1] is not code
    )


def load_module_from(path: Path, name: str):
    """Import a grader module from a file (outside sys.path)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Runner:
    """Makes the calls: imports, target lookup, argument files, observation."""

    def __init__(self, channel: Channel, observers) -> None:
        self.channel, self.observers = channel, observers
        self.failed_imports: dict[str, dict] = {}
        self.instances: dict[str, object] = {}

    def import_modules(self, call_id: str, modules: list[str]) -> dict | None:
        """Import what the call needs, announcing each student import; the first failure, if any."""
        for module in modules:
            if module in self.failed_imports:
                return self.failed_imports[module]
            if module in sys.modules:
                continue
            self.channel.emit({"event": "import_start", "call": call_id, "module": module})
            try:
                importlib.import_module(module)
            except BaseException as error:  # noqa: BLE001 - SystemExit at import is a finding too
                self.failed_imports[module] = {**describe(error), "module": module}
                self.channel.emit({"event": "import_done", "call": call_id, "module": module, "ok": False})
                return self.failed_imports[module]
            self.channel.emit({"event": "import_done", "call": call_id, "module": module, "ok": True})
        return None

    def resolve(self, target: str, on: dict | None):
        """The callable a request names: `module:attr.path`, `module:Class().method`, or an
        attribute of a grader-built object (`on`), or `grader:function`."""
        if on is not None:
            obj = self.observers.build(on["recipe"], on.get("args", {}))
            for part in target.split("."):
                obj = getattr(obj, part)
            return obj
        module_name, _, path = target.partition(":")
        if module_name == "grader":
            return self.observers.grader_function(path)
        obj = importlib.import_module(module_name)
        prefix = module_name + ":"
        for part in path.split("."):
            if part.endswith("()"):
                key = prefix + part
                if key not in self.instances:
                    self.instances[key] = getattr(obj, part[:-2])()
                obj = self.instances[key]
            else:
                obj = getattr(obj, part)
            prefix += part + "."
        return obj

    def call(self, request: dict) -> dict:
        call_id = request["call"]
        failure = self.import_modules(call_id, list(request.get("imports", [])))
        if failure is not None:
            return {"ok": False, "error": failure}
        scratch = Path(tempfile.mkdtemp(prefix="call-"))
        try:
            files = {name: self._write_file(scratch, name, data) for name, data in request.get("files", {}).items()}
            args = [self._fill(a, files) for a in request.get("args", [])]
            kwargs = {k: self._fill(v, files) for k, v in request.get("kwargs", {}).items()}
            observe = self.observers.observer(request.get("observe", "value"))
            observe_args = request.get("observe_args", {})
            function = self.resolve(request["target"], request.get("on"))
            if request.get("each"):
                items, rest = args[0], args[1:]
                value = [self.observers.guard(lambda item=item: observe(function(_copy(item), *rest, **kwargs),
                                                                        **observe_args))
                         for item in items]
            else:
                value = observe(function(*args, **kwargs), **observe_args)
            return {"ok": True, "value": value}
        except BaseException as error:  # noqa: BLE001 - every failure, SystemExit included, is a finding
            return {"ok": False, "error": describe(error)}
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @staticmethod
    def _write_file(scratch: Path, name: str, data) -> str:
        # Files travel as uint8 arrays; the name keeps only its last part (no path tricks).
        path = scratch / Path(name).name
        path.write_bytes(data.tobytes())
        return str(path)

    @staticmethod
    def _fill(value, files: dict[str, str]):
        """Replace {"__file__": name} placeholders with the path the file was written to, and
        {"__tuple__": [...]} with a tuple (JSON has none)."""
        if isinstance(value, dict):
            if set(value) == {"__file__"}:
                return files[value["__file__"]]
            if set(value) == {"__tuple__"} and isinstance(value["__tuple__"], list):
                return tuple(Runner._fill(v, files) for v in value["__tuple__"])
            return {k: Runner._fill(v, files) for k, v in value.items()}
        if isinstance(value, list):
            return [Runner._fill(v, files) for v in value]
        return value


def _copy(item):
    """A fresh copy of one input (arrays are copied so that a student's in-place edit stays local)."""
    return item.copy() if hasattr(item, "copy") else item


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("job")
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--replies", type=int, required=True)
    options = parser.parse_args()

    job = json.loads(Path(options.job).read_text())
    grader_dir = Path(__file__).resolve().parent
    sys.path.insert(0, str(grader_dir))
    import wire

    observers = load_module_from(grader_dir / "observers.py", "grader_observers")
    observers.JOB_DIR = Path(options.job).parent
    del sys.path[0]  # the grader folder is not the student's to import from
    channel = Channel(options.requests, options.replies, wire)
    # The submission goes first on the path: `import text_recognizer` must find the student's.
    sys.path.insert(0, job["submission"])
    os.chdir(job["submission"])
    runner = Runner(channel, observers)
    guarded = (observers, sys.modules[__name__], wire)
    snapshot = fingerprint(*guarded)
    channel.emit({"event": "hello", "pid": os.getpid(), "python": sys.version.split()[0]})
    while True:
        try:
            request = channel.next_request()
        except BaseException:  # noqa: BLE001 - a garbled request: nothing sensible to answer
            request = None
        if request is None or request.get("event") == "close":
            break
        started = _monotonic()
        record = {"event": "reply", "call": request.get("call"), **runner.call(request)}
        record["seconds"] = _monotonic() - started
        changed = tampered(snapshot, *guarded)
        if changed:
            record["tampered"] = changed[:20]
        channel.emit(record)
    channel.emit({"event": "bye"})
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001
            pass
    # Skip atexit handlers and non-daemon threads a submission may have left behind.
    _exit(0)


if __name__ == "__main__":
    main()
