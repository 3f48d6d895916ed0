"""Lab 7's hidden suite: the Lambda handler on hidden API Gateway events, the drift check on hidden windows.

The handler runs in the sandbox through the grader's `lambda_function` recipe
(`sandbox/observers.py`): `handler(event, context)` as Lambda calls it, and the same request
through the handler's own Flask app (`application()`) with Flask's test client. The drift check
runs through the `drift_check` recipe. The parent builds every input and decides every score.

| test | points | how it is checked (in the parent, from plain data) |
|---|---|---|
| handler: HTTP API (payload 2.0) events | 15 | 4 hidden lines: 200, the Flask app's JSON, CER < 0.35 |
| handler: REST API (payload 1.0) events | 10 | 3 hidden lines, `queryStringParameters` |
| handler: JSON bodies sent as plain text | 10 | v1 and v2, base64 and a data URL |
| handler: query parameters | 5 | `kind=line` -> 200; unknown kinds -> 400 |
| handler: GET /health, the web page, ... | 10 | /health, 404, 405 as Flask answers; `/` as text |
| handler: bad requests answer the API's errors | 10 | no / null body, not an image, text/csv, JSON |
| handler: broken events answer HTTP errors | 10 | 7 broken events: 400 `invalid_event` / `_base64` |
| drift: KS statistic, p-value and PSI | 15 | 9 hidden windows vs the reference implementation |
| drift: drifted windows flagged | 15 | 6 drifts: exactly the reference's features |
| drift: reference-like windows do not alert | 10 | 4 held-out windows (2 drifted ones beside them) |
| drift: score, window size and thresholds | 5 | largest PSI, NaN requests, looser thresholds |
| drift: constant features, empty windows | 10 | constant features; ValueErrors naming the feature |
| alarm: fires on drift, quiet otherwise | 10 | `osls package` in the sandbox; DriftScoreAlarm replayed on 7 hidden series of 5-minute periods |
| alarm: the monitor's metric, the topic notified | 5 | namespace, `service` dimension, threshold 0.5, AlertTopic |
| Notebook cells (nbgrader) | 6 | when the submission has `notebooks/lab7.ipynb` |

The alarm is packaged by the grader's `package_service` in a fresh runner (no student code
imported yet): `osls package`, offline, on the submission's serverless.yml; the template's alarms
come back as data and `alarm_replay.py` replays the DriftScore alarm here.

The hidden inputs (`hidden_set.py`, in `<state>/lab7/`, so that a Gradescope zip carries them):
12 of Lab 3's hidden lines (built with the secret seed; their images go into the sandbox inside
events, their texts never do) and the deployed model's reference profile, from which
`drift_cases.py` draws the drift windows with the secret seed. No leaderboard.
"""

TITLE = "Lab 7: serverless deployment and monitoring"
