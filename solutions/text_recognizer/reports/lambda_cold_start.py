"""One measured start of the Lambda function, in the fresh process `reports/lambda_speed.py` spawns.

    python -S -m text_recognizer.reports.lambda_cold_start SPAWNED_AT ROUNDS   # prints one JSON line

It imports the handler, builds the app (the models), then answers API Gateway events of the
support pages (kind=page) and lines (kind=line) through `handler.handler`, as Lambda would. It
imports nothing the function's layer lacks (no typer, no yaml), so that `lambda_speed` can run
it with the stripped layer alone on its path (`python -S`: no site-packages): the figures are
those of the layer that is measured, and a layer missing a file fails here.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from text_recognizer.paths import PACKAGE_DIR
from text_recognizer.reports import summary

SUPPORT = PACKAGE_DIR.parent / "tests" / "support"
SUPPORT_LINES = SUPPORT / "emnist_lines"
SUPPORT_PAGES = SUPPORT / "iam_pages"


def support_events(kind: str) -> list[dict[str, Any]]:
    """API Gateway 2.0 events (PNG, base64 bodies) of the support lines (kind "line") or pages ("page")."""
    from text_recognizer.serverless.events import api_gateway_event

    folder, pattern = (SUPPORT_LINES, "line_*.png") if kind == "line" else (SUPPORT_PAGES, "page_*.png")
    return [api_gateway_event(p.read_bytes(), "image/png", query={"kind": kind}) for p in sorted(folder.glob(pattern))]


def answered(handler: Any, event: dict[str, Any]) -> float:
    """Seconds `handler.handler` took to answer `event` (an error if it did not answer 200)."""
    started = time.perf_counter()
    answer = handler.handler(event)
    elapsed = time.perf_counter() - started
    if answer["statusCode"] != 200:
        raise RuntimeError(f"the function answered {answer['statusCode']}: {answer['body'][:300]}")
    return elapsed


def measure(spawned_at: float, rounds: int) -> dict[str, Any]:
    """Import the handler, build the app (models), answer a first page, then `rounds` passes warm."""
    real_stdout = sys.stdout
    started = time.perf_counter()
    from text_recognizer.environment import configure_environment

    configure_environment()
    from text_recognizer.serverless import handler

    imported = time.perf_counter()
    app = handler.application()
    ready, ready_wall = time.perf_counter(), time.time()
    pages, lines = support_events("page"), support_events("line")
    recognizer = app.extensions["recognizer"]
    sys.stdout = open(os.devnull, "w")  # the EMF lines of every request: written, not shown
    try:
        first_page = answered(handler, pages[0])
        first_line = answered(handler, lines[0])
        page_s, line_s = [], []
        for _ in range(rounds):
            page_s += [answered(handler, event) for event in pages]
            line_s += [answered(handler, event) for event in lines]
    finally:
        sys.stdout.close()
        sys.stdout = real_stdout
    return {"cold_start_s": round(ready_wall - spawned_at, 3), "import_s": round(imported - started, 3),
            "load_s": round(ready - imported, 3), "first_page_request_ms": round(first_page * 1000, 2),
            "first_line_request_ms": round(first_line * 1000, 2),
            "warm_page": summary(page_s), "warm_line": summary(line_s),
            "predictors": {"line": type(recognizer.line_predictor).__name__,
                           "page": type(recognizer.page_predictor).__name__},
            "models": sorted(recognizer.models), "python_path": [p for p in sys.path if Path(p).is_dir()][:3]}


if __name__ == "__main__":  # argv by hand: typer is not in the layer
    print(json.dumps(measure(float(sys.argv[1]), int(sys.argv[2]))))
