"""A line's confidence: the mean per-character posterior along the decoded path, and its calibration."""

import json

import numpy as np
import pytest

from text_recognizer.data.character_mapping import BLANK_INDEX, MAPPING
from text_recognizer.models.confidence import (
    Calibration,
    best_alignment,
    calibration_path,
    line_confidence,
    load_calibration,
    log_softmax,
)
from text_recognizer.models.line_model_ctc import ctc_decode_logits


def spelled(alignment: str, peak: float) -> np.ndarray:
    """Logits (timesteps, classes) whose best class per timestep is `alignment`'s, with probability `peak`."""
    logits = np.zeros((len(alignment), len(MAPPING)))
    best = np.log(peak * (len(MAPPING) - 1) / (1 - peak))  # softmax gives the best class `peak`
    logits[np.arange(len(alignment)), [MAPPING.index(c) for c in alignment]] = best
    return logits


@pytest.mark.parametrize("greedy", [True, False])
def test_confidence_does_not_shrink_with_length(greedy):
    short, long = spelled("_a_b_", 0.8), spelled("_a_b_" * 12, 0.8)
    for logits, text in ((short, "ab"), (long, "ab" * 12)):
        assert line_confidence(logits, text, MAPPING, greedy) == pytest.approx(0.8)
    # ... where the path probability of ctc_decode_logits falls with every timestep.
    [(_, p_short)], [(_, p_long)] = (ctc_decode_logits(x[None], MAPPING, "greedy") for x in (short, long))
    assert p_long < 0.01 < p_short


def test_an_unsure_character_lowers_the_confidence():
    logits = spelled("_h_i_", 0.9)
    logits[3] = spelled("i", 0.3)[0]
    assert line_confidence(logits, "hi", MAPPING, greedy=True) == pytest.approx((0.9 + 0.3) / 2)


@pytest.mark.parametrize(("alignment", "text"), [("_hh_e_ll_l_oo_", "hello"), ("l_l", "ll"), ("___", "")])
def test_best_alignment_spells_the_text(alignment, text):
    log_probs = log_softmax(spelled(alignment, 0.7))
    labels = [MAPPING.index(c) for c in text]
    path = best_alignment(log_probs, labels)
    assert "".join(MAPPING[i] for i in path) == alignment


def test_a_beam_reading_is_scored_on_its_own_alignment():
    # The image says "cat" weakly at the second character; a language model reads "cot" there.
    logits = spelled("_c_a_t_", 0.9)
    logits[3] = 0.0
    logits[3, [MAPPING.index("a"), MAPPING.index("o")]] = [2.0, 1.5]
    assert line_confidence(logits, "cot", MAPPING, greedy=False) < line_confidence(logits, "cat", MAPPING, False)


def test_too_few_timesteps_for_the_text_fall_back_to_the_greedy_path():
    path = best_alignment(log_softmax(spelled("ab", 0.9)), [MAPPING.index(c) for c in "abcabc"])
    assert list(path) == [MAPPING.index("a"), MAPPING.index("b")]


def test_an_empty_line_is_as_sure_as_its_blanks():
    assert line_confidence(spelled("____", 0.6), "", MAPPING, greedy=True) == pytest.approx(0.6)
    assert MAPPING[BLANK_INDEX] == "_"


def test_calibration_is_the_identity_without_a_file(tmp_path):
    config = tmp_path / "model.json"
    config.write_text(json.dumps({"weights_file": "model.weights.h5"}))
    (tmp_path / "model.weights.h5").write_bytes(b"weights")
    assert load_calibration(config, "greedy")(0.37) == 0.37


def test_a_stored_calibration_maps_monotonically_and_is_dropped_for_other_weights(tmp_path, caplog):
    import hashlib

    config = tmp_path / "model.json"
    config.write_text(json.dumps({"weights_file": "model.weights.h5"}))
    (tmp_path / "model.weights.h5").write_bytes(b"weights")
    fit = Calibration((0.2, 0.6, 0.9), (0.1, 0.5, 0.95))
    stored = {"weights_sha256": hashlib.sha256(b"weights").hexdigest(), "strategies": {"greedy": fit.as_json()}}
    calibration_path(config).write_text(json.dumps(stored))
    calibration = load_calibration(config, "greedy")
    assert calibration(0.4) == pytest.approx(0.3) and calibration(0.0) == 0.1 and calibration(1.0) == 0.95
    assert not load_calibration(config, "language_model").fitted  # no fit for that decoder: identity
    (tmp_path / "model.weights.h5").write_bytes(b"retrained")
    with caplog.at_level("WARNING"):
        assert not load_calibration(config, "greedy").fitted  # stale: the raw confidence, and a warning
    assert "recalibrate" in caplog.text
