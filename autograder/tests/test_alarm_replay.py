"""Lab 7's alarm replay: the course's DriftScoreAlarm passes every hidden series, and each way of
getting the contract wrong fails at least one (no sandbox, no osls: the replay alone)."""

from __future__ import annotations

import pytest
import yaml

from autograder.paths import SOLUTIONS_DIR
from autograder.suites.lab7.alarm_replay import in_alarm
from autograder.suites.lab7.test_drift_alarm import cases


@pytest.fixture(scope="module")
def reference() -> dict:
    text = (SOLUTIONS_DIR / "serverless.yml").read_text()
    return yaml.safe_load(text)["resources"]["Resources"]["DriftScoreAlarm"]["Properties"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_reference_alarm_answers_every_series(reference, seed):
    for what, periods, expected in cases(seed):
        assert in_alarm(reference, periods) is expected, what


@pytest.mark.parametrize("change", [
    {"Statistic": "Average"},  # one drifted window is averaged away
    {"DatapointsToAlarm": None},  # 3 of 3: two drifted periods do not alarm
    {"TreatMissingData": "breaching"},  # no traffic alarms
    {"TreatMissingData": None},  # old drifted periods still count after traffic stops
    {"Threshold": 0.4},
    {"Threshold": 0.6},
    {"EvaluationPeriods": 1, "DatapointsToAlarm": 1},
], ids=str)
def test_each_wrong_alarm_misses_a_series(reference, change):
    wrong = {k: v for k, v in {**reference, **change}.items() if v is not None}
    assert any(in_alarm(wrong, periods) is not expected for _, periods, expected in cases(7))
