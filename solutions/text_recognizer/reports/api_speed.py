"""How fast is the service? Latency and throughput against gunicorn on loopback, vs in-process.

    python -m text_recognizer.reports.api_speed --output reports/lab6_api_benchmark.json
    python -m text_recognizer.reports.api_speed --workers 2 --threads 1 --requests 100

It measures, and writes as JSON (with every latency, for a histogram):
- in-process: `LinePredictor.predict` on one line, and `Recognizer.recognize` (what the route calls);
- over HTTP, one client: p50 / p95 latency of one line request (and one page request where the
  page predictor is installed);
- over HTTP, 1, 4 and 16 concurrent clients: requests per second and latency percentiles;
- a fresh worker (a new server, one worker): its first page request against the next ones' p50.
The difference between the HTTP and in-process p50 is the HTTP layer's share (parsing, JSON,
the network stack, gunicorn). Figures, not assertions: the tests never time anything.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from text_recognizer.environment import configure_environment
from text_recognizer.paths import PACKAGE_DIR
from text_recognizer.reports import summary, write_report

SUPPORT_LINE = PACKAGE_DIR.parent / "tests" / "support" / "emnist_lines" / "line_00.png"
SUPPORT_PAGE = PACKAGE_DIR.parent / "tests" / "support" / "iam_pages" / "page_00.png"
"""Lab 5's support page (IAM substitute); where it is missing, a page is stacked from the line."""
CONCURRENCY = (1, 4, 16)


def timed(function, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def page_image(line: np.ndarray, lines: int = 5) -> bytes:
    """A page: `lines` copies of a line, dark on light, with margins (for the page predictor)."""
    import io

    from PIL import Image

    ink = 255 - line
    page = np.full((60 + lines * 60, line.shape[1] + 80), 255, np.uint8)
    for row in range(lines):
        page[40 + row * 60: 40 + row * 60 + line.shape[0], 40:40 + line.shape[1]] = ink
    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, format="PNG")
    return buffer.getvalue()


def in_process(recognizer: Any, line: np.ndarray, repeats: int) -> dict[str, Any]:
    """The predictor and the recognizer called directly: no HTTP, no JSON, no PNG decoding."""
    recognizer.warm_up()
    return {
        "line_predictor_predict": summary(timed(lambda: recognizer.line_predictor.predict(line), repeats)),
        "recognizer_recognize_line": summary(timed(lambda: recognizer.recognize(line, "line"), repeats)),
    }


def post(client: Any, url: str, body: bytes, kind: str) -> float:
    """Seconds one `POST /v1/predict?kind=...` of a PNG took (an error unless it answered 200)."""
    started = time.perf_counter()
    response = client.post(f"{url}/v1/predict?kind={kind}", data=body, headers={"Content-Type": "image/png"},
                           timeout=120)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{kind} request answered {response.status_code}: {response.text[:300]}")
    return elapsed


def fresh_worker(page: bytes, repeats: int) -> dict[str, Any]:
    """A page read by a fresh gunicorn worker (one worker, one thread): its first request against
    the next ones' p50, which the first one should stay within 2x of (the models load and warm up
    when the worker starts, before it takes requests)."""
    import requests

    from text_recognizer.api.local_server import LocalServer

    with LocalServer(workers=1, threads=1) as server, requests.Session() as session:
        first = post(session, server.url, page, "page")
        steady = summary([post(session, server.url, page, "page") for _ in range(repeats)])
    return {"first_page_ms": round(first * 1000, 2), "steady_page": steady,
            "first_over_steady_p50": round(first * 1000 / steady["p50_ms"], 2)}


def run(workers: int, threads: int, requests_per_level: int, repeats: int) -> dict[str, Any]:
    """Every measurement of the module docstring, as one JSON-ready dict."""
    import requests
    from PIL import Image

    from text_recognizer.api.local_server import LocalServer
    from text_recognizer.predictors.recognizer import Recognizer

    line_bytes = SUPPORT_LINE.read_bytes()
    line = np.asarray(Image.open(SUPPORT_LINE).convert("L"))
    report: dict[str, Any] = {
        "cpu_count": os.cpu_count(), "workers": workers, "threads": threads,
        "line_image": f"{SUPPORT_LINE.name} ({line.shape[1]}x{line.shape[0]})",
        "in_process": in_process(Recognizer.load(), line, repeats),
    }
    page = SUPPORT_PAGE.read_bytes() if SUPPORT_PAGE.is_file() else page_image(line)
    report["page_image"] = SUPPORT_PAGE.name if SUPPORT_PAGE.is_file() else "5 copies of the line on a page"

    with LocalServer(workers=workers, threads=threads) as server:
        session = requests.Session()

        post(session, server.url, line_bytes, "line")  # each worker's first request is a little slower: not counted
        report["http_line"] = summary([post(session, server.url, line_bytes, "line") for _ in range(repeats)])
        reads_pages = session.get(f"{server.url}/health", timeout=10).json().get("reads_pages")
        if reads_pages:
            post(session, server.url, page, "page")
            report["http_page"] = summary([post(session, server.url, page, "page")
                                           for _ in range(max(5, repeats // 4))])
        else:
            report["http_page"] = {"skipped": "no page predictor installed (Lab 5): kind=page answers 501"}

        report["concurrency"] = {}
        for clients in CONCURRENCY:
            sessions = [requests.Session() for _ in range(clients)]
            count = max(requests_per_level, clients * 4)
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                latencies = list(pool.map(lambda i, s=sessions: post(s[i % len(s)], server.url, line_bytes, "line"),
                                          range(count)))
            wall = time.perf_counter() - started
            report["concurrency"][str(clients)] = {
                "requests": count, "requests_per_second": round(count / wall, 2),
                **{k: v for k, v in summary(latencies).items() if k != "latencies_ms"},
            }
    if reads_pages:
        report["fresh_worker"] = fresh_worker(page, max(5, repeats // 4))
    inside = report["in_process"]["recognizer_recognize_line"]["p50_ms"]
    report["http_layer_share_of_line_p50"] = round(1 - inside / report["http_line"]["p50_ms"], 3)
    return report


def main(
    workers: Annotated[int, typer.Option(help="Gunicorn workers (one per core).")] = 2,
    threads: Annotated[int, typer.Option(help="Threads per worker.")] = 2,
    requests: Annotated[int, typer.Option(help="Requests per concurrency level.")] = 64,
    repeats: Annotated[int, typer.Option(help="Sequential requests for the percentiles.")] = 50,
    output: Annotated[Path | None, typer.Option(help="Write the report as JSON here.")] = None,
) -> None:
    """How fast is the service? Latency and throughput against gunicorn on loopback, vs in-process."""
    configure_environment()
    report = run(workers, threads, requests, repeats)
    brief = {key: ({k: v for k, v in value.items() if k != "latencies_ms"} if isinstance(value, dict) else value)
             for key, value in report.items()}
    brief["in_process"] = {k: {m: n for m, n in v.items() if m != "latencies_ms"}
                           for k, v in report["in_process"].items()}
    print(json.dumps(brief, indent=2))
    if output:
        print(f"wrote {write_report(report, output)}", file=sys.stderr)


if __name__ == "__main__":
    typer.run(main)
