"""Inference only: read a page of handwriting, line by line, with the deployed Keras models.

    python -m text_recognizer.predictors.page_predictor PAGE.png [--json]

The deployed line detector finds the lines, the deployed handwriting line predictor reads them;
how a page is pre-processed, split into lines and cropped is `predictors/page_reading.py`'s
`PageReader` (shared with the Lambda function's compiled models): EXIF orientation, a size cap,
a photo of paper flattened, line boxes given in the pixels of the image as it was sent. A page
without writing gives empty text; a file that is not an image gets an `ImageError` that says so.
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
from text_recognizer.paths import WEIGHTS_DIR
from text_recognizer.predictors.page_reading import LINE_MARGIN, PageReader
from text_recognizer.predictors.readings import PageReading

__all__ = ["DETECTOR_CONFIG", "LINE_MARGIN", "PageReading", "PagePredictor", "draw_boxes"]
DETECTOR_CONFIG = WEIGHTS_DIR / "line_detector_model_line_detector.json"


class PagePredictor(PageReader):
    """Load the deployed detector and line model once, then read pages (`PageReader.predict`).

    Args:
        detector_config: a saved line-detector config (default: the deployed one).
        line_config: a saved handwriting line model config (default: the deployed one).
    """

    def __init__(self, detector_config: str | Path | None = None, line_config: str | Path | None = None) -> None:
        from text_recognizer.models.line_detector_model import LineDetectorModel
        from text_recognizer.predictors.handwriting_line_predictor import HandwritingLinePredictor

        super().__init__(LineDetectorModel.load(Path(detector_config or DETECTOR_CONFIG)),
                         HandwritingLinePredictor(line_config))


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
