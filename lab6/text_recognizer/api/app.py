"""The Flask application factory of the prediction service, and its routes.

    app = create_app()                         # loads the deployed models once
    app.run(port=8000)                         # development server; production: gunicorn (wsgi.py)

| route | answers |
|---|---|
| `GET /` | the web page: upload or drop a photo, see its text and the line boxes |
| `GET /health` | `{"status": "ok", ...}` once the models are loaded |
| `GET /openapi.json` | the OpenAPI description of the API |
| `POST /v1/predict` | JSON: text, lines (box, text, confidence), model, time (see predict_route.py) |

Every error answers JSON (`errors.py`): bad input gets a 4xx saying what was wrong, never a 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request, send_from_directory
from werkzeug.exceptions import HTTPException

from text_recognizer.api import request_log
from text_recognizer.api.errors import ApiError, error_response, from_recognition_error
from text_recognizer.api.predict_route import predict_response
from text_recognizer.predictors.recognizer import RecognitionError, Recognizer

API_DIR = Path(__file__).resolve().parent
STATIC_DIR = API_DIR / "static"
OPENAPI_PATH = API_DIR / "openapi.json"
DEFAULT_CONFIG: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,  # bytes of one request: larger ones get 413
    "MAX_FORM_MEMORY_SIZE": 1024 * 1024,  # bytes of a non-file form field
    "MAX_PIXELS": 25_000_000,  # pixels of one image (a 5000x5000 photo): more is refused (413)
    "WARM_UP": True,  # read one blank line at start-up, so the first request is not slow
}
logger = logging.getLogger(__name__)


def create_app(recognizer: Recognizer | None = None, config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: load the models (unless a `recognizer` is given), register the routes.

    Args:
        recognizer: the predictors to serve; by default `Recognizer.load()` (the deployed ones).
        config: Flask settings that override `DEFAULT_CONFIG` (e.g. `{"MAX_PIXELS": 10**6}`).
    """
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.config.update(DEFAULT_CONFIG)
    app.config.update(config or {})
    app.json.sort_keys = False
    if recognizer is None:
        recognizer = Recognizer.load()
    if app.config["WARM_UP"]:
        recognizer.warm_up()
    app.extensions["recognizer"] = recognizer
    request_log.install(app)
    _register_routes(app)
    _register_error_handlers(app)
    return app


def recognizer_of(app: Flask) -> Recognizer:
    """The `Recognizer` that `create_app` loaded for `app`."""
    return app.extensions["recognizer"]


def _register_routes(app: Flask) -> None:
    recognizer = recognizer_of(app)

    @app.get("/")
    def index() -> Response:
        """The web page (static/index.html): upload a photo, see the text and the boxes."""
        return send_from_directory(STATIC_DIR, "index.html")

    @app.get("/health")
    def health() -> Response:
        """Liveness and readiness: the models are loaded once the app exists."""
        return jsonify({"status": "ok", "reads_pages": recognizer.reads_pages,
                        "models": {kind: info.get("name") for kind, info in recognizer.models.items()}})

    @app.get("/openapi.json")
    def openapi() -> Response:
        """The OpenAPI 3 description of this API (the tests check the app against it)."""
        return jsonify(json.loads(OPENAPI_PATH.read_text()))

    @app.post("/v1/predict")
    def predict() -> Response:
        """Read the posted image: see `predict_route.predict_response`."""
        answer = predict_response(request, recognizer, app.config["MAX_PIXELS"])
        request_log.note(kind=answer.get("kind"), text_length=len(answer.get("text", "")),
                         confidence=answer.get("confidence"), image_width=answer.get("image", {}).get("width"),
                         image_height=answer.get("image", {}).get("height"), lines=len(answer.get("lines", [])))
        return jsonify(answer)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        request_log.note(error=error.code)
        return error_response(error)

    @app.errorhandler(RecognitionError)
    def recognition_error(error: RecognitionError):
        return api_error(from_recognition_error(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Werkzeug's own refusals (404, 405, 413 for a body over MAX_CONTENT_LENGTH, a broken
        # multipart form...) answer JSON like ours.
        status = error.code or 400
        code = (error.name or "error").lower().replace(" ", "_")
        message = error.description or error.name
        if status == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            message = (f"The request is larger than the {limit // (1024 * 1024)} MiB this service accepts: "
                       "send a smaller image.")
        request_log.note(error=code)
        return error_response(ApiError(status, code, message))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # A bug of ours, not the client's: log the traceback, answer JSON without it.
        logger.exception("unhandled error on %s %s", request.method, request.path)
        request_log.note(error="internal_error")
        message = "The service failed on this request; it has been logged."
        if isinstance(error, NotImplementedError):  # a lab's stub: say which exercise is left
            message = f"{message} ({type(error).__name__}: {error})"
        return error_response(ApiError(500, "internal_error", message))
