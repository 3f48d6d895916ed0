"""Every route of the API through Flask's test client: the page, health, OpenAPI, predictions.

`POST /v1/predict` is Lab 6's exercise (`text_recognizer/api/predict_route.py`): these tests
fail until it reads the three ways of sending an image and answers the JSON of the OpenAPI
description.
"""

from __future__ import annotations

import base64
import io
import json

import jsonschema
import numpy as np
import pytest
from api_inputs import LINES_DIR, line_labels, photo_of_line, png_bytes

from text_recognizer.api.app import OPENAPI_PATH
from text_recognizer.models.metrics import character_error_rate

pytestmark = pytest.mark.xdist_group("lab6_app")  # the app (Keras and the model) loads once per session

SPEC = json.loads(OPENAPI_PATH.read_text())
FIRST_LINE = sorted(line_labels())[0]


def schema_of(name: str) -> dict:
    """A component schema of the OpenAPI description, with its references resolvable."""
    return {"$ref": f"#/components/schemas/{name}", "components": SPEC["components"]}


def check_prediction(answer: dict) -> None:
    jsonschema.validate(answer, schema_of("Prediction"))


def line_bytes(name: str = FIRST_LINE) -> bytes:
    return (LINES_DIR / name).read_bytes()


def test_index_page_has_the_upload_form_and_its_script(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'type="file"' in page and 'id="canvas"' in page and "/static/app.js" in page
    script = client.get("/static/app.js")
    assert script.status_code == 200 and "/v1/predict" in script.get_data(as_text=True)


def test_health_answers_ok_with_the_models_loaded(client):
    response = client.get("/health")
    assert response.status_code == 200
    jsonschema.validate(response.json, schema_of("Health"))
    assert response.json["status"] == "ok" and response.json["models"]["line"]


def test_openapi_description_is_served_and_names_every_route(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.") and {"/health", "/v1/predict"} <= set(spec["paths"])
    documented = set(spec["paths"]["/v1/predict"]["post"]["requestBody"]["content"])
    assert {"multipart/form-data", "application/json", "image/png"} <= documented


def test_predict_reads_a_raw_png_body(client):
    response = client.post("/v1/predict", data=line_bytes(), content_type="image/png")
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.json
    check_prediction(answer)
    assert answer["kind"] == "line" and len(answer["lines"]) == 1
    assert character_error_rate([answer["text"]], [line_labels()[FIRST_LINE]]) < 0.3
    assert answer["image"] == {"width": 896, "height": 28}
    box = answer["lines"][0]["box"]
    assert 0 <= box["x"] < 896 and box["width"] > 100 and box["y"] + box["height"] <= 28


def test_predict_reads_a_multipart_upload_with_its_kind(client):
    data = {"image": (io.BytesIO(line_bytes()), "line.png"), "kind": "line"}
    response = client.post("/v1/predict", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    check_prediction(response.json)
    assert response.json["kind"] == "line", "the form's kind field asks for a line: read the kind from the form too"


@pytest.mark.parametrize("as_data_url", [False, True], ids=["base64", "data-url"])
def test_predict_reads_json_with_a_base64_image(client, as_data_url):
    encoded = base64.b64encode(line_bytes()).decode()
    image = f"data:image/png;base64,{encoded}" if as_data_url else encoded
    response = client.post("/v1/predict", json={"image": image, "kind": "auto"})
    assert response.status_code == 200, response.get_data(as_text=True)
    check_prediction(response.json)


def test_the_three_ways_of_sending_read_the_same_text(client):
    raw = client.post("/v1/predict", data=line_bytes(), content_type="image/png").json
    form = client.post("/v1/predict", data={"image": (io.BytesIO(line_bytes()), "l.png")},
                       content_type="multipart/form-data").json
    js = client.post("/v1/predict", json={"image": base64.b64encode(line_bytes()).decode()}).json
    texts = {"raw body": raw.get("text"), "multipart": form.get("text"), "JSON": js.get("text")}
    assert len(set(texts.values())) == 1 and raw["text"], f"the same image sent three ways must read the same: {texts}"


def test_predict_reads_a_photo_of_a_line_dark_on_light_with_margins(client):
    name = sorted(line_labels())[1]
    photo = photo_of_line(name)
    response = client.post("/v1/predict?kind=line", data=png_bytes(photo), content_type="image/png")
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.json
    assert answer["image"] == {"width": photo.shape[1], "height": photo.shape[0]}
    box = answer["lines"][0]["box"]
    # The box is around the ink (the dark pixels), in the photo's own pixels, not around the margins.
    rows, cols = np.flatnonzero((photo < 128).any(axis=1)), np.flatnonzero((photo < 128).any(axis=0))
    expected = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
    found = (box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"])
    assert all(abs(int(a) - int(b)) <= 6 for a, b in zip(found, expected, strict=True)), (found, expected)
    assert character_error_rate([answer["text"]], [line_labels()[name]]) < 0.5


def test_predict_answers_model_provenance_and_timing(client):
    answer = client.post("/v1/predict", data=line_bytes(), content_type="image/png").json
    model = answer["model"]
    assert model["name"] == "line_model_ctc_line_lstm_ctc" and len(model["weights_sha256"]) == 64
    assert answer["time_ms"] >= answer["predict_ms"] > 0, (
        f"time_ms ({answer.get('time_ms')}) is the whole route's time, so at least the prediction's "
        f"predict_ms ({answer.get('predict_ms')})")


def test_a_blank_image_reads_as_empty_text_not_an_error(client):
    response = client.post("/v1/predict", data=png_bytes(np.full((60, 400), 250, np.uint8)), content_type="image/png")
    assert response.status_code == 200
    assert response.json["text"].strip() == "" or response.json["confidence"] < 0.5


def test_page_requests_use_the_page_predictor_or_say_it_is_missing(client, app):
    from text_recognizer.api.app import recognizer_of

    response = client.post("/v1/predict?kind=page", data=line_bytes(), content_type="image/png")
    if recognizer_of(app).reads_pages:
        assert response.status_code == 200 and response.json["kind"] == "page"
    else:
        assert response.status_code == 501
        assert response.json["error"]["code"] == "page_reading_unavailable"
        assert "kind=line" in response.json["error"]["message"]
