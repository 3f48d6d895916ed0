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
    assert label_length.tolist() == [5, 1, 0, 5], (
        f"label lengths {label_length.tolist()}, expected [5, 1, 0, 5]: the padding (class 0) is not text")
    assert logit_length.tolist() == [11, 11, 11, 11], (
        f"logit lengths {logit_length.tolist()}, expected every line's 11 timesteps")


def test_lengths_accept_float_labels_as_keras_passes_them():
    labels = padded(["abc"], max_length=5).astype("float32")
    label_length, _ = ctc_lengths(labels, np.zeros((1, 7, len(MAPPING)), "float32"))
    assert keras.ops.convert_to_numpy(label_length).tolist() == [3], "Keras may pass the labels as floats"


def test_loss_is_per_line_finite_and_low_on_matching_logits():
    labels = padded(["ab", "ll"], max_length=4)
    good = np.full((2, 5, len(MAPPING)), -10.0, "float32")
    for t, c in enumerate("a_b__"):
        good[0, t, MAPPING.index(c)] = 10.0
    for t, c in enumerate("l_l__"):
        good[1, t, MAPPING.index(c)] = 10.0
    losses = keras.ops.convert_to_numpy(CtcLoss(reduction=None)(labels, good))
    assert losses.shape == (2,), f"expected one loss per line, shape (2,), got {losses.shape}"
    assert np.all(np.isfinite(losses)) and np.all(losses < 0.01), (
        f"logits sure of a right alignment must give a loss near 0, got {losses.tolist()}: pass the logits "
        "as they are (a softmax before Keras' own log-softmax flattens them)")
    uniform = np.zeros_like(good)
    assert float(CtcLoss()(labels, uniform)) > 1.0, "logits that favour nothing must give a high loss"


def test_loss_sums_over_every_alignment():
    """Uniform logits: each alignment has probability 80**-T, so the loss counts the alignments."""
    per_line = CtcLoss(reduction=None)
    one_character = keras.ops.convert_to_numpy(per_line(padded(["a"], 3), np.zeros((1, 2, 80), "float32")))
    # "a_", "_a" and "aa" all collapse to "a".
    assert one_character[0] == pytest.approx(-np.log(3 / 80**2), rel=1e-4), (
        f"loss {one_character[0]:.4f}, expected -log(3 / 80**2) = {-np.log(3 / 80**2):.4f}: CTC sums the "
        "probabilities of the 3 alignments of 'a' over 2 timesteps")
    double = keras.ops.convert_to_numpy(per_line(padded(["ll"], 3), np.zeros((1, 3, 80), "float32")))
    # Only "l_l" collapses to "ll" in 3 timesteps.
    assert double[0] == pytest.approx(-np.log(80.0**-3), rel=1e-4), (
        f"loss {double[0]:.4f}, expected -log(80**-3) = {3 * np.log(80):.4f}: the only alignment of 'll' over 3 "
        "timesteps is 'l_l'")


def test_loss_applies_the_softmax_itself():
    """Keras CTC takes logits: shifting every logit of a timestep changes nothing."""
    labels = padded(["abc"], max_length=4)
    logits = np.random.default_rng(0).normal(size=(1, 9, len(MAPPING))).astype("float32")
    assert float(CtcLoss()(labels, logits)) == pytest.approx(float(CtcLoss()(labels, logits + 3.0)), rel=1e-5), (
        "adding 3 to every logit changed the loss: the loss must normalise the logits itself")


def test_padding_does_not_change_the_loss():
    logits = np.random.default_rng(1).normal(size=(1, 9, len(MAPPING))).astype("float32")
    short, long = padded(["abc"], max_length=3), padded(["abc"], max_length=8)
    assert float(CtcLoss()(short, logits)) == pytest.approx(float(CtcLoss()(long, logits)), rel=1e-5), (
        "padding a label with blanks changed its loss: the padding must not count as text")
