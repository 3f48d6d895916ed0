"""What every predictor shares: load a saved model once, read images, and a command line.

A predictor takes the images people have (a path, encoded bytes or an array; ink on paper or
white on black) and gives them to its model's `predict_on_image`, which checks the size
(`Model.check_image`). Subclasses only say which model class and which deployed weights:

    class CharacterPredictor(Predictor):
        model_module, model_class = "text_recognizer.models.character_model", "CharacterModel"
        default_config = WEIGHTS_DIR / "character_model_mlp.json"
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from text_recognizer.environment import configure_environment
from text_recognizer.images.checks import ImageError
from text_recognizer.images.polarity import white_on_black
from text_recognizer.images.reading import read_grayscale_image


class Predictor:
    """Load the deployed model once, then predict on images.

    Args:
        config_path: a saved-model config (`<name>.json` beside `<name>.weights.h5`);
            defaults to the deployed weights in `text_recognizer/weights/`.
    """

    model_module: ClassVar[str]
    model_class: ClassVar[str]
    default_config: ClassVar[Path]

    def __init__(self, config_path: str | Path | None = None) -> None:
        # The model's module (and Keras with it) is imported here, not at the top of the file,
        # so that `main()` configures the process before Keras loads.
        model_class = getattr(importlib.import_module(self.model_module), self.model_class)
        self.model: Any = model_class.load(Path(config_path or self.default_config))

    def predict(self, image: str | Path | bytes | np.ndarray) -> tuple[str, float]:
        """(prediction, confidence) for one image: a path, encoded bytes or an array.

        Dark-on-light images (ink on paper) are inverted to the white-on-black of the training data.
        """
        return self.model.predict_on_image(white_on_black(read_grayscale_image(image)))

    @classmethod
    def main(cls, argv: list[str] | None = None) -> None:
        """`python -m <module> IMAGE...`: print `path<TAB>prediction<TAB>confidence`; exit 1 if any failed."""
        paths = sys.argv[1:] if argv is None else argv
        if not paths:
            sys.exit(f"usage: python -m {cls.__module__} IMAGE [IMAGE ...]")
        configure_environment()
        predictor = cls()
        status = 0
        for path in paths:
            try:
                prediction, confidence = predictor.predict(path)
                print(f"{path}\t{prediction!r}\t{confidence:.3f}")
            except (ImageError, ValueError) as error:
                print(f"{path}\terror: {error}", file=sys.stderr)
                status = 1
        sys.exit(status)
