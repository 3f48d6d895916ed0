"""The Flask application factory of the prediction service, and its routes.

    app = create_app()                         # loads the deployed models once
    app.run(port=8000)                         # development server; production: gunicorn (wsgi.py)

| route | answers |
|---|---|
| `GET /` | the web page: upload or drop a photo, see its text and the line boxes |
| `GET /health` | `{"status": "ok", ...}` once the models are loaded |
| `GET /openapi.json` | the OpenAPI description of the API |
| `GET /docs` | the API's documentation page (Swagger UI from the swagger-ui-bundle package: no CDN) |
| `POST /v1/predict` | JSON: text, lines (box, text, confidence), model, time (see predict_route.py) |
| `POST /v1/corrections` | a user's correction of a line: stored, 201 with its id (see corrections_route.py) |

From Lab 7, `monitoring_route.py` adds `GET /monitoring` (the monitoring dashboard) and writes
CloudWatch metrics of the requests; `create_app` registers it when the file is there.

Every error answers JSON (`errors.py`): bad input gets a 4xx saying what was wrong, never a 500.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request, send_from_directory
from werkzeug.exceptions import HTTPException

from text_recognizer.api import request_log
from text_recognizer.api.corrections_route import correction_response, model_version
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
    # Where POST /v1/corrections stores: None is S3 when TEXT_RECOGNIZER_CORRECTIONS_BUCKET is set (Lambda),
    # else the folder TEXT_RECOGNIZER_CORRECTIONS_DIR, else <data dir>/corrections; a path: that folder.
    "CORRECTIONS_DIR": None,
}
MONITORING_MODULE = "text_recognizer.api.monitoring_route"
"""Lab 7's monitoring of the service: registered by `create_app` where the module is there."""
SWAGGER_UI_PACKAGE = "swagger_ui_bundle"
"""The pinned PyPI package (setup/requirements.in) whose Swagger UI files the docs page uses."""
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
    _register_monitoring(app)
    _register_docs_files(app)
    _register_routes(app)
    _register_error_handlers(app)
    return app


def recognizer_of(app: Flask) -> Recognizer:
    """The `Recognizer` that `create_app` loaded for `app`."""
    return app.extensions["recognizer"]


def corrections_store(app: Flask) -> Any:
    """The store of `POST /v1/corrections` (made on first use: creating the app touches no disk)."""
    if "corrections" not in app.extensions:
        from text_recognizer.corrections.store import LocalCorrectionStore, store_from_environment
        from text_recognizer.paths import data_dir

        folder = app.config["CORRECTIONS_DIR"]
        app.extensions["corrections"] = (LocalCorrectionStore(folder) if folder is not None
                                         else store_from_environment(data_dir() / "corrections"))
    return app.extensions["corrections"]


def _register_monitoring(app: Flask) -> None:
    """Register Lab 7's monitoring blueprint (`monitoring_route.py`) where the lab has it."""
    if importlib.util.find_spec(MONITORING_MODULE) is None:
        return
    from text_recognizer.api.monitoring_route import register_monitoring

    register_monitoring(app)


def _register_docs_files(app: Flask) -> None:
    """Serve Swagger UI's files at /docs/swagger-ui/ from the installed package (where it is installed)."""
    if importlib.util.find_spec(SWAGGER_UI_PACKAGE) is None:
        return
    from swagger_ui_bundle import swagger_ui_path

    app.register_blueprint(Blueprint("swagger_ui", __name__, static_folder=str(swagger_ui_path),
                                     static_url_path="/docs/swagger-ui"))


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
        spec = json.loads(OPENAPI_PATH.read_text())
        spec["paths"].update(app.extensions.get("openapi_paths", {}))  # what a later lab's blueprint adds
        return jsonify(spec)

    @app.get("/docs")
    def docs() -> Response:
        """The documentation page of /openapi.json (static/docs.html: Swagger UI, files served here)."""
        if "swagger_ui" not in app.blueprints:
            raise ApiError(501, "docs_unavailable",
                           f"The docs page needs the {SWAGGER_UI_PACKAGE.replace('_', '-')} package: install it "
                           "with `pip install swagger-ui-bundle==1.1.0`. The description itself is at /openapi.json.")
        return send_from_directory(STATIC_DIR, "docs.html")

    @app.post("/v1/predict")
    def predict() -> Response:
        """Read the posted image: see `predict_route.predict_response`."""
        answer = predict_response(request, recognizer, app.config["MAX_PIXELS"])
        request_log.note(kind=answer.get("kind"), text_length=len(answer.get("text", "")),
                         confidence=answer.get("confidence"), image_width=answer.get("image", {}).get("width"),
                         image_height=answer.get("image", {}).get("height"), lines=len(answer.get("lines", [])))
        return jsonify(answer)

    @app.post("/v1/corrections")
    def correct() -> tuple[Response, int]:
        """Store a user's correction of a line: see `corrections_route.correction_response`."""
        stored = correction_response(request, corrections_store(app), model_version(recognizer.models))
        request_log.note(correction=stored["id"])
        return jsonify(stored), 201


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
        response, status = error_response(ApiError(status, code, message))
        # A 405 names the methods the route takes (RFC 9110 requires `Allow`).
        for name, value in error.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
        return response, status

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # A bug of ours, not the client's: log the traceback, answer JSON without it.
        logger.exception("unhandled error on %s %s", request.method, request.path)
        request_log.note(error="internal_error")
        message = "The service failed on this request; it has been logged."
        if isinstance(error, NotImplementedError):  # a lab's stub: say which exercise is left
            message = f"{message} ({type(error).__name__}: {error})"
        return error_response(ApiError(500, "internal_error", message))
