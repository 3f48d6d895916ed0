"""Hostile submissions against the grader's own bookkeeping: student ids that point out of the
results folder, two submissions of one student in grade-all, submission times chosen by the
student, and the sandbox's writable mounts (the bwrap command, checked without running it)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autograder import parallel
from autograder.cli import app
from autograder.pipeline.grading import GradeOptions, GradeOutcome
from autograder.records.leaderboard import Leaderboard, now_iso
from autograder.records.submissions import first_seen, safe_student_id, student_id_problem
from autograder.sandbox import launch
from autograder.sandbox.limits import Limits


@pytest.mark.parametrize("student", ["../../x", "..", ".hidden", "a/b", "x\nAll tests passed", "", "x" * 101])
def test_a_student_id_that_leaves_the_results_folder_is_refused(student, tmp_path, monkeypatch):
    graded = []
    monkeypatch.setattr("autograder.pipeline.grading.grade", lambda *args, **kwargs: graded.append(args))
    result = CliRunner().invoke(app, ["grade", str(tmp_path), "--lab", "1", "--student", student,
                                      "--state-dir", str(tmp_path / "state")])
    assert result.exit_code == 1 and "refusing to grade" in result.output
    assert graded == [] and not (tmp_path / "x").exists() and not (tmp_path / "state").exists()


def test_with_out_given_an_unsafe_student_id_is_made_safe(tmp_path, monkeypatch):
    seen = []

    def grade(submission, options):
        seen.append(options)
        return GradeOutcome(options.student, 1, 0.0, 0.0, "graded", 0.0, options.out_dir / "results.json",
                            options.out_dir / "grading_report.json")

    monkeypatch.setattr("autograder.pipeline.grading.grade", grade)
    result = CliRunner().invoke(app, ["grade", str(tmp_path), "--lab", "1", "--student", "../../x\ny",
                                      "--out", str(tmp_path / "out"), "--no-leaderboard", "--no-gradebook"])
    assert result.exit_code == 0, result.output
    assert seen[0].student == "_.._x_y" and seen[0].out_dir == tmp_path / "out"


@pytest.mark.parametrize("student", ["alice", "Alice Smith", "a.b-c_d@uni.edu", "x+1"])
def test_ordinary_student_ids_pass(student):
    assert student_id_problem(student) is None and safe_student_id(student) == student


def _fake_grade(calls):
    def grade(path, options):
        calls.append((path, options))
        options.out_dir.mkdir(parents=True, exist_ok=True)
        (options.out_dir / "results.json").write_text(json.dumps({"submission": str(path)}))
        return GradeOutcome(options.student, options.lab, 1.0, 1.0, "graded", 0.0, options.out_dir / "results.json",
                            options.out_dir / "grading_report.json")

    return grade


def test_two_submissions_of_one_student_do_not_overwrite_each_other(tmp_path, monkeypatch):
    folder = tmp_path / "submissions"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice.zip").write_bytes(b"PK")
    (folder / "alice.tar.gz").write_bytes(b"tar")
    (folder / "bob\nAll tests passed").mkdir()
    calls: list = []
    monkeypatch.setattr(parallel, "grade", _fake_grade(calls))
    monkeypatch.setattr(parallel, "prepare", lambda *args: None)
    base = GradeOptions(lab=1, student="", out_dir=tmp_path / "out", state_dir=tmp_path / "state",
                        limits=Limits())
    outcomes = parallel.grade_all(folder, base, workers=1, progress=False)
    graded = {options.student: path.name for path, options in calls}
    assert graded == {"alice": "alice", "bob_All tests passed": "bob\nAll tests passed"}
    refused = [o for o in outcomes if o.status == "rejected"]
    assert len(refused) == 2 and all("both submissions of student 'alice'" in o.message for o in refused)
    paths = {o.results_path for o in outcomes}
    assert len(paths) == 4 and all(p.is_relative_to(tmp_path / "out") for p in paths)
    assert json.loads((tmp_path / "out" / "alice" / "results.json").read_text())["submission"].endswith("alice")
    for outcome in refused:
        assert json.loads(outcome.results_path.read_text())["score"] == 0
        assert "only alice was graded" in json.loads(outcome.report_path.read_text())["rejected"]


def test_a_submission_time_set_by_the_student_wins_no_ties(tmp_path):
    folder = tmp_path / "submissions"
    (folder / "early-bird" / "text_recognizer").mkdir(parents=True)
    (folder / "early-bird" / "text_recognizer" / "__init__.py").write_text("")
    os.utime(folder / "early-bird", (0, 0))  # 1970: the oldest submission there could be
    (folder / "time-traveller").mkdir()
    os.utime(folder / "time-traveller", (4e9, 4e9))  # 2096
    before = now_iso()
    found = {s.student: s for s in parallel.find_submissions(folder, tmp_path / "state", 1)}
    for submission in found.values():
        assert before <= submission.submitted_at <= now_iso()
    time.sleep(1.1)
    again = {s.student: s for s in parallel.find_submissions(folder, tmp_path / "state", 1)}
    assert again["early-bird"].submitted_at == found["early-bird"].submitted_at  # first seen, kept
    (folder / "early-bird" / "text_recognizer" / "__init__.py").write_text("x = 1\n")
    changed = parallel.find_submissions(folder, tmp_path / "state", 1)
    assert next(s for s in changed if s.student == "early-bird").submitted_at > found["early-bird"].submitted_at


def test_a_recorded_first_seen_time_in_the_future_is_never_given(tmp_path):
    first_seen(tmp_path, 1, "alice", "abc", now="2999-01-01T00:00:00+00:00")
    assert first_seen(tmp_path, 1, "alice", "abc") <= now_iso()


def test_a_future_submission_time_is_clamped_on_the_leaderboard(tmp_path):
    board = Leaderboard(tmp_path / "lb.sqlite")
    for student, when in [("future", "2999-01-01T00:00:00Z"), ("honest", "2020-01-01T00:00:00Z")]:
        board.record(lab=1, student=student, score=1, max_score=1, metric="Accuracy", order="desc",
                     public_value=0.5, private_value=0.5, submitted_at=when)
    (row,) = [s for s in board.submissions(1) if s.student == "future"]
    assert row.submitted_at <= row.graded_at
    assert [r.student for r in board.table(1)] == ["honest", "future"]


def _flag_values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == flag]


def test_every_writable_mount_of_the_sandbox_has_a_size(tmp_path, monkeypatch):
    monkeypatch.setattr(launch.shutil, "which", lambda name: f"/usr/bin/{name}")
    limits = Limits()
    built = launch.bwrap_launch(submission=tmp_path, job_dir=tmp_path, grader_dir=tmp_path, stage_dir=tmp_path,
                                identity=None, limits=limits, request_fd=3, reply_fd=4, inner=["true"])
    argv = built.argv[built.argv.index("/usr/bin/bwrap"):]
    argv = argv[: argv.index("--")]  # bwrap's own options, not the command it runs
    tmpfs = [i for i, arg in enumerate(argv) if arg == "--tmpfs"]
    assert [argv[i + 1] for i in tmpfs] == ["/", "/tmp", "/dev/shm"]
    for index in tmpfs:
        assert argv[index - 2] == "--size" and int(argv[index - 1]) > 0
    sizes = dict(zip([argv[i + 1] for i in tmpfs], [int(argv[i - 1]) for i in tmpfs], strict=True))
    assert sizes == {"/": limits.root_bytes, "/tmp": limits.tmp_bytes, "/dev/shm": limits.shm_bytes}
    # The root (with /etc) and /dev are read-only once every mount point is made.
    assert _flag_values(argv, "--remount-ro") == ["/dev", "/"]
    last_mount = max(i for i, arg in enumerate(argv) if arg in ("--ro-bind", "--bind", "--dev-bind", "--tmpfs",
                                                                "--proc", "--dev", "--symlink", "--dir"))
    remounts = [i for i, arg in enumerate(argv) if arg == "--remount-ro"]
    assert remounts[0] > argv.index("--dev") and remounts[-1] > last_mount


def test_results_of_grade_all_stay_inside_the_results_folder_for_any_entry_name(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in ["..zip", "...", "-rf", "a b", "x" * 200]:
        (folder / name).mkdir()
    for submission in parallel.find_submissions(folder):
        out = (tmp_path / "out" / submission.key).resolve()
        assert out.is_relative_to((tmp_path / "out").resolve()) and out != (tmp_path / "out").resolve()
        assert student_id_problem(submission.student) is None
    assert Path(tmp_path / "out").exists() is False
