"""Networks: "dumb" architectures that map an input tensor to output logits, nothing more.

A network is a function `name(input_shape, num_classes, **network_args) -> keras.Model` in a
module of this package (`mlp.py`, `lenet.py`, ...); import it from its module:
`from text_recognizer.networks.mlp import mlp`. Models find the one an experiment config names
with `get_network(name)`, which looks through the modules here: a new network needs only its
function, no list to update. Everything that makes a network usable (data formatting, loss,
metrics, weights) lives in `text_recognizer.models`.

A network defined elsewhere becomes findable once set on this package:
`setattr(text_recognizer.networks, "my_net", my_net)`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from text_recognizer import lookup


def is_network(name: str, obj: object) -> bool:
    """Whether `obj` is a network function: its first parameters are `input_shape, num_classes`."""
    if not inspect.isfunction(obj):
        return False
    return list(inspect.signature(obj).parameters)[:2] == ["input_shape", "num_classes"]


def get_network(name: str) -> Callable:
    """The network function called `name` (raises `lookup.UnknownNameError` listing the names)."""
    return lookup.find(__name__, name, is_network, "network")


def network_names() -> list[str]:
    """Every name `get_network` accepts."""
    return lookup.available(__name__, is_network)
