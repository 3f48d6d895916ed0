"""Run the function the way Lambda runs it, on this machine: AWS's runtime client against a loopback
Lambda Runtime API.

    python -m text_recognizer.serverless.runtime_api event.json [more.json ...]

On Lambda, a runtime client (`awslambdaric`, the one AWS's Python base image runs) asks the Lambda
service for the next event (`GET /2018-06-01/runtime/invocation/next`), calls the handler named by
its handler string and posts the result (`POST .../invocation/{id}/response`), or the failure
(`.../{id}/error`; `/runtime/init/error` when the handler cannot even be loaded). `RuntimeApi` is
that service's side, on 127.0.0.1; `LambdaProcess` starts `python -m awslambdaric <handler>`
against it. Every wait has a timeout: a function that hangs is an error, never a stuck test.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import typer

PREFIX = "/2018-06-01/runtime"
HANDLER = "text_recognizer.serverless.handler.handler"
FUNCTION_NAME = "text-recognizer-local"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION_NAME}"
INVOCATION_TIMEOUT_S = 60.0
"""How long `invoke` waits for the function's answer (the handler itself, plus init on the first call)."""
POLL_S = 0.2
"""How often a waiting `next` request looks whether the API is closing."""


@dataclass(frozen=True)
class Outcome:
    """What the function did with one event: `kind` "response" (its return value) or "error"
    (Lambda's error document: errorType, errorMessage, ...), as JSON."""

    request_id: str
    kind: str
    body: Any
    error_type: str | None = None


class FunctionFailed(Exception):
    """The function failed outside an invocation (init error, exit) or did not answer in time."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a stopped function drops its connection
            super().handle_error(request, client_address)


class RuntimeApi:
    """The Lambda service's side of the Runtime API, on a free loopback port (a context manager)."""

    def __init__(self, deadline_s: float = INVOCATION_TIMEOUT_S) -> None:
        self.deadline_s = deadline_s
        self.events: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.outcomes: dict[str, queue.Queue[Outcome]] = {}
        self.init_errors: list[dict[str, Any]] = []
        self.closing = threading.Event()
        self._ids = itertools.count(1)
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name="runtime-api", daemon=True)

    @property
    def address(self) -> str:
        """host:port, the value of AWS_LAMBDA_RUNTIME_API for the runtime client."""
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> RuntimeApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def submit(self, event: Any) -> str:
        """Queue one event (a JSON-ready object, or raw bytes sent as they are); its request id."""
        request_id = f"request-{next(self._ids):04d}"
        payload = event if isinstance(event, bytes) else json.dumps(event).encode("utf-8")
        self.outcomes[request_id] = queue.Queue(maxsize=1)
        self.events.put((request_id, payload))
        return request_id

    def wait(self, request_id: str, timeout_s: float = INVOCATION_TIMEOUT_S,
             process: subprocess.Popen | None = None) -> Outcome:
        """The outcome of `request_id`; raises `FunctionFailed` on an init error, an exited
        `process` or no answer within `timeout_s`."""
        waited_until = time.monotonic() + timeout_s
        while time.monotonic() < waited_until:
            if self.init_errors:
                raise FunctionFailed(f"The function failed to start (init error): {self.init_errors[0]}")
            if process is not None and process.poll() is not None:
                raise FunctionFailed(f"The runtime client exited with status {process.returncode} before "
                                    f"answering {request_id}: see its output above.")
            try:
                return self.outcomes[request_id].get(timeout=POLL_S)
            except queue.Empty:
                continue
        raise FunctionFailed(f"No answer to {request_id} within {timeout_s:.0f} s: the handler hangs, or the "
                            "runtime client never asked for the event (is AWS_LAMBDA_RUNTIME_API right?).")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # the runtime client keeps its connection open

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests read the outcomes
                pass

            def _answer(self, status: int, body: bytes = b'{"status":"OK"}', headers: dict[str, str] | None = None):
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    return self._answer(HTTPStatus.NOT_FOUND, b'{"errorType":"NotFound"}')
                while not api.closing.is_set():  # long poll, as Lambda's own API does
                    try:
                        request_id, payload = api.events.get(timeout=POLL_S)
                    except queue.Empty:
                        continue
                    deadline_ms = int((time.time() + api.deadline_s) * 1000)
                    return self._answer(HTTPStatus.OK, payload, {
                        "Lambda-Runtime-Aws-Request-Id": request_id,
                        "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                        "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                        "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{request_id:0>24};Sampled=0",
                    })
                return self._answer(HTTPStatus.GONE, b'{"errorType":"ShuttingDown"}')

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                document = json.loads(body) if body else None
                error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
                if self.path == f"{PREFIX}/init/error":
                    api.init_errors.append(document or {"errorType": error_type})
                    return self._answer(HTTPStatus.ACCEPTED)
                parts = self.path.removeprefix(f"{PREFIX}/invocation/").split("/")
                if len(parts) == 2 and parts[0] in api.outcomes and parts[1] in ("response", "error"):
                    api.outcomes[parts[0]].put(Outcome(parts[0], parts[1], document, error_type))
                    return self._answer(HTTPStatus.ACCEPTED)
                return self._answer(HTTPStatus.NOT_FOUND, b'{"errorType":"InvalidRequestID"}')

        return Handler


class LambdaProcess:
    """`python -m awslambdaric <handler>` against `api`, in a process of its own (a context manager
    that always kills it). `env` adds variables (e.g. TEXT_RECOGNIZER_COMPILED_DIR)."""

    def __init__(self, api: RuntimeApi, handler: str = HANDLER, env: dict[str, str] | None = None,
                 cwd: str | Path | None = None) -> None:
        self.api = api
        self.command = [sys.executable, "-m", "awslambdaric", handler]
        self.env = {**os.environ, "AWS_LAMBDA_RUNTIME_API": api.address, "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
                    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
                    "AWS_REGION": "us-east-1", "PYTHONUNBUFFERED": "1", **(env or {})}
        self.cwd = cwd
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> LambdaProcess:
        self.process = subprocess.Popen(self.command, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def invoke(self, event: Any, timeout_s: float = INVOCATION_TIMEOUT_S) -> Outcome:
        """Hand the function one event; what it answered."""
        return self.api.wait(self.api.submit(event), timeout_s, self.process)


def main(
    events: Annotated[list[Path], typer.Argument(help="JSON files, one event each.")],
    handler: Annotated[str, typer.Option(help="The function's handler, as serverless.yml names it.")] = HANDLER,
    timeout: Annotated[float, typer.Option(help="Seconds per event.")] = INVOCATION_TIMEOUT_S,
) -> None:
    """Run the function as Lambda does and invoke it with each event; print each answer."""
    with RuntimeApi() as api, LambdaProcess(api, handler) as function:
        for path in events:
            outcome = function.invoke(json.loads(path.read_text()), timeout)
            print(json.dumps({"event": str(path), "kind": outcome.kind, "body": outcome.body}, indent=1))


if __name__ == "__main__":
    typer.run(main)
