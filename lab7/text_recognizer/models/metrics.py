"""Text metrics shared by every line model: edit distance and the character error rate (CER).

    character_error_rate(["helo world"], ["hello world"])   # 1 edit / 11 characters = 0.0909

Lab 2's per-position line CNNs and Lab 3's CTC model report the same CER, so their figures can
be compared directly; `ValidationCharacterErrorRate` reports it after every training epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

try:  # rapidfuzz (in the course's lock files) computes the same distance in C, ~100x faster.
    from rapidfuzz.distance import Levenshtein as _Levenshtein
except ImportError:  # pragma: no cover - the pure-Python version below gives the same numbers
    _Levenshtein = None


def edit_distance(prediction: str, target: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions turning one
    string into the other, e.g. `edit_distance("kitten", "sitting") == 3`.

    Dynamic programming over one row at a time: `row[j]` is the distance between the
    prefix of `prediction` read so far and `target[:j]`.
    """
    if _Levenshtein is not None:
        return int(_Levenshtein.distance(prediction, target))
    return _edit_distance_python(prediction, target)


def _edit_distance_python(prediction: str, target: str) -> int:
    """The textbook algorithm (kept so the metric has no required dependency, and for tests)."""
    row = list(range(len(target) + 1))
    for i, p in enumerate(prediction, start=1):
        previous_diagonal, row[0] = row[0], i
        for j, t in enumerate(target, start=1):
            substitution = previous_diagonal + (p != t)
            previous_diagonal = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, substitution)
    return row[-1]


def character_error_rate(predictions: Sequence[str], targets: Sequence[str]) -> float:
    """Total edit distance over total target length, over all lines (0 = perfect).

    Summing before dividing weights every character equally (a long line counts more than a
    short one), as speech and handwriting papers report CER. The rate can exceed 1 when the
    predictions are much longer than the targets. Strip padding and blanks before calling.

    Raises:
        ValueError: when the two lists differ in length, or every target is empty.
    """
    if len(predictions) != len(targets):
        raise ValueError(
            f"Got {len(predictions)} predictions for {len(targets)} targets: pass one predicted "
            "string per target line."
        )
    total = sum(len(target) for target in targets)
    if total == 0:
        raise ValueError("Every target is empty: the character error rate is undefined.")
    errors = sum(edit_distance(p, t) for p, t in zip(predictions, targets, strict=True))
    return errors / total


class ValidationCharacterErrorRate(keras.callbacks.Callback):
    """After every epoch, the CER on (at most `max_lines`) validation lines.

    It is written into the epoch's logs as `val_character_error_rate`, so it lands in the
    training history (and its curves) beside the loss, and printed: the loss alone does not say
    how well a line model reads.

    Args:
        line_model: a line model of the course (anything with `evaluate(x, y)` that reports
            `character_error_rate`).
        x, y: the validation images and padded labels.
    """

    def __init__(self, line_model: Any, x: np.ndarray, y: np.ndarray, max_lines: int = 1000) -> None:
        super().__init__()
        # Not `self.model`: Keras sets that to the network being trained.
        self.line_model = line_model
        self.x, self.y = x[:max_lines], y[:max_lines]

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not len(self.y):
            return
        # A data-parallel run (Lab 4, JAX) needs every batch to split evenly over its devices;
        # reading the validation lines needs no such split, so it runs outside the distribution.
        distribution = keras.distribution.distribution()
        keras.distribution.set_distribution(None)
        try:
            rate = self.line_model.evaluate(self.x, self.y)["character_error_rate"]
        finally:
            keras.distribution.set_distribution(distribution)
        if logs is not None:
            logs["val_character_error_rate"] = rate
        print(f"epoch {epoch + 1}: validation CER {rate:.4f}")
