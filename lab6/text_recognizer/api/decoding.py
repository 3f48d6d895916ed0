"""From an HTTP request to the image it carries: the three ways a client may send one.

- a multipart form upload (`<input type="file">`, `curl -F image=@line.png`): field `image`;
- the raw image as the body (`curl --data-binary @line.png -H "Content-Type: image/png"`);
- JSON `{"image": "<base64>"}`, where the string may also be a data URL (`data:image/png;base64,...`).

Each helper raises `ApiError` with a status and a message saying what to send instead; none
lets a library exception escape, so bad input never becomes a 500.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import warnings
from typing import Any

import numpy as np
from blinker import Namespace
from flask import Request
from PIL import Image

from text_recognizer.api.errors import ApiError
from text_recognizer.images.checks import ImageError
from text_recognizer.images.reading import read_grayscale_image

KINDS = ("line", "page", "auto")
"""What a client may ask for: one line, a whole page, or let the service decide (default)."""
MULTIPART = "multipart/form-data"
JSON = "application/json"
RAW_IMAGE_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/bmp", "image/tiff", "image/webp",
    "application/octet-stream",
})
"""Content types of a request whose body is the image file itself."""
ACCEPTED = (f"{MULTIPART} (field 'image'), {JSON} ({{\"image\": base64}}), "
            "or a raw image body (image/png, image/jpeg, ...)")
image_decoded = Namespace().signal("image-decoded")
"""Sent with each image `decode_image` decoded (the sender), as sent, before any normalizing:
Lab 7's monitoring notes its brightness and contrast."""
_DATA_URL = re.compile(r"^data:[\w.+-]*/?[\w.+-]*(;[\w.+-]+=[\w.+-]+)*;base64,", re.IGNORECASE)


def request_kind(request: Request, body: dict[str, Any] | None = None) -> str:
    """The `kind` asked for: the query string's, else the form's or the JSON body's; "auto" by default.

    Every kind given is checked, the one that loses to the query string too (400 `invalid_kind`):
    a bad value is never passed over in silence.
    """
    given = {}
    if "kind" in request.args:
        given["the query string"] = request.args["kind"]
    if request.mimetype == MULTIPART and "kind" in request.form:
        given["the form"] = request.form["kind"]
    if body is not None and "kind" in body:  # `"kind": null` too is given, and refused
        given["the JSON body"] = body["kind"]
    for place, kind in given.items():
        if kind not in KINDS:
            raise ApiError(400, "invalid_kind",
                           f"kind in {place} must be one of {', '.join(KINDS)}, got {str(kind)[:40]!r}.")
    return next(iter(given.values()), "auto")


def image_from_upload(request: Request) -> bytes:
    """The bytes of the file uploaded in multipart field `image` (or `file`)."""
    upload = request.files.get("image") or request.files.get("file")
    if upload is None:
        raise ApiError(400, "missing_image",
                       "The multipart form has no file field 'image': upload the image as "
                       "`-F image=@photo.png`.")
    data = upload.read()
    if not data:
        raise ApiError(400, "empty_image", "The uploaded file 'image' is empty: choose a PNG or JPEG file.")
    return data


def image_from_body(request: Request) -> bytes:
    """The raw request body, when the body is the image file itself."""
    data = request.get_data(cache=True)
    if not data:
        raise ApiError(400, "empty_body", "The request body is empty: send the bytes of a PNG or JPEG image.")
    return data


def read_json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (it must be an object with a string field `image`)."""
    data = request.get_data(cache=True)
    if not data:
        raise ApiError(400, "empty_body", 'The JSON body is empty: send {"image": "<base64 of a PNG or JPEG>"}.')
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, ValueError) as error:
        raise ApiError(400, "invalid_json", f"The body is not valid JSON ({str(error)[:120]}).") from None
    except RecursionError:  # found by the fuzz test: [[[[...]]]] 100,000 deep
        raise ApiError(400, "invalid_json", 'The JSON is nested too deeply: send {"image": "<base64>"}.') from None
    if not isinstance(body, dict) or not isinstance(body.get("image"), str):
        raise ApiError(400, "missing_image",
                       'The JSON body must be an object with a string field "image" (base64 or a data URL).')
    return body


def image_from_base64(text: str) -> bytes:
    """Decode a base64 string, or a data URL such as `data:image/png;base64,iVBOR...`."""
    match = _DATA_URL.match(text)
    if match:
        text = text[match.end():]
    elif text.startswith("data:"):
        raise ApiError(400, "invalid_base64", "The data URL is not base64-encoded: use data:image/png;base64,....")
    compact = "".join(text.split())
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "invalid_base64",
                       'The "image" field is not valid base64: encode the image file\'s bytes with base64.') from None
    if not data:
        raise ApiError(400, "empty_image", 'The "image" field decodes to no bytes: send a PNG or JPEG image.')
    return data


def decode_image(data: bytes, max_pixels: int) -> np.ndarray:
    """Image bytes -> a 2-D uint8 grayscale array, refusing files that are not images or too big.

    Raises:
        ApiError: 422 for a file that is not a readable image (corrupt, truncated, unknown
            format), 413 for an image of more than `max_pixels` pixels (a decompression bomb:
            a few kilobytes that would unpack to gigabytes).
    """
    too_many = ApiError(413, "too_many_pixels", f"The image has more than the {max_pixels:,} pixels this service "
                                                "reads: scale it down first.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except Exception:  # noqa: BLE001 - any failure to read the header means "not an image"
        raise ApiError(422, "not_an_image", "The data is not an image that can be read: send a PNG, JPEG, GIF, "
                                            "BMP, TIFF or WebP file.") from None
    if width * height > max_pixels:
        raise ApiError(413, "too_many_pixels",
                       f"The image is {width}x{height} pixels, more than the {max_pixels:,} this service reads: "
                       "scale it down first.")
    try:
        image = read_grayscale_image(data)
    except ImageError as error:
        raise ApiError(422, "unreadable_image", str(error)) from None
    except Exception as error:  # noqa: BLE001 - decoders raise many types on corrupt data
        raise ApiError(422, "unreadable_image",
                       f"The image could not be decoded (corrupt or truncated: {type(error).__name__}).") from None
    image_decoded.send(image)
    return image
