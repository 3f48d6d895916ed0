"""The drift evaluation on tiny synthetic pools (no model): its structure, and that it tells a
blatant drift from reference-like traffic."""

from __future__ import annotations

import json

import numpy as np

from text_recognizer.monitoring.features import DRIFT_FEATURES, FEATURES
from text_recognizer.reports import drift_alarm


def test_a_blatant_drift_alerts_soon_and_reference_like_traffic_does_not(tmp_path):
    rng = np.random.default_rng(0)
    reference = {name: rng.normal(0.0, 1.0, 500) for name in DRIFT_FEATURES}
    normal = {name: rng.normal(0.0, 1.0, 500) for name in FEATURES}
    inverted = {**normal, "brightness": rng.normal(6.0, 1.0, 500)}
    report = drift_alarm.evaluate(reference, {"in_distribution": normal, "inverted_ink": inverted},
                                     normal_length=600, drifted_length=300, onset=100, replays=3, seed=1,
                                     dashboards=tmp_path)
    json.dumps(report)  # plain data: it is written as the report
    quiet, drifted = report["streams"]["in_distribution"], report["streams"]["inverted_ink"]
    assert quiet["windows"] == 51 and quiet["alerting_windows"] == 0 and quiet["meets_target"]
    assert drifted["replays"] == 3 and drifted["detected_within_target"] == 3 and drifted["alert_rate"] == 1.0
    assert drifted["false_alarm_rate"] == 0.0 and drifted["drifted_features"] == {"brightness": 3 * 11}
    assert all(0 < delay <= 100 for delay in drifted["requests_to_first_alert"]["per_replay"])
    assert report["targets_met"] == {"false_alarms": True, "detection": True}
    assert {path.name for path in tmp_path.iterdir()} >= {"in_distribution.html", "inverted_ink.html"}
    printed = drift_alarm.table(report)
    assert "inverted_ink" in printed and "3/3" in printed and "MISSED" not in printed


def test_a_drift_the_check_cannot_see_misses_the_target():
    rng = np.random.default_rng(1)
    reference = {"brightness": rng.normal(0.0, 1.0, 500)}
    normal = {name: rng.normal(0.0, 1.0, 500) for name in FEATURES}
    report = drift_alarm.evaluate(reference, {"in_distribution": normal, "blur": dict(normal)},
                                     normal_length=200, drifted_length=300, onset=100, replays=2, seed=2)
    assert report["streams"]["blur"]["detected_replays"] == 0
    assert report["targets_met"]["detection"] is False and "MISSED" in drift_alarm.table(report)
