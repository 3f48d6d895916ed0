"""Lab 7's observers (`lambda_response`, `drift_report`) and the parent's check of their form."""

from __future__ import annotations

import json

import numpy as np

from autograder.sandbox import shapes
from autograder.sandbox.inside import observers
from autograder.suites.reference import reference_module


def test_a_proxy_response_is_reported_with_its_json_body():
    response = {"statusCode": 422, "headers": {"Content-Type": "application/json"}, "isBase64Encoded": False,
                "body": json.dumps({"error": {"status": 422, "code": "not_an_image"}})}
    record = observers.lambda_response(response)
    assert record["status"] == 422 and record["is_base64"] is False
    assert record["json"] == {"error": {"status": 422, "code": "not_an_image"}}
    assert shapes.problem("lambda_response", record) is None


def test_a_base64_body_is_not_parsed_and_a_non_dict_is_refused():
    record = observers.lambda_response({"statusCode": 200, "headers": {"content-type": "application/json"},
                                        "body": "eyJhIjogMX0=", "isBase64Encoded": True})
    assert record["json"] is None and record["text"] == "eyJhIjogMX0="
    reply = observers.guard(lambda: observers.lambda_response(["not", "a", "dict"]))
    assert reply["ok"] is False and reply["error"].startswith("TypeError")


def test_forged_forms_are_refused():
    assert shapes.problem("lambda_response", {"status": "200"})
    assert shapes.problem("drift_report", {"features": {"x": {"psi": "large"}}})
    assert shapes.problem("drift_report", {"features": [], "drifted": []})


def test_a_drift_report_is_read_from_its_fields():
    drift = reference_module("text_recognizer.monitoring.drift")
    rng = np.random.default_rng(0)
    reference = {"brightness": rng.normal(0.2, 0.05, 500), "width": np.full(500, 896.0)}
    window = {"brightness": rng.normal(0.5, 0.05, 100), "width": np.full(100, 896.0)}
    report = drift.detect_drift(reference, window)
    record = observers.drift_report(report)
    assert shapes.problem("drift_report", record) is None
    assert record["feature_order"] == ["brightness", "width"] and record["drifted"] == ["brightness"]
    assert record["window_size"] == 100 and record["score"] == report.score
    assert record["features"]["brightness"]["psi"] == report.features["brightness"].psi
