"""The 80 classes every model of the course predicts, and how EMNIST labels map onto them.

Index 0 is "_": the CTC blank *and* the padding of label sequences (Keras CTC counts from 1 for
real characters). Indices 1..62 are EMNIST's ByClass classes in EMNIST's own order (digits,
uppercase, lowercase), so an EMNIST label `k` is class `k + 1`. Indices 63..79 are the extra
symbols that handwritten *lines* need (space and punctuation); single characters never use them.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import numpy as np

BLANK = "_"
"""Class 0: the CTC blank and the label padding."""

EMNIST_CHARACTERS = string.digits + string.ascii_uppercase + string.ascii_lowercase
"""EMNIST ByClass classes, in the order of EMNIST's labels 0..61."""

LINE_SYMBOLS = [" ", "!", '"', "#", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/", ":", ";", "?"]
"""Symbols that occur in handwritten lines but not in EMNIST (classes 63..79)."""

MAPPING: list[str] = [BLANK, *EMNIST_CHARACTERS, *LINE_SYMBOLS]
"""Class index -> character, for all 80 classes."""

NUM_CLASSES = len(MAPPING)
BLANK_INDEX = 0
EMNIST_OFFSET = 1
"""EMNIST label `k` is class `k + EMNIST_OFFSET` (class 0 is taken by the blank)."""

_INDEX = {char: index for index, char in enumerate(MAPPING)}

CHARACTER_GROUPS: dict[str, str] = {
    "digits": string.digits,
    "uppercase": string.ascii_uppercase,
    "lowercase": string.ascii_lowercase,
}
"""Group name -> its characters, for per-group accuracy (case errors show up here)."""


def char_to_index(char: str) -> int:
    """Class index of one character, e.g. `char_to_index("A") == 11`."""
    try:
        return _INDEX[char]
    except KeyError:
        raise ValueError(
            f"{char!r} is not one of the course's {NUM_CLASSES} classes; "
            f"use one of: {''.join(MAPPING[1:])!r} (or {BLANK!r} for the blank)"
        ) from None


def text_to_indices(text: str) -> list[int]:
    """Class indices of every character of `text` (for line labels)."""
    return [char_to_index(char) for char in text]


def indices_to_text(indices: Sequence[int] | np.ndarray, mapping: Sequence[str] = MAPPING) -> str:
    """The text of a sequence of class indices, e.g. a label row or a decoded line.

    The blank / padding (class 0) is dropped, and so is the -1 that `keras.ops.ctc_decode`
    writes after the end of a decoded line: only real characters remain.
    """
    return "".join(mapping[int(i)] for i in np.asarray(indices).ravel() if int(i) > BLANK_INDEX)


def emnist_label_to_index(label):
    """Course class index of an EMNIST ByClass label (0..61): works on ints and numpy arrays."""
    return label + EMNIST_OFFSET


def group_of(index: int) -> str | None:
    """Name of the group ("digits", "uppercase", "lowercase") of a class index, None for others."""
    char = MAPPING[int(index)]
    for name, chars in CHARACTER_GROUPS.items():
        if char in chars:
            return name
    return None


def group_indices(group: str) -> list[int]:
    """Class indices of one group, e.g. `group_indices("digits") == [1, ..., 10]`."""
    if group not in CHARACTER_GROUPS:
        raise ValueError(f"Unknown character group {group!r}; use one of {sorted(CHARACTER_GROUPS)}")
    return [_INDEX[char] for char in CHARACTER_GROUPS[group]]
