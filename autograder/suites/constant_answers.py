"""What a constant answer earns: the floor that CER credit starts from, in every lab that reads text.

A reader that answers one fixed text for every input has learnt nothing, yet its CER is below
1.0 (a string of spaces and "e"s matches some characters of any English line). Credit therefore
starts below the CER of the best constant answer the parent finds for the graded targets, and
one text for every input is a guess that earns nothing at all.
"""

from __future__ import annotations

import collections

from autograder.suites.lab3.ctc_reference import character_error_rate

#: Repeat lengths tried per unit: enough for a page (a few hundred characters) to stay quick.
MAX_REPEATS = 80


def is_guess(texts: list[str], targets: list[str]) -> bool:
    """The same text for every input, where the inputs' texts differ."""
    return len(targets) > 1 and len(set(targets)) > 1 and len(set(texts)) == 1


def constant_baseline(targets: list[str]) -> tuple[float, str]:
    """The lowest CER the parent finds for one text answered for every target, and that text.

    Candidates: no text; every target itself (one of them is the medoid); the most common
    characters and words repeated to lengths up to the longest target. A student's constant can
    only be as good as these by luck; credit starts below the best of them.
    """
    letters = collections.Counter("".join(targets).replace(" ", "").replace("\n", ""))
    words = collections.Counter(word for target in targets for word in target.split())
    longest = max((len(t) for t in targets), default=0)
    candidates = {""} | set(targets)
    for unit in [c for c, _ in letters.most_common(3)] + [w + " " for w, _ in words.most_common(3)]:
        most = max(longest // max(len(unit), 1), 1)
        for repeat in sorted({max(1, round(most * k / MAX_REPEATS)) for k in range(1, MAX_REPEATS + 1)}):
            candidates.add((unit * repeat).strip())
    scored = [(character_error_rate([c] * len(targets), targets), c) for c in sorted(candidates)]
    return min(scored)


def credit(cer: float, baseline: float, target: float) -> tuple[float, float]:
    """(fraction of the points, the CER that earns nothing): full marks at `target` or below,
    nothing from the constant answer's CER (kept a little above `target`), linear between."""
    zero = max(baseline, target + 0.05)
    return min(max((zero - cer) / (zero - target), 0.0), 1.0), zero
