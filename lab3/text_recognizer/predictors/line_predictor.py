"""Inference only: read the text of a handwritten line image with the deployed LSTM-CTC model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from text_recognizer.models.line_model_ctc import LineModelCtc
from text_recognizer.paths import WEIGHTS_DIR
from text_recognizer.predictors.command_line import predict_files
from text_recognizer.predictors.images import read_grayscale_image, to_white_on_black

DEFAULT_CONFIG = WEIGHTS_DIR / "line_model_ctc_line_lstm_ctc.json"


class LinePredictor:
    """Load the deployed line model once, then read line images.

    Args:
        config_path: a saved-model config (`<name>.json` beside `<name>.weights.h5`);
            defaults to the deployed weights in `text_recognizer/weights/`.
    """

    def __init__(self, config_path: str | Path = DEFAULT_CONFIG) -> None:
        self.model = LineModelCtc.load(Path(config_path))

    @property
    def height(self) -> int:
        """The line height in pixels the model reads."""
        return self.model.input_shape[0]

    @property
    def max_width(self) -> int:
        """The widest line in pixels the model reads (narrower ones are padded)."""
        return self.model.input_shape[1]

    def predict(self, image: str | Path | bytes | np.ndarray) -> tuple[str, float]:
        """Return (text, confidence) for one line image: a path, encoded bytes or an array.

        The image must be `height` pixels high and at most `max_width` wide (narrower lines are
        padded on the right). Dark-on-light images (ink on paper) are inverted to the
        white-on-black of the training data first.
        """
        pixels = to_white_on_black(read_grayscale_image(image))
        return self.model.predict_on_image(pixels)


def main() -> None:
    """`python -m text_recognizer.predictors.line_predictor IMAGE...`: print each line's text."""
    predict_files(LinePredictor, "text_recognizer.predictors.line_predictor")


if __name__ == "__main__":
    main()
