"""The student's `POST /v1/predict` (text_recognizer/api/predict_route.py) through the test client."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from autograder.pipeline.marks import graded
from autograder.sandbox.session import SandboxFile
from autograder.suites.lab3.ctc_reference import character_error_rate

#: Every test here sends hidden lines (a runner that saw them serves no later test).
pytestmark = pytest.mark.hidden_data

IMPORTS = ("text_recognizer.api.app",)
CLIENT = ("api_client", {})
MAX_CER = 0.35
"""The deployed Lab 3 model reads these lines at CER ~0.1; a route that passes the image on intact
stays well under this."""
LINES_PER_FORM = 4
HIDDEN_MESSAGE = "Graded on hidden lines and requests: beyond the figures above, no details are shown."


def png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def png_bomb(side: int = 40_000) -> bytes:
    """A valid PNG header of a 1.6-gigapixel image in a few hundred bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + chunk(b"IEND", b""))


class Requests:
    """Request descriptions for the sandbox's `ApiClient.send`, bodies as SandboxFiles."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, body: bytes | None, content_type: str | None, path: str = "/v1/predict", method: str = "POST",
            field: str | None = None, form: dict | None = None) -> None:
        index = len(self.items)
        self.items.append({"method": method, "path": path, "content_type": content_type,
                           "body": SandboxFile(f"body_{index:03d}.bin", body) if body is not None else None,
                           "field": field, "form": form or {}})


def send(sandbox, requests: Requests, timeout: float = 240) -> list[dict]:
    """The observed responses, one per request (a failed call is `{}`)."""
    reply = sandbox.call("send", requests.items, each=True, on=CLIENT, observe="http_response",
                         imports=IMPORTS, timeout=timeout)
    calls = reply.unwrap()
    assert isinstance(calls, list) and len(calls) == len(requests.items), "no answer per request"
    return [call["value"] if call.get("ok") is True and isinstance(call.get("value"), dict) else {}
            for call in calls]


def answer_json(response: dict) -> dict:
    value = response.get("json")
    return value if isinstance(value, dict) else {}


def well_formed(answer: dict) -> bool:
    """The answer has the OpenAPI description's form (text, lines with boxes, numbers)."""
    lines = answer.get("lines")
    if not isinstance(answer.get("text"), str) or not isinstance(lines, list) or not lines:
        return False
    for line in lines:
        box = line.get("box") if isinstance(line, dict) else None
        if not isinstance(box, dict) or not all(isinstance(box.get(k), int) for k in ("x", "y", "width", "height")):
            return False
        if not isinstance(line.get("text"), str) or not isinstance(line.get("confidence"), float):
            return False
    return isinstance(answer.get("time_ms"), (int, float))


def score_readings(feedback, responses: list[dict], targets: list[str], form: str) -> None:
    ok = [r.get("status") == 200 and well_formed(answer_json(r)) for r in responses]
    texts = [answer_json(r).get("text", "") if good else "" for r, good in zip(responses, ok, strict=True)]
    cer = character_error_rate(texts, targets)
    statuses = sorted({r.get("status") for r in responses}, key=str)
    feedback.say(f"{form}: {sum(ok)} of {len(ok)} answered 200 with a well-formed answer (statuses {statuses}); "
                 f"CER {cer:.3f} (needs < {MAX_CER})")
    guess = len(set(targets)) > 1 and len(set(texts)) == 1
    feedback.partial((sum(ok) / len(ok)) * (cer < MAX_CER and not guess), "")
    assert all(ok), f"{form}: not every line got a 200 with a well-formed answer"
    assert not guess, "the same text for every line is a guess"
    assert cer < MAX_CER, f"{form}: CER {cer:.3f} is not under {MAX_CER}"


def reads_right(responses: list[dict], targets: list[str]) -> bool:
    """Every response is a 200 with a well-formed answer whose texts read `targets` (two or more
    different lines) under MAX_CER: the happy path that error, kind and provenance credit sit beside."""
    texts = [answer_json(r).get("text", "") for r in responses]
    return (all(r.get("status") == 200 and well_formed(answer_json(r)) for r in responses)
            and len(set(texts)) == len(set(targets)) > 1 and character_error_rate(texts, targets) < MAX_CER)


def gate(feedback, read: bool) -> None:
    """Say why a test earns nothing when the route did not read its hidden lines right."""
    feedback.say(f"{'ok  ' if read else 'FAIL'} the hidden lines sent beside these requests are read right "
                 "(needed for any point of this test)")


@pytest.fixture(scope="module")
def lines(hidden) -> tuple[list[bytes], list[str]]:
    rows = list(range(LINES_PER_FORM * 3))
    return [png(hidden.images[i]) for i in rows], [hidden.texts[i] for i in rows]


@graded("predict: raw image body", 15, hidden_message=HIDDEN_MESSAGE)
def test_raw_image_body(sandbox, feedback, lines):
    images, texts = lines
    requests = Requests()
    for i in range(LINES_PER_FORM):
        requests.add(images[i], "image/png" if i % 2 == 0 else "application/octet-stream")
    score_readings(feedback, send(sandbox, requests), texts[:LINES_PER_FORM], "raw body")


@graded("predict: multipart upload", 15, hidden_message=HIDDEN_MESSAGE)
def test_multipart_upload(sandbox, feedback, lines):
    images, texts = lines
    requests = Requests()
    rows = range(LINES_PER_FORM, 2 * LINES_PER_FORM)
    for i in rows:
        requests.add(images[i], None, field="image", form={"kind": "line"})
    score_readings(feedback, send(sandbox, requests), [texts[i] for i in rows], "multipart")


@graded("predict: JSON base64 and data URL", 15, hidden_message=HIDDEN_MESSAGE)
def test_json_base64(sandbox, feedback, lines):
    images, texts = lines
    requests = Requests()
    rows = range(2 * LINES_PER_FORM, 3 * LINES_PER_FORM)
    for i in rows:
        encoded = base64.b64encode(images[i]).decode()
        image = f"data:image/png;base64,{encoded}" if i % 2 else encoded
        requests.add(json.dumps({"image": image}).encode(), "application/json")
    score_readings(feedback, send(sandbox, requests), [texts[i] for i in rows], "JSON")


@graded("predict: kind", 10, hidden_message=HIDDEN_MESSAGE)
def test_kind(sandbox, feedback, lines):
    images, texts = lines
    requests = Requests()
    requests.add(images[0], "image/png", path="/v1/predict?kind=line")
    requests.add(images[0], "image/png", path="/v1/predict?kind=everything")
    requests.add(json.dumps({"image": base64.b64encode(images[1]).decode(), "kind": "sideways"}).encode(),
                 "application/json")
    requests.add(images[0], "image/png", path="/v1/predict?kind=page")
    requests.add(None, None, path="/health", method="GET")
    requests.add(images[1], "image/png", path="/v1/predict?kind=line")
    line, unknown, unknown_json, page, health, second = send(sandbox, requests)
    reads_pages = answer_json(health).get("reads_pages") is True
    read = reads_right([line, second], texts[:2])
    gate(feedback, read)
    checks = {
        "kind=line answers kind 'line'": all(answer_json(r).get("kind") == "line" for r in (line, second)),
        "an unknown kind in the query is a 400": unknown.get("status") == 400,
        "an unknown kind in the JSON body is a 400": unknown_json.get("status") == 400,
        "kind=page: 200 with a page predictor, else 501": page.get("status") == (200 if reads_pages else 501),
    }
    for name, ok in checks.items():
        feedback.say(f"{'ok  ' if ok else 'FAIL'} {name}")
    feedback.partial(read * sum(checks.values()) / len(checks), "")
    assert read, "kind=line did not read the hidden lines right"
    assert all(checks.values()), "kind is not handled as the API describes"


def bad_requests(images: list[bytes]) -> list[tuple[str, bytes, str | None, int]]:
    """(what, body, content type, the status the API must answer)."""
    line = images[0]
    return [
        ("an empty body", b"", "image/png", 400),
        ("text sent as an image", b"this is not a picture at all", "image/png", 422),
        ("a truncated PNG", line[: len(line) // 2], "image/png", 422),
        ("a decompression bomb", png_bomb(), "image/png", 413),
        ("broken JSON", b'{"image": "', "application/json", 400),
        ("JSON without an image", b'{"picture": 1}', "application/json", 400),
        ("broken base64", b'{"image": "@@not-base64@@"}', "application/json", 400),
        ("a content type the API does not read", line, "text/csv", 415),
    ]


@graded("predict: bad input", 25, hidden_message=HIDDEN_MESSAGE)
def test_bad_input(sandbox, feedback, lines):
    # Beside two hidden lines that must be read right: a route that answers 400 to everything
    # has learnt nothing about bad input.
    images, texts = lines
    cases = bad_requests(images)
    requests = Requests()
    for i in (5, 6):
        requests.add(images[i], "image/png")
    for _, body, content_type, _ in cases:
        requests.add(body, content_type)
    responses = send(sandbox, requests)
    read = reads_right(responses[:2], [texts[5], texts[6]])
    gate(feedback, read)
    right = 0
    for (what, _, _, status), response in zip(cases, responses[2:], strict=True):
        error = answer_json(response).get("error")
        ok = response.get("status") == status and isinstance(error, dict) and isinstance(error.get("message"), str)
        right += ok
        feedback.say(f"{'ok  ' if ok else 'FAIL'} {what}: expected {status} with a JSON error, got "
                     f"{response.get('status')}")
    feedback.partial(read * right / len(cases), f"{right} of {len(cases)} bad requests answered as described.")
    assert read, "the hidden lines sent beside the bad requests were not read right"
    assert right == len(cases), "some bad requests did not get the 4xx JSON error the API describes"


@graded("predict: still answers after bad input", 10, hidden_message=HIDDEN_MESSAGE)
def test_still_answers_after_bad_input(sandbox, feedback, lines):
    # Four hidden lines read once, then each again right after a bad request: the same answers.
    images, texts = lines
    requests = Requests()
    for i in range(4):
        requests.add(images[i], "image/png")
    for i, (_, body, content_type, _) in enumerate(bad_requests(images)):
        requests.add(body, content_type)
        requests.add(images[i % 4], "image/png")
    responses = send(sandbox, requests)
    clean = [answer_json(r).get("text") if r.get("status") == 200 else None for r in responses[:4]]
    after = responses[5::2]
    same = [r.get("status") == 200 and answer_json(r).get("text") == clean[i % 4] for i, r in enumerate(after)]
    cer = character_error_rate([t or "" for t in clean], texts[:4])
    guess = len(set(texts[:4])) > 1 and len(set(clean)) == 1
    feedback.say(f"{sum(same)} of {len(after)} good requests after a bad one answered 200 with the same text as "
                 f"before; the lines' CER {cer:.3f}")
    assert None not in clean and not guess and cer < MAX_CER, "the lines were not read before the bad requests"
    assert all(same), "a bad request changed or broke the next good one"


@graded("predict: timing and provenance", 10, hidden_message=HIDDEN_MESSAGE)
def test_timing_and_provenance(sandbox, feedback, lines, hidden):
    # The fields count only on answers that read their lines right: invented fields earn nothing.
    images, texts = lines
    requests = Requests()
    requests.add(images[3], "image/png")
    requests.add(images[7], "image/png")
    response, other = send(sandbox, requests)
    read = reads_right([response, other], [texts[3], texts[7]])
    gate(feedback, read)
    answer = answer_json(response)
    time_ms, predict_ms = answer.get("time_ms"), answer.get("predict_ms")
    height, width = hidden.images[3].shape
    checks = {
        "time_ms is a number of milliseconds": isinstance(time_ms, (int, float)) and 0 < time_ms < 600_000,
        "time_ms covers the recognizer's own time": isinstance(predict_ms, (int, float)) and isinstance(
            time_ms, (int, float)) and time_ms >= predict_ms > 0,
        "the model that answered is named": isinstance(answer.get("model"), dict) and bool(answer["model"].get("name")),
        "the image's size": answer.get("image") == {"width": width, "height": height},
    }
    for name, ok in checks.items():
        feedback.say(f"{'ok  ' if ok else 'FAIL'} {name}")
    feedback.partial(read * sum(checks.values()) / len(checks), "")
    assert read, "the hidden lines were not read right"
    assert all(checks.values()), "the answer lacks the timing or provenance the API describes"
