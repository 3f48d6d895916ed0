"""The function started as Lambda starts it: AWS's runtime client (`python -m awslambdaric <handler>`)
in a process of its own, fed events by a loopback Lambda Runtime API, answers what the handler
answers in-process."""

from __future__ import annotations

import json

import pytest
from lab_folders import LAB_DIR, SUPPORT_DIR

from text_recognizer.serverless import handler
from text_recognizer.serverless.events import api_gateway_event
from text_recognizer.serverless.runtime_api import FunctionFailed, LambdaProcess, RuntimeApi

LINE = SUPPORT_DIR / "emnist_lines" / "line_00.png"
TIMEOUT_S = 60


@pytest.fixture()
def in_process(compiled_dir, monkeypatch):
    """The handler in this process, serving the same compiled model as the runtime's process."""
    monkeypatch.setenv("TEXT_RECOGNIZER_COMPILED_DIR", str(compiled_dir))
    handler.application.cache_clear()
    yield handler.handler
    handler.application.cache_clear()


def without_timings(response: dict) -> dict:
    """A proxy response less what differs between two runs of one request: the timings."""
    body = json.loads(response["body"])
    for key in ("time_ms", "predict_ms"):
        body.pop(key, None)
    headers = {k: v for k, v in response["headers"].items() if k != "Content-Length"}  # timings' digits
    return {**response, "headers": headers, "body": body}


def test_the_runtime_client_answers_what_the_handler_answers(compiled_dir, in_process):
    line_event = api_gateway_event(LINE.read_bytes(), "image/png", query={"kind": "line"})
    broken_event = {"version": "2.0", "rawPath": "/v1/predict"}
    with RuntimeApi() as api, LambdaProcess(api, env={"TEXT_RECOGNIZER_COMPILED_DIR": str(compiled_dir)},
                                            cwd=LAB_DIR) as function:
        line = function.invoke(line_event, TIMEOUT_S)
        broken = function.invoke(broken_event, TIMEOUT_S)
        not_json = function.invoke(b"{not json", TIMEOUT_S)
    assert line.kind == "response" and line.body["statusCode"] == 200
    assert without_timings(line.body) == without_timings(in_process(line_event, None))
    assert json.loads(line.body["body"])["text"]
    assert broken.kind == "response" and broken.body == in_process(broken_event, None)
    assert broken.body["statusCode"] == 400
    # An event that is not JSON never reaches the handler: the runtime reports it on /error.
    assert not_json.kind == "error" and not_json.body["errorType"] == "Runtime.UnmarshalError"


def test_a_handler_string_that_names_nothing_is_an_init_error():
    with RuntimeApi() as api, LambdaProcess(api, "text_recognizer.serverless.handler.nowhere", cwd=LAB_DIR) as function:
        with pytest.raises(FunctionFailed, match="init error|exited"):
            function.invoke({"version": "2.0"}, TIMEOUT_S)
    assert api.init_errors and api.init_errors[0]["errorType"] == "Runtime.HandlerNotFound"
