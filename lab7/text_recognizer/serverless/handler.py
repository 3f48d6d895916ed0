"""The Lambda function: an API Gateway event in, the prediction service's answer out.

    serverless.yml:  handler: text_recognizer.serverless.handler.handler

The function serves the events through the Lab 6 Flask app itself (event -> WSGI request ->
app -> proxy response), so it answers exactly what `POST /v1/predict` answers, status codes and
error JSON included, and the web page and `/health` too. The app (and the models in it) is built
once per container: at import time on Lambda (the init phase, outside the handler), on the
first call elsewhere, then reused by every invocation the container serves.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import sys
from typing import Any
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder

from text_recognizer.monitoring import cloudwatch_metrics

TEXT_TYPES = ("application/json", "text/", "application/javascript", "image/svg+xml")
"""Response types sent as text; anything else goes back base64-encoded (`isBase64Encoded`)."""
PAYLOAD_LIMIT = 6 * 1024 * 1024
"""Lambda's limit on a synchronous request, in bytes: an image travels base64-encoded (4/3 of its
size), so the largest image that fits is about 4.5 MB. The web page shrinks larger photos itself
(`api/static/app.js`, `MAX_UPLOAD_BYTES`)."""
METRICS_SERVICE = cloudwatch_metrics.LAMBDA_SERVICE
"""The `service` dimension of the function's CloudWatch metrics (what serverless.yml's alarms watch)."""


@functools.cache
def application() -> Any:
    """The Flask app with the deployed models, built once per container.

    With `TEXT_RECOGNIZER_COMPILED_DIR` set (the zip package), the models are the compiled ones
    of `compiled.py` (onnxruntime, no TensorFlow); otherwise the Keras ones (the container image).
    """
    from text_recognizer.api.app import create_app

    recognizer = None
    if os.environ.get("TEXT_RECOGNIZER_COMPILED_DIR"):
        from text_recognizer.serverless.compiled import load_compiled

        recognizer = load_compiled(os.environ["TEXT_RECOGNIZER_COMPILED_DIR"])
    return create_app(recognizer, config={"METRICS_SERVICE": METRICS_SERVICE})


def call_app(app: Any, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """Run one request through the WSGI `app`; the API Gateway proxy response (a dict) it gives.

    Args:
        app: a WSGI application (the Flask app).
        method, path: e.g. "POST", "/v1/predict".
        query: the raw query string, e.g. "kind=line".
        headers: request headers (any case).
        body: the decoded request body.
    """
    builder = EnvironBuilder(method=method, path=path, query_string=query, headers=headers, data=body)
    environ = builder.get_environ()
    captured: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = int(status.split()[0]), dict(response_headers)

    chunks = app(environ, start_response)
    try:
        data = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return proxy_response(captured["status"], captured["headers"], data)


def proxy_response(status: int, headers: dict[str, str], data: bytes) -> dict[str, Any]:
    """The proxy response API Gateway expects: text bodies as they are, binary ones base64-encoded."""
    content_type = headers.get("Content-Type", "")
    if content_type.startswith(TEXT_TYPES):
        return {"statusCode": status, "headers": headers, "body": data.decode("utf-8"), "isBase64Encoded": False}
    return {"statusCode": status, "headers": headers, "body": base64.b64encode(data).decode("ascii"),
            "isBase64Encoded": True}


def error_response(status: int, code: str, message: str) -> dict[str, Any]:
    """A proxy response with the API's error JSON (`{"error": {status, code, message}}`).

    The request never reached the app (whose requests write their own metrics), so this one is
    counted here: an EMF line with `Errors` = 1 (`monitoring/cloudwatch_metrics.py`).
    """
    document = cloudwatch_metrics.request_metrics({"status": status, "error": code}, service=METRICS_SERVICE)
    cloudwatch_metrics.emit(document)
    body = json.dumps({"error": {"status": status, "code": code, "message": message}})
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": body,
            "isBase64Encoded": False}


def payload_too_large_message(size: int) -> str:
    """What a client whose request body is `size` bytes, over `PAYLOAD_LIMIT`, should do."""
    return (f"The request body is {size / 2**20:.1f} MB; a Lambda function takes at most "
            f"{PAYLOAD_LIMIT // 2**20} MB per request, base64 encoding included (an image of about "
            f"{PAYLOAD_LIMIT * 3 // 4 / 2**20:.1f} MB). Shrink the photo (2000 pixels on its longest side and "
            "JPEG are plenty to read it) and send it again; the web page does this itself.")


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Answer one API Gateway proxy event (payload format 1.0 or 2.0) with the app's response.

    The contract:

    - the request the event carries (method, path, query string, headers, body) goes through
      the Lab 6 app (`call_app(application(), ...)`), so the function answers exactly what the
      app answers over HTTP, status codes and error JSON included;
    - both payload formats work: 2.0 (HTTP API, `event["version"] == "2.0"`, what
      `serverless.yml` deploys) and 1.0 (REST API). They name the method, the path and the
      query string differently, and 1.0 gives the query as a dict;
    - a body marked `isBase64Encoded` is base64 (how API Gateway sends an image); otherwise it
      is UTF-8 text. A missing body is an empty one;
    - the function never raises: an event that is not an API Gateway event (a missing key, a
      wrong type) answers `error_response(400, "invalid_event", ...)`, a body that is not valid
      base64 `error_response(400, "invalid_base64", ...)`, and any other failure
      `error_response(500, "internal_error", ...)`, printed to stderr (CloudWatch Logs);
    - a body (as the event carries it) over `PAYLOAD_LIMIT` answers
      `error_response(413, "payload_too_large", ...)`, saying how to shrink the image: Lambda
      itself refuses such a request before the function runs, so the function answers what
      Lambda would let through, wherever it runs (tests, the local runtime).

    Example (`serverless/events.py` builds events like API Gateway's):

        >>> event = api_gateway_event(png_bytes, "image/png", version="2.0", query={"kind": "line"})
        >>> response = handler(event)
        >>> response["statusCode"], response["headers"]["Content-Type"]
        (200, 'application/json')
        >>> handler({"version": "2.0"})["statusCode"]
        400

    Notebook: "The Lambda function: events in, proxy responses out" shows both formats.
    """
    raise NotImplementedError("Lab 7 exercise: implement handler: Answer one API Gateway proxy event (payload format 1.0 or 2.0) with the app's response. See notebooks/lab7.ipynb, section \"The Lambda function: events in, proxy responses out\".")


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):  # on Lambda: load the models in the init phase
    application()
