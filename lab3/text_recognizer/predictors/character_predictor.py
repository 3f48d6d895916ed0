"""Inference only: recognise the character in an image with the deployed character model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from text_recognizer.models import CharacterModel
from text_recognizer.paths import WEIGHTS_DIR
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
    """`python -m text_recognizer.predictors.character_predictor IMAGE...`: print predictions."""
    import sys

    from text_recognizer.predictors.images import ImageError

    if len(sys.argv) < 2:
        sys.exit("usage: python -m text_recognizer.predictors.character_predictor IMAGE [IMAGE ...]")
    predictor = CharacterPredictor()
    status = 0
    for path in sys.argv[1:]:
        try:
            character, confidence = predictor.predict(path)
            print(f"{path}\t{character!r}\t{confidence:.3f}")
        except (ImageError, ValueError) as error:
            print(f"{path}\terror: {error}", file=sys.stderr)
            status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()
