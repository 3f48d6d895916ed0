"""The drift check (Lab 7's exercise) on synthetic features: numpy/scipy expectations, no model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from text_recognizer.monitoring import drift


def features(rng: np.random.Generator, n: int, shift: float = 0.0, scale: float = 1.0) -> dict[str, np.ndarray]:
    return {"brightness": rng.normal(0.2 + shift, 0.05 * scale, n), "width": rng.choice([896.0, 900.0], n),
            "confidence": rng.beta(2, 5, n)}


def test_values_match_scipy_and_the_psi_formula():
    rng = np.random.default_rng(1)
    reference, window = features(rng, 800), features(rng, 120, shift=0.03)
    report = drift.detect_drift(reference, window)
    assert list(report.features) == list(reference), "one verdict per reference feature, in the reference's order"
    for name, verdict in report.features.items():
        test = stats.ks_2samp(reference[name], window[name])
        edges = np.unique(np.quantile(reference[name], np.linspace(0, 1, 11)[1:-1]))
        r = np.clip(np.bincount(np.searchsorted(edges, reference[name], side="right"), minlength=len(edges) + 1)
                    / len(reference[name]), 1e-4, None)
        w = np.clip(np.bincount(np.searchsorted(edges, window[name], side="right"), minlength=len(edges) + 1)
                    / len(window[name]), 1e-4, None)
        assert verdict.statistic == pytest.approx(test.statistic), f"{name}: not the two-sample KS statistic"
        assert verdict.p_value == pytest.approx(test.pvalue, rel=1e-6), f"{name}: not the two-sample KS p-value"
        assert verdict.psi == pytest.approx(float(np.sum((w - r) * np.log(w / r))), rel=1e-9), (
            f"{name}: PSI {verdict.psi}, expected the module docstring's formula over the reference's deciles "
            "(psi_edges) with shares from bin_shares")
    assert report.window_size == 120, f"window_size is the number of requests in the window, got {report.window_size}"
    assert report.score == pytest.approx(max(v.psi for v in report.features.values())), "score: the largest PSI"


def test_a_shifted_feature_drifts_and_the_others_do_not():
    rng = np.random.default_rng(2)
    report = drift.detect_drift(features(rng, 1000), features(rng, 150, shift=0.1))
    assert report.drifted == ["brightness"] and report.alert, f"only brightness moved, drifted: {report.drifted}"
    assert report.features["brightness"].psi > drift.PSI_THRESHOLD, (
        "a shift of two standard deviations gives a large PSI")
    assert report.features["brightness"].p_value < drift.ALPHA / 3, (
        "and a test that rejects at ALPHA / number of features")


def test_windows_of_the_same_distribution_rarely_alert():
    rng = np.random.default_rng(3)
    reference = features(rng, 1000)
    alerts = sum(drift.detect_drift(reference, features(rng, 100)).alert for _ in range(200))
    assert alerts <= 2, f"{alerts} of 200 same-distribution windows alerted"


def test_both_checks_must_agree():
    rng = np.random.default_rng(4)
    reference = {"x": rng.normal(0, 1, 2000)}
    # A tiny shift in a huge window: significant, but the PSI says it does not matter.
    small = drift.detect_drift(reference, {"x": rng.normal(0.2, 1, 20000)})
    assert small.features["x"].p_value < 1e-6 and not small.features["x"].drifted, (
        f"significant (p {small.features['x'].p_value:.1e}) but PSI {small.features['x'].psi:.3f} is small: "
        "a feature drifts only when both checks agree")
    assert drift.detect_drift(reference, {"x": rng.normal(3, 1, 100)}).drifted == ["x"], "a 3-sigma shift drifts"


def test_nans_are_dropped_and_bad_windows_refused():
    rng = np.random.default_rng(5)
    reference = {"confidence": rng.beta(2, 5, 500)}
    window = rng.beta(2, 5, 100)
    window[:10] = np.nan
    verdict = drift.detect_drift(reference, {"confidence": window}).features["confidence"]
    assert np.isfinite(verdict.psi) and np.isfinite(verdict.p_value), "NaN values are dropped before both checks"
    with pytest.raises(ValueError, match="confidence"):
        drift.detect_drift(reference, {"brightness": window})
    with pytest.raises(ValueError, match="confidence"):
        drift.detect_drift(reference, {"confidence": np.array([np.nan])})


def test_report_as_json_is_plain_data():
    rng = np.random.default_rng(6)
    data = drift.drift_report_json(features(rng, 300), features(rng, 60, shift=0.2))
    assert data["alert"] is True and data["drifted"] == ["brightness"], data["drifted"]
    assert set(data["features"]["width"]) == {"statistic", "p_value", "psi", "drifted"}
