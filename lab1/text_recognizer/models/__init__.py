"""Models: a network plus data formatting, loss, optimizer, metrics and weights."""

from text_recognizer.models.base import Model, ModelConfigError
from text_recognizer.models.character_model import CharacterModel

MODELS = {"CharacterModel": CharacterModel}

__all__ = ["MODELS", "CharacterModel", "Model", "ModelConfigError"]
