"""What the API answers when a request cannot be served: a status and a JSON body saying why.

Every failure, bad input or not, answers JSON of one form, so that a client reads it one way:

    {"error": {"status": 415, "code": "unsupported_media_type", "message": "...what to do..."}}
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from text_recognizer.predictors.recognizer import PageReadingUnavailable, RecognitionError


class ApiError(Exception):
    """A request the API refuses: an HTTP status, a short machine-readable code and a message.

    Args:
        status: the HTTP status (4xx for the client's mistakes, 501 for what is not installed).
        code: a stable snake_case name clients can branch on, e.g. "not_an_image".
        message: one sentence for a person: what was wrong and what to send instead.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        return {"error": {"status": self.status, "code": self.code, "message": self.message}}


def error_response(error: ApiError) -> tuple[Response, int]:
    """A Flask response (JSON body, the error's status) for `error`."""
    return jsonify(error.body()), error.status


def from_recognition_error(error: RecognitionError) -> ApiError:
    """The HTTP form of the recognizer's refusal: 501 for what is not installed, else 422."""
    status = 501 if isinstance(error, PageReadingUnavailable) else 422
    return ApiError(status, error.code, error.message)
