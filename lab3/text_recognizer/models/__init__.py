"""Models: a network plus data formatting, loss, optimizer, metrics and weights.

Each model class lives in its own module (`character_model.py`, ...) and can be imported from
there or from this package: `from text_recognizer.models import CharacterModel` imports its
module on first use. `get_model_class(name)` finds the class an experiment config names.
"""

from __future__ import annotations

from text_recognizer import lookup

__getattr__ = lookup.lazy_exports(__name__)


def is_model_class(name: str, obj: object) -> bool:
    """Whether `obj` is a concrete model class of this package (a subclass of `base.Model`)."""
    from text_recognizer.models.base import Model

    return isinstance(obj, type) and issubclass(obj, Model) and obj is not Model


def get_model_class(name: str) -> type:
    """The model class called `name` (raises `lookup.UnknownNameError` listing the names)."""
    return lookup.find(__name__, name, is_model_class, "model")


def model_names() -> list[str]:
    """Every name `get_model_class` accepts."""
    return lookup.available(__name__, is_model_class)
