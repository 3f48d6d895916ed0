"""Lab 7: watching the deployed recognizer - per-request features, CloudWatch metrics (EMF),
a reference profile, drift checks over sliding windows, alerts and a dashboard.

| module | what it holds |
|---|---|
| `features.py` | the features of one request (brightness, contrast, size, lines, text, confidence, latency) |
| `metrics.py` | one CloudWatch Embedded Metric Format line per request |
| `profile.py` | the reference profile of the features on validation data, beside the deployed weights |
| `drift.py` | the exercise: is a window of requests drifted from the reference? |
| `streams.py` | request streams: in-distribution and six kinds of drift |
| `monitor.py` | replay a stream through sliding windows, raise alerts, draw the dashboard |
| `dashboard.py` | the HTML page of metrics, drift scores and alerts (`GET /monitoring` of the API) |
| `service.py` | what the API adds from Lab 7 on: metrics per request, the live dashboard |
| `evaluate_drift.py` | false alarms and detection delays on every stream (`reports/lab7_drift.json`) |
"""
