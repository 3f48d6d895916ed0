"""Lab 6's hidden suite: the `POST /v1/predict` route, driven through Flask's test client, and
the file exercises (the API Dockerfile's dependencies stage, the CI's lint job).

Inside the sandbox, the grader's `api_client` recipe (`sandbox/observers.py`) builds the
student's app once (`text_recognizer.api.app:create_app`) and sends it the parent's requests;
the `http_response` observer reports status, headers and JSON. The parent decides every score.

| test | points | how it is checked (in the parent, from plain data) |
|---|---|---|
| predict: raw image body | 15 | hidden lines as PNG bodies: 200, the answer's form, CER vs hidden texts |
| predict: multipart upload | 15 | the same as `image` form fields, with a `kind` field |
| predict: JSON base64 and data URL | 15 | the same as base64 and as data URLs |
| predict: kind | 10 | line -> "line"; unknown -> 400; page -> 501 (200 with a page predictor); only beside 2 hidden lines read right |
| predict: bad input | 25 | 8 bad requests (empty, not an image, truncated, bomb, JSON, base64, type), only beside 2 hidden lines read right |
| predict: still answers after bad input | 10 | a hidden line after every bad request is still read |
| predict: timing and provenance | 10 | `time_ms` >= `predict_ms` > 0, `model` named, `image` size, on 2 hidden lines read right |
| image: the dependencies stage | 10 | hadolint passes; `dependencies` before `service`, same base image, copies only requirements.txt, installs it into /opt/venv |
| CI: the lint job | 10 | CircleCI's schema passes; `lint` on the `python` executor, checked out, one step per linter on the right files, the lock's versions, still required |
| Notebook: test-predict-route (nbgrader) | 3 | when the submission has `notebooks/lab6.ipynb` |

The two file exercises are checked by the grader's `lint_service_files` in a fresh runner (no
student code imported yet): hadolint and check-jsonschema run in the sandbox, on the
submission's `text_recognizer/api/Dockerfile` and `.circleci/config.yml`, which come back as data.

The hidden lines are Lab 3's (`suites/lab3/hidden_set.py`, built with the secret seed): their
images go into the sandbox, their texts never do. No leaderboard: Lab 6 deploys no model of its own.
"""

TITLE = "Lab 6: the prediction service"
