"""POST /v1/corrections end to end (test client, no network): read a line, correct it, find the
correction stored (crop file + SQLite row) and in the exported labels.tsv; bad input gets a 4xx
and loses nothing already stored. Also the docs page: Swagger UI served by the app, every route documented.
"""

from __future__ import annotations

import base64
import json

import jsonschema
import pytest
from api_inputs import LINES_DIR, line_labels
from PIL import Image

from text_recognizer.api.app import OPENAPI_PATH, corrections_store
from text_recognizer.corrections.export import export_labels

FIRST_LINE = sorted(line_labels())[0]


def crop_of(name: str) -> str:
    return "data:image/png;base64," + base64.b64encode((LINES_DIR / name).read_bytes()).decode()


def schema_of(name: str) -> dict:
    spec = json.loads(OPENAPI_PATH.read_text())
    return {**spec["components"]["schemas"][name], "components": spec["components"]}


def test_a_corrected_line_is_stored_with_reading_and_model_and_exported_as_labels(client, app, tmp_path):
    answer = client.post("/v1/predict", data=(LINES_DIR / FIRST_LINE).read_bytes(), content_type="image/png").json
    truth = line_labels()[FIRST_LINE]
    response = client.post("/v1/corrections", json={"image": crop_of(FIRST_LINE), "reading": answer["text"],
                                                    "correction": truth})
    assert response.status_code == 201, response.get_data(as_text=True)
    stored = response.json
    jsonschema.validate(stored, schema_of("StoredCorrection"))
    model = answer["model"]
    assert stored["model"] == f"{model['name']}@{model['weights_sha256'][:16]}"  # the model that read it
    assert stored["reading"] == answer["text"] and stored["correction"] == truth

    store = corrections_store(app)
    (record,) = [r for r in store.records() if r["id"] == stored["id"]]
    assert store.crop_path(record).read_bytes() == (LINES_DIR / FIRST_LINE).read_bytes()
    labels = export_labels(store.folder, tmp_path / "corrected")
    rows = [row.split("\t") for row in labels.read_text().splitlines()]
    assert [record["crop_name"], "line", "user", truth] in rows
    assert Image.open(tmp_path / "corrected" / record["crop_name"]).size == Image.open(LINES_DIR / FIRST_LINE).size


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    ("hello", "text/plain", 415, "unsupported_media_type"),
    ("{not json", "application/json", 400, "invalid_json"),
    (json.dumps({"correction": "no image"}), "application/json", 400, "missing_image"),
    (json.dumps({"image": "", "correction": "x"}), "application/json", 400, "invalid_correction"),
    (json.dumps({"image": "PLACEHOLDER", "correction": ""}), "application/json", 400, "invalid_correction"),
    (json.dumps({"image": "PLACEHOLDER", "correction": "a\tb"}), "application/json", 400, "invalid_correction"),
    (json.dumps({"image": "PLACEHOLDER", "correction": "x" * 400}), "application/json", 400, "invalid_correction"),
    (json.dumps({"image": "A" * 3_000_000, "correction": "x"}), "application/json", 413, "correction_too_large"),
    (json.dumps({"image": base64.b64encode(b"GIF89a not really").decode(), "correction": "x"}), "application/json",
     400, "invalid_correction"),
])
def test_bad_corrections_get_a_4xx_that_says_why_and_nothing_stored_is_lost(client, app, body, content_type,
                                                                            status, code):
    body = body.replace("PLACEHOLDER", crop_of(FIRST_LINE))
    kept = client.post("/v1/corrections", json={"image": crop_of(FIRST_LINE), "correction": "kept"}).json["id"]
    before = list(corrections_store(app).records())
    response = client.post("/v1/corrections", data=body, content_type=content_type)
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.json["error"]
    assert error["code"] == code and error["message"]
    assert list(corrections_store(app).records()) == before
    assert any(r["id"] == kept and r["correction"] == "kept" for r in before)


def test_the_docs_page_is_swagger_ui_served_by_the_service_itself(client):
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/docs/swagger-ui/swagger-ui-bundle.js" in html and "/static/docs.js" in html
    assert "http://" not in html and "https://" not in html  # no CDN
    script = client.get("/docs/swagger-ui/swagger-ui-bundle.js")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.get_data()
    assert client.get("/docs/swagger-ui/swagger-ui.css").status_code == 200
    assert b'url: "/openapi.json"' in client.get("/static/docs.js").get_data()


def test_every_route_of_the_app_is_documented(client, app):
    spec = client.get("/openapi.json").json
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue  # files (the page's script and style, Swagger UI's): not API operations
        path = rule.rule.replace("<", "{").replace(">", "}")
        assert path in spec["paths"], f"{rule.rule} is not in /openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec["paths"][path], f"{method} {rule.rule} is not documented"
