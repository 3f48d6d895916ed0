"""Start the service with gunicorn on this machine's loopback, wait until it answers, stop it.

    with LocalServer(workers=1, threads=2) as server:    # the tests, the benchmark
        requests.post(f"{server.url}/v1/predict", files={"image": open("line.png", "rb")})

    python -m text_recognizer.api.local_server PAGE.png LINE.png   # post images, print the JSON answers

It runs `python -m gunicorn -c text_recognizer/api/gunicorn.conf.py` in a new process group with
the settings given here (through the environment the config file reads), logging to a file.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Annotated

import typer

from text_recognizer.paths import PACKAGE_DIR

GUNICORN_CONFIG = PACKAGE_DIR / "api" / "gunicorn.conf.py"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerError(RuntimeError):
    """gunicorn exited, or did not answer /health in time (the message holds its log's end)."""


class LocalServer:
    """gunicorn serving the app on `127.0.0.1:<port>`.

    Args:
        workers: gunicorn worker processes (each loads the models once).
        threads: threads per worker.
        port: the port; a free one by default.
        start_timeout: seconds to wait for /health (loading Keras and the model takes ~20 s).
        log_path: where gunicorn's output goes (a temporary file by default).
        environment: more settings that gunicorn.conf.py or the worker read, e.g.
            `{"GUNICORN_WORKER_CLASS": "gthread"}` or `{"GUNICORN_HEADER_TIMEOUT": "3"}`.
    """

    def __init__(self, workers: int = 1, threads: int = 2, port: int | None = None, start_timeout: float = 180.0,
                 log_path: str | Path | None = None, environment: Mapping[str, str] | None = None) -> None:
        self.workers, self.threads = workers, threads
        self.environment = dict(environment or {})
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start_timeout = start_timeout
        self.log_path = Path(log_path) if log_path else Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def start(self) -> LocalServer:
        """Start gunicorn and return once /health answers; raise ServerError otherwise."""
        env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(self.workers),
               "GUNICORN_THREADS": str(self.threads), **self.environment,
               "PYTHONPATH": os.pathsep.join([str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH", "")])}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG)],
                                            cwd=PACKAGE_DIR.parent, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while not self.healthy():
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ServerError(f"gunicorn did not answer /health within {self.start_timeout:.0f} s:\n"
                                  f"{self.log_tail()}")
            time.sleep(0.5)
        return self

    def healthy(self) -> bool:
        """Whether /health answers 200 now (the port opens before the model is loaded)."""
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def log_tail(self, characters: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:] if self.log_path.exists() else ""

    def stop(self) -> None:
        """Stop gunicorn (SIGTERM, then SIGKILL after 30 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


def post_images(paths: list[Path], workers: int = 1) -> int:
    """Start gunicorn, post each image (kind=line for line-shaped ones, page for the others), print
    the JSON answers, stop. Returns 0 when every answer was a 200."""
    import requests
    from PIL import Image

    status = 0
    with LocalServer(workers=workers, threads=2) as server:
        print(f"gunicorn on {server.url}: {requests.get(f'{server.url}/health', timeout=10).json()}")
        for path in paths:
            with Image.open(path) as image:
                kind = "line" if image.width >= 4 * image.height else "page"
            response = requests.post(f"{server.url}/v1/predict?kind={kind}", data=path.read_bytes(),
                                     headers={"Content-Type": "application/octet-stream"}, timeout=120)
            answer = response.json()
            if isinstance(answer.get("model"), dict):  # the provenance is long: its name is enough here
                answer["model"] = answer["model"].get("name")
            print(f"POST /v1/predict?kind={kind} {path.name} -> {response.status_code}")
            print(json.dumps(answer, indent=1, ensure_ascii=False))
            status |= response.status_code != 200
    print("gunicorn stopped")
    return status


def main(
    images: Annotated[list[Path], typer.Argument(help="Image files (lines or pages).")],
    workers: Annotated[int, typer.Option(help="Gunicorn workers.")] = 1,
) -> None:
    """Start the service on loopback, post images, print the answers."""
    missing = [str(p) for p in images if not p.is_file()]
    if missing:
        sys.exit(f"no such image: {', '.join(missing)}")
    sys.exit(post_images(images, workers))


if __name__ == "__main__":
    typer.run(main)
