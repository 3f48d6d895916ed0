"""Does the service hold under slow clients? /health latency while 50 connections send a byte at a time.

    python -m text_recognizer.reports.slow_clients --output reports/lab6_slow_clients.json
    python -m text_recognizer.reports.slow_clients --clients 10 --seconds 10     # a quick look

The same attack, against the same gunicorn settings (2 workers x 2 threads), twice in one run:
- before: gunicorn's threaded worker (`gthread`), whose threads each read a request themselves;
- after: the service's worker (`api/buffering_worker.py`): an event loop reads requests, with
  header and body read timeouts, and only complete requests reach the app's threads.
Half the slow clients send their headers a byte at a time and never finish them; the other half
send complete headers, then a body of a declared 1 MB a byte at a time. A client the server
disconnects opens a new connection at once (an attacker would), so 50 are open all along.
Meanwhile a probe asks GET /health twice a second, on a new connection each time, and waits up to
5 s. After the attack on the new worker: a worker's memory growth while it reads a 1250x20000 PNG
(a page is shrunk before any padding or float work: `images/page_size.py`).
Figures, not assertions: the tests never time anything.
"""

from __future__ import annotations

import io
import select
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from text_recognizer.paths import PACKAGE_DIR
from text_recognizer.reports import write_report

SUPPORT_PAGE = PACKAGE_DIR.parent / "tests" / "support" / "iam_pages" / "page_00.png"
WORKERS = {"before": "gthread", "after": "text_recognizer.api.buffering_worker.BufferingWorker"}
PROBE_TIMEOUT_SECONDS = 5.0
SLOW_HEADERS = b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nX-Slow: "
"""A request whose headers never end: the client sends one more byte of X-Slow at each tick."""
SLOW_BODY = (b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
             b"Content-Length: 1000000\r\n\r\n")
"""Complete headers; then the declared 1 MB body, a byte at each tick."""


class SlowClients:
    """`count` connections to `host:port` that each send one byte per `interval` seconds.

    Even-numbered clients drip their headers, odd-numbered ones their body. A connection the
    server closes (or answers) is counted in `closed_by_server` and opened again.

        with SlowClients("127.0.0.1", 8000, count=50):
            ...   # the service is under attack here
    """

    def __init__(self, host: str, port: int, count: int, interval: float = 1.0) -> None:
        self.address, self.count, self.interval = (host, port), count, interval
        self.connections: list[socket.socket | None] = [None] * count
        self.opened = self.closed_by_server = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, name="slow-clients", daemon=True)

    def _open(self, index: int) -> None:
        connection = socket.create_connection(self.address, timeout=5)
        connection.sendall(SLOW_HEADERS if index % 2 == 0 else SLOW_BODY)
        connection.setblocking(False)
        self.connections[index] = connection
        self.opened += 1

    def _server_closed(self, connection: socket.socket) -> bool:
        """Whether the server has closed (or answered) this connection."""
        if not select.select([connection], [], [], 0)[0]:
            return False
        try:
            connection.recv(4096)  # b"" (closed) or an answer such as 400: either way, done
        except OSError:
            pass
        return True

    def _drip(self) -> None:
        while not self._stop.wait(self.interval):
            for index, connection in enumerate(self.connections):
                try:
                    if connection is None or self._server_closed(connection):
                        if connection is not None:
                            connection.close()
                            self.closed_by_server += 1
                        self._open(index)
                    else:
                        connection.send(b"x")
                except OSError:  # reset by the server, or no connection now: try again next tick
                    if self.connections[index] is not None:
                        self.connections[index].close()
                        self.closed_by_server += 1
                    self.connections[index] = None

    def __enter__(self) -> SlowClients:
        for index in range(self.count):
            self._open(index)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        for connection in self.connections:
            if connection is not None:
                connection.close()


def probe_health(url: str, seconds: float, every: float = 0.5) -> list[float | None]:
    """GET /health every `every` seconds for `seconds`: each answer's latency (None: no answer in 5 s)."""
    waits: list[float | None] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=PROBE_TIMEOUT_SECONDS) as response:
                response.read()
                waits.append(time.monotonic() - started if response.status == 200 else None)
        except OSError:
            waits.append(None)
        time.sleep(max(0.0, every - (time.monotonic() - started)))
    return waits


def latency_figures(waits: list[float | None]) -> dict[str, Any]:
    """Answered / unanswered probes; p50, p95 and max of the answered ones (ms); the share within 1 s."""
    answered = [wait * 1000 for wait in waits if wait is not None]
    figures: dict[str, Any] = {"probes": len(waits), "answered": len(answered),
                               "unanswered_in_5_s": len(waits) - len(answered),
                               "answered_within_1_s_share": round(sum(ms < 1000 for ms in answered)
                                                                  / max(len(waits), 1), 3)}
    if answered:
        figures.update(p50_ms=round(float(np.percentile(answered, 50)), 1),
                       p95_ms=round(float(np.percentile(answered, 95)), 1), max_ms=round(max(answered), 1))
    return figures


def tall_page_png(width: int = 1250, height: int = 20000) -> bytes:
    """A light page `height` pixels tall with a dark bar every 1500 rows: tens of kilobytes as PNG."""
    from PIL import Image

    page = np.full((height, width), 240, np.uint8)
    for top in range(500, height - 1000, 1500):
        page[top:top + 60, 100:width - 150] = 30
    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def worker_pids(master_pid: int) -> list[int]:
    """gunicorn's worker processes: the master's children (Linux /proc)."""
    return [int(pid) for pid in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()]


def status_kb(pid: int, field: str) -> int:
    """A memory field of process `pid` in kB (`VmRSS`, or `VmHWM`: its peak), from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(f"{field} is not in /proc/{pid}/status")


def tall_page_memory(url: str, master_pid: int) -> dict[str, Any]:
    """A worker's peak memory growth (MB) while the service reads a 1250x20000 PNG as a page.

    Every worker first reads a normal page (the models' first-call costs are paid then); then
    each worker's peak (VmHWM) is reset to its current size, the tall page is posted, and the
    largest peak above the size before is the figure.
    """
    import requests

    normal = SUPPORT_PAGE.read_bytes()
    pids = worker_pids(master_pid)
    for _ in pids:  # one request each, as far as the kernel's balancing goes
        requests.post(f"{url}/v1/predict?kind=page", data=normal, headers={"Content-Type": "image/png"}, timeout=300)
    tall = tall_page_png()
    before = {}
    for pid in pids:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
        before[pid] = status_kb(pid, "VmRSS")
    response = requests.post(f"{url}/v1/predict?kind=page", data=tall, headers={"Content-Type": "image/png"},
                             timeout=300)
    growth_mb = max((status_kb(pid, "VmHWM") - before[pid]) / 1024 for pid in pids)
    return {"png_kb": round(len(tall) / 1024, 1), "pixels": "1250x20000", "status": response.status_code,
            "lines_read": len(response.json().get("lines", [])), "worker_peak_growth_mb": round(growth_mb, 1)}


def attack(worker: str, clients: int, seconds: float, workers: int, threads: int,
           measure_memory: bool) -> dict[str, Any]:
    """Start the service with `worker`, hold `clients` slow connections for `seconds`, probe /health."""
    from text_recognizer.api.buffering_worker import ReadLimits
    from text_recognizer.api.local_server import LocalServer

    environment = {"GUNICORN_WORKER_CLASS": WORKERS[worker]}
    with LocalServer(workers=workers, threads=threads, environment=environment) as server:
        idle = probe_health(server.url, 3)
        with SlowClients("127.0.0.1", server.port, clients) as slow:
            time.sleep(1)  # every slow client has sent its first bytes
            waits = probe_health(server.url, seconds)
        result = {"worker_class": WORKERS[worker], "health_without_attack": latency_figures(idle),
                  "health_under_attack": latency_figures(waits),
                  "slow_connections_opened": slow.opened, "slow_connections_closed_by_server": slow.closed_by_server}
        if worker == "after":
            limits = ReadLimits()
            result["read_timeouts_s"] = {"headers": limits.header_seconds, "body": limits.body_seconds}
        if measure_memory:
            result["tall_page"] = tall_page_memory(server.url, server.process.pid)
    return result


def main(
    clients: Annotated[int, typer.Option(help="Slow connections held open.")] = 50,
    seconds: Annotated[float, typer.Option(help="How long the attack lasts, per worker class.")] = 60.0,
    workers: Annotated[int, typer.Option(help="Gunicorn workers.")] = 2,
    threads: Annotated[int, typer.Option(help="Threads per worker.")] = 2,
    output: Annotated[Path | None, typer.Option(help="Write the report as JSON here.")] = None,
) -> None:
    """Slow clients against gunicorn's threaded worker, then against the service's worker."""
    report: dict[str, Any] = {"clients": clients, "seconds": seconds, "workers": workers, "threads": threads,
                              "probe": f"GET /health every 0.5 s on a new connection, "
                                       f"{PROBE_TIMEOUT_SECONDS:.0f} s timeout"}
    for worker in ("before", "after"):
        print(f"{worker}: {WORKERS[worker]}, {clients} slow clients for {seconds:.0f} s ...", file=sys.stderr)
        report[worker] = attack(worker, clients, seconds, workers, threads, measure_memory=worker == "after")
        health = report[worker]["health_under_attack"]
        print(f"  /health under attack: {health['answered']}/{health['probes']} answered, "
              f"p50 {health.get('p50_ms', '-')} ms, p95 {health.get('p95_ms', '-')} ms, "
              f"max {health.get('max_ms', '-')} ms; "
              f"slow connections closed by the server: {report[worker]['slow_connections_closed_by_server']}")
    print(f"  tall page: {report['after']['tall_page']}")
    if output:
        print(f"wrote {write_report(report, output)}", file=sys.stderr)


if __name__ == "__main__":
    typer.run(main)
