"""Inference only: recognise the character in an image with the deployed character model.

    python -m text_recognizer.predictors.character_predictor IMAGE.png ...
"""

from __future__ import annotations

from text_recognizer.paths import WEIGHTS_DIR
from text_recognizer.predictors.base import Predictor


class CharacterPredictor(Predictor):
    """Load the deployed character model once, then predict the character of 28x28 images.

    `predict(image)` returns (character, confidence); see `Predictor` for the inputs it takes.
    """

    model_module, model_class = "text_recognizer.models.character_model", "CharacterModel"
    default_config = WEIGHTS_DIR / "character_model_mlp.json"


if __name__ == "__main__":
    CharacterPredictor.main()
