"""The prediction service (Lab 6): a Flask web API and web page around the deployed predictors.

    from text_recognizer.api.app import create_app   # serves predictors/recognizer.py's Recognizer
    app = create_app()                    # loads the predictors once, then serves requests
    app.test_client().get("/health")      # or: gunicorn -c text_recognizer/api/gunicorn.conf.py

Modules, one job each:

| module | what it does |
|---|---|
| `app.py` | the application factory and its routes (`/`, `/health`, `/openapi.json`, `/v1/predict`) |
| `predict_route.py` | the body of `POST /v1/predict` (the Lab 6 exercise) |
| `decoding.py` | request -> image bytes: multipart upload, raw body, JSON with base64 or a data URL |
| `errors.py` | `ApiError`, the JSON error body every failure answers, the recognizer's errors as 422/501 |
| `request_log.py` | one structured JSON log line per request (Lab 7 monitors these) |

How fast it answers is measured by `reports/api_speed.py` (`make benchmark-api`).
"""
