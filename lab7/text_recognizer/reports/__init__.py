"""Commands whose product is a `reports/*.json` (and its pictures): speeds and evaluations.

Each is a command (`python -m text_recognizer.reports.<name>`, or its `make` target) that
measures, prints and writes its figures; nothing in the library below imports them.

| module (lab) | what it measures | make target |
|---|---|---|
| `line_cnn_speed` (2) | sliding-window line CNN against the all-convolutional one | `evaluate-lab2` |
| `parallel_experiments_speed` (4) | a group of trainings in turn against Ray's workers | `benchmark-lab4` |
| `data_parallel_speed` (4) | one training split over two devices against one | `benchmark-data-parallel` |
| `handwriting_evaluation` (5) | the line and page readers on the substitute's test writers | `evaluate-lab5` |
| `real_handwriting` (5) | the same readers on a folder of real handwriting | `evaluate-real` |
| `tesseract` (5) | Tesseract 5, the peer both evaluations read beside the course | |
| `decoder_tuning` (5) | the language-model decoder's weight and bonus, on validation | `tune-lab5-decoder` |
| `api_speed` (6) | the service's latency and throughput on gunicorn | `benchmark-api` |
| `slow_clients` (6) | /health under 50 slow clients, gthread against the service's worker | `benchmark-slow-clients` |
| `lambda_speed` (7) | the Lambda function's package size, cold start, warm latency | `benchmark-lab7` |
| `drift_alarm` (7) | the drift alarm's false alarms and detection delay | `evaluate-lab7-drift` |
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import numpy as np


def write_report(report: dict[str, Any], path: Path) -> Path:
    """Write `report` as indented JSON at `path`, making its folder; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")
    return path


def summary(seconds: list[float]) -> dict[str, Any]:
    """p50 / p95 / mean in milliseconds, the count, and every latency (ms, for histograms)."""
    ms = [s * 1000 for s in seconds]
    return {"count": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2), "mean_ms": round(statistics.fmean(ms), 2),
            "latencies_ms": [round(v, 2) for v in ms]}
