"""The body of `POST /v1/corrections`: a user's correction of a line in, stored, its id out.

    curl -X POST localhost:8000/v1/corrections -H "Content-Type: application/json" \\
         -d '{"image": "data:image/png;base64,...", "reading": "helo", "correction": "hello"}'

The web page sends one when the user fixes a line's text: the line's crop (cut from the photo by
its box), what the model read, the corrected text and the model that read it. The store
(`corrections/store.py`) keeps them as files plus SQLite here, as S3 objects on Lambda;
`python -m text_recognizer.corrections.export` makes them a labelled line set.
"""

from __future__ import annotations

from typing import Any

from flask import Request

from text_recognizer.api import decoding
from text_recognizer.api.errors import ApiError
from text_recognizer.corrections.store import CorrectionTooLarge, InvalidCorrection, parse_correction

EXAMPLE = '{"image": "data:image/png;base64,...", "reading": "what the model read", "correction": "the true text"}'


def model_version(models: dict[str, Any], kind: str = "line") -> str:
    """`name@sha256` of the deployed model of `kind` (what a correction without a `model` is stored with)."""
    info = models.get(kind) or next(iter(models.values()), {})
    return f"{info.get('name') or 'unknown'}@{(info.get('weights_sha256') or 'unknown')[:16]}"


def correction_response(request: Request, store: Any, default_model: str) -> dict[str, Any]:
    """Check and store the correction the request carries; the stored record (the app answers 201).

    415 for a body that is not JSON, 400 for JSON that is not a correction (each message says which
    field is wrong), 413 for a crop over the size limit. Nothing is stored unless every check passed.
    """
    if request.mimetype != decoding.JSON:
        raise ApiError(415, "unsupported_media_type",
                       f"Send the correction as {decoding.JSON}: {EXAMPLE}.")
    body = decoding.read_json_body(request)
    try:
        correction = parse_correction(body, default_model)
    except CorrectionTooLarge as error:
        raise ApiError(413, "correction_too_large", str(error)) from None
    except InvalidCorrection as error:
        raise ApiError(400, "invalid_correction", f"{error} Expected: {EXAMPLE}.") from None
    store.add(correction)
    record = correction.record()
    return {key: record[key] for key in ("id", "created", "model", "reading", "correction")}
