"""The Lambda handler answers API Gateway events exactly as the Flask API answers the same requests."""

from __future__ import annotations

import base64
import json

import pytest
from lab_folders import SUPPORT_DIR

from text_recognizer.serverless import handler as lambda_handler
from text_recognizer.serverless.events import api_gateway_event

LINE = SUPPORT_DIR / "emnist_lines" / "line_00.png"


@pytest.fixture(scope="module")
def app():
    return lambda_handler.application()


def flask_answer(app, body: bytes, content_type: str, query: dict | None = None, path: str = "/v1/predict"):
    response = app.test_client().post(path, data=body, content_type=content_type, query_string=query or {})
    return response.status_code, response.get_json()


def lambda_answer(event: dict):
    response = lambda_handler.handler(event, None)
    assert isinstance(response, dict) and "statusCode" in response, (
        f"the handler must return an API Gateway proxy response (a dict with statusCode), got {response!r:.200}")
    assert response["isBase64Encoded"] is False, "a JSON answer goes back as text, not base64"
    assert response["headers"]["Content-Type"].startswith("application/json"), response["headers"]
    return response["statusCode"], json.loads(response["body"])


def same(flask: tuple, lam: tuple) -> None:
    assert lam[0] == flask[0], (
        f"the function answered {lam[0]} where the app answers {flask[0]}: pass the event's request to the app "
        f"as it came (method, path, query, headers, body); the function said {json.dumps(lam[1])[:200]}")
    flask_body, lambda_body = dict(flask[1]), dict(lam[1])
    for body in (flask_body, lambda_body):  # timings differ between two runs, nothing else
        body.pop("time_ms", None)
        body.pop("predict_ms", None)
    assert lambda_body == flask_body, "the function must answer exactly what the app answers"


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_line_image_reads_like_the_api(app, version):
    data = LINE.read_bytes()
    event = api_gateway_event(data, "image/png", version=version, query={"kind": "line"})
    answer = lambda_answer(event)
    same(flask_answer(app, data, "image/png", {"kind": "line"}), answer)
    assert answer[0] == 200 and answer[1]["kind"] == "line" and answer[1]["text"], (
        f"payload format {version}: expected a line read (the query string asks kind=line), got {answer}")


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_json_body_as_text(app, version):
    body = json.dumps({"image": base64.b64encode(LINE.read_bytes()).decode(), "kind": "line"}).encode()
    event = api_gateway_event(body, "application/json", version=version, base64_body=False)
    same(flask_answer(app, body, "application/json"), lambda_answer(event))


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b"not an image", "image/png", 422),
    (b"", "image/png", 400),
    (b"hello", "text/plain", 415),
    (b"{", "application/json", 400),
])
def test_errors_are_the_apis(app, body, content_type, status):
    event = api_gateway_event(body, content_type)
    answer = lambda_answer(event)
    same(flask_answer(app, body, content_type), answer)
    assert answer[0] == status and answer[1]["error"]["status"] == status, (
        f"expected the app's {status} error JSON, got {answer}")


def test_unknown_path_and_bad_kind(app):
    data = LINE.read_bytes()
    status, body = lambda_answer(api_gateway_event(data, "image/png", path="/nowhere"))
    assert status == 404 and body["error"]["status"] == 404, f"/nowhere is the app's 404, got {status} {body}"
    status, body = lambda_answer(api_gateway_event(data, "image/png", query={"kind": "poem"}))
    assert status == 400 and body["error"]["code"] == "invalid_kind", (
        f"kind=poem is the app's 400 invalid_kind (the query string reaches it), got {status} {body}")


def test_broken_events_answer_http_errors():
    status, body = lambda_answer({"version": "2.0", "rawPath": "/v1/predict"})
    assert status == 400 and body["error"]["code"] == "invalid_event", (
        f"an event without its request context is not an API Gateway event: expected 400 invalid_event, got "
        f"{status} {body}")
    event = api_gateway_event(b"x", "image/png")
    event["body"] = "%%% not base64"
    status, body = lambda_answer(event)
    assert status == 400 and body["error"]["code"] == "invalid_base64", (
        f"a body marked isBase64Encoded that is not base64: expected 400 invalid_base64, got {status} {body}")


def test_a_body_over_lambdas_payload_limit_answers_413_saying_what_to_do():
    event = api_gateway_event(b"\xff" * (lambda_handler.PAYLOAD_LIMIT * 3 // 4 + 3), "image/jpeg")
    status, body = lambda_answer(event)
    assert status == 413 and body["error"]["code"] == "payload_too_large", (
        f"a base64 body over Lambda's 6 MB request limit: expected 413 payload_too_large, got {status} {body}")
    assert "Shrink the photo" in body["error"]["message"]


def test_web_page_comes_back_as_text(app):
    response = lambda_handler.handler(api_gateway_event(b"", "text/html", method="GET", path="/"), None)
    assert response["statusCode"] == 200 and "<html" in response["body"].lower(), (
        "GET / is the app's web page, sent back as text")
