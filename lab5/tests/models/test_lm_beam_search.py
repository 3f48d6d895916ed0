"""The character language model and the CTC beam search that uses it (Lab 5)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from text_recognizer.models.char_language_model import CharNgramModel
from text_recognizer.models.line_model_ctc import ctc_decode_logits
from text_recognizer.models.lm_beam_search import lm_beam_search

MAPPING = ["_", " ", "c", "e", "h", "l", "o", "t"]
VOCABULARY = MAPPING[1:]
TEXTS = ["the hole", "the cool toe", "hello there", "tell the cool cello"] * 5


@pytest.fixture(scope="module")
def language_model() -> CharNgramModel:
    return CharNgramModel.train(TEXTS, VOCABULARY, order=4)


def spelled(steps: list[dict[str, float]], floor: float = 1e-4) -> np.ndarray:
    """Logits of a line whose timesteps give the listed probabilities (the rest share `floor`)."""
    logits = np.full((len(steps), len(MAPPING)), math.log(floor))
    for t, probabilities in enumerate(steps):
        for char, p in probabilities.items():
            logits[t, MAPPING.index(char)] = math.log(p)
    return logits


def test_the_distribution_after_any_context_sums_to_one(language_model):
    for context in ["", " ", "th", "the", "xyz", "ool"]:
        total = sum(math.exp(language_model.log_prob(context, c)) for c in VOCABULARY)
        assert total == pytest.approx(1.0, abs=1e-9), context


def test_seen_continuations_beat_unseen_and_nothing_is_impossible(language_model):
    assert language_model.log_prob(" th", "e") > language_model.log_prob(" th", "c")
    assert language_model.log_prob("hel", "l") > language_model.log_prob("hel", "t")
    assert math.isfinite(language_model.log_prob("zzz", "c"))
    assert language_model.text_log_prob("the") > language_model.text_log_prob("thc")


def test_a_saved_model_loads_back_the_same(language_model, tmp_path):
    path = tmp_path / "lm.pickle"
    language_model.save(path)
    loaded = CharNgramModel.load(path)
    assert loaded.order == 4 and loaded.vocabulary == tuple(VOCABULARY)
    assert loaded.log_prob(" co", "o") == language_model.log_prob(" co", "o")


def test_training_refuses_order_zero():
    with pytest.raises(ValueError, match="order"):
        CharNgramModel.train(TEXTS, VOCABULARY, order=0)


def test_without_the_language_model_it_reads_what_plain_beam_search_reads(language_model):
    logits = spelled([{"t": 0.9}, {"_": 0.9}, {"h": 0.8}, {"h": 0.6, "_": 0.3}, {"e": 0.7, "c": 0.2}, {"_": 0.95}])
    text, confidence = lm_beam_search(logits, MAPPING, language_model, alpha=0.0, beta=0.0)
    (expected, expected_confidence), = ctc_decode_logits(logits[None], MAPPING, "beam_search", 16)
    assert text == expected == "the"
    assert confidence == pytest.approx(expected_confidence, rel=1e-3)


def test_a_doubled_letter_needs_a_blank_between(language_model):
    held = spelled([{"l": 0.95}, {"l": 0.95}])
    doubled = spelled([{"l": 0.95}, {"_": 0.95}, {"l": 0.95}])
    assert lm_beam_search(held, MAPPING, language_model, 0.0, 0.0)[0] == "l"
    assert lm_beam_search(doubled, MAPPING, language_model, 0.0, 0.0)[0] == "ll"


def test_the_language_model_settles_what_the_ink_leaves_open(language_model):
    # "c" looks slightly likelier than "e" at the third letter: the image alone reads "thc".
    logits = spelled([{"t": 0.95}, {"h": 0.95}, {"c": 0.5, "e": 0.45}, {"_": 0.95}])
    assert lm_beam_search(logits, MAPPING, language_model, alpha=0.0, beta=0.0)[0] == "thc"
    assert lm_beam_search(logits, MAPPING, language_model, alpha=1.0, beta=0.0)[0] == "the"


def test_a_blank_line_reads_as_nothing(language_model):
    text, confidence = lm_beam_search(spelled([{"_": 0.99}] * 5), MAPPING, language_model, 0.5, 1.0)
    assert text == ""
    assert 0.9 < confidence <= 1.0
