"""Features, streams, profile and monitor windows: small pools read by the deployed line model."""

from __future__ import annotations

import numpy as np
import pytest

from text_recognizer.monitoring import features, monitor, profile, streams


def test_image_and_answer_features():
    image = np.zeros((28, 896), np.uint8)
    image[:, :448] = 255
    shown = features.image_features(image)
    assert shown == pytest.approx({"brightness": 0.5, "contrast": 0.5, "width": 896, "height": 28})
    answer = {"text": "the cat\nsat on it", "lines": [{}, {}], "confidence": 0.7}
    got = features.request_features(image, answer, 0.012)
    assert got["line_count"] == 2 and got["text_length"] == 16 and got["confidence"] == 0.7
    assert got["common_words"] == pytest.approx(3 / 5) and got["latency_ms"] == pytest.approx(12.0)
    with pytest.raises(ValueError, match="2-D"):
        features.image_features(np.zeros((2, 2, 3), np.uint8))


@pytest.mark.parametrize("name", streams.STREAMS)
def test_every_stream_renders_requests(name):
    images = streams.render_stream(name, 3, seed=5)
    assert len(images) == 3 and all(i.dtype == np.uint8 and i.ndim == 2 for i in images)
    if name == "rotated":
        assert images[0].shape == (896, 28)


def test_replay_draws_from_the_pools_and_marks_the_drift():
    rng = np.random.default_rng(0)
    pools = {name: {f: rng.normal(i, 1, 50) for f in features.FEATURES}
             for i, name in enumerate(("in_distribution", "blur"))}
    stream = streams.replay(pools, "blur", 400, onset=150)
    assert len(stream) == 400 and stream.onset == 150 and stream.drifted.sum() == 250
    assert set(stream.columns["brightness"][150:]) <= set(pools["blur"]["brightness"])
    checks = monitor.check_windows({"brightness": rng.normal(0, 1, 500)}, stream.columns)
    summary = monitor.run_summary("blur", checks, stream.onset)
    assert summary["false_alarm_windows"] == 0 and summary["alert_rate_drifted"] == 1.0
    assert 0 < summary["requests_to_first_alert"] <= monitor.WINDOW
    with pytest.raises(ValueError, match="pool_features"):
        streams.replay(pools, "rotated", 10)


def test_profile_of_the_deployed_model_drives_the_check():
    recognizer = streams.line_recognizer()
    deployed = profile.deployed_profile(recognizer)
    assert deployed["count"] >= 500 and set(deployed["drift_features"]) == set(features.DRIFT_FEATURES)
    reference = profile.reference_columns(deployed)
    normal = streams.read_requests(streams.render_stream("in_distribution", 40, seed=9), recognizer)
    inverted = streams.read_requests(streams.render_stream("inverted_ink", 40, seed=9), recognizer)
    from text_recognizer.monitoring.drift import detect_drift

    assert not detect_drift(reference, normal).alert
    assert "brightness" in detect_drift(reference, inverted).drifted
