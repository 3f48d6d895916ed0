"""Lab 3 exercise: ctc_decode_logits turns per-timestep logits into text and a confidence."""

import numpy as np
import pytest

from text_recognizer.data.character_mapping import MAPPING, indices_to_text
from text_recognizer.models.line_model_ctc import best_path, ctc_decode_logits


def peaked_logits(alignment: str, peak: float = 12.0) -> np.ndarray:
    """Logits (timesteps, 80) that pick one character per timestep; `_` is the blank."""
    logits = np.zeros((len(alignment), len(MAPPING)), "float32")
    logits[np.arange(len(alignment)), [MAPPING.index(c) for c in alignment]] = peak
    return logits


@pytest.mark.parametrize(
    ("alignment", "text"),
    [("aa_a", "aa"), ("hhee_ll_lloo", "hello"), ("__a__", "a"), ("____", ""), ("ab  c", "ab c"),
     ("ll", "l"), ("l_l", "ll")],
)
@pytest.mark.parametrize("strategy", ["greedy", "beam_search"])
def test_decoding_collapses_repeats_and_drops_blanks(alignment, text, strategy):
    [(decoded, confidence)] = ctc_decode_logits(peaked_logits(alignment)[None], MAPPING, strategy)
    assert decoded == text, (
        f"the alignment {alignment!r} reads {text!r}, got {decoded!r}: merge repeats first, then drop blanks ('_')")
    assert isinstance(confidence, float) and 0.9 < confidence <= 1.0, (
        f"logits sure of one alignment must give a confidence near 1 (a probability, a Python float), got "
        f"{confidence!r}")


def test_a_batch_decodes_line_by_line():
    logits = np.stack([peaked_logits("H_i_"), peaked_logits("o_k_")])
    texts = [text for text, _ in ctc_decode_logits(logits, MAPPING)]
    assert texts == ["Hi", "ok"], f"expected one text per line, ['Hi', 'ok'], got {texts}"


def test_beam_search_agrees_with_greedy_on_peaked_logits():
    rng = np.random.default_rng(0)
    alignment = "".join(rng.choice(list("ab_ cd"), size=30))
    logits = peaked_logits(alignment, peak=8.0) + rng.normal(0, 0.5, (30, len(MAPPING))).astype("float32")
    [(greedy, p_greedy)] = ctc_decode_logits(logits[None], MAPPING, "greedy")
    [(beam, p_beam)] = ctc_decode_logits(logits[None], MAPPING, "beam_search", beam_width=10)
    assert beam == greedy, f"on peaked logits both strategies must read the same text: {greedy!r}, {beam!r}"
    # Beam search sums over alignments, greedy scores the single best one.
    assert p_beam >= p_greedy - 1e-6, (
        f"beam confidence {p_beam} < greedy {p_greedy}: a text's probability sums over its alignments, so it "
        "is at least its best alignment's")


def test_greedy_confidence_is_the_best_path_probability():
    logits = np.random.default_rng(1).normal(0, 2, (1, 12, len(MAPPING))).astype("float32")
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    [(_, confidence)] = ctc_decode_logits(logits, MAPPING, "greedy")
    expected = float(np.prod(probabilities.max(-1)))
    assert confidence == pytest.approx(expected, rel=1e-3), (
        f"greedy confidence {confidence}, expected the best path's probability {expected:.6g} (the product over "
        "timesteps of the highest softmax probability): check what the decoder's score is, and its sign")


def test_unknown_strategy_is_a_clear_error():
    with pytest.raises(ValueError, match="greedy"):
        ctc_decode_logits(peaked_logits("a")[None], MAPPING, "viterbi")


def test_helpers_show_labels_and_raw_alignments():
    assert indices_to_text([MAPPING.index("o"), MAPPING.index("k"), 0, 0, -1], MAPPING) == "ok"
    assert best_path(peaked_logits("aa_a"), MAPPING) == "aa_a"
