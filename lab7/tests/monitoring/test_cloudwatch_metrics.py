"""The CloudWatch metrics (EMF) that the API and the Lambda function write for every prediction.

The documents are checked against the Embedded Metric Format specification: the `_aws` block's
JSON schema (as AWS publishes it) plus the rules a schema cannot say (every declared metric and
dimension has a value at the root). The app runs with a stand-in line reader: these tests are
about the metrics, not the model.
"""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
from lab_folders import SUPPORT_DIR

from text_recognizer.api.app import create_app
from text_recognizer.monitoring import cloudwatch_metrics
from text_recognizer.predictors.recognizer import Recognizer

LINE = SUPPORT_DIR / "emnist_lines" / "line_00.png"
UNITS = ["Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
         "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
         "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
         "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"]
EMF_SCHEMA = {  # the specification's root and `_aws` metadata schema
    "type": "object", "required": ["_aws"],
    "properties": {"_aws": {
        "type": "object", "required": ["Timestamp", "CloudWatchMetrics"],
        "properties": {
            "Timestamp": {"type": "integer", "minimum": 0},
            "CloudWatchMetrics": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["Namespace", "Dimensions", "Metrics"],
                "properties": {
                    "Namespace": {"type": "string", "minLength": 1, "maxLength": 1024},
                    "Dimensions": {"type": "array", "items": {
                        "type": "array", "maxItems": 30, "items": {"type": "string", "minLength": 1,
                                                                   "maxLength": 250}}},
                    "Metrics": {"type": "array", "maxItems": 100, "items": {
                        "type": "object", "required": ["Name"],
                        "properties": {"Name": {"type": "string", "minLength": 1, "maxLength": 1024},
                                       "Unit": {"enum": UNITS}, "StorageResolution": {"enum": [1, 60]}}}}}}}}}},
}


def assert_valid_emf(document: dict) -> dict[str, tuple[str, list[float]]]:
    """Check one EMF document; its metrics as name -> (unit, values)."""
    jsonschema.validate(document, EMF_SCHEMA)
    found = {}
    for directive in document["_aws"]["CloudWatchMetrics"]:
        assert directive["Namespace"] == cloudwatch_metrics.NAMESPACE
        for dimension_set in directive["Dimensions"]:
            for name in dimension_set:
                assert isinstance(document.get(name), str), f"dimension {name} has no string value at the root"
        for metric in directive["Metrics"]:
            values = document[metric["Name"]]
            values = values if isinstance(values, list) else [values]
            assert 1 <= len(values) <= 100 and all(isinstance(v, int | float) for v in values), metric
            found[metric["Name"]] = (metric.get("Unit", "None"), values)
    return found


class ConstantLineReader:
    """Reads every line as the same text: the app's wiring without a model."""

    height, max_width = 28, 896

    def predict(self, image: np.ndarray) -> tuple[str, float]:
        return "the cat", 0.75


@pytest.fixture(scope="module")
def app():
    return create_app(Recognizer(ConstantLineReader()), config={"METRICS_SERVICE": "test"})


def emitted(capsys) -> list[dict]:
    """The EMF documents written to stdout since the last call."""
    lines = capsys.readouterr().out.splitlines()
    return [json.loads(line) for line in lines if line.startswith('{"_aws"')]


def test_a_good_request_writes_every_metric(app, capsys):
    capsys.readouterr()
    response = app.test_client().post("/v1/predict?kind=line", data=LINE.read_bytes(), content_type="image/png")
    assert response.status_code == 200
    (document,) = emitted(capsys)
    found = assert_valid_emf(document)
    assert document["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [[cloudwatch_metrics.DIMENSION]]
    assert document[cloudwatch_metrics.DIMENSION] == "test"
    assert {name for name, _ in cloudwatch_metrics.REQUEST_METRICS.values()} | {"Errors"} == set(found)
    assert found["Latency"][0] == "Milliseconds" and found["Latency"][1][0] > 0
    assert found["Confidence"][1] == [0.75] and found["TextLength"] == ("Count", [7.0])
    assert found["ImageWidth"][1] == [896.0] and found["ImageHeight"][1] == [28.0]
    assert 0 < found["ImageBrightness"][1][0] < 0.5 and 0 < found["ImageContrast"][1][0] < 0.5  # white on black
    assert found["LineCount"] == ("Count", [1.0])
    assert found["Errors"] == ("Count", [0.0]) and document["status"] == 200 and document["kind"] == "line"


def test_an_error_counts_in_errors_without_image_metrics(app, capsys):
    capsys.readouterr()
    response = app.test_client().post("/v1/predict", data=b"not an image", content_type="image/png")
    assert response.status_code == 422
    (document,) = emitted(capsys)
    found = assert_valid_emf(document)
    assert found["Errors"] == ("Count", [1.0]) and document["error"] == "not_an_image"
    assert "ImageBrightness" not in found and "Confidence" not in found
    assert "Latency" in found


def test_health_checks_and_the_page_write_no_metrics(app, capsys):
    capsys.readouterr()
    assert app.test_client().get("/health").status_code == 200
    assert emitted(capsys) == []


def test_a_stored_correction_counts_in_corrections(tmp_path, capsys):
    import base64

    corrected = create_app(Recognizer(ConstantLineReader()),
                           config={"METRICS_SERVICE": "test", "CORRECTIONS_DIR": str(tmp_path)}).test_client()
    capsys.readouterr()
    crop = base64.b64encode(LINE.read_bytes()).decode()
    assert corrected.post("/v1/corrections", json={"image": crop, "correction": "the cat"}).status_code == 201
    assert corrected.post("/v1/corrections", json={"image": crop, "correction": ""}).status_code == 400
    (document,) = emitted(capsys)  # the refused one stores nothing and counts nothing
    assert assert_valid_emf(document)["Corrections"] == ("Count", [1.0])
    assert document[cloudwatch_metrics.DIMENSION] == "test"


def test_the_handlers_own_errors_are_counted(capsys):
    from text_recognizer.serverless import handler

    capsys.readouterr()
    response = handler.handler({"version": "2.0", "rawPath": "/v1/predict"}, None)
    assert response["statusCode"] == 400
    (document,) = emitted(capsys)
    assert assert_valid_emf(document)["Errors"] == ("Count", [1.0])
    assert document[cloudwatch_metrics.DIMENSION] == handler.METRICS_SERVICE and document["error"] == "invalid_event"


def test_drift_score_document():
    document = cloudwatch_metrics.drift_metrics({"alert": True, "drifted": ["brightness", "contrast"], "score": 0.42})
    found = assert_valid_emf(document)
    assert found["DriftScore"] == ("None", [0.42]) and found["DriftedFeatures"] == ("Count", [2.0])
    assert document["drifted"] == ["brightness", "contrast"]


def test_a_monitor_run_writes_one_drift_document_per_window(tmp_path):
    checks = [{"end": 100, "alert": False, "drifted": [], "score": 0.1},
              {"end": 110, "alert": True, "drifted": ["contrast"], "score": 0.9}]
    path = cloudwatch_metrics.write_drift_metrics(checks, tmp_path / "logs" / "drift.emf", service="lambda")
    documents = [json.loads(line) for line in path.read_text().splitlines()]
    assert [assert_valid_emf(d)["DriftScore"][1] for d in documents] == [[0.1], [0.9]]
    assert documents[1]["drifted"] == ["contrast"] and documents[1][cloudwatch_metrics.DIMENSION] == "lambda"


def test_emf_check_rejects_a_broken_document():
    document = cloudwatch_metrics.request_metrics({"latency_ms": 3.0, "status": 200})
    del document["Latency"]
    with pytest.raises(KeyError):
        assert_valid_emf(document)
    document = cloudwatch_metrics.request_metrics({"latency_ms": 3.0, "status": 200})
    document["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = "Furlongs"
    with pytest.raises(jsonschema.ValidationError):
        assert_valid_emf(document)
