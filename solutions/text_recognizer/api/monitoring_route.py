"""What Lab 7's monitoring adds to the prediction service: a blueprint that `create_app` registers
when this file is there (`register_monitoring`).

- `GET /monitoring`: the newest monitoring dashboard (HTML); 404 with a page saying how to make one.
  The dashboard is the file, or the newest *.html of the folder, in the Flask setting
  `MONITORING_DASHBOARD` (default: `monitoring.dashboard.default_dashboard_location()`).
- Every request's log line (`request_log.py`) also notes the brightness and contrast of the image
  as sent, before any normalizing: what the drift check watches.
- Every `/v1/predict` request and every stored correction is also written as CloudWatch metrics
  (`monitoring/cloudwatch_metrics.py`, EMF on stdout), under the service `METRICS_SERVICE`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flask import Blueprint, Flask, Response, current_app, has_request_context

from text_recognizer.api import request_log
from text_recognizer.api.decoding import image_decoded
from text_recognizer.monitoring import cloudwatch_metrics
from text_recognizer.monitoring.dashboard import (
    MONITORING_OPERATION,
    default_dashboard_location,
    latest_dashboard,
    missing_dashboard_html,
)
from text_recognizer.monitoring.features import image_features

blueprint = Blueprint("monitoring", __name__)
OPENAPI_PATHS = {"/monitoring": {"get": MONITORING_OPERATION}}
"""The routes this blueprint adds to the API's OpenAPI description."""


def register_monitoring(app: Flask) -> None:
    """Serve the dashboard, note image features in the request log and write metrics, for `app`."""
    app.config.setdefault("MONITORING_DASHBOARD", str(default_dashboard_location()))
    app.register_blueprint(blueprint)
    app.extensions.setdefault("openapi_paths", {}).update(OPENAPI_PATHS)
    image_decoded.connect(note_image)
    request_log.request_logged.connect(emit_metrics, app)


@blueprint.get("/monitoring")
def monitoring() -> Response:
    """The newest dashboard of `MONITORING_DASHBOARD` (a browser page, so a missing one is an HTML 404)."""
    location = current_app.config["MONITORING_DASHBOARD"]
    page = latest_dashboard(location)
    if page is None:
        return Response(missing_dashboard_html(location), status=404, mimetype="text/html")
    return Response(page.read_text(), mimetype="text/html")


def note_image(image: np.ndarray) -> None:
    """Add the brightness and contrast of a request's decoded image to its log line (and metrics).

    Outside a request (a notebook calling the decoder) there is no log line: nothing is noted.
    """
    if has_request_context():
        shown = image_features(image)
        request_log.note(brightness=round(shown["brightness"], 4), contrast=round(shown["contrast"], 4))


def emit_metrics(app: Flask, record: dict[str, Any]) -> None:
    """Write the CloudWatch metrics of one logged request: predictions and stored corrections only
    (not health checks, nor the page)."""
    service = app.config.get("METRICS_SERVICE", "api")
    if record["path"] == "/v1/predict":
        cloudwatch_metrics.emit(cloudwatch_metrics.request_metrics(record, service=service))
    elif record["path"] == "/v1/corrections" and record["status"] == 201:
        cloudwatch_metrics.emit(cloudwatch_metrics.correction_metrics(service=service))
