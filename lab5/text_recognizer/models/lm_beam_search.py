"""CTC prefix beam search with a character language model (shallow fusion).

Plain CTC beam search ranks a text by the probability of its alignments alone. Here each
candidate text (a *prefix* of the final line) is ranked by

    log P_ctc(prefix | image) + alpha * log P_lm(prefix) + beta * len(prefix)

`alpha` weighs the language model against the image; `beta` pays each character back for the
language model's per-character cost, which would otherwise favour dropping characters. Both are
tuned on the validation writers (`python -m text_recognizer.reports.decoder_tuning`).

Per prefix the search keeps two CTC probabilities: the alignments ending in a blank and those
ending in the prefix's last character, because a repeated character only starts a new letter
after a blank ("ll" needs "l_l").
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from text_recognizer.data.character_mapping import BLANK_INDEX
from text_recognizer.models.char_language_model import CharNgramModel
from text_recognizer.models.confidence import log_softmax

NEG_INF = -math.inf


def _add(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) for two log-probabilities (either may be -inf)."""
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def _grow(beams: dict[str, list[float]], prefix: str, blank: float, char: float) -> None:
    """Add alignment probabilities (ending in a blank, ending in a character) to `prefix`'s."""
    entry = beams.setdefault(prefix, [NEG_INF, NEG_INF])
    entry[0], entry[1] = _add(entry[0], blank), _add(entry[1], char)


def lm_beam_search(
    logits: np.ndarray,
    mapping: Sequence[str],
    language_model: CharNgramModel,
    alpha: float,
    beta: float,
    beam_width: int = 16,
    prune_log_prob: float = -6.0,
    max_candidates: int = 6,
) -> tuple[str, float]:
    """Decode one line's (timesteps, classes) logits into (text, confidence).

    Args:
        logits: per-timestep logits of one line (not softmaxed).
        mapping: class index -> character; class `BLANK_INDEX` is the blank.
        language_model: the character model; its `log_prob(context, char)` scores extensions.
        alpha: language-model weight (0: plain CTC prefix beam search).
        beta: bonus per character, in nats.
        beam_width: prefixes kept after each timestep.
        prune_log_prob: characters less likely than this at a timestep are not tried there.
        max_candidates: at most this many characters (the likeliest) are tried per timestep.

    Returns:
        The best text, and its CTC probability (summed over the alignments the beam kept), the
        same kind of score as `ctc_decode_logits`'s beam search (the model's `decode_logits`
        gives the line the confidence of `models/confidence.py` instead).
    """
    log_probs = log_softmax(logits)
    # prefix -> [log P(alignments ending in blank), log P(alignments ending in its last char)]
    beams: dict[str, list[float]] = {"": [0.0, NEG_INF]}
    lm_scores: dict[str, float] = {"": 0.0}
    context_length = language_model.order - 1  # lines start at a word boundary: context " "

    def score(prefix: str) -> float:
        blank, char = beams[prefix]
        return _add(blank, char) + alpha * lm_scores[prefix] + beta * len(prefix)

    for step in log_probs:
        # Only the few characters the image makes plausible at this step are tried.
        likely = np.argsort(step)[::-1][: max_candidates + 1]
        candidates = [int(i) for i in likely if i != BLANK_INDEX and step[i] > prune_log_prob][:max_candidates]
        blank_lp = float(step[BLANK_INDEX])
        new_beams: dict[str, list[float]] = {}
        grow = functools.partial(_grow, new_beams)
        for prefix, (p_blank, p_char) in beams.items():
            total = _add(p_blank, p_char)
            grow(prefix, total + blank_lp, NEG_INF)  # a blank keeps the prefix
            last = prefix[-1] if prefix else None
            for index in candidates:
                char, lp = mapping[index], float(step[index])
                if char == last:
                    grow(prefix, NEG_INF, p_char + lp)  # the same letter, held on
                    extended_lp = p_blank + lp  # a new, doubled letter needs a blank between
                else:
                    extended_lp = total + lp
                extended = prefix + char
                if extended not in lm_scores:
                    context = (" " + prefix)[-context_length:] if context_length else ""
                    lm_scores[extended] = lm_scores[prefix] + language_model.log_prob(context, char)
                grow(extended, NEG_INF, extended_lp)
        beams = new_beams
        if len(beams) > beam_width:
            kept = sorted(beams, key=score, reverse=True)[:beam_width]
            beams = {prefix: beams[prefix] for prefix in kept}
    best = max(beams, key=score)
    return best, float(np.clip(np.exp(_add(*beams[best])), 0.0, 1.0))
