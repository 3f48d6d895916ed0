"""The body of `POST /v1/predict`: the request's image in, the recognizer's answer out.

This is Lab 6's exercise. The helpers it needs are written (`decoding.py`, `predictors/recognizer.py`);
what is left is the route itself: choose how the image was sent, decode it, read it, answer.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Request

from text_recognizer.api import decoding
from text_recognizer.api.errors import ApiError
from text_recognizer.predictors.recognizer import Recognizer


def predict_response(request: Request, recognizer: Recognizer, max_pixels: int) -> dict[str, Any]:
    """Answer one `POST /v1/predict` request: a JSON-ready dict (the app turns it into JSON).

    1. By `request.mimetype`, get the image's bytes: `decoding.image_from_upload` for a
       multipart form, `decoding.image_from_body` for a raw image body (a type in
       `decoding.RAW_IMAGE_TYPES`), `decoding.read_json_body` then `decoding.image_from_base64`
       of its "image" field for JSON. Any other type: raise `ApiError(415, "unsupported_media_type",
       ...)` naming what is accepted (`decoding.ACCEPTED`).
    2. The `kind` asked for: `decoding.request_kind(request, json_body_or_None)`.
    3. The bytes as a grey image: `decoding.decode_image(data, max_pixels)`.
    4. `recognizer.recognize(image, kind)`, with `"time_ms"` added: the milliseconds from the
       start of this function to the answer, rounded to 0.01.

    Every bad input raises `ApiError` or the recognizer's `RecognitionError` (the helpers do it
    for you, and the app answers both as JSON 4xx/501); nothing else may escape.
    """
    raise NotImplementedError("Lab 6 exercise: implement predict_response: Answer one `POST /v1/predict` request: a JSON-ready dict (the app turns it into JSON). See notebooks/lab6.ipynb.")
