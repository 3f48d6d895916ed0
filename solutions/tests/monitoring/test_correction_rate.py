"""The correction rate, from the service's request log: corrections accepted per line read."""

import json

from text_recognizer.monitoring.corrections import correction_rate


def log_line(path, status, **facts):
    return json.dumps({"event": "request", "method": "POST", "path": path, "status": status, **facts})


def test_corrections_per_line_read_counting_only_answered_reads_and_accepted_corrections():
    log = [log_line("/v1/predict", 200, lines=3), log_line("/v1/predict", 200, lines=1),
           log_line("/v1/predict", 422, error="not_an_image"), log_line("/v1/corrections", 201),
           log_line("/v1/corrections", 400, error="invalid_correction"), "[INFO] Booting worker with pid: 7",
           json.dumps(["not", "a", "record"]), log_line("/health", 200)]
    assert correction_rate(log) == {"lines_read": 4, "corrections": 1, "correction_rate": 0.25}


def test_no_reads_no_rate():
    assert correction_rate([])["correction_rate"] is None
