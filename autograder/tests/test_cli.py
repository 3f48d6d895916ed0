"""The command line: help, leaderboard, Gradescope export, refusing to grade without a sandbox."""

from __future__ import annotations

import json
import stat
import zipfile

import pytest
from typer.testing import CliRunner

from autograder.cli import app
from autograder.pipeline import grading
from autograder.records.leaderboard import Leaderboard
from autograder.sandbox import launch

runner = CliRunner()


@pytest.mark.parametrize(
    "command",
    ["grade", "grade-all", "leaderboard", "serve", "export-gradescope", "new-term", "check-sandbox", "demo",
     "benchmark"],
)
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_leaderboard_command_prints_and_writes_html(tmp_path):
    board = Leaderboard(tmp_path / "lb.sqlite")
    board.record(
        lab=1,
        student="alice",
        score=90,
        max_score=100,
        metric="Accuracy (public)",
        order="desc",
        public_value=0.9,
        private_value=0.8,
        submitted_at="2025-01-01T00:00:00Z",
    )
    result = runner.invoke(
        app,
        [
            "leaderboard",
            "--lab",
            "1",
            "--db",
            str(tmp_path / "lb.sqlite"),
            "--html",
            str(tmp_path / "lb.html"),
        ],
    )
    assert result.exit_code == 0 and "alice" in result.output and "0.9000" in result.output
    assert "alice" in (tmp_path / "lb.html").read_text()
    private = runner.invoke(
        app, ["leaderboard", "--lab", "1", "--db", str(tmp_path / "lb.sqlite"), "--private", "--json"]
    )
    assert json.loads(private.output)["rows"][0]["value"] == 0.8


def test_export_gradescope_writes_the_zip_gradescope_expects(tmp_path, state_dir, monkeypatch):
    # The zip's form only: grading the solution with it is test_gradescope_zip.py's.
    monkeypatch.setattr("autograder.gradescope.check_zip", lambda bundle, lab: [])
    target = tmp_path / "lab1.zip"
    result = runner.invoke(app, ["export-gradescope", "--lab", "1", "--to", str(target), "--state-dir", str(state_dir)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as bundle:
        names = set(bundle.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in bundle.infolist()}
        run_autograder = bundle.read("run_autograder").decode()
    assert {
        "setup.sh",
        "run_autograder",
        "setup/requirements-cpu.lock",
        "autograder/suites/lab1/__init__.py",
        "autograder/sandbox/inside/runner.py",
        "autograder/state/lab1/hidden_set.npz",
        "autograder/state/secret_seed",
    } <= names
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert not any(name.startswith("autograder/tests/") for name in names)
    assert "--lab 1" in run_autograder and "$ROOT/results" in run_autograder and "/autograder}" in run_autograder
    assert "--allow-unsandboxed" not in run_autograder


@pytest.fixture
def no_bwrap(monkeypatch):
    monkeypatch.setattr(grading, "_checked", {})
    real = launch.shutil.which
    monkeypatch.setattr(launch.shutil, "which", lambda name: None if name == "bwrap" else real(name))


def test_without_bubblewrap_the_grader_refuses_and_says_so(no_bwrap, grade_submission, lab1_sources):
    graded = grade_submission(lab1_sources["stub"], student="no-bwrap")
    assert graded.outcome.status == "refused"
    assert "bubblewrap" in graded.outcome.message and "--allow-unsandboxed" in graded.outcome.message
    assert graded.results["score"] == 0 and len(graded.results["tests"]) == 10
    assert "bubblewrap" in graded.report["error"]


def test_without_bubblewrap_an_explicit_unsandboxed_run_still_grades(no_bwrap, grade_submission, lab1_sources):
    graded = grade_submission(lab1_sources["stub"], student="unsandboxed", allow_unsandboxed=True)
    assert graded.outcome.status == "graded"
    assert graded.report["sandbox"]["sandboxed"] is False
    assert any("UNSANDBOXED" in note for note in graded.report["sandbox"]["notes"])
    assert "NotImplementedError" in graded.test("MLP: returns")["output"]


def test_grade_command_exits_2_when_refusing(no_bwrap, tmp_path, lab1_sources, state_dir):
    result = runner.invoke(
        app,
        [
            "grade",
            str(lab1_sources["stub"]),
            "--lab",
            "1",
            "--student",
            "x",
            "--out",
            str(tmp_path / "out"),
            "--state-dir",
            str(state_dir),
            "--no-leaderboard",
        ],
    )
    assert result.exit_code == 2
    assert (tmp_path / "out" / "results.json").exists()
