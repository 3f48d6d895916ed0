"""Hidden suites are plain pytest files: a test dropped into a suite folder is graded with the
points on its mark, and a test on hidden data shows its fixed message, never the values."""

from __future__ import annotations

import json
import shutil

import pytest

from autograder.pipeline.lab_suites import suites_root

SECRET = "hidden-label-8c1f"
EXTRA_TESTS = f'''
from autograder.pipeline.marks import graded

SECRET = "{SECRET}"


@graded("Extra: mlp builds with 3 classes", 7)
def test_extra_mlp(sandbox):
    reply = sandbox.call("text_recognizer.networks.mlp:mlp", [28, 28], 3, observe="value",
                         imports=("keras", "text_recognizer.networks.mlp"))
    assert reply.ok, reply.message()


@graded("Extra: compared with hidden data", 5, hidden_message="Graded on hidden data: no details are shown.")
def test_extra_hidden(sandbox, feedback):
    feedback.say("a note the test chose to show")
    assert SECRET == "something else", f"expected {{SECRET!r}}"


@graded("Extra: half credit", 4)
def test_extra_partial(feedback):
    feedback.partial(0.5, "half of it")
    raise AssertionError("the other half failed")
'''


@pytest.fixture
def suites_copy(tmp_path, monkeypatch):
    copy = tmp_path / "suites"
    shutil.copytree(suites_root(), copy, ignore=shutil.ignore_patterns("__pycache__", "lab2", "lab3"))
    (copy / "lab1" / "test_extra.py").write_text(EXTRA_TESTS)
    monkeypatch.setenv("AUTOGRADER_SUITES_DIR", str(copy))
    return copy


def test_a_dropped_in_test_file_is_graded_and_hidden_values_never_show(sandbox_ok, suites_copy, lab1_sources,
                                                                        grade_submission):
    graded = grade_submission(lab1_sources["honest"], student="extra")
    rows = {t["name"]: t for t in graded.results["tests"]}
    extra = rows["Extra: mlp builds with 3 classes"]
    assert extra["score"] == extra["max_score"] == 7
    hidden = rows["Extra: compared with hidden data"]
    assert (hidden["score"], hidden["max_score"]) == (0, 5)
    assert "Graded on hidden data: no details are shown." in hidden["output"]
    assert "a note the test chose to show" in hidden["output"]
    assert (rows["Extra: half credit"]["score"], rows["Extra: half credit"]["max_score"]) == (2, 4)
    assert SECRET not in json.dumps(graded.results)
    assert "MLP: parameter count" in rows  # the suite's own tests still run beside it

