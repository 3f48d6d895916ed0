"""Hidden drift cases: windows of request features, drawn with the installation's secret seed.

The reference is a hidden subset of the deployed model's reference profile (the features of
1,000 validation lines read by the deployed line model, `text_recognizer/weights/*_profile.json`);
the profile's other rows are the pool that reference-like windows are drawn from. Drifted windows
are reference-like windows changed the way each of Lab 7's drifts changes the features (inverted
ink: brightness; blur: contrast; a rotated page: width and height; another language: the share of
common words; a weaker model or worse photos: confidence; photographed paper: brightness and
contrast). Every expectation comes from the course's reference `detect_drift` in this process;
a case is used only when the reference gives the verdict it was drawn for, so every hidden seed
gives the same kinds of cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.suites.reference import reference_module

REFERENCE_ROWS = 600
WINDOW = 100
REFERENCE_LIKE = 4


@dataclass(frozen=True)
class DriftCase:
    """A window to check against `reference`, what it is, and the reference implementation's report."""

    what: str
    reference: dict[str, np.ndarray]
    window: dict[str, np.ndarray]
    options: dict[str, Any] = field(default_factory=dict)
    intended: tuple[str, ...] | None = None  # the features the case was drawn to drift

    def request(self) -> dict[str, Any]:
        """The case as the sandbox's `drift_check` recipe takes it (plain data and arrays)."""
        return {"reference": self.reference, "window": self.window, "options": self.options}

    def expected(self) -> dict[str, Any]:
        """The reference implementation's report, as plain data."""
        return reference_module("text_recognizer.monitoring.drift").drift_report_json(
            self.reference, self.window, **self.options)


DRIFTS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, np.ndarray], np.random.Generator], None]]] = {
    "inverted ink (dark ink on light paper)": (
        ("brightness",), lambda w, rng: w.update(brightness=1.0 - w["brightness"])),
    "an out-of-focus photo (lower contrast)": (
        ("contrast",), lambda w, rng: w.update(contrast=w["contrast"] * rng.uniform(0.45, 0.6))),
    "a page photographed sideways (28 wide, 896 high)": (
        ("width",), lambda w, rng: w.update(width=np.full_like(w["width"], 28.0),
                                            height=np.full_like(w["height"], 896.0))),
    "another language (few common English words)": (
        ("common_words",), lambda w, rng: w.update(common_words=rng.beta(1.0, 9.0, len(w["common_words"])))),
    "answers the model is unsure of (low confidence)": (
        ("confidence",), lambda w, rng: w.update(confidence=w["confidence"] * rng.uniform(0.02, 0.08))),
    "a phone photo of paper (grey, low contrast)": (
        ("brightness", "contrast"), lambda w, rng: w.update(brightness=rng.normal(0.55, 0.05, len(w["brightness"])),
                                                            contrast=rng.normal(0.06, 0.01, len(w["contrast"])))),
}


def build(seed: int, columns: dict[str, np.ndarray]) -> dict[str, list[DriftCase]]:
    """The hidden cases drawn from the profile's `columns` (feature -> values, `hidden_set.py`):
    "reference_like", "drifted", "values" (all of them and a NaN window), "options"."""
    rng = np.random.default_rng([seed, 7007])
    rows = rng.permutation(len(next(iter(columns.values()))))
    reference = {name: values[rows[:REFERENCE_ROWS]] for name, values in columns.items()}
    pool = {name: values[rows[REFERENCE_ROWS:]] for name, values in columns.items()}
    drift = reference_module("text_recognizer.monitoring.drift")

    def window_from_pool() -> dict[str, np.ndarray]:
        chosen = rng.choice(len(pool["brightness"]), size=WINDOW, replace=False)
        return {name: values[chosen].copy() for name, values in pool.items()}

    like: list[DriftCase] = []
    for _ in range(50 * REFERENCE_LIKE):  # the reference alarms on about 1 window in 100
        window = window_from_pool()
        if not drift.detect_drift(reference, window).alert:
            like.append(DriftCase(f"reference-like window {len(like) + 1}", reference, window, intended=()))
        if len(like) == REFERENCE_LIKE:
            break
    drifted: list[DriftCase] = []
    for what, (features, change) in DRIFTS.items():
        for _ in range(20):
            window = window_from_pool()
            change(window, rng)
            if tuple(drift.detect_drift(reference, window).drifted) == features:
                drifted.append(DriftCase(what, reference, window, intended=features))
                break
    with_nans = window_from_pool()
    with_nans["confidence"][rng.choice(WINDOW, size=12, replace=False)] = np.nan  # requests that failed
    loose = {"alpha": 0.05, "psi_threshold": 0.1, "bins": 5}
    options: list[DriftCase] = []
    for _ in range(20):  # a shift that only the looser thresholds call drift
        shifted = window_from_pool()
        shifted["brightness"] = shifted["brightness"] + 0.5 * float(np.std(reference["brightness"]))
        if not drift.detect_drift(reference, shifted).alert and drift.detect_drift(reference, shifted, **loose).alert:
            options = [DriftCase("a small brightness shift, default thresholds", reference, shifted, intended=()),
                       DriftCase("the same window with alpha=0.05, psi_threshold=0.1, bins=5", reference, shifted,
                                 loose, intended=("brightness",))]
            break
    nan_case = DriftCase("a window with failed requests (NaN confidence)", reference, with_nans)
    return {"reference_like": like, "drifted": drifted, "values": [*like[:2], *drifted, nan_case],
            "options": options}
