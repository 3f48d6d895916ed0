"""The monitor's dashboard: drawn from a small run record (synthetic features, no model)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from text_recognizer.monitoring import dashboard, monitor, streams
from text_recognizer.monitoring.features import DRIFT_FEATURES, FEATURES


def small_run_record(length: int = 300, onset: int = 150) -> dict:
    """A blur-like run: brightness and contrast fall at `onset`; the reference is the normal pool."""
    rng = np.random.default_rng(0)
    normal = {name: rng.normal(10.0, 1.0, 400) for name in FEATURES}
    blurred = {name: values.copy() for name, values in normal.items()}
    blurred["brightness"] = normal["brightness"] - 3.0
    blurred["contrast"] = normal["contrast"] * 0.5
    reference = {name: rng.normal(10.0, 1.0, 400) for name in DRIFT_FEATURES}
    stream = streams.replay({"in_distribution": normal, "blur": blurred}, "blur", length, onset)
    profile = {"model": {"name": "line_model_ctc_line_lstm_ctc"}, "data": "synthetic reference", "count": 400}
    return monitor.run_record(stream, monitor.check_windows(reference, stream.columns), profile)


@pytest.fixture(scope="module")
def record() -> dict:
    return small_run_record()


def test_the_page_draws_metrics_drift_scores_and_alerts(record):
    page = dashboard.dashboard_html(record)
    assert page.startswith("<!doctype html>") and "<title>Monitoring: blur</title>" in page
    assert page.count("<svg") == 1 and "<script" not in page and "http" not in page.split("<svg")[0]
    for title in ("Latency", "Confidence", "Text length", "Errors: failed requests per window",
                  "Drift score: population-stability index", "Kolmogorov-Smirnov statistic"):
        assert title in page, title
    alerts = sum(check["alert"] for check in record["checks"])
    assert alerts > 0 and f'data-alerts="{alerts}"' in page
    assert page.count('id="alert-mark') >= alerts and 'id="drift-onset' in page
    assert "line_model_ctc_line_lstm_ctc: synthetic reference" in page
    assert "brightness" in page.split('id="alerts"')[1]  # the alert table names the drifted feature


def test_window_statistics_count_failed_requests():
    values = [1.0, np.nan, 3.0, np.nan, 5.0, 7.0]
    stats = dashboard.window_statistics(values, [3, 6], window=3)
    assert stats["mean"].tolist() == [2.0, 6.0] and stats["missing"].tolist() == [1, 1]


def test_the_monitor_writes_the_dashboard_beside_the_record(record, tmp_path):
    written = monitor.write_run(record, tmp_path)
    assert json.loads(written["record"].read_text())["summary"]["stream"] == "blur"
    assert written["dashboard"] == tmp_path / "blur.html" and "<svg" in written["dashboard"].read_text()
    assert dashboard.latest_dashboard(tmp_path) == written["dashboard"]
    assert "dashboard" not in monitor.write_run(record, tmp_path / "bare", dashboard=False)
    assert dashboard.latest_dashboard(tmp_path / "bare") is None
    with pytest.raises(ValueError, match="at least 100 requests"):
        dashboard.dashboard_html({**record, "checks": []})


def test_the_page_reports_the_correction_rate_beside_the_drift(record):
    from text_recognizer.monitoring.corrections import correction_rate

    log = [json.dumps({"event": "request", "path": "/v1/predict", "status": 200, "lines": 1})] * 8 + [
        json.dumps({"event": "request", "path": "/v1/corrections", "status": 201})]
    page = dashboard.dashboard_html({**record, "corrections": correction_rate(log)})
    assert "correction rate" in page and "12.5%: 1 of 8 lines" in page
    assert "correction rate" not in dashboard.dashboard_html(record)  # no request log given: no row


def test_the_page_lays_out_at_a_phones_width(record, tmp_path):
    for page in (dashboard.dashboard_html(record), dashboard.missing_dashboard_html(tmp_path)):
        assert '<meta name="viewport" content="width=device-width' in page  # else phones render 980 px wide
