"""The student's CTC code: `ctc_lengths`, `CtcLoss.call` and `ctc_decode_logits`.

Every input is built here and every expectation is computed here, in numpy (`ctc_reference`):
label lengths that all differ, losses by the CTC forward algorithm, decodings of peaked logits
whose texts all differ (one text for every line is a guess and earns nothing).
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.pipeline.marks import graded
from autograder.suites.lab3 import ctc_reference as ctc

CTC = "text_recognizer.models.line_model_ctc"
IMPORTS = ("keras", CTC)
LABEL_LENGTHS = [3, 0, 7, 1, 5]
LENGTHS_SHAPE = (len(LABEL_LENGTHS), 7)
TIMESTEPS, CLASSES = 11, 10
LOSS_LENGTHS = [2, 5, 1, 3]
BEAM_WIDTH = 10


# --- ctc_lengths ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lengths_case(seed) -> dict:
    rng = np.random.default_rng([seed, 31])
    labels = np.zeros(LENGTHS_SHAPE, np.int32)
    for row, length in enumerate(LABEL_LENGTHS):
        labels[row, :length] = rng.integers(1, CLASSES, size=length)
    logits = rng.normal(0, 1, size=(len(LABEL_LENGTHS), TIMESTEPS, CLASSES)).astype(np.float32)
    return {"labels": labels, "logits": logits}


@graded("ctc_lengths: label and logit lengths", 10, merge=True)
@pytest.mark.parametrize("kind", ["int", "float"])
def test_ctc_lengths(kind, lengths_case, sandbox, feedback):
    feedback.label = f"ctc_lengths({kind} labels {LENGTHS_SHAPE}, logits {lengths_case['logits'].shape})"
    labels = lengths_case["labels"] if kind == "int" else lengths_case["labels"].astype(np.float32)
    reply = sandbox.call(f"{CTC}:ctc_lengths", labels, lengths_case["logits"], observe="arrays", imports=IMPORTS)
    value = reply.unwrap()
    assert isinstance(value, list) and len(value) == 2, "expected a pair (label_length, logit_length)"
    label, logit = value
    wanted_label = np.array(LABEL_LENGTHS, np.float64)
    wanted_logit = np.full(len(LABEL_LENGTHS), float(TIMESTEPS))
    assert (isinstance(label, np.ndarray) and isinstance(logit, np.ndarray)
            and label.shape == wanted_label.shape and logit.shape == wanted_logit.shape
            and np.array_equal(label, wanted_label) and np.array_equal(logit, wanted_logit)), (
        f"expected label lengths {LABEL_LENGTHS} and logit lengths {[TIMESTEPS] * len(LABEL_LENGTHS)}, "
        f"got {_short(label)} and {_short(logit)}")


# --- CtcLoss --------------------------------------------------------------------------------------
@graded("CtcLoss: CTC loss of every line", 15)
def test_ctc_loss(sandbox, seed, feedback):
    rng = np.random.default_rng([seed, 32])
    labels = np.zeros((len(LOSS_LENGTHS), 6), np.int32)
    for row, length in enumerate(LOSS_LENGTHS):
        labels[row, :length] = rng.integers(1, 8, size=length)
    logits = rng.normal(0, 1.5, size=(len(LOSS_LENGTHS), 13, 8)).astype(np.float32)
    expected = np.array([ctc.ctc_neg_log_likelihood(line, row[row > 0]) for line, row in zip(logits, labels,
                                                                                             strict=True)])
    feedback.say(f"CtcLoss().call(labels {labels.shape}, logits {logits.shape})")
    reply = sandbox.call(f"{CTC}:CtcLoss().call", labels, logits, observe="array", imports=IMPORTS)
    value = reply.unwrap()
    assert isinstance(value, np.ndarray) and value.shape == expected.shape, (
        f"expected one loss per line, shape {expected.shape}, got {_short(value)}")
    close = np.isclose(value, expected, rtol=1e-3, atol=1e-3)
    for index, (ok, wanted, got) in enumerate(zip(close, expected, value, strict=True)):
        feedback.say(f"{'ok  ' if ok else 'FAIL'} line {index}" + ("" if ok else f": expected {wanted:.4f}, "
                                                                              f"got {got:.4f}"))
    feedback.partial(float(close.mean()))
    assert close.all(), "some lines' losses are wrong"


# --- ctc_decode_logits ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def decode_case(seed) -> dict[str, tuple[np.ndarray, list[dict]]]:
    """Peaked lines (greedy and beam search agree) and short ambiguous ones, where the most
    probable text is not the best path's: beam search must find it, greedy decoding cannot."""
    return {"peaked": ctc.decode_cases(np.random.default_rng([seed, 33])),
            "ambiguous": ctc.ambiguous_cases(np.random.default_rng([seed, 34]))}


@pytest.fixture(scope="module")
def decoded(sandbox, decode_case) -> dict:
    """The student's decodings, one sandbox call per strategy and set of lines (made on first use)."""
    cache: dict = {}

    def get(strategy: str, lines: str):
        if (strategy, lines) not in cache:
            logits = decode_case[lines][0]
            cache[strategy, lines] = sandbox.call(f"{CTC}:ctc_decode_logits", logits, list(ctc.DECODE_MAPPING),
                                                  strategy, BEAM_WIDTH, observe="predictions", imports=IMPORTS)
        return cache[strategy, lines]

    return get


def _decode(strategy: str, decoded, decode_case, feedback, confidence: bool) -> None:
    # Greedy decoding is graded on the peaked lines; beam search on those and the ambiguous ones.
    sets = ("peaked",) if strategy == "greedy" else ("peaked", "ambiguous")
    calls, expected = [], []
    for lines in sets:
        logits, cases = decode_case[lines]
        feedback.say(f"ctc_decode_logits(logits {logits.shape}, a grader mapping, {strategy!r}, {BEAM_WIDTH})")
        got = decoded(strategy, lines).unwrap()
        assert isinstance(got, list) and len(got) == len(cases), (
            f"expected {len(cases)} (text, confidence) pairs, got {len(got) if isinstance(got, list) else got!r}")
        calls += [call if isinstance(call, dict) else {} for call in got]
        expected += cases
    # The expected texts all differ: one answer for every line is a guess, worth nothing.
    guess = len({str(call.get("text")) for call in calls}) <= 1
    right = 0
    for index, (call, case) in enumerate(zip(calls, expected, strict=True)):
        text, value = call.get("text"), call.get("confidence")
        text_ok = not guess and isinstance(text, str) and text == case["text"]
        if not confidence:
            ok, problem = text_ok, f"expected {case['text']!r}, got {text!r}"
        else:
            low = case["greedy_confidence"]
            high = low if strategy == "greedy" else case["text_probability"]
            ok = (text_ok and call.get("confidence_type") == "float" and isinstance(value, float)
                  and low * (1 - 1e-3) - 1e-6 <= value <= high * (1 + 1e-3) + 1e-6)
            wanted = f"{low:.5f}" if low == high else f"between {low:.5f} and {high:.5f}"
            problem = f"expected a float {wanted} (with the right text), got {value!r}"
        right += ok
        feedback.say(f"{'ok  ' if ok else 'FAIL'} line {index}" + ("" if ok or guess else f": {problem}"))
    if guess:
        feedback.say("the same text for every line is a guess and earns nothing")
    # Beam search earns only when it finds the texts greedy decoding misses.
    found = strategy == "greedy" or all(
        call.get("text") == case["text"] for call, case in zip(calls[-ctc.AMBIGUOUS_LINES:],
                                                               expected[-ctc.AMBIGUOUS_LINES:], strict=True))
    if not found:
        feedback.say("beam search did not find the most probable text of the ambiguous lines (greedy decoding "
                     "reads their best path): no beam search point")
    feedback.partial(found * right / len(expected), f"{right} of {len(expected)} lines right.")
    assert right == len(expected), "some lines are decoded wrong"


@graded("ctc_decode_logits: greedy decoding text", 10)
def test_greedy_text(decoded, decode_case, feedback):
    _decode("greedy", decoded, decode_case, feedback, confidence=False)


@graded("ctc_decode_logits: greedy confidence", 5)
def test_greedy_confidence(decoded, decode_case, feedback):
    _decode("greedy", decoded, decode_case, feedback, confidence=True)


@graded("ctc_decode_logits: beam search text", 10)
def test_beam_search_text(decoded, decode_case, feedback):
    _decode("beam_search", decoded, decode_case, feedback, confidence=False)


@graded("ctc_decode_logits: beam search confidence", 5)
def test_beam_search_confidence(decoded, decode_case, feedback):
    _decode("beam_search", decoded, decode_case, feedback, confidence=True)


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return str(value.tolist())[:120] if value.size <= 16 else f"an array of shape {value.shape}"
    return repr(value)[:120]
