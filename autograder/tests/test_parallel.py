"""grade-all: every submission gets results, one bad submission never stops the rest."""

from __future__ import annotations

import json
import shutil

import pytest

from autograder import parallel
from autograder.pipeline.grading import GradeOptions
from autograder.records.leaderboard import Leaderboard
from autograder.tests.conftest import TEST_LIMITS


def test_workers_follow_cores_or_gpus(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 8)
    monkeypatch.setattr(parallel, "gpu_count", lambda: 0)
    assert parallel.plan_workers(20) == (8, [None] * 8)
    assert parallel.plan_workers(3) == (3, [None] * 3)
    assert parallel.plan_workers(20, requested=2) == (2, [None, None])
    monkeypatch.setattr(parallel, "gpu_count", lambda: 2)
    assert parallel.plan_workers(20) == (2, ["0", "1"])


def test_submissions_are_found_by_folder_or_archive(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob.tar.gz").write_bytes(b"")
    (tmp_path / "carol.zip").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a submission")
    (tmp_path / ".hidden").mkdir()
    assert [s.student for s in parallel.find_submissions(tmp_path)] == ["alice", "bob", "carol"]


def test_grade_all_grades_everything_and_records_the_leaderboard(sandbox_ok, lab1_sources, state_dir, tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copytree(lab1_sources["stub"], folder / "stub-student")
    (folder / "empty-student").mkdir()
    (folder / "broken-student.zip").write_bytes(b"PK\x03\x04 not really")
    base = GradeOptions(
        lab=1,
        student="",
        out_dir=tmp_path / "out",
        state_dir=state_dir,
        limits=TEST_LIMITS,
        leaderboard_db=tmp_path / "lb.sqlite",
        notebook=False,
    )
    outcomes = parallel.grade_all(folder, base, workers=2, progress=False)
    assert [o.student for o in outcomes] == ["broken-student", "empty-student", "stub-student"]
    assert [o.status for o in outcomes] == ["rejected", "rejected", "graded"]
    for outcome in outcomes:
        results = json.loads(outcome.results_path.read_text())
        assert results["score"] == 0 and len(results["tests"]) == 10
    table = parallel.summary_table(outcomes, "Accuracy (public)")
    assert "stub-student" in table and "rejected" in table
    rows = Leaderboard(tmp_path / "lb.sqlite").table(1)
    assert sorted(r.student for r in rows) == ["broken-student", "empty-student", "stub-student"]


@pytest.mark.parametrize("workers", [None])
def test_grade_all_of_an_empty_folder_is_empty(tmp_path, state_dir, workers):
    base = GradeOptions(lab=1, student="", out_dir=tmp_path / "out", state_dir=state_dir)
    assert parallel.grade_all(tmp_path, base, workers, progress=False) == []
