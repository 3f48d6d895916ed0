"""The prediction service (Lab 6): a Flask web API and web page around the deployed predictors.

    from text_recognizer.api.app import create_app
    app = create_app()                    # loads the predictors once, then serves requests
    app.test_client().get("/health")      # or: gunicorn -c text_recognizer/api/gunicorn.conf.py

Modules, one job each:

| module | what it does |
|---|---|
| `app.py` | the application factory and its routes (`/`, `/health`, `/openapi.json`, `/v1/predict`) |
| `predict_route.py` | the body of `POST /v1/predict` (the Lab 6 exercise) |
| `decoding.py` | request -> image bytes: multipart upload, raw body, JSON with base64 or a data URL |
| `errors.py` | `ApiError` and the JSON error body every failure answers |
| `recognition.py` | `Recognizer`: the predictors behind the API, image -> text, line boxes, confidences |
| `line_fitting.py` | a photo of one line -> the line image the line model reads, and where its ink is |
| `request_log.py` | one structured JSON log line per request (Lab 7 monitors these) |
| `benchmark.py` | latency and throughput against gunicorn on loopback vs the in-process predictor |
"""
