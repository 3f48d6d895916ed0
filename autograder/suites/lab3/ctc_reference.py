"""The parent's own CTC, in numpy: what Lab 3's hidden tests compare the student's CTC code with.

Nothing here runs student code or imports the submission: the forward algorithm, the collapse of
a best path, and the decoding cases (logits built here, with their expected text and confidence).
"""

from __future__ import annotations

import numpy as np

from autograder.suites.reference import reference_module

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


#: Short lines on which beam search and greedy decoding disagree (`ambiguous_cases`).
AMBIGUOUS_LINES, AMBIGUOUS_STEPS = 4, 4


def exact_text_probabilities(line_logits: np.ndarray) -> dict[tuple[int, ...], tuple[float, float]]:
    """Every text of a short line: (its exact CTC probability, its best single path's), by
    enumerating every path (classes ** steps of them: keep lines short)."""
    probabilities = np.exp(log_softmax(line_logits))
    steps, classes = probabilities.shape
    paths = np.stack(np.meshgrid(*[np.arange(classes)] * steps, indexing="ij"), axis=-1).reshape(-1, steps)
    path_probabilities = np.prod(probabilities[np.arange(steps), paths], axis=-1)
    texts: dict[tuple[int, ...], tuple[float, float]] = {}
    for path, probability in zip(paths, path_probabilities, strict=True):
        text = tuple(collapse(path))
        total, best = texts.get(text, (0.0, 0.0))
        texts[text] = (total + float(probability), max(best, float(probability)))
    return texts


def ambiguous_cases(rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
    """Short lines where the best path is not the most probable text: greedy decoding reads the
    best path's text, beam search the text summed over its alignments. Each step puts a little
    more on the blank than on one letter, the rest spread thin: greedy reads nothing (or little),
    the letter is the more probable text. Each case: the most probable text, its best path's
    probability and its exact probability (what a beam's confidence lies between)."""
    classes = len(DECODE_MAPPING)
    logits = np.full((AMBIGUOUS_LINES, AMBIGUOUS_STEPS, classes), -4.0)
    letters = rng.choice(np.arange(1, classes), size=AMBIGUOUS_LINES, replace=False)
    for line, letter in enumerate(letters):
        blank_share = rng.uniform(0.40, 0.45)
        for step in range(AMBIGUOUS_STEPS):
            probabilities = np.full(classes, 0.0)
            probabilities[BLANK] = blank_share
            probabilities[letter] = blank_share - rng.uniform(0.04, 0.08)
            rest = [c for c in range(1, classes) if c != letter]
            probabilities[rest] = (1 - probabilities[BLANK] - probabilities[letter]) / len(rest)
            logits[line, step] = np.log(probabilities)
    logits = logits.astype(np.float32)
    cases = []
    for line in logits:
        texts = exact_text_probabilities(line)
        text = max(texts, key=lambda key: texts[key][0])
        greedy = tuple(collapse(np.argmax(line, axis=-1)))
        if text == greedy:
            raise AssertionError("an ambiguous case whose beam text is its greedy text: change its recipe")
        total, best_path = texts[text]
        cases.append({"text": "".join(DECODE_MAPPING[i] for i in text), "greedy_confidence": best_path,
                      "text_probability": total})
    return logits, cases
