"""Bad input never gets a 5xx: each gets a 4xx JSON error saying what was wrong, and the
service answers the next request as before."""

from __future__ import annotations

import base64
import io
import zlib

import numpy as np
import pytest
from api_inputs import LINES_DIR, png_bytes
from PIL import Image

pytestmark = pytest.mark.xdist_group("lab6_app")  # the app (Keras and the model) loads once per session

LINE = (LINES_DIR / "line_00.png").read_bytes()


def jpeg_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG")
    return buffer.getvalue()


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid PNG header of a 900-megapixel image: kilobytes that would unpack to gigabytes."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 64, 9)  # only the start of the pixel data
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


CASES = {
    # name: (body, content type, expected status, expected error code)
    "empty raw body": (b"", "image/png", 400, "empty_body"),
    "empty JSON body": (b"", "application/json", 400, "empty_body"),
    "text, not an image": (b"hello, I am not a picture", "image/png", 422, "not_an_image"),
    "HTML as an image": (b"<html><body>hi</body></html>", "application/octet-stream", 422, "not_an_image"),
    "truncated PNG": (LINE[: len(LINE) // 2], "image/png", 422, "unreadable_image"),
    "corrupt PNG data": (LINE[:60] + bytes(range(256)) * 4 + LINE[-12:], "image/png", 422, "unreadable_image"),
    "truncated JPEG": (jpeg_bytes(np.random.default_rng(0).integers(0, 255, (40, 300), np.uint8))[:2000], "image/jpeg",
                       422, "unreadable_image"),
    "decompression bomb": (png_bomb(), "image/png", 413, "too_many_pixels"),
    "broken JSON": (b'{"image": ', "application/json", 400, "invalid_json"),
    "JSON that is not an object": (b'["image"]', "application/json", 400, "missing_image"),
    "JSON without an image": (b'{"picture": "abc"}', "application/json", 400, "missing_image"),
    "JSON image not a string": (b'{"image": 42}', "application/json", 400, "missing_image"),
    "broken base64": (b'{"image": "not base64 at all!!"}', "application/json", 400, "invalid_base64"),
    "data URL without base64": (b'{"image": "data:image/png,abc"}', "application/json", 400, "invalid_base64"),
    "base64 of nothing": (b'{"image": ""}', "application/json", 400, "empty_image"),
    "base64 of text": (b'{"image": "' + base64.b64encode(b"just text") + b'"}', "application/json", 422,
                       "not_an_image"),
    "wrong content type": (LINE, "text/plain", 415, "unsupported_media_type"),
    "form-encoded": (b"image=abc", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    "no content type": (LINE, None, 415, "unsupported_media_type"),
    "deeply nested JSON": (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "invalid_json"),
    "invalid UTF-8 JSON": (b'{"image": "\xff\xfe"}', "application/json", 400, "invalid_json"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_a_json_4xx_saying_what_was_wrong(client, name):
    body, content_type, status, code = CASES[name]
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/v1/predict", data=body, headers=headers)
    assert response.status_code == status, (
        f"{name}: expected {status} {code}, got {response.status_code} {response.get_data(as_text=True)[:300]}")
    assert response.mimetype == "application/json", f"{name}: errors are JSON, got {response.mimetype}"
    error = response.json["error"]
    assert error["code"] == code and error["status"] == status, f"{name}: expected {status} {code}, got {error}"
    assert len(error["message"]) > 20, "the message must say what was wrong"


def test_an_unknown_kind_is_refused(client):
    response = client.post("/v1/predict?kind=paragraph", data=LINE, content_type="image/png")
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_kind", response.json
    assert "line, page, auto" in response.json["error"]["message"]


def test_a_bad_form_kind_is_refused_even_beside_a_query_kind(client):
    # Found by schemathesis: the form's kind was never read when the query string had one.
    def post(form_kind: str):
        return client.post("/v1/predict?kind=line", data={"image": (io.BytesIO(LINE), "l.png"), "kind": form_kind},
                           content_type="multipart/form-data")

    invalid_in_form, other_kind_in_form = post("poem"), post("page")
    assert invalid_in_form.status_code == 400 and invalid_in_form.json["error"]["code"] == "invalid_kind"
    assert "in the form" in invalid_in_form.json["error"]["message"]
    assert other_kind_in_form.status_code == 200 and other_kind_in_form.json["kind"] == "line"  # the query's wins
    null_in_json = client.post("/v1/predict?kind=line", json={"image": base64.b64encode(LINE).decode(), "kind": None})
    assert null_in_json.status_code == 400 and null_in_json.json["error"]["code"] == "invalid_kind"


def test_multipart_without_the_image_field(client):
    response = client.post("/v1/predict", data={"kind": "line"}, content_type="multipart/form-data")
    assert response.status_code == 400 and response.json["error"]["code"] == "missing_image"


def test_multipart_with_an_empty_file(client):
    response = client.post("/v1/predict", data={"image": (io.BytesIO(b""), "empty.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and response.json["error"]["code"] == "empty_image"


def test_multipart_with_a_broken_boundary(client):
    body = b"--nope\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n" + LINE
    response = client.post("/v1/predict", data=body, headers={"Content-Type": "multipart/form-data; boundary=xyz"})
    assert 400 <= response.status_code < 500 and response.mimetype == "application/json"


def test_an_enormous_upload_gets_413(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/v1/predict", data=b"\x89PNG" + b"\0" * limit, content_type="image/png")
    assert response.status_code == 413 and response.json["error"]["status"] == 413
    assert "MiB" in response.json["error"]["message"]


def test_too_many_pixels_in_a_real_image_gets_413(app):
    from text_recognizer.api.app import create_app, recognizer_of

    small_limit = create_app(recognizer_of(app), {"MAX_PIXELS": 10_000, "WARM_UP": False}).test_client()
    response = small_limit.post("/v1/predict", data=png_bytes(np.zeros((200, 200), np.uint8)), content_type="image/png")
    assert response.status_code == 413 and response.json["error"]["code"] == "too_many_pixels"


def test_unknown_routes_and_methods_answer_json(client):
    missing = client.get("/v2/predict")
    assert missing.status_code == 404 and missing.json["error"]["status"] == 404
    wrong_method = client.get("/v1/predict")
    assert wrong_method.status_code == 405 and wrong_method.json["error"]["code"] == "method_not_allowed"
    assert set(wrong_method.headers["Allow"].replace(" ", "").split(",")) >= {"POST"}


def test_the_service_still_answers_after_every_bad_input(client):
    for body, content_type, _, _ in CASES.values():
        client.post("/v1/predict", data=body, headers={"Content-Type": content_type} if content_type else {})
    assert client.get("/health").json["status"] == "ok"
    response = client.post("/v1/predict", data=LINE, content_type="image/png")
    assert response.status_code == 200 and response.json["text"]


def test_unusual_but_valid_images_are_read(client):
    """RGBA, 16-bit, palette, one pixel, tall and narrow: a 200 or a 4xx, never a 5xx."""
    grey = np.asarray(Image.open(LINES_DIR / "line_00.png"))
    rgba = Image.fromarray(np.dstack([grey] * 3 + [np.full(grey.shape, 255, np.uint8)]))
    images = {
        "rgba": rgba,
        "16-bit": Image.fromarray((np.asarray(Image.open(LINES_DIR / "line_00.png")).astype(np.uint16) * 257)),
        "palette": Image.open(LINES_DIR / "line_00.png").convert("P"),
        "one pixel": Image.fromarray(np.zeros((1, 1), np.uint8)),
        "tall and narrow": Image.fromarray(np.full((3000, 2), 255, np.uint8)),
    }
    for name, image in images.items():
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        response = client.post("/v1/predict", data=buffer.getvalue(), content_type="image/png")
        assert response.status_code < 500 and response.mimetype == "application/json", name
    assert client.post("/v1/predict", data=LINE, content_type="image/png").status_code == 200
