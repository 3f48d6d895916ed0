"""Inference only: read a page of handwriting, line by line: page -> line boxes -> text.

    python -m text_recognizer.predictors.page_predictor PAGE.png [--json]

The page is read upright (EXIF orientation), first shrunk to at most `MAX_PAGE_SIDE` pixels on
its longest side (`images/page_size.py`), then flattened: a photo of paper is warped to the
page it shows and its light evened out (`images/page_photo.py`; a scan passes unchanged). The
deployed line detector finds the lines on that page scaled down to its size; each line is
cropped from the flat page (its box scaled back, with a little margin) and read by the deployed
handwriting line predictor. Line boxes are given in the pixels of the image as it was sent.
The text is the lines joined by newlines, in reading order. A page without writing gives empty
text; a file that is not an image, truncated or enormous gets an `ImageError` that says so.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from PIL import Image

from text_recognizer.environment import configure_environment
from text_recognizer.images.boxes import Box
from text_recognizer.images.checks import ImageError
from text_recognizer.images.page_photo import flatten_photo
from text_recognizer.images.page_size import cap_size
from text_recognizer.images.reading import read_grayscale_image
from text_recognizer.paths import WEIGHTS_DIR
from text_recognizer.predictors.readings import LineReading, PageReading

DETECTOR_CONFIG = WEIGHTS_DIR / "line_detector_model_line_detector.json"
LINE_MARGIN = 0.15  # crop each line with this fraction of its height above and below


class PagePredictor:
    """Load the deployed detector and line model once, then read pages.

    Args:
        detector_config: a saved line-detector config (default: the deployed one).
        line_config: a saved handwriting line model config (default: the deployed one).
    """

    def __init__(self, detector_config: str | Path | None = None, line_config: str | Path | None = None) -> None:
        from text_recognizer.models.line_detector_model import LineDetectorModel
        from text_recognizer.predictors.handwriting_line_predictor import HandwritingLinePredictor

        self.detector = LineDetectorModel.load(Path(detector_config or DETECTOR_CONFIG))
        self.line_predictor = HandwritingLinePredictor(line_config)

    @property
    def detector_size(self) -> int:
        """The side of the square page the detector was trained on."""
        return int(self.detector.input_shape[0])

    def detect(self, page: np.ndarray) -> list[Box]:
        """Line boxes (in `page`'s pixels, reading order) of a grey page image."""
        from text_recognizer.data.iam_pages import detector_input

        height, width = page.shape
        side = max(height, width)
        square = np.full((side, side), np.median(page), page.dtype)  # pad to a square with paper
        square[:height, :width] = page
        small = detector_input(square, self.detector_size)
        boxes, _ = self.detector.predict_on_image(small)
        scale = side / self.detector_size
        return [Box(*box).scaled(scale).clipped(height, width)
                for box in boxes if box[0] * scale < height and box[1] * scale < width]

    def predict(self, image: str | Path | bytes | np.ndarray) -> PageReading:
        """Read a page: a path, encoded bytes or an array (either polarity)."""
        page = read_grayscale_image(image)
        if min(page.shape) < 8:
            raise ImageError(f"The page is {page.shape[1]}x{page.shape[0]} pixels: too small to hold lines.")
        small, factor = cap_size(page)  # before any padding or float copy: the cost is bounded
        flat = flatten_photo(small)
        lines = []
        for box in map(Box._make, self.detect(flat.image)):  # any 4-tuple (top, left, bottom, right) will do
            margin = round(LINE_MARGIN * box.height)
            crop = flat.image[max(0, box.top - margin) : box.bottom + margin,
                              max(0, box.left - margin) : box.right + margin]
            text, confidence = self.line_predictor.predict(crop)
            if text:
                sent = flat.to_photo(box).scaled(1 / factor).clipped(*page.shape)
                lines.append(LineReading(sent, text, confidence))
        return PageReading("\n".join(line.text for line in lines), lines)


    def predict_text(self, image: str | Path | bytes | np.ndarray) -> tuple[str, float]:
        """(text, confidence) of a page, like the other predictors: lines joined by newlines."""
        reading = self.predict(image)
        return reading.text, reading.confidence


def draw_boxes(page: np.ndarray, boxes: list[Box]) -> Image.Image:
    """The page in colour with each line box drawn in red (for notebooks and reports)."""
    from PIL import ImageDraw

    picture = Image.fromarray(page).convert("RGB")
    draw = ImageDraw.Draw(picture)
    for top, left, bottom, right in boxes:
        draw.rectangle((left, top, right - 1, bottom - 1), outline=(220, 30, 30), width=2)
    return picture


def main(
    pages: Annotated[list[Path], typer.Argument(help="Page images (PNG, JPEG, ...).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per page.")] = False,
) -> None:
    """Read handwritten pages: each page's line boxes and text."""
    configure_environment()
    predictor = PagePredictor()
    status = 0
    for path in pages:
        try:
            reading = predictor.predict(path)
        except (ImageError, ValueError) as error:
            print(f"{path}\terror: {error}", file=sys.stderr)
            status = 1
            continue
        if as_json:
            print(json.dumps({"page": str(path), "text": reading.text, "confidence": reading.confidence,
                              "lines": [line.as_json() for line in reading.lines]}))
        else:
            print(f"{path}: {len(reading.lines)} lines, confidence {reading.confidence:.3f}")
            for line in reading.lines:
                print(f"  {tuple(line.box)}\t{line.text!r}\t{line.confidence:.3f}")
    sys.exit(status)


if __name__ == "__main__":
    typer.run(main)
