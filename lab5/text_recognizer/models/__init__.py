"""Models: a network plus data formatting, loss, optimizer, metrics and weights."""

from text_recognizer.models.base import Model, ModelConfigError
from text_recognizer.models.character_model import CharacterModel

MODELS = {"CharacterModel": CharacterModel}

__all__ = ["MODELS", "CharacterModel", "Model", "ModelConfigError"]

from text_recognizer.models.line_model import LineModel  # noqa: E402  (extends the registry above)

MODELS["LineModel"] = LineModel
__all__ += ["LineModel"]

from text_recognizer.models.line_model_ctc import LineModelCtc  # noqa: E402

MODELS["LineModelCtc"] = LineModelCtc
__all__ += ["LineModelCtc"]
