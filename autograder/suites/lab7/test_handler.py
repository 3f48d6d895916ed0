"""The student's Lambda handler (text_recognizer/serverless/handler.py) on hidden API Gateway events.

Inside the sandbox, the grader's `lambda_function` recipe calls `handler(event, context)` as
Lambda does, and sends the same request through the handler's own Flask app (`application()`)
with Flask's test client: the `lambda_response` and `http_response` observers report both. The
parent builds every event (the reference `events.api_gateway_event`, hidden lines as PNG bodies)
and decides every score: the handler must answer what the Flask app answers, status and JSON.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from PIL import Image

from autograder.pipeline.marks import graded
from autograder.suites.reference import reference_module
from autograder.sandbox.session import SandboxFile

#: Every test here sends hidden lines (a runner that saw them serves no later test).
pytestmark = pytest.mark.hidden_data

FUNCTION = ("lambda_function", {})
IMPORTS = ("text_recognizer.serverless.handler",)
MAX_CER = 0.35
"""As in Lab 6: the deployed Lab 3 model reads these lines at CER ~0.1."""
TIMINGS = ("time_ms", "predict_ms")
"""Fields that differ between two runs of the same request; everything else must be equal."""
HIDDEN_MESSAGE = "Graded on hidden events and lines: beyond the figures above, no details are shown."


def character_error_rate(predictions: list[str], targets: list[str]) -> float:
    """The course's CER (the reference package's metric; lab 3's suite, which has it too, is not in a
    lab 7 Gradescope zip)."""
    return float(reference_module("text_recognizer.models.metrics").character_error_rate(predictions, targets))


def png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def event_for(body: bytes, content_type: str, **options: Any) -> dict:
    """An API Gateway event, built by the course's reference `events.api_gateway_event`."""
    events = reference_module("text_recognizer.serverless.events")
    return events.api_gateway_event(body, content_type, **options)


@dataclass
class Case:
    """One request: the event the handler gets, the request Flask gets, what the API must answer."""

    what: str
    event: Any
    flask: dict | None
    status: int
    text: str | None = None  # the hidden line's text (a 200 reading), kept in the parent


@dataclass
class Cases:
    items: list[Case] = field(default_factory=list)

    def add(self, what: str, event: Any, status: int, body: bytes | None = None, content_type: str | None = None,
            path: str = "/v1/predict", method: str = "POST", text: str | None = None, flask: bool = True) -> None:
        index = len(self.items)
        request = {"method": method, "path": path, "content_type": content_type,
                   "body": SandboxFile(f"body_{index:03d}.bin", body) if body else None} if flask else None
        self.items.append(Case(what, event, request, status, text))


@dataclass
class Answer:
    """The handler's answer and the Flask app's, as plain data (`{}` for a call that failed)."""

    handler: dict
    flask: dict
    handler_error: str = ""

    @property
    def body(self) -> dict:
        value = self.handler.get("json")
        return value if isinstance(value, dict) else {}

    def same_as_flask(self) -> bool:
        """Same status and JSON as the Flask app, timings aside; JSON sent as text, not base64."""
        if not self.handler or not self.flask or self.handler.get("status") != self.flask.get("status"):
            return False
        ours, theirs = self.handler.get("json"), self.flask.get("json")
        if not isinstance(ours, dict) or not isinstance(theirs, dict) or self.handler.get("is_base64") is not False:
            return False
        return ({k: v for k, v in ours.items() if k not in TIMINGS}
                == {k: v for k, v in theirs.items() if k not in TIMINGS})


def run(sandbox, cases: Cases, timeout: float = 300) -> list[Answer]:
    """Each case's event through the handler and its request through the Flask app (one call each)."""
    events = sandbox.call("invoke", [c.event for c in cases.items], each=True, on=FUNCTION,
                          observe="lambda_response", imports=IMPORTS, timeout=timeout).unwrap()
    with_flask = [c for c in cases.items if c.flask is not None]
    flask = sandbox.call("flask", [c.flask for c in with_flask], each=True, on=FUNCTION, observe="http_response",
                         imports=IMPORTS, timeout=timeout).unwrap() if with_flask else []
    assert isinstance(events, list) and len(events) == len(cases.items), "no answer per event"
    flask_by_case = dict(zip((id(c) for c in with_flask), flask, strict=True))

    def value(call: Any) -> dict:
        return call["value"] if isinstance(call, dict) and call.get("ok") is True and isinstance(
            call.get("value"), dict) else {}

    return [Answer(value(call), value(flask_by_case.get(id(case))),
                   "" if call.get("ok") is True else str(call.get("error", ""))[:120])
            for case, call in zip(cases.items, events, strict=True)]


def score(feedback, cases: Cases, answers: list[Answer], extra: dict[str, bool] | None = None) -> None:
    """Each case right when its status is the API's and its answer the Flask app's (and each of
    the `extra` checks holds); the readings of hidden lines together under MAX_CER, not one text
    for all."""
    right = 0
    for case, answer in zip(cases.items, answers, strict=True):
        ok = answer.handler.get("status") == case.status and answer.same_as_flask()
        right += ok
        got = answer.handler.get("status") if answer.handler else f"an exception ({answer.handler_error})"
        feedback.say(f"{'ok  ' if ok else 'FAIL'} {case.what}: expected {case.status} and the Flask app's "
                     f"JSON, got {got}")
    for what, ok in (extra or {}).items():
        right += ok
        feedback.say(f"{'ok  ' if ok else 'FAIL'} {what}")
    total = len(cases.items) + len(extra or {})
    readings = [(a.body.get("text") if isinstance(a.body.get("text"), str) else "", c.text)
                for c, a in zip(cases.items, answers, strict=True) if c.text is not None]
    cer, guess = 0.0, False
    if readings:
        texts, targets = [r[0] for r in readings], [r[1] for r in readings]
        cer = character_error_rate(texts, targets)
        guess = len(set(targets)) > 1 and len(set(texts)) == 1
        feedback.say(f"hidden lines read through the handler: CER {cer:.3f} (needs < {MAX_CER})")
    feedback.partial(right / total * (not guess and cer < MAX_CER), f"{right} of {total} events answered right.")
    assert not guess, "the same text for every line is a guess"
    assert cer < MAX_CER, f"CER {cer:.3f} is not under {MAX_CER}"
    assert right == total, "some events were not answered as the API answers the same request"


@pytest.fixture(scope="module")
def lines(hidden) -> tuple[list[bytes], list[str]]:
    return [png(image) for image in hidden.images], list(hidden.texts)


@graded("handler: HTTP API (payload 2.0) events, base64 image bodies", 15, hidden_message=HIDDEN_MESSAGE)
def test_http_api_events(sandbox, feedback, lines):
    images, texts = lines
    cases = Cases()
    for i in range(4):
        content_type = "image/png" if i % 2 == 0 else "application/octet-stream"
        cases.add(f"v2 line {i + 1} ({content_type})", event_for(images[i], content_type), 200, images[i],
                  content_type, text=texts[i])
    score(feedback, cases, run(sandbox, cases))


@graded("handler: REST API (payload 1.0) events", 10, hidden_message=HIDDEN_MESSAGE)
def test_rest_api_events(sandbox, feedback, lines):
    images, texts = lines
    cases = Cases()
    for i in range(4, 7):
        cases.add(f"v1 line {i - 3} (kind=line in queryStringParameters)",
                  event_for(images[i], "image/png", version="1.0", query={"kind": "line"}), 200, images[i],
                  "image/png", path="/v1/predict?kind=line", text=texts[i])
    score(feedback, cases, run(sandbox, cases))


@graded("handler: JSON bodies sent as plain text", 10, hidden_message=HIDDEN_MESSAGE)
def test_json_text_bodies(sandbox, feedback, lines):
    images, texts = lines
    cases = Cases()
    for version, i in (("1.0", 7), ("2.0", 8), ("2.0", 9)):
        encoded = base64.b64encode(images[i]).decode()
        image = f"data:image/png;base64,{encoded}" if i == 9 else encoded
        body = json.dumps({"image": image, "kind": "line"}).encode()
        cases.add(f"v{version} JSON body (isBase64Encoded false)",
                  event_for(body, "application/json", version=version, base64_body=False), 200, body,
                  "application/json", text=texts[i])
    score(feedback, cases, run(sandbox, cases))


@graded("handler: query parameters", 5, hidden_message=HIDDEN_MESSAGE)
def test_query_parameters(sandbox, feedback, lines):
    images, texts = lines
    cases = Cases()
    cases.add("v2 rawQueryString kind=line", event_for(images[10], "image/png", query={"kind": "line"}), 200,
              images[10], "image/png", path="/v1/predict?kind=line", text=texts[10])
    cases.add("v2 rawQueryString with an unknown kind", event_for(images[10], "image/png", query={"kind": "poem"}),
              400, images[10], "image/png", path="/v1/predict?kind=poem")
    cases.add("v1 queryStringParameters with an unknown kind",
              event_for(images[11], "image/png", version="1.0", query={"kind": "everything"}), 400, images[11],
              "image/png", path="/v1/predict?kind=everything")
    score(feedback, cases, run(sandbox, cases))


@graded("handler: GET /health, the web page, unknown paths, wrong methods", 10, hidden_message=HIDDEN_MESSAGE)
def test_other_routes(sandbox, feedback, lines):
    images, _ = lines
    cases = Cases()
    for version in ("2.0", "1.0"):
        cases.add(f"v{version} GET /health", event_for(b"", "application/json", version=version, method="GET",
                                                         path="/health"), 200, path="/health", method="GET")
    cases.add("v2 POST to an unknown path", event_for(images[0], "image/png", path="/v2/read"), 404, images[0],
              "image/png", path="/v2/read")
    cases.add("v2 GET /v1/predict (a wrong method)", event_for(b"", "image/png", method="GET"), 405,
              None, "image/png", method="GET")
    cases.add("v1 DELETE /v1/predict (a wrong method)",
              event_for(b"", "image/png", version="1.0", method="DELETE"), 405, None, "image/png", method="DELETE")
    page = Cases()
    page.add("v2 GET / (the web page)", event_for(b"", "text/html", method="GET", path="/"), 200, flask=False)
    (answer,) = run(sandbox, page)
    page_ok = (answer.handler.get("status") == 200 and answer.handler.get("is_base64") is False
               and "<html" in str(answer.handler.get("text") or "").lower())
    score(feedback, cases, run(sandbox, cases),
          extra={"v2 GET / (the web page): 200 with the HTML as text (isBase64Encoded false)": page_ok})


@graded("handler: bad requests answer the API's errors", 10, hidden_message=HIDDEN_MESSAGE)
def test_bad_requests(sandbox, feedback, lines):
    images, _ = lines
    cases = Cases()
    missing = event_for(b"", "image/png")
    del missing["body"]
    cases.add("v2 event without a body", missing, 400, None, "image/png")
    empty = event_for(b"", "image/png", version="1.0")
    empty["body"] = None
    cases.add("v1 event with a null body", empty, 400, None, "image/png")
    cases.add("text sent as an image", event_for(b"my shopping list, not a picture", "image/png"), 422,
              b"my shopping list, not a picture", "image/png")
    cases.add("half a PNG", event_for(images[1][: len(images[1]) // 2], "image/png", version="1.0"), 422,
              images[1][: len(images[1]) // 2], "image/png")
    cases.add("a content type the API does not read", event_for(images[2], "text/csv"), 415, images[2], "text/csv")
    broken = b'{"image": "'
    cases.add("broken JSON as text", event_for(broken, "application/json", base64_body=False), 400, broken,
              "application/json")
    score(feedback, cases, run(sandbox, cases))


def broken_events(line: bytes) -> list[tuple[str, Any, str | None]]:
    """(what, event, the error code the docstring names or None for any 4xx JSON error)."""
    no_context = event_for(line, "image/png")
    del no_context["requestContext"]
    null_context = event_for(line, "image/png")
    null_context["requestContext"] = None
    no_method = event_for(line, "image/png", version="1.0")
    del no_method["httpMethod"]
    bad_base64 = event_for(line, "image/png")
    bad_base64["body"] = "iVBORw0KGgo%%% not base64 %%%"
    bad_base64_v1 = event_for(line, "image/png", version="1.0")
    bad_base64_v1["body"] = bad_base64_v1["body"][:-3] + "@"
    return [
        ("an empty event {}", {}, "invalid_event"),
        ("a v2 event without requestContext", no_context, "invalid_event"),
        ("a v2 event whose requestContext is null", null_context, "invalid_event"),
        ("a v1 event without httpMethod", no_method, "invalid_event"),
        ("a v2 body marked isBase64Encoded that is not base64", bad_base64, "invalid_base64"),
        ("a v1 body marked isBase64Encoded with a broken end", bad_base64_v1, "invalid_base64"),
        ("an event that is a string, not an object", "POST /v1/predict", None),
    ]


@graded("handler: broken events answer HTTP errors, never an exception", 10, hidden_message=HIDDEN_MESSAGE)
def test_broken_events(sandbox, feedback, lines):
    images, _ = lines
    cases = broken_events(images[3])
    answers = run(sandbox, Cases([Case(what, event, None, 400) for what, event, _ in cases]))
    right = 0
    for (what, _, code), answer in zip(cases, answers, strict=True):
        error = answer.body.get("error")
        ok = (answer.handler.get("status") == 400 and isinstance(error, dict) and isinstance(error.get("message"), str)
              and (code is None or error.get("code") == code) and answer.handler.get("is_base64") is False)
        right += ok
        got = answer.handler.get("status") if answer.handler else f"an exception ({answer.handler_error})"
        feedback.say(f"{'ok  ' if ok else 'FAIL'} {what}: expected 400 with a JSON error"
                     f"{f' {code!r}' if code else ''}, got {got}")
    feedback.partial(right / len(cases), f"{right} of {len(cases)} broken events answered a 400 JSON error.")
    assert right == len(cases), "some broken events did not get the 400 JSON error the docstring describes"
