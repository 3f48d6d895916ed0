"""The shared command line of the predictors: `python -m text_recognizer.predictors.<name> IMAGE...`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Protocol

from text_recognizer.predictors.images import ImageError


class Predictor(Protocol):
    def predict(self, image: str) -> tuple[str, float]: ...


def predict_files(make_predictor: Callable[[], Predictor], module: str, argv: list[str] | None = None) -> None:
    """Print `path<TAB>prediction<TAB>confidence` for every image path; exit 1 if any failed."""
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        sys.exit(f"usage: python -m {module} IMAGE [IMAGE ...]")
    predictor = make_predictor()
    status = 0
    for path in paths:
        try:
            prediction, confidence = predictor.predict(path)
            print(f"{path}\t{prediction!r}\t{confidence:.3f}")
        except (ImageError, ValueError) as error:
            print(f"{path}\terror: {error}", file=sys.stderr)
            status = 1
    sys.exit(status)
