"""Has the data drifted? Compare a window of recent requests with the reference profile.

This is Lab 7's exercise (`detect_drift`). For every feature it runs two checks that answer
different questions:

- **a two-sample test** (Kolmogorov-Smirnov): could the window's values come from the same
  distribution as the reference's? Its p-value says how surprising the window is; with a big
  window even a harmless shift is "significant".
- **the population-stability index** (PSI): how far apart the two histograms are, whatever the
  window's size. Over the reference's deciles, `PSI = sum((w - r) * ln(w / r))` where `r` and `w`
  are the shares of the reference and of the window in each bin. Rules of thumb: below 0.1 no
  shift, 0.1-0.25 a moderate one, above 0.25 a large one.

A feature drifted when both agree: the test rejects (significant) and the PSI is large (it matters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

ALPHA = 0.001
"""Significance of one window's test over all features (Bonferroni: each feature gets ALPHA / n)."""
PSI_THRESHOLD = 0.5
"""Smallest PSI that counts as drift: twice the usual "large shift" (0.25), so that the natural wobble of
100-request windows (PSI up to about 0.8 with a significant test, 1 window in 100) rarely alarms."""
PSI_BINS = 10
"""The PSI's bins: the reference's deciles."""
PSI_FLOOR = 1e-4
"""Bin shares are clipped from below to this before the logarithm (an empty bin is not infinite drift)."""


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's verdict: KS statistic and p-value, PSI, and whether it drifted."""

    feature: str
    statistic: float
    p_value: float
    psi: float
    drifted: bool

    def as_json(self) -> dict[str, Any]:
        return {"statistic": float(self.statistic), "p_value": float(self.p_value), "psi": float(self.psi),
                "drifted": bool(self.drifted)}


@dataclass(frozen=True)
class DriftReport:
    """A window's verdict: each feature's checks, which features drifted, the drift score, the alert.

    `score` is the largest PSI over the features (the `DriftScore` metric): how far the window is
    from the reference, even when no feature crossed both thresholds.
    """

    features: dict[str, FeatureDrift]
    window_size: int
    drifted: list[str] = field(default_factory=list)
    score: float = 0.0

    @property
    def alert(self) -> bool:
        """Whether any feature drifted."""
        return bool(self.drifted)

    def as_json(self) -> dict[str, Any]:
        return {"alert": self.alert, "drifted": list(self.drifted), "score": float(self.score),
                "window_size": int(self.window_size),
                "features": {name: verdict.as_json() for name, verdict in self.features.items()}}


def psi_edges(reference: np.ndarray, bins: int = PSI_BINS) -> np.ndarray:
    """The inner bin edges of the PSI: the reference's quantiles, repeated ones merged.

    A value `x` falls in bin `np.searchsorted(edges, x, side="right")` (0 .. len(edges)). A feature
    that takes few values (a width, a line count) gets fewer bins: its repeated quantiles merge.
    """
    quantiles = np.quantile(np.asarray(reference, np.float64), np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(quantiles)


def bin_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The share of `values` in each of the `len(edges) + 1` bins of `psi_edges`, clipped at PSI_FLOOR."""
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return np.clip(counts / max(1, len(values)), PSI_FLOOR, None)


def detect_drift(reference: Mapping[str, Any], window: Mapping[str, Any], alpha: float = ALPHA,
                 psi_threshold: float = PSI_THRESHOLD, bins: int = PSI_BINS) -> DriftReport:
    """Compare each feature of `window` with the `reference`; which drifted, and by how much.

    Args:
        reference: feature name -> the reference's values of it (1-D, e.g.
            `profile.reference_columns(profile)`). Every feature named here is checked, in this order.
        window: feature name -> the values of the same feature in the window of recent requests.
        alpha: the significance over all features; each feature's test uses `alpha / len(reference)`.
        psi_threshold: the smallest PSI that counts as drift.
        bins: how many reference quantile bins the PSI uses (`psi_edges(ref, bins)`).

    The contract, for each feature (NaN values, e.g. the confidence of a failed request, are not
    values: they take part in neither check):

    - `statistic` and `p_value`: the two-sample Kolmogorov-Smirnov test of the window's values
      against the reference's (SciPy has it);
    - `psi`: the population-stability index of the module docstring, over the bins of
      `psi_edges(reference values, bins)`, with each side's shares from `bin_shares` (so an
      empty bin is not an infinite drift);
    - `drifted`: both checks agree, the test rejects at `alpha / len(reference)` and `psi` is at
      least `psi_threshold` (one test per feature: `ALPHA` says why `alpha` is divided).

    The report: one `FeatureDrift` per feature, in the reference's order; `window_size`, the
    number of requests in the window; `drifted`, the names that drifted, in the same order;
    `score`, the largest PSI (0.0 when there are no features).

    Example (the window's brightness moved by two standard deviations; the width never moves):

        >>> rng = np.random.default_rng(0)
        >>> reference = {"brightness": rng.normal(0.2, 0.05, 800), "width": np.full(800, 896.0)}
        >>> window = {"brightness": rng.normal(0.3, 0.05, 100), "width": np.full(100, 896.0)}
        >>> report = detect_drift(reference, window)
        >>> report.drifted, report.window_size, report.features["width"].psi, report.alert
        (['brightness'], 100, 0.0, True)

    Notebook: "Monitoring: has the data drifted?".

    Raises:
        ValueError: a feature of the reference is missing from the window, or has no value (after
            dropping NaNs) in the window or in the reference. Say which feature, and what to do.
    """
    raise NotImplementedError("Lab 7 exercise: implement detect_drift: Compare each feature of `window` with the `reference`; which drifted, and by how much. See notebooks/lab7.ipynb, section \"Monitoring: has the data drifted?\".")


def drift_report_json(reference: Mapping[str, Any], window: Mapping[str, Any], **options: Any) -> dict[str, Any]:
    """`detect_drift(...)` as plain JSON data (what the monitor writes and the grader reads)."""
    return detect_drift(reference, window, **options).as_json()
