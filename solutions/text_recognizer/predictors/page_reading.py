"""How a page is read, whichever models do it: page -> line boxes -> text (no Keras, no typer).

    reader = PageReader(detector, line_predictor)
    reading = reader.predict("page.png")      # PageReading: text, lines (box, text, confidence)

The page is read upright (EXIF orientation), first shrunk to at most `MAX_PAGE_SIDE` pixels on
its longest side (`images/page_size.py`), then flattened: a photo of paper is warped to the
page it shows and its light evened out (`images/page_photo.py`; a scan passes unchanged). The
line detector finds the lines on that page, padded to a square with paper and scaled down to
its size; each line is cropped from the flat page (its box scaled back, with a little margin)
and read by the line predictor. Line boxes are given in the pixels of the image as it was sent.
The text is the lines joined by newlines, in reading order. A page without writing gives empty
text; a file that is not an image, truncated or enormous gets an `ImageError` that says so.

Lab 5's `PagePredictor` (`page_predictor.py`) reads with the Keras models; the Lambda function's
`CompiledPagePredictor` (`compiled_page_predictor.py`) with the same models compiled to ONNX.
Both are this class, so they pre-process, split and crop a page the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from text_recognizer.images.boxes import Box
from text_recognizer.images.checks import ImageError
from text_recognizer.images.line_normalization import detector_input
from text_recognizer.images.page_photo import flatten_photo
from text_recognizer.images.page_size import cap_size
from text_recognizer.images.reading import read_grayscale_image
from text_recognizer.predictors.readings import LineReading, PageReading

LINE_MARGIN = 0.15  # crop each line with this fraction of its height above and below
MIN_PAGE_SIDE = 8
"""A page with a side shorter than this (pixels) cannot hold a line: `predict` refuses it."""


class PageReader:
    """Read pages with a line detector and a line predictor (see the module docstring).

    Args:
        detector: anything with `input_shape` ((side, side): the square page it reads) and
            `predict_on_image(page) -> (boxes, confidence)`, boxes (top, left, bottom, right) in
            reading order: `LineDetectorModel` or its compiled form.
        line_predictor: anything with `predict(line image) -> (text, confidence)`:
            `HandwritingLinePredictor` or its compiled form.
    """

    def __init__(self, detector: Any, line_predictor: Any) -> None:
        self.detector = detector
        self.line_predictor = line_predictor

    @property
    def detector_size(self) -> int:
        """The side of the square page the detector was trained on."""
        return int(self.detector.input_shape[0])

    def detect(self, page: np.ndarray) -> list[Box]:
        """Line boxes (in `page`'s pixels, reading order) of a grey page image."""
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
        if min(page.shape) < MIN_PAGE_SIDE:
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
