"""The recognizer façade: an image in; its text, each line's box and confidence out.

The API, the Lambda function and monitoring all read images through it. `Recognizer.load()`
loads the deployed models once (the app does it at start-up, once per gunicorn worker), then
`recognize(image, kind)` answers every request:

- `kind="line"`: the image is one line of writing, read by the Lab 3 `LinePredictor`;
- `kind="page"`: a page, split into lines and read by Lab 5's `PagePredictor`
  (`text_recognizer/predictors/page_predictor.py`). Where that predictor is not installed, a
  page request raises `PageReadingUnavailable` with a message saying so (the API answers 501):
  the service does not pretend that a page is one line;
- `kind="auto"`: a page when the page predictor is there and the image is not line-shaped
  (wider than `LINE_ASPECT` times its height), otherwise a line.

An image the models cannot read raises `UnreadableImage`. Both errors are `RecognitionError`s,
with a stable `code` and a message that says what to send instead; they know nothing of HTTP
(`api/errors.py` gives them their status).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from text_recognizer.images.line_fitting import fit_line
from text_recognizer.predictors.page_reading import MIN_PAGE_SIDE
from text_recognizer.predictors.readings import LineReading

PAGE_MODULE = "text_recognizer.predictors.page_predictor"
LINE_ASPECT = 4.0
"""`kind=auto` reads an image at least this many times wider than high as one line."""
WARM_UP_PAGE_SIDE = 512
"""The side of the page `warm_up` reads."""
WARM_UP_LINE_WIDTHS = (96, 320)
"""Two widths of line `warm_up` reads: after two shapes, TensorFlow traces the line model for any width."""
logger = logging.getLogger(__name__)


def warm_up_line(width: int, height: int = 48) -> np.ndarray:
    """A line image `width` pixels wide for `warm_up`: dark strokes on light paper, 8 pixels apart."""
    line = np.full((height, width), 235, np.uint8)
    line[height // 4 : 3 * height // 4, 4:-4:8] = 30
    return line


class RecognitionError(Exception):
    """A request the recognizer cannot serve: a stable snake_case `code` and a message for a person."""

    code = "recognition_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code


class UnreadableImage(RecognitionError):
    """The image is not one the models can read (too small, no page in it, ...): the sender's to fix."""

    code = "unreadable_image"


class PageReadingUnavailable(RecognitionError):
    """A page was asked for where no page predictor is installed or loaded."""

    code = "page_reading_unavailable"


def model_provenance(config_path: Path) -> dict[str, Any]:
    """Which deployed model answers: its name, weights file, their SHA-256 and its test figures."""
    import json

    config = json.loads(Path(config_path).read_text())
    weights = Path(config_path).with_name(config.get("weights_file", ""))
    report = config.get("report") or {}
    test = report.get("test") or {}
    return {
        "name": Path(config_path).name.removesuffix(".json"),
        "model": config.get("model"),
        "network": config.get("network"),
        "weights_file": weights.name,
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest() if weights.is_file() else None,
        "experiment": report.get("experiment"),
        "data_source": report.get("data_source"),
        "test_metrics": {k: v for k, v in test.items() if isinstance(v, (int, float))},
    }


class Recognizer:
    """The loaded predictors and what the API asks of them.

    Args:
        line_predictor: a loaded `LinePredictor` (or anything with `predict(array) -> (text,
            confidence)`, `height` and `max_width`).
        page_predictor: a loaded Lab 5 `PagePredictor`, or None where there is none.
        models: provenance of the models, as `model_provenance` gives it (for the answers).
        page_unavailable: why there is no page predictor (said in the 501 answer).
    """

    def __init__(self, line_predictor: Any, page_predictor: Any = None, models: dict[str, Any] | None = None,
                 page_unavailable: str = "") -> None:
        self.line_predictor = line_predictor
        self.page_predictor = page_predictor
        self.models = models or {}
        self.page_unavailable = page_unavailable or "no page predictor was given"

    @classmethod
    def load(cls) -> Recognizer:
        """Load the deployed line predictor and, where Lab 5 installed it, the page predictor."""
        from text_recognizer.predictors.line_predictor import LinePredictor

        line = LinePredictor()
        models = {"line": model_provenance(LinePredictor.default_config)}
        page, reason = None, ""
        if importlib.util.find_spec(PAGE_MODULE) is None:
            reason = (f"this installation has no page predictor ({PAGE_MODULE.replace('.', '/')}.py comes "
                      "with Lab 5)")
        else:
            try:
                module = importlib.import_module(PAGE_MODULE)
                page = module.PagePredictor()
                detector = getattr(module, "DETECTOR_CONFIG", None)
                if detector is not None and Path(detector).is_file():
                    models["page"] = model_provenance(Path(detector))
            except Exception as error:  # noqa: BLE001 - a broken page model must not stop line reading
                # The client hears what failed; the log (for the operator) also hears where.
                reason = f"the page predictor could not be loaded ({type(error).__name__}; see the server's log)"
                logger.warning("page reading disabled: %s: %s", type(error).__name__, error)
        return cls(line, page, models, reason)

    @property
    def reads_pages(self) -> bool:
        """Whether `kind=page` can be served."""
        return self.page_predictor is not None

    def warm_up(self) -> None:
        """Read one blank line (and page), so that the first real request does not pay for tracing the models.

        The app calls it when it starts (in each gunicorn worker, before it takes requests): a first
        page request took 5 s more than the next ones when the page models were traced on it. The
        page's line model reads lines of any width, and the compiled function is traced again for
        each new width until TensorFlow relaxes it to any width (`reduce_retracing`, after a second
        shape): a line of each of `WARM_UP_LINE_WIDTHS` does that here, not on a user's first page
        (which took 1.7 s more than the next ones for it). The lines are read as they are: no padding
        changes what the model sees.
        """
        self.line_predictor.predict(np.zeros((self.line_predictor.height, self.line_predictor.max_width), np.uint8))
        if self.reads_pages:
            page = np.full((WARM_UP_PAGE_SIDE, WARM_UP_PAGE_SIDE), 235, np.uint8)
            page[100:130, 40:400] = 30  # one line, so that the line model runs too
            page_lines = getattr(self.page_predictor, "line_predictor", None)
            try:
                self.page_predictor.predict(page)
                for width in WARM_UP_LINE_WIDTHS if page_lines is not None else ():
                    page_lines.predict(warm_up_line(width))
            except Exception as error:  # noqa: BLE001 - a page model failing here fails on requests, answered 422
                logger.warning("page warm-up failed: %s: %s", type(error).__name__, error)

    def resolve_kind(self, image: np.ndarray, kind: str) -> str:
        """"line" or "page" for a request's `kind` ("auto" looks at the image's shape)."""
        if kind == "auto":
            line_shaped = image.shape[1] >= LINE_ASPECT * image.shape[0]
            return "page" if self.reads_pages and not line_shaped else "line"
        if kind == "page" and not self.reads_pages:
            raise PageReadingUnavailable(f"Page reading is not available: {self.page_unavailable}. Send one "
                                         "line image with kind=line (or kind=auto).")
        return kind

    def read_line(self, image: np.ndarray) -> list[LineReading]:
        """The image as one line: its text, confidence and ink box."""
        predictor = self.line_predictor
        line, box = fit_line(image, predictor.height, predictor.max_width)
        try:
            text, confidence = predictor.predict(line)
        except ValueError as error:  # ImageError: an image the model cannot read
            raise UnreadableImage(str(error), "unreadable_line") from None
        return [LineReading(box, str(text), float(confidence))]

    def read_page(self, image: np.ndarray) -> list[LineReading]:
        """The page's lines from Lab 5's page predictor, in reading order."""
        if min(image.shape) < MIN_PAGE_SIDE:
            return []  # no line fits: an empty page, not an error (the page reader itself refuses it)
        try:
            reading = self.page_predictor.predict(image)
        except ValueError as error:  # ImageError: e.g. a page too small to hold lines
            raise UnreadableImage(str(error), "unreadable_page") from None
        except Exception as error:  # noqa: BLE001 - an odd image must not become a 500; the log keeps the bug
            logger.exception("the page predictor failed on a %sx%s image", image.shape[1], image.shape[0])
            raise UnreadableImage(f"The page could not be read ({type(error).__name__}): send a photo or scan "
                                  "of a page of writing.", "unreadable_page") from None
        return list(reading.lines)

    def recognize(self, image: np.ndarray, kind: str = "auto") -> dict[str, Any]:
        """Read `image` (2-D uint8 grey); the JSON-ready answer of `POST /v1/predict`.

        Returns a dict: `text` (lines joined by newlines), `kind` ("line" or "page"), `lines`
        (each `{"box": {x, y, width, height}, "text", "confidence"}`), `confidence` (the lowest
        line confidence; 0 when there is no line), `image` (width, height) and `model`.
        """
        started = time.perf_counter()
        resolved = self.resolve_kind(image, kind)
        lines = self.read_page(image) if resolved == "page" else self.read_line(image)
        return {
            "text": "\n".join(line.text for line in lines),
            "kind": resolved,
            "lines": [line.as_json() for line in lines],
            "confidence": round(min((line.confidence for line in lines), default=0.0), 4),
            "image": {"width": int(image.shape[1]), "height": int(image.shape[0])},
            "model": self.models.get(resolved, {}),
            "predict_ms": round((time.perf_counter() - started) * 1000, 2),
        }
