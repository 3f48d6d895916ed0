"""serverless.yml, packaged for real by `osls package` (offline, no AWS account) and checked in the
CloudFormation template it writes: the function, its HTTP API routes, the alarms on the metrics
(Lab 7's alarm exercise is DriftScoreAlarm).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile

import pytest
from container_lint import requirement_pins
from lab_folders import LAB_DIR

from text_recognizer.models.confidence import calibration_path
from text_recognizer.monitoring import cloudwatch_metrics, drift
from text_recognizer.paths import course_root
from text_recognizer.predictors.line_predictor import LinePredictor
from text_recognizer.serverless import handler

DESCRIPTOR = LAB_DIR / "serverless.yml"
REQUIREMENTS = LAB_DIR / "text_recognizer" / "serverless" / "requirements.txt"
LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:text-recognizer-dependencies:1"
PACKAGE_SECONDS = 120


def osls() -> str:
    """The `osls` command that setup/install.sh installs with npm, or skip when it is absent."""
    found = course_root() / "setup" / "node_modules" / ".bin" / "osls"
    if not found.exists():
        pytest.skip(f"no {found}: install the course's npm packages (`make setup`, or `npm ci` in setup/)")
    return str(found)


def offline(command: list[str]) -> list[str]:
    """`command` in a network namespace of its own (no network at all) where this user may make one."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n", *command]
    return command


@pytest.fixture(scope="module")
def packaged(tmp_path_factory, compiled_dir):
    """A copy of the service (serverless.yml, the code, the compiled model) after `osls package`:
    (the CloudFormation template, the function zip's file names)."""
    service = tmp_path_factory.mktemp("service")
    shutil.copy(DESCRIPTOR, service / "serverless.yml")
    shutil.copytree(LAB_DIR / "text_recognizer", service / "text_recognizer")
    shutil.copytree(compiled_dir, service / "build" / "lambda" / "compiled")
    home = tmp_path_factory.mktemp("home")  # osls keeps its settings under $HOME: not the user's
    env = {**os.environ, "HOME": str(home), "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off"}
    command = offline([osls(), "package", f"--param=dependenciesLayer={LAYER_ARN}"])
    try:
        result = subprocess.run(command, cwd=service, env=env, capture_output=True, text=True,
                                timeout=PACKAGE_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`osls package` took more than {PACKAGE_SECONDS} s")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = service / ".serverless"
    template = json.loads((out / "cloudformation-template-update-stack.json").read_text())
    with zipfile.ZipFile(out / "text-recognizer.zip") as archive:
        names = archive.namelist()
    return template, names


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_the_function(packaged):
    template, _ = packaged
    (function,) = resources(template, "AWS::Lambda::Function").values()
    properties = function["Properties"]
    assert properties["Handler"] == "text_recognizer.serverless.handler.handler"
    assert properties["Runtime"] == "python3.11"
    assert properties["MemorySize"] == 1024 and properties["Timeout"] == 29
    assert properties["Layers"] == [LAYER_ARN]
    assert properties["Environment"]["Variables"]["TEXT_RECOGNIZER_COMPILED_DIR"] == "/var/task/build/lambda/compiled"


def test_the_zip_holds_the_handler_and_the_compiled_models_but_no_keras_stack(packaged, compiled_dir):
    template, names = packaged
    in_zip = template["Resources"]["PredictLambdaFunction"]["Properties"]["Environment"]["Variables"][
        "TEXT_RECOGNIZER_COMPILED_DIR"].removeprefix("/var/task/")
    assert "text_recognizer/serverless/handler.py" in names
    exported = {p.name for p in compiled_dir.iterdir()}
    assert {"compiled.json", "line.onnx", "detector.onnx", "handwriting_line.onnx", "language_model.pickle"} <= exported
    assert {f"{in_zip}/{name}" for name in exported} <= set(names)
    for model in json.loads((compiled_dir / "compiled.json").read_text()).values():
        config = f"text_recognizer/weights/{model['config']}"  # provenance and calibration read them
        assert config in names and config.replace(".json", ".weights.h5") in names, f"{config} is not packaged"
    assert "text_recognizer/weights/line_model_ctc_line_lstm_ctc_calibration.json" in names  # calibrated confidence
    assert "text_recognizer/api/static/index.html" in names
    assert not [n for n in names if n.split("/")[0] in ("tensorflow", "keras", "tests", "notebooks")]
    assert not [n for n in names if "__pycache__" in n or n.startswith("text_recognizer/training/")]


def test_the_http_api_routes(packaged):
    template, _ = packaged
    routes = {r["Properties"]["RouteKey"] for r in resources(template, "AWS::ApiGatewayV2::Route").values()}
    assert routes == {"POST /v1/predict", "POST /v1/corrections", "GET /health", "GET /"}
    (integration,) = resources(template, "AWS::ApiGatewayV2::Integration").values()
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"  # what handler.handler reads first


def test_corrections_go_to_a_private_versioned_bucket_the_function_may_only_add_to(packaged):
    template, _ = packaged
    bucket_name = "CorrectionsBucket"  # beside the deployment bucket osls adds
    properties = resources(template, "AWS::S3::Bucket")[bucket_name]["Properties"]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}  # nothing stored is lost
    assert all(properties["PublicAccessBlockConfiguration"].values())
    variables = template["Resources"]["PredictLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["TEXT_RECOGNIZER_CORRECTIONS_BUCKET"] == {"Ref": bucket_name}
    assert variables["TEXT_RECOGNIZER_CORRECTIONS_PREFIX"] == "corrections/"
    (role,) = resources(template, "AWS::IAM::Role").values()
    statements = [st for policy in role["Properties"]["Policies"] for st in policy["PolicyDocument"]["Statement"]]
    s3 = [st for st in statements if any(str(action).startswith("s3:") for action in st["Action"])]
    assert [st["Action"] for st in s3] == [["s3:PutObject"]]
    assert s3[0]["Resource"] == {"Fn::Join": ["", ["arn:aws:s3:::", {"Ref": bucket_name}, "/corrections/*"]]}


def test_the_alarms_watch_the_metrics_the_function_writes(packaged):
    template, _ = packaged
    alarms = {a["Properties"]["MetricName"]: a["Properties"]
              for a in resources(template, "AWS::CloudWatch::Alarm").values()}
    assert set(alarms) == {"Confidence", "DriftScore", "Errors", "Latency"}
    written = {name for name, _ in cloudwatch_metrics.REQUEST_METRICS.values()} | {"Errors", "DriftScore"}
    for name, alarm in alarms.items():
        assert name in written
        assert alarm["Namespace"] == cloudwatch_metrics.NAMESPACE
        assert alarm["Dimensions"] == [{"Name": cloudwatch_metrics.DIMENSION, "Value": handler.METRICS_SERVICE}]
        assert alarm["AlarmActions"] == [{"Ref": "AlertTopic"}]
    assert alarms["Confidence"]["ComparisonOperator"] == "LessThanThreshold"
    assert alarms["Confidence"]["Statistic"] == "Average" and 0 < alarms["Confidence"]["Threshold"] < 1
    # The threshold is the one chosen on validation lines, stored with the deployed line model's calibration.
    chosen = json.loads(calibration_path(LinePredictor.default_config).read_text())["strategies"]["greedy"]["alarm"]
    assert alarms["Confidence"]["Threshold"] == chosen["threshold"]
    assert alarms["DriftScore"]["Threshold"] == drift.PSI_THRESHOLD
    assert alarms["Errors"]["Statistic"] == "Average" and alarms["Errors"]["Threshold"] == 0.05
    assert alarms["Latency"]["ExtendedStatistic"] == "p95" and alarms["Latency"]["Unit"] == "Milliseconds"
    assert all(a["ComparisonOperator"] == "GreaterThanThreshold" for n, a in alarms.items() if n != "Confidence")


def test_the_drift_alarm_counts_a_period_with_one_drifted_window_and_ignores_quiet_ones(packaged):
    """Lab 7's alarm exercise: DriftScoreAlarm as its contract in serverless.yml says."""
    template, _ = packaged
    alarm = template["Resources"].get("DriftScoreAlarm") or {}
    assert alarm.get("Type") == "AWS::CloudWatch::Alarm", f"expected DriftScoreAlarm to be a CloudWatch alarm: {alarm}"
    got = alarm["Properties"]
    assert got.get("Statistic") == "Maximum", (
        f"expected the statistic for which one drifted window makes the period drifted, got {got.get('Statistic')}")
    assert got.get("Period") == 300, f"expected five-minute periods (in seconds), got {got.get('Period')}"
    periods = (got.get("DatapointsToAlarm", got.get("EvaluationPeriods")), got.get("EvaluationPeriods"))
    assert periods == (2, 3), f"expected 2 breaching periods of the last 3 to alarm, got {periods[0]} of {periods[1]}"
    assert got.get("TreatMissingData") == "notBreaching", (
        f"expected a period with no score not to count as drift, got TreatMissingData {got.get('TreatMissingData')}")


def test_the_layer_requirements_are_locked_and_hold_no_tensorflow():
    lock = course_root() / "setup" / "requirements-cpu.lock"
    if not lock.is_file():
        pytest.skip(f"no {lock}: the lab was copied without setup/")
    layer, locked = requirement_pins(REQUIREMENTS.read_text()), requirement_pins(lock.read_text())
    assert {"onnxruntime", "numpy", "scipy", "pillow", "flask", "aws-lambda-powertools"} == set(layer)
    for name, version in layer.items():
        assert locked.get(name) == version, f"{name}=={version} in the layer, {locked.get(name)} in {lock.name}"
