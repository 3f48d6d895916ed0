"""Calibrating the line confidence: expected calibration error, the isotonic fit, the alarm's windows."""

import numpy as np
import pytest

from text_recognizer.monitoring.calibrate_confidence import (
    expected_calibration_error,
    fit_calibration,
    line_accuracy,
    reliability,
    window_means,
)


def overconfident(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw confidences and accuracies of a reader that is right about conf**3 of the time."""
    rng = np.random.default_rng(seed)
    confidence = rng.uniform(0.2, 1.0, count)
    return confidence, np.clip(confidence**3 + rng.normal(0, 0.05, count), 0, 1)


def test_line_accuracy_is_one_minus_the_line_cer_at_least_zero():
    assert line_accuracy("hello", "hello") == 1.0
    assert line_accuracy("hallo", "hello") == pytest.approx(0.8)
    assert line_accuracy("something else entirely", "hi") == 0.0
    assert line_accuracy("", "") == 1.0


def test_ece_is_zero_when_confidence_matches_accuracy_and_counts_every_bin():
    confidence = np.array([0.15, 0.15, 0.85, 0.85])
    assert expected_calibration_error(confidence, confidence) == pytest.approx(0.0)
    # Half the lines 0.1 too confident, half 0.3 too confident: 0.2 on average.
    assert expected_calibration_error(confidence, confidence - [0.1, 0.1, 0.3, 0.3]) == pytest.approx(0.2)
    assert [b["lines"] for b in reliability(confidence, confidence)] == [2, 2]


def test_isotonic_calibration_fitted_on_one_half_is_calibrated_on_the_other():
    fit_confidence, fit_accuracy = overconfident(400, 0)
    confidence, accuracy = overconfident(400, 1)
    calibration = fit_calibration(fit_confidence, fit_accuracy)
    calibrated = [calibration(c) for c in confidence]
    before = expected_calibration_error(confidence, accuracy)
    after = expected_calibration_error(calibrated, accuracy)
    assert before > 0.15 and after < 0.05
    assert np.all(np.diff([calibration(c) for c in np.linspace(0, 1, 50)]) >= 0)  # monotone


def test_window_means_of_normal_traffic_vary_less_than_single_requests():
    values = np.random.default_rng(0).uniform(0, 1, 1000)
    means = window_means(values, 100, 2000)
    assert means.shape == (2000,) and means.std() < values.std() / 5


@pytest.mark.parametrize(("predictor", "strategy"), [("line_predictor.LinePredictor", "greedy"), (
    "handwriting_line_predictor.HandwritingLinePredictor", "language_model")])
def test_the_deployed_weights_have_a_calibration_fitted_for_them(predictor, strategy):
    # A promoted model must be recalibrated (`make calibrate-lab7-confidence`): else its confidence is raw.
    import importlib

    from text_recognizer.models.confidence import load_calibration

    module, name = predictor.rsplit(".", 1)
    config = getattr(importlib.import_module(f"text_recognizer.predictors.{module}"), name).default_config
    assert load_calibration(config, strategy).fitted
