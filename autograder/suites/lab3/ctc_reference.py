"""The parent's own CTC, in numpy: what Lab 3's hidden tests compare the student's CTC code with.

Nothing here runs student code or imports the submission: the forward algorithm, the collapse of
a best path, and the decoding cases (logits built here, with their expected text and confidence).
"""

from __future__ import annotations

import numpy as np

from autograder.reference import reference_module

BLANK = 0
DECODE_MAPPING = ["_", "q", "x", "a", "Z", " ", "7", "e", "r", "t", "!", "k"]
DECODE_LINES, DECODE_STEPS = 6, 16


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def ctc_neg_log_likelihood(logits: np.ndarray, label, blank: int = BLANK) -> float:
    """-log p(label | logits) for one line (timesteps, classes), by the CTC forward algorithm."""
    log_probs = log_softmax(logits)
    extended = [blank]
    for symbol in label:
        extended += [int(symbol), blank]
    states = len(extended)
    alpha = np.full(states, -np.inf)
    alpha[0] = log_probs[0, blank]
    if states > 1:
        alpha[1] = log_probs[0, extended[1]]
    for t in range(1, len(log_probs)):
        previous = alpha
        alpha = np.full(states, -np.inf)
        for s in range(states):
            terms = [previous[s]]
            if s >= 1:
                terms.append(previous[s - 1])
            if s >= 2 and extended[s] != blank and extended[s] != extended[s - 2]:
                terms.append(previous[s - 2])
            alpha[s] = np.logaddexp.reduce(terms) + log_probs[t, extended[s]]
    total = np.logaddexp(alpha[-1], alpha[-2]) if states > 1 else alpha[-1]
    return float(-total)


def collapse(path, blank: int = BLANK) -> list[int]:
    """Merge repeated classes, then drop blanks."""
    out, last = [], None
    for symbol in path:
        symbol = int(symbol)
        if symbol != last and symbol != blank:
            out.append(symbol)
        last = symbol
    return out


def character_error_rate(predictions: list[str], targets: list[str]) -> float:
    """The course's CER (the reference package's metric, trusted code)."""
    return float(reference_module("text_recognizer.models.metrics").character_error_rate(predictions, targets))


def decode_cases(rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
    """Peaked logits whose decodings all differ; the first lines have repeats split by a blank.

    Each case: the text (collapsed best path), the greedy confidence (product of the best
    per-step probabilities) and the text's exact probability (summed over its alignments).
    """
    blank_first = [3, 3, 0, 3, 4, 4, 0, 0, 6, 6, 6, 0, 6, 7, 0, 0]  # "aaZ77e": repeats and blanks
    all_blank = [0] * DECODE_STEPS
    alignments = [blank_first, all_blank]
    texts = {tuple(collapse(a)) for a in alignments}
    while len(alignments) < DECODE_LINES:
        path: list[int] = []
        while len(path) < DECODE_STEPS:
            symbol = 0 if rng.random() < 0.35 else int(rng.integers(1, len(DECODE_MAPPING)))
            path += [symbol] * int(rng.integers(1, 4))
        path = path[:DECODE_STEPS]
        if tuple(collapse(path)) not in texts:
            texts.add(tuple(collapse(path)))
            alignments.append(path)
    logits = rng.normal(0, 0.4, size=(DECODE_LINES, DECODE_STEPS, len(DECODE_MAPPING)))
    for line, path in enumerate(alignments):
        logits[line, np.arange(DECODE_STEPS), path] += 7.0
    logits = logits.astype(np.float32)
    cases = []
    for line in logits:
        probabilities = np.exp(log_softmax(line))
        best = collapse(np.argmax(line, axis=-1))
        cases.append({
            "text": "".join(DECODE_MAPPING[i] for i in best),
            "greedy_confidence": float(np.prod(probabilities.max(axis=-1))),
            "text_probability": float(np.exp(-ctc_neg_log_likelihood(line, best))),
        })
    return logits, cases
