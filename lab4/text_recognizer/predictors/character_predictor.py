"""Inference only: recognise the character in an image with the deployed character model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from text_recognizer.models import CharacterModel
from text_recognizer.paths import WEIGHTS_DIR
from text_recognizer.predictors.command_line import predict_files
from text_recognizer.predictors.images import read_grayscale_image, to_white_on_black

DEFAULT_CONFIG = WEIGHTS_DIR / "character_model_mlp.json"


class CharacterPredictor:
    """Load the deployed character model once, then predict on images.

    Args:
        config_path: a saved-model config (`<name>.json` beside `<name>.weights.h5`);
            defaults to the deployed weights in `text_recognizer/weights/`.
    """

    def __init__(self, config_path: str | Path = DEFAULT_CONFIG) -> None:
        self.model = CharacterModel.load(Path(config_path))

    def predict(self, image: str | Path | bytes | np.ndarray) -> tuple[str, float]:
        """Return (character, confidence) for one 28x28 character image (path, bytes or array).

        Dark-on-light images are inverted to EMNIST's white-on-black first.
        """
        pixels = to_white_on_black(read_grayscale_image(image))
        return self.model.predict_on_image(pixels)


def main() -> None:
    """`python -m text_recognizer.predictors.character_predictor IMAGE...`: print each character."""
    predict_files(CharacterPredictor, "text_recognizer.predictors.character_predictor")


if __name__ == "__main__":
    main()
