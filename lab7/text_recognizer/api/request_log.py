"""One structured log line per request, as JSON: what Lab 7's monitoring reads.

    {"event": "request", "method": "POST", "path": "/v1/predict", "status": 200,
     "latency_ms": 41.2, "request_bytes": 4711, "image_width": 896, "image_height": 28,
     "kind": "line", "text_length": 17, "confidence": 0.83, "error": null}

The route puts what it learned into `flask.g.facts` (`note(...)`); `install(app)` times every
request and writes the line to the `text_recognizer.api.requests` logger (stderr by default,
which gunicorn and Docker collect). Each record is also sent as the `request_logged` signal:
Lab 7's monitoring (`monitoring_route.py`) writes it as CloudWatch metrics.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from blinker import Namespace
from flask import Flask, Response, g, request

LOGGER_NAME = "text_recognizer.api.requests"
request_logged = Namespace().signal("request-logged")
"""Sent by the app after each request's line is logged, with `record=` (the line's dict)."""


def request_logger() -> logging.Logger:
    """The request logger; writes bare JSON lines to stderr unless someone configured it."""
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def note(**facts: Any) -> None:
    """Add facts about the current request to its log line (image size, text length, ...)."""
    g.setdefault("facts", {}).update(facts)


def install(app: Flask) -> None:
    """Time every request of `app` and log it as one JSON line when its response is ready."""
    logger = request_logger()

    @app.before_request
    def _start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _log(response: Response) -> Response:
        started = g.get("started", time.perf_counter())
        record = {
            "event": "request",
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            "request_bytes": request.content_length or 0,
            **g.get("facts", {}),
        }
        logger.info(json.dumps(record, default=str))
        request_logged.send(app, record=record)
        return response
