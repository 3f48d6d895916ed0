"""Lab 3 exercise: the CTC loss wiring (lengths from padded labels, logits in)."""

import keras
import numpy as np
import pytest

from text_recognizer.data.character_mapping import MAPPING, text_to_indices
from text_recognizer.models.line_model_ctc import CtcLoss, ctc_lengths


def padded(texts: list[str], max_length: int) -> np.ndarray:
    labels = np.zeros((len(texts), max_length), "int32")
    for row, text in zip(labels, texts, strict=True):
        row[: len(text)] = text_to_indices(text)
    return labels


def test_lengths_exclude_the_padding():
    labels = padded(["hello", "a", "", "ab cd"], max_length=8)
    logits = np.zeros((4, 11, len(MAPPING)), "float32")
    label_length, logit_length = (keras.ops.convert_to_numpy(t) for t in ctc_lengths(labels, logits))
    assert label_length.tolist() == [5, 1, 0, 5]
    assert logit_length.tolist() == [11, 11, 11, 11]


def test_lengths_accept_float_labels_as_keras_passes_them():
    labels = padded(["abc"], max_length=5).astype("float32")
    label_length, _ = ctc_lengths(labels, np.zeros((1, 7, len(MAPPING)), "float32"))
    assert keras.ops.convert_to_numpy(label_length).tolist() == [3]


def test_loss_is_per_line_finite_and_low_on_matching_logits():
    labels = padded(["ab", "ll"], max_length=4)
    good = np.full((2, 5, len(MAPPING)), -10.0, "float32")
    for t, c in enumerate("a_b__"):
        good[0, t, MAPPING.index(c)] = 10.0
    for t, c in enumerate("l_l__"):
        good[1, t, MAPPING.index(c)] = 10.0
    losses = keras.ops.convert_to_numpy(CtcLoss(reduction=None)(labels, good))
    assert losses.shape == (2,) and np.all(np.isfinite(losses)) and np.all(losses < 0.01)
    uniform = np.zeros_like(good)
    assert float(CtcLoss()(labels, uniform)) > 1.0


def test_loss_applies_the_softmax_itself():
    """Keras CTC takes logits: shifting every logit of a timestep changes nothing."""
    labels = padded(["abc"], max_length=4)
    logits = np.random.default_rng(0).normal(size=(1, 9, len(MAPPING))).astype("float32")
    assert float(CtcLoss()(labels, logits)) == pytest.approx(float(CtcLoss()(labels, logits + 3.0)), rel=1e-5)


def test_padding_does_not_change_the_loss():
    logits = np.random.default_rng(1).normal(size=(1, 9, len(MAPPING))).astype("float32")
    short, long = padded(["abc"], max_length=3), padded(["abc"], max_length=8)
    assert float(CtcLoss()(short, logits)) == pytest.approx(float(CtcLoss()(long, logits)), rel=1e-5)
