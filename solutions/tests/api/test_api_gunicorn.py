"""The service as it is deployed: gunicorn with the repository's config, real HTTP on loopback."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from api_inputs import LINES_DIR, line_labels, photo_of_line, png_bytes

from text_recognizer.models.metrics import character_error_rate

pytestmark = pytest.mark.xdist_group("lab6_server")  # one gunicorn and one browser per test session


def post_line(url: str, name: str) -> requests.Response:
    with open(LINES_DIR / name, "rb") as file:
        return requests.post(f"{url}/v1/predict", files={"image": (name, file, "image/png")},
                             data={"kind": "line"}, timeout=60)


def test_gunicorn_reads_every_support_line_over_http(server):
    labels = line_labels()
    texts = []
    for name in sorted(labels):
        response = post_line(server.url, name)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/json"
        texts.append(response.json()["text"])
    assert character_error_rate(texts, [labels[name] for name in sorted(labels)]) < 0.2


def test_gunicorn_reads_raw_bodies_json_and_photos(server):
    name = sorted(line_labels())[2]
    raw = requests.post(f"{server.url}/v1/predict", data=(LINES_DIR / name).read_bytes(),
                        headers={"Content-Type": "image/png"}, timeout=60)
    encoded = base64.b64encode((LINES_DIR / name).read_bytes()).decode()
    as_json = requests.post(f"{server.url}/v1/predict", json={"image": f"data:image/png;base64,{encoded}"}, timeout=60)
    photo = requests.post(f"{server.url}/v1/predict?kind=auto", data=png_bytes(photo_of_line(name)),
                          headers={"Content-Type": "image/png"}, timeout=60)
    assert raw.status_code == as_json.status_code == photo.status_code == 200
    assert raw.json()["text"] == as_json.json()["text"]
    assert photo.json()["kind"] == "line"


def test_page_image_over_http_is_read_or_refused_with_501(server):
    page = photo_of_line(sorted(line_labels())[0], scale=1, margin=200)  # line-sized ink on a page-sized sheet
    response = requests.post(f"{server.url}/v1/predict?kind=page", data=png_bytes(page),
                             headers={"Content-Type": "image/png"}, timeout=60)
    health = requests.get(f"{server.url}/health", timeout=10).json()
    assert response.status_code == (200 if health["reads_pages"] else 501)
    assert response.headers["Content-Type"] == "application/json"


def test_concurrent_clients_all_get_answers(server):
    names = sorted(line_labels()) * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda name: post_line(server.url, name), names))
    assert [r.status_code for r in responses] == [200] * len(names)


def test_every_request_is_logged_as_one_json_line(server):
    post_line(server.url, sorted(line_labels())[0])
    requests.post(f"{server.url}/v1/predict", data=b"nope", headers={"Content-Type": "image/png"}, timeout=10)
    records = []
    for line in server.log_path.read_text().splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    # Request log lines only (from Lab 7 on, metrics lines in CloudWatch's format sit beside them).
    predictions = [r for r in records if r.get("event") == "request" and r.get("path") == "/v1/predict"]
    ok = [r for r in predictions if r["status"] == 200]
    refused = [r for r in predictions if r["status"] == 422]
    assert ok and refused
    for key in ("status", "latency_ms", "request_bytes", "image_width", "image_height", "text_length", "confidence"):
        assert key in ok[-1], key
    assert ok[-1]["latency_ms"] > 0 and ok[-1]["image_width"] == 896
    assert refused[-1]["error"] == "not_an_image"
