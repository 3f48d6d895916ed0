"""The nbgrader gradebook: autograded notebook scores in, the final grade sheet out.

The gradebook is the real one: `make labs`'s own generate_assignment step (instructor's
NbgraderReleaser) run once on solutions/notebooks/lab1.ipynb, then copied for each test.
A TA's grading is done as formgrader does it, through nbgrader's Gradebook API.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from autograder.errors import GraderError
from autograder.paths import SOLUTIONS_DIR
from autograder.records import gradebook as gradebook_module
from autograder.records.gradebook import COLUMNS, export_grade_sheet, grade_sheet, record_autograded
from autograder.records.leaderboard import Leaderboard

LAB1 = SOLUTIONS_DIR / "notebooks" / "lab1.ipynb"
#: solutions/notebooks/lab1.ipynb: two autograded test cells and four written answers (9 points).
TESTS = {"test-mlp": 3.0, "test-predict-on-image": 3.0}
ANSWERS = {"q1-answer": 3.0, "q2-answer": 2.0, "q3-answer": 2.0, "q4-answer": 2.0, "q5-answer": 2.0}


@pytest.fixture(scope="session")
def lab1_gradebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The gradebook `make labs` writes for Lab 1 (built once: nbgrader needs seconds)."""
    from instructor.notebooks import NbgraderReleaser, read_notebook

    course = tmp_path_factory.mktemp("nbgrader")
    NbgraderReleaser(course, gradebook=True).release(1, read_notebook(LAB1.read_bytes(), str(LAB1)))
    return course / "gradebook.db"


@pytest.fixture
def db(lab1_gradebook: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "gradebook.db"
    shutil.copyfile(lab1_gradebook, copy)
    return copy


def open_gradebook(db: Path):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{db}", course_id="")


def ta_grades(db: Path, student: str, scores: dict[str, float]) -> None:
    """What formgrader does when a TA scores written answers."""
    with open_gradebook(db) as gb:
        for grade_id, score in scores.items():
            grade = gb.find_grade(grade_id, "lab1", "lab1", student)
            grade.manual_score = score
            grade.needs_manual_grade = False
        gb.db.commit()


def submit(
    board: Leaderboard,
    student: str,
    score: float,
    public: float | None,
    private: float | None,
    when: str | None = None,
    lab: int = 1,
) -> None:
    """One graded submission, as `grade` records it (Lab 1's suite is out of 100 here)."""
    board.record(
        lab=lab,
        student=student,
        score=score,
        max_score=100.0,
        metric="accuracy",
        order="desc",
        public_value=public,
        private_value=private,
        submitted_at=when,
    )


def test_the_course_gradebook_has_what_record_autograded_expects(lab1_gradebook):
    with open_gradebook(lab1_gradebook) as gb:
        notebook = gb.find_notebook("lab1", "lab1")
        solutions = {c.name for c in notebook.solution_cells}
        cells = {c.name: (c.max_score, c.name in solutions) for c in notebook.grade_cells}
    assert cells == {**{k: (v, False) for k, v in TESTS.items()}, **{k: (v, True) for k, v in ANSWERS.items()}}


def test_scores_and_written_answers_meet_in_the_grade_sheet(db, tmp_path):
    assert record_autograded(db, 1, "alice", {"test-mlp": (3, 3), "test-predict-on-image": (1.5, 3)}) == []
    assert record_autograded(db, 1, "bob", {"test-mlp": (0, 3), "test-predict-on-image": (3, 3)}) == []
    ta_grades(db, "alice", {"q1-answer": 2, "q2-answer": 2, "q3-answer": 1, "q4-answer": 2, "q5-answer": 1})
    ta_grades(db, "bob", {"q1-answer": 3})

    with open_gradebook(db) as gb:  # formgrader's own totals agree
        alice = gb.find_submission_notebook("lab1", "lab1", "alice")
        assert (alice.code_score, alice.written_score, alice.needs_manual_grade) == (4.5, 8.0, False)
        assert gb.find_submission_notebook("lab1", "lab1", "bob").needs_manual_grade  # q2-q5 left

    board = Leaderboard(tmp_path / "leaderboard.sqlite")
    submit(board, "alice", 80.0, 0.80, 0.79, "2025-03-01T10:00:00Z")
    submit(board, "alice", 91.5, 0.90, 0.88, "2025-03-02T10:00:00Z")  # her best
    submit(board, "alice", 40.0, None, None, "2025-03-03T10:00:00Z")  # a later crash
    submit(board, "bob", 60.0, 0.5, 0.55, "2025-03-01T12:00:00Z")
    submit(board, "carol", 70.0, 0.7, 0.7, "2025-03-01T12:00:00Z")  # no notebook recorded

    path, count = export_grade_sheet(db, tmp_path / "leaderboard.sqlite", 1, tmp_path / "out" / "grades.csv")
    assert count == 3
    with path.open(newline="") as file:
        reader = csv.DictReader(file)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = {row["student"]: row for row in reader}

    alice = rows["alice"]
    assert (alice["autograder_total"], alice["autograder_max"]) == ("91.5", "100.0")
    assert (alice["notebook_autograded_score"], alice["notebook_autograded_max"]) == ("4.5", "6.0")
    assert (alice["written_answers_score"], alice["written_answers_max"], alice["written_answers_ungraded"]) == (
        "8.0",
        "11.0",
        "0",
    )
    assert (alice["final_score"], alice["final_max"]) == ("99.5", "111.0")
    assert (alice["leaderboard_public"], alice["leaderboard_private"]) == ("0.9", "0.88")
    assert (alice["counted_submission"], alice["submissions"], alice["submitted_at"]) == (
        "best",
        "3",
        "2025-03-02T10:00:00+00:00",
    )
    assert alice["leaderboard_metric"] == "accuracy" and alice["lab"] == "1"

    bob = rows["bob"]
    assert (bob["notebook_autograded_score"], bob["written_answers_score"], bob["written_answers_ungraded"]) == (
        "3.0",
        "3.0",
        "4",
    )
    assert bob["final_score"] == "63.0"

    carol = rows["carol"]  # graded, but no notebook in the gradebook: written answers count 0
    assert carol["notebook_autograded_score"] == carol["written_answers_score"] == ""
    assert (carol["written_answers_max"], carol["final_score"], carol["final_max"]) == ("11.0", "70.0", "111.0")

    # The counted submission is the one the leaderboard ranks.
    table = {row.student: row for row in board.table(1)}
    for student, row in rows.items():
        assert row["submitted_at"] == table[student].submitted_at
        assert float(row["autograder_total"]) == table[student].score


def test_a_ta_override_of_an_autograded_cell_counts_and_a_regrade_flags_it(db, tmp_path):
    record_autograded(db, 1, "alice", {"test-mlp": (1, 3), "test-predict-on-image": (3, 3)})
    ta_grades(db, "alice", {"test-mlp": 2.5})
    board = Leaderboard(tmp_path / "lb.sqlite")
    submit(board, "alice", 50.0, 0.5, 0.5)
    [row] = grade_sheet(db, tmp_path / "lb.sqlite", 1)
    assert (row["notebook_autograded_score"], row["notebook_ta_adjustment"], row["final_score"]) == (4.0, 1.5, 51.5)

    assert record_autograded(db, 1, "alice", {"test-mlp": (0, 3)}) == []
    with open_gradebook(db) as gb:
        grade = gb.find_grade("test-mlp", "lab1", "lab1", "alice")
        assert (grade.auto_score, grade.manual_score, grade.needs_manual_grade) == (0.0, 2.5, True)


def test_a_student_new_to_the_gradebook_is_added_with_a_submission(db):
    with open_gradebook(db) as gb:
        assert [s.id for s in gb.students] == []
    assert record_autograded(db, 1, "dora", {"test-mlp": (3, 3)}, submitted_at="2025-03-01T11:00:00+01:00") == []
    with open_gradebook(db) as gb:
        submission = gb.find_submission("lab1", "dora")
        assert submission.timestamp.isoformat() == "2025-03-01T10:00:00"  # nbgrader keeps naive UTC
        assert gb.find_grade("test-mlp", "lab1", "lab1", "dora").auto_score == 3.0
        # Written answers wait for the TA, as after `nbgrader autograde`.
        assert gb.find_grade("q1-answer", "lab1", "lab1", "dora").needs_manual_grade


def test_unknown_and_written_answer_grade_ids_are_notes_and_the_rest_is_recorded(db):
    notes = record_autograded(
        db,
        1,
        "alice",
        {"test-nope": (1, 1), "q1-answer": (3, 3), "test-mlp": (5, 3), "test-predict-on-image": ("x", 3)},
    )
    assert len(notes) == 4
    assert "no autograded cell 'test-nope'" in notes[0] and "make labs" in notes[0]
    assert "'q1-answer' is a written answer" in notes[1]
    assert "'test-mlp' earned 5 > 3 points" in notes[2]
    assert "'test-predict-on-image' is not (earned, max points)" in notes[3]
    with open_gradebook(db) as gb:
        assert gb.find_grade("test-mlp", "lab1", "lab1", "alice").auto_score == 3.0
        assert gb.find_grade("q1-answer", "lab1", "lab1", "alice").auto_score is None
        assert gb.find_grade("test-predict-on-image", "lab1", "lab1", "alice").auto_score is None


def test_points_that_disagree_with_the_gradebook_say_to_rebuild_it(db):
    [note] = record_autograded(db, 1, "alice", {"test-mlp": (2, 4)})
    assert "worth 3 points in the gradebook but 4" in note and "make labs" in note


def test_an_older_submission_does_not_overwrite_a_newer_one(db):
    assert record_autograded(db, 1, "alice", {"test-mlp": (3, 3)}, submitted_at="2025-03-02T10:00:00Z") == []
    [note] = record_autograded(db, 1, "alice", {"test-mlp": (0, 3)}, submitted_at="2025-03-01T10:00:00Z")
    assert "later than this one" in note
    with open_gradebook(db) as gb:
        assert gb.find_grade("test-mlp", "lab1", "lab1", "alice").auto_score == 3.0


def test_a_lab_missing_from_the_gradebook_or_no_gradebook_is_a_note(db, tmp_path):
    [note] = record_autograded(db, 2, "alice", {"test-x": (1, 1)})
    assert "no assignment 'lab2'" in note and "make labs" in note
    missing = tmp_path / "nowhere" / "gradebook.db"
    [note] = record_autograded(missing, 1, "alice", {"test-mlp": (1, 3)})
    assert "no nbgrader gradebook at" in note and "make labs" in note
    assert not missing.exists()  # an empty gradebook is never created
    garbage = tmp_path / "garbage.db"
    garbage.write_text("not a database")
    [note] = record_autograded(garbage, 1, "alice", {"test-mlp": (1, 3)})
    assert note.startswith("gradebook not updated")
    [note] = record_autograded(db, 1, "", {"test-mlp": (1, 3)})
    assert "student id" in note


def test_the_grade_sheet_refuses_missing_databases_and_labs(db, tmp_path):
    board = tmp_path / "lb.sqlite"
    Leaderboard(board)
    with pytest.raises(GraderError, match="no leaderboard database"):
        grade_sheet(db, tmp_path / "none.sqlite", 1)
    with pytest.raises(GraderError, match="no nbgrader gradebook"):
        grade_sheet(tmp_path / "none.db", board, 1)
    with pytest.raises(GraderError, match="no assignment 'lab2'.*make labs"):
        grade_sheet(db, board, 2)  # lab 2 has a notebook that the gradebook lacks


def test_a_lab_without_notebook_or_metric_counts_the_latest_submission(db, tmp_path, monkeypatch):
    monkeypatch.setattr(gradebook_module, "_lab_has_notebook", lambda lab: False)
    board = Leaderboard(tmp_path / "lb.sqlite")
    for score, when in ((70.0, "2025-03-01T10:00:00Z"), (90.0, "2025-03-03T10:00:00Z"), (80.0, "2025-03-02T10:00:00Z")):
        submit(board, "alice", score, None, None, when, lab=2)
    [row] = grade_sheet(db, tmp_path / "lb.sqlite", 2)
    assert (row["counted_submission"], row["autograder_total"], row["final_score"], row["final_max"]) == (
        "latest",
        90.0,
        90.0,
        100.0,
    )
    assert row["written_answers_max"] == row["notebook_autograded_score"] == row["leaderboard_public"] == ""


def test_the_graded_notebook_goes_where_formgrader_reads_it(db, tmp_path):
    graded = tmp_path / "graded.ipynb"
    shutil.copyfile(LAB1, graded)
    assert record_autograded(db, 1, "alice", {"test-mlp": (3, 3)}, notebook=graded) == []
    assert (db.parent / "autograded" / "alice" / "lab1" / "lab1.ipynb").read_bytes() == LAB1.read_bytes()
    [note] = record_autograded(db, 1, "../evil", {"test-mlp": (3, 3)}, notebook=graded)
    assert "cannot be a folder name" in note
    assert not (db.parent / "evil").exists() and not (db.parent.parent / "evil").exists()
    [note] = record_autograded(db, 1, "bob", {"test-mlp": (3, 3)}, notebook=tmp_path / "missing.ipynb")
    assert "not copied for formgrader" in note
