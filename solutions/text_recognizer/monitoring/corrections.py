"""The correction rate: how many of the lines the service read did its users correct.

    correction_rate(open("requests.log"))   # the API's request log: one JSON line per request

Drift says the inputs changed; the correction rate says the answers got worse, as the users saw
them. Both come from the request log (`api/request_log.py`): answered `POST /v1/predict` requests
count their lines, accepted `POST /v1/corrections` requests (201) count one correction each.
Lines of the log that are not request records (a server's own messages) are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

PREDICT_ROUTE = "/v1/predict"
CORRECTION_ROUTE = "/v1/corrections"


def correction_rate(log_lines: Iterable[str]) -> dict[str, Any]:
    """Lines read, corrections accepted and their ratio (None before any line was read)."""
    lines_read = corrections = 0
    for line in log_lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict) or record.get("event") != "request":
            continue
        if record.get("path") == PREDICT_ROUTE and record.get("status") == 200:
            lines_read += int(record.get("lines", 1) or 0)
        elif record.get("path") == CORRECTION_ROUTE and record.get("status") == 201:
            corrections += 1
    return {"lines_read": lines_read, "corrections": corrections,
            "correction_rate": corrections / lines_read if lines_read else None}
