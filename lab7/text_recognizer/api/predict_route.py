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

    The contract (`openapi.json` describes the answer; the route's tests send every case):

    - a client may send the image three ways, told apart by the request's content type: a
      multipart form upload, the raw image file as the body, or JSON `{"image": "<base64 or a
      data URL>"}`. Any other content type is refused with `ApiError` 415
      "unsupported_media_type", whose message says what is accepted;
    - the `kind` asked for ("line", "page" or "auto") may come in the query string, the form or
      the JSON body;
    - the answer is the recognizer's answer for the decoded grey image, plus "time_ms": the
      milliseconds this function took, rounded to 0.01;
    - every bad input ends as `ApiError` or the recognizer's `RecognitionError` (the app answers
      both as JSON 4xx/501); nothing else may escape, so bad input never becomes a 500.

    The parsing is written for you in `decoding.py`, one helper per step, each raising the right
    `ApiError`: read their docstrings and decide which applies to which request.

    Example (with the app's test client):

        >>> response = client.post("/v1/predict", data=png_bytes, content_type="image/png")
        >>> response.status_code, {"text", "confidence", "lines", "time_ms"} <= set(response.json)
        (200, True)
        >>> client.post("/v1/predict", data=png_bytes, content_type="text/plain").json["error"]["code"]
        'unsupported_media_type'

    Notebook: "Exercise: `POST /v1/predict`".
    """
    started = time.perf_counter()
    body = None
    mimetype = request.mimetype
    if mimetype == decoding.MULTIPART:
        data = decoding.image_from_upload(request)
    elif mimetype == decoding.JSON:
        body = decoding.read_json_body(request)
        data = decoding.image_from_base64(body["image"])
    elif mimetype in decoding.RAW_IMAGE_TYPES:
        data = decoding.image_from_body(request)
    else:
        shown = mimetype or "none"
        raise ApiError(415, "unsupported_media_type", f"Content-Type {shown[:60]!r} is not accepted: send "
                                                      f"{decoding.ACCEPTED}.")
    kind = decoding.request_kind(request, body)
    image = decoding.decode_image(data, max_pixels)
    answer = recognizer.recognize(image, kind)
    answer["time_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return answer
