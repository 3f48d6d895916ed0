"""Inside the sandbox: run the probes of one grading job and report plain data on a pipe.

    python -I -B runner.py /job/job.json --fd 3 [--only id1,id2]

This file is copied into the sandbox beside `wire.py` and the lab's probe module. It runs
untrusted student code in this very process, so nothing it reports is trusted: the parent
checks every value against expectations the sandbox never sees. Its job is only to call each
probe, catch whatever happens (including SystemExit), and say so, one JSON line per event:

    hello, probe_start, import_start, import_done, probe_done, bye

The parent uses the start/done events to know which probe or import was running when the
process died or ran out of time.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import time
import traceback
from pathlib import Path

# Bound before any student code runs, so that casual monkeypatching cannot silence the report.
_write = os.write
_monotonic = time.monotonic
_exit = os._exit

MAX_TEXT = 4000


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
    return {
        "type": _text(type(error).__name__, 200),
        "message": _text(error),
        "traceback": trace[-MAX_TEXT:],
    }


class Reporter:
    """Writes one JSON line per event on the result pipe."""

    def __init__(self, fd: int, wire) -> None:
        self.fd = fd
        self.wire = wire

    def emit(self, record: dict) -> None:
        try:
            data = self.wire.dumps(record)
        except BaseException as error:  # noqa: BLE001 - unencodable result: report that instead
            probe = record.get("probe")
            data = self.wire.dumps(
                {
                    "event": record.get("event"),
                    "probe": probe,
                    "ok": False,
                    "error": {
                        "type": "GraderEncodingError",
                        "message": f"the probe's result could not be encoded: {_text(error, 300)}",
                        "traceback": "",
                    },
                }
            )
        view = memoryview(data)
        while view:
            written = _write(self.fd, view)
            view = view[written:]


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
    """Import a module from a file (the grader's probe module, outside sys.path)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("job")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--only", default="")
    options = parser.parse_args()

    job_path = Path(options.job)
    job = json.loads(job_path.read_text())
    grader_dir = Path(__file__).resolve().parent
    sys.path.insert(0, str(grader_dir))
    import numpy as np
    import wire

    reporter = Reporter(options.fd, wire)
    modules = {}
    for key, filename in job["modules"].items():
        modules[key] = load_module_from(grader_dir / filename, f"grader_{key}")
        modules[key].JOB_DIR = job_path.parent
    # The submission goes first on the path: `import text_recognizer` must find the student's.
    sys.path.insert(0, job["submission"])
    os.chdir(job["submission"])
    runner_module = sys.modules[__name__]
    guarded = (*modules.values(), runner_module, wire)
    snapshot = fingerprint(*guarded)
    reporter.emit({"event": "hello", "pid": os.getpid(), "python": sys.version.split()[0]})

    only = set(filter(None, options.only.split(",")))
    failed_imports: dict[str, dict] = {}
    for probe in job["probes"]:
        probe_id = probe["id"]
        if only and probe_id not in only:
            continue
        reporter.emit({"event": "probe_start", "probe": probe_id})
        started = _monotonic()
        import_error = None
        for module in probe.get("imports", []):
            if module in failed_imports:
                import_error = failed_imports[module]
                break
            if module in sys.modules:
                continue
            reporter.emit({"event": "import_start", "probe": probe_id, "module": module})
            try:
                importlib.import_module(module)
                reporter.emit({"event": "import_done", "probe": probe_id, "module": module, "ok": True})
            except BaseException as error:  # noqa: BLE001 - SystemExit at import is a finding too
                import_error = {**describe(error), "module": module}
                failed_imports[module] = import_error
                reporter.emit(
                    {
                        "event": "import_done",
                        "probe": probe_id,
                        "module": module,
                        "ok": False,
                        "error": import_error,
                    }
                )
                break
        if import_error is not None:
            reporter.emit(
                {
                    "event": "probe_done",
                    "probe": probe_id,
                    "ok": False,
                    "error": import_error,
                    "seconds": _monotonic() - started,
                }
            )
            continue
        arrays = {
            name: np.load(job_path.parent / relative, allow_pickle=False)
            for name, relative in probe.get("arrays", {}).items()
        }
        try:
            function = getattr(modules[probe.get("module", "probes")], probe["function"])
            result = function(probe.get("args", {}), arrays)
            record = {"event": "probe_done", "probe": probe_id, "ok": True, "result": result}
        except BaseException as error:  # noqa: BLE001 - report every failure, SystemExit included
            record = {"event": "probe_done", "probe": probe_id, "ok": False, "error": describe(error)}
        record["seconds"] = _monotonic() - started
        changed = tampered(snapshot, *guarded)
        if changed:
            record["tampered"] = changed[:20]
        reporter.emit(record)
    reporter.emit({"event": "bye"})
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001
            pass
    # Skip atexit handlers and non-daemon threads a submission may have left behind.
    _exit(0)


if __name__ == "__main__":
    main()
