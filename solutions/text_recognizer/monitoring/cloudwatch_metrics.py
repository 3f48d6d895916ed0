"""CloudWatch metrics of every prediction, in the Embedded Metric Format (EMF).

An EMF document is one JSON log line that CloudWatch Logs turns into metrics by itself: on Lambda
any line the function prints to stdout is read, elsewhere the CloudWatch agent reads them. No
AWS call is made (nothing to slow a request down, no credentials in the function). The documents
are written by `aws-lambda-powertools`' `EphemeralMetrics`:

    {"_aws": {"Timestamp": 1767225600000, "CloudWatchMetrics": [{"Namespace": "TextRecognizer",
              "Dimensions": [["service"]], "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}, ...]}]},
     "service": "lambda", "Latency": [41.2], "Confidence": [0.83], ..., "Errors": [0.0],
     "kind": "line", "status": 200, "error": null}

| metric | unit | from the request's log line (`api/request_log.py`) |
|---|---|---|
| `Latency` | Milliseconds | `latency_ms`: the app's time on the request |
| `Confidence` | None | `confidence`: the lowest line confidence (0..1) |
| `ImageBrightness`, `ImageContrast` | None | mean and standard deviation of the grey image as sent (0..1) |
| `ImageWidth`, `ImageHeight` | None | pixels |
| `LineCount`, `TextLength` | Count | lines read, characters of text |
| `Errors` | Count | 1 for an answer with an error status (4xx, 5xx), else 0: its mean is the error rate |
| `Corrections` | Count | 1 per correction stored (`POST /v1/corrections`, 201): per `LineCount`, the correction rate |
| `DriftScore` | None | the largest PSI of a window of requests (`drift_metrics`; the monitor's `--metrics-log`) |
| `DriftedFeatures` | Count | how many features of that window drifted |

Namespace `TextRecognizer`, one dimension: `service` ("lambda" for the function, "api" for the
Flask server; `METRICS_SERVICE` in the app's config). The alarms of `serverless/serverless.yml`
watch these metrics with the same namespace and dimension. What is not a metric (kind, status,
error code, path) goes in as plain properties: CloudWatch Logs Insights can search them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

NAMESPACE = "TextRecognizer"
DIMENSION = "service"
LAMBDA_SERVICE = "lambda"
"""The `service` of the Lambda function's metrics: what serverless.yml's alarms watch."""
"""The one dimension (powertools' own name for it): which deployment answered."""
REQUEST_METRICS: dict[str, tuple[str, MetricUnit]] = {
    "latency_ms": ("Latency", MetricUnit.Milliseconds),
    "confidence": ("Confidence", MetricUnit.NoUnit),
    "brightness": ("ImageBrightness", MetricUnit.NoUnit),
    "contrast": ("ImageContrast", MetricUnit.NoUnit),
    "image_width": ("ImageWidth", MetricUnit.NoUnit),
    "image_height": ("ImageHeight", MetricUnit.NoUnit),
    "lines": ("LineCount", MetricUnit.Count),
    "text_length": ("TextLength", MetricUnit.Count),
}
"""Log-line key -> (metric name, unit). A key the request did not reach (no image for a refused
upload) is left out: a missing value, not a zero that would drag the means down."""
PROPERTIES = ("kind", "status", "error", "method", "path")
"""Log-line keys kept as searchable properties, not metrics (they are not numbers to average)."""


def _document(metrics: EphemeralMetrics) -> dict[str, Any]:
    return dict(metrics.serialize_metric_set())


def request_metrics(record: Mapping[str, Any], service: str = "api") -> dict[str, Any]:
    """The EMF document of one request, from its log line `record` (see `api/request_log.py`)."""
    metrics = EphemeralMetrics(namespace=NAMESPACE, service=service)
    for key, (name, unit) in REQUEST_METRICS.items():
        value = record.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            metrics.add_metric(name=name, unit=unit, value=float(value))
    failed = int(record.get("status", 200)) >= 400 or bool(record.get("error"))
    metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=1.0 if failed else 0.0)
    for key in PROPERTIES:
        if key in record:
            metrics.add_metadata(key=key, value=record[key])
    return _document(metrics)


def correction_metrics(service: str = "api") -> dict[str, Any]:
    """The EMF document of one stored correction: `Corrections` = 1. Its sum over a period divided
    by the sum of `LineCount` is the users' correction rate (`monitoring/corrections.py` reads the
    same from the request log)."""
    metrics = EphemeralMetrics(namespace=NAMESPACE, service=service)
    metrics.add_metric(name="Corrections", unit=MetricUnit.Count, value=1.0)
    return _document(metrics)


def drift_metrics(report: Mapping[str, Any], service: str = "api") -> dict[str, Any]:
    """The EMF document of one window's drift check (`drift.drift_report_json`): `DriftScore`,
    and the drifted features as a property."""
    metrics = EphemeralMetrics(namespace=NAMESPACE, service=service)
    metrics.add_metric(name="DriftScore", unit=MetricUnit.NoUnit, value=float(report["score"]))
    metrics.add_metric(name="DriftedFeatures", unit=MetricUnit.Count, value=float(len(report.get("drifted", []))))
    metrics.add_metadata(key="drifted", value=list(report.get("drifted", [])))
    return _document(metrics)


def emit(document: Mapping[str, Any], stream: TextIO | None = None) -> None:
    """Write an EMF document as one JSON line to stdout (where Lambda's log collector reads it)."""
    stream = stream or sys.stdout
    stream.write(json.dumps(document, default=str) + "\n")
    stream.flush()


def write_drift_metrics(checks: Iterable[Mapping[str, Any]], path: str | Path, service: str) -> Path:
    """One `drift_metrics` EMF line per window check (a monitor run's `checks`), written to `path`.

    Shipped to CloudWatch Logs (the monitor run on a schedule, e.g. as a Lambda function whose
    output is its log), these lines are the `DriftScore` that serverless.yml's alarm watches.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as stream:
        for check in checks:
            emit(drift_metrics(check, service), stream)
    return path
