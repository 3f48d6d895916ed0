"""Predictors: inference-only entry points that load deployed weights (no training code).

    from text_recognizer.predictors import CharacterPredictor   # imports its module on first use

Each predictor is also a command line: `python -m text_recognizer.predictors.character_predictor IMAGE`.
"""

from text_recognizer import lookup

__getattr__ = lookup.lazy_exports(__name__)
