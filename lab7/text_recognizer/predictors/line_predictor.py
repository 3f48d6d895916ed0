"""Inference only: read the text of a handwritten line image with the deployed LSTM-CTC model.

    python -m text_recognizer.predictors.line_predictor LINE.png ...
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from text_recognizer.models.confidence import load_calibration
from text_recognizer.paths import WEIGHTS_DIR
from text_recognizer.predictors.base import Predictor


class LinePredictor(Predictor):
    """Load the deployed line model once, then read line images.

    `predict(image)` returns (text, confidence), the confidence calibrated where the weights have
    a calibration beside them (`models/confidence.py`). The image must be `height` pixels high
    and at most `max_width` wide (narrower lines are padded on the right, see `Model.check_image`).
    """

    model_module, model_class = "text_recognizer.models.line_model_ctc", "LineModelCtc"
    default_config = WEIGHTS_DIR / "line_model_ctc_line_lstm_ctc.json"

    def __init__(self, config_path: str | Path | None = None) -> None:
        super().__init__(config_path)
        self.calibration = load_calibration(config_path or self.default_config, self.model.decode_strategy)

    def predict(self, image: str | Path | bytes | np.ndarray) -> tuple[str, float]:
        """(text, calibrated confidence) for one line image: a path, encoded bytes or an array."""
        text, confidence = super().predict(image)
        return text, self.calibration(confidence)

    @property
    def height(self) -> int:
        """The line height in pixels the model reads."""
        return self.model.input_shape[0]

    @property
    def max_width(self) -> int:
        """The widest line in pixels the model reads (narrower ones are padded)."""
        return self.model.input_shape[1]


if __name__ == "__main__":
    LinePredictor.main()
