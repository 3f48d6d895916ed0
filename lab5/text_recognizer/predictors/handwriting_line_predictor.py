"""Inference only: read a handwritten line from any image of it, with the deployed Lab 5 model.

    python -m text_recognizer.predictors.handwriting_line_predictor LINE.png ...

Unlike Lab 3's `LinePredictor` (28-pixel synthetic lines only), this one takes the line images
people have: any height and width, a photo or a scan, dark ink on light paper or light on dark.
`images/line_normalization.normalize_line` brings each one to the model's form (white on black, contrast
stretched, cropped to the ink, scaled to the model's height keeping the aspect ratio); the CRNN
reads any width, so a long line is read whole. Decoding is a CTC beam search guided by a
character language model of English (`models/lm_beam_search.py`), which settles what the ink
leaves open ("showed" rather than "shnwed").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from text_recognizer.images.line_normalization import normalize_line
from text_recognizer.images.reading import read_grayscale_image
from text_recognizer.paths import WEIGHTS_DIR
from text_recognizer.predictors.base import Predictor


class HandwritingLinePredictor(Predictor):
    """Load the deployed handwriting line model once, then read line images.

    `predict(image)` returns (text, confidence); a line without ink gives ("", 1.0).
    """

    model_module, model_class = "text_recognizer.models.handwriting_line_model", "HandwritingLineModel"
    default_config = WEIGHTS_DIR / "handwriting_line_model_line_crnn.json"

    @property
    def height(self) -> int:
        """The line height in pixels the model reads (every line is scaled to it)."""
        return self.model.input_shape[0]

    def normalize(self, image: str | Path | bytes | np.ndarray) -> np.ndarray:
        """The line as the model reads it: uint8 (height, W), white ink on black."""
        return normalize_line(read_grayscale_image(image), self.height)

    def predict(self, image: str | Path | bytes | np.ndarray) -> tuple[str, float]:
        """(text, confidence) for one line image: a path, encoded bytes or an array."""
        line = self.normalize(image)
        if not line.any():
            return "", 1.0
        return self.model.predict_on_image(line, strategy=self.model.reading_strategy)


if __name__ == "__main__":
    HandwritingLinePredictor.main()
