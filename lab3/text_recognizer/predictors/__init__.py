"""Predictors: inference-only entry points that load deployed weights (no training code)."""

from text_recognizer.predictors.character_predictor import CharacterPredictor
from text_recognizer.predictors.images import ImageError, read_grayscale_image

__all__ = ["CharacterPredictor", "ImageError", "read_grayscale_image"]

from text_recognizer.predictors.line_predictor import LinePredictor  # noqa: E402

__all__ += ["LinePredictor"]
