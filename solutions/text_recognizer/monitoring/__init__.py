"""Lab 7: watching the deployed recognizer - per-request features, a reference profile,
drift checks over sliding windows, and alerts.

| module | what it holds |
|---|---|
| `features.py` | the features of one request (brightness, contrast, size, lines, text, confidence, latency) |
| `cloudwatch_metrics.py` | the CloudWatch metrics (EMF) the API and the Lambda function write for every request |
| `profile.py` | the reference profile of the features on validation data, beside the deployed weights |
| `drift.py` | the exercise: is a window of requests drifted from the reference? |
| `streams.py` | request streams: in-distribution and six kinds of drift |
| `monitor.py` | replay a stream through sliding windows, raise alerts |
| `dashboard.py` | draw a monitor run as an HTML page (metrics, drift scores, alerts), served at `/monitoring` |
| `calibrate_confidence.py` | the line confidence calibrated on validation lines; the low-confidence alarm's threshold |
| `corrections.py` | the correction rate: users' corrections per line read, from the request log |

How well the alarm works (false alarms, detection delay on every stream) is measured by
`reports/drift_alarm.py` (`make evaluate-lab7-drift`).
"""
