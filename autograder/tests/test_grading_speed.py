"""The grading profile the benchmark prints: each second attributed once, to the right part."""

from __future__ import annotations

import pytest

from autograder.grading_speed import grading_profile


def test_a_profile_splits_a_grading_into_start_notebook_tests_and_grader_side():
    def call(target, test, seconds):
        return {"target": target, "test": test, "seconds": seconds, "at": 0.0, "status": "ok"}

    report = {"seconds": 30.0, "sandbox": {"starts": 1, "fresh_starts": 1, "calls": [
        call("grader:ready", "test_notebook_cell[test-mlp]", 8.0),
        call("grader:run_notebook", "test_notebook_cell[test-mlp]", 4.0),
        call("text_recognizer.networks.mlp:mlp", "test_returns_a_keras_model[A]", 1.0),
        call("text_recognizer.networks.mlp:mlp", "test_returns_a_keras_model[B]", 0.5),
        call("predictor", "test_hidden_set_accuracy", 6.0),
    ]}}
    profile = grading_profile(report)
    assert profile["runner_starts"] == 2
    assert profile["runner_start_seconds"] == 8.0 and profile["notebook_seconds"] == 4.0
    assert profile["tests"] == {"test_hidden_set_accuracy": 6.0, "test_returns_a_keras_model": 1.5}
    assert list(profile["tests"]) == ["test_hidden_set_accuracy", "test_returns_a_keras_model"]  # slowest first
    assert profile["grader_side_seconds"] == pytest.approx(30.0 - 19.5)
