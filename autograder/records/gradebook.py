"""The nbgrader gradebook: autograded notebook scores go in, the final grade sheet comes out.

`make labs` (instructor/generate.py) runs nbgrader's `generate_assignment` on each lab notebook
in `build/nbgrader/`, which records assignment `lab<N>` with one notebook `lab<N>` and its graded
cells in `build/nbgrader/gradebook.db`. The autograder scores the notebook's test cells in the
sandbox (notebooks.py); `record_autograded` then writes those scores into that gradebook through
nbgrader's own API, so that formgrader shows them next to the written answers a TA grades there.

`grade_sheet` / `export_grade_sheet` join, per student, the autograder's leaderboard database
(the hidden-suite total, which already includes the notebook's test cells) with the gradebook
(the notebook's test cells again, for reference, and the written answers graded by hand).

Which autograder submission counts (the leaderboard has every submission):
- the leaderboard's *best* submission (leaderboard.py's rule: best public value, ties to the
  earlier one) when the student has a submission with a leaderboard value;
- otherwise (labs without a leaderboard metric, or only crashed submissions) the *latest*
  submission (latest `submitted_at`, then the latest row), since the earliest would punish
  students for improving.

The gradebook keeps one submission per student and assignment: the notebook scores of the
latest submission `record_autograded` was given (see its docstring).
"""

from __future__ import annotations

import csv
import math
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.errors import GraderError
from autograder.paths import REPO_ROOT, SOLUTIONS_DIR
from autograder.records.leaderboard import Leaderboard, Submission, _rank_key, normalize_time

if TYPE_CHECKING:
    from nbgrader.api import Gradebook

#: Where `make labs` leaves the course's gradebook (instructor/layout.py NBGRADER_COURSE_DIR).
DEFAULT_GRADEBOOK = REPO_ROOT / "build" / "nbgrader" / "gradebook.db"

#: generate_assignment runs with nbgrader's default CourseDirectory.course_id, which is "".
#: Opening the gradebook with the same id keeps nbgrader from adding a course row of its own.
COURSE_ID = ""

#: Columns of the grade sheet, in order.
COLUMNS = (
    "student",
    "lab",
    "autograder_total",
    "autograder_max",
    "notebook_autograded_score",
    "notebook_autograded_max",
    "notebook_ta_adjustment",
    "written_answers_score",
    "written_answers_max",
    "written_answers_ungraded",
    "final_score",
    "final_max",
    "leaderboard_metric",
    "leaderboard_public",
    "leaderboard_private",
    "counted_submission",
    "submitted_at",
    "submissions",
    "notebook_submitted_at",
)

_MAKE_LABS = "run `make labs` (it records every lab notebook in the gradebook with nbgrader generate_assignment)"


def assignment_name(lab: int) -> str:
    """nbgrader's assignment (and notebook) name of lab `lab`, as instructor/generate.py records it."""
    return f"lab{lab}"


def _lab_has_notebook(lab: int) -> bool:
    return (SOLUTIONS_DIR / "notebooks" / f"{assignment_name(lab)}.ipynb").is_file()


@contextmanager
def _open(db: Path) -> Iterator[Gradebook]:
    """nbgrader's Gradebook on an existing database file (never creates one)."""
    # Imported here: nbgrader takes seconds to import and most commands never need it.
    from nbgrader.api import Gradebook

    db = Path(db)
    if not db.is_file():
        raise GraderError(f"no nbgrader gradebook at {db}: {_MAKE_LABS}, or pass the right --gradebook")
    # A new gradebook would be created empty (and nbgrader runs `alembic` for it): refuse that
    # above. timeout: parallel graders wait for each other's writes instead of failing at once.
    try:
        gradebook = Gradebook(f"sqlite:///{db.resolve()}?timeout=30", course_id=COURSE_ID)
    except Exception as error:  # SQLAlchemy's errors: not a database, locked, unreadable...
        raise GraderError(f"cannot open the nbgrader gradebook {db}: {type(error).__name__}: {error}") from error
    try:
        yield gradebook
    finally:
        gradebook.close()


def record_autograded(
    db: Path,
    lab: int,
    student: str,
    cells: dict[str, tuple[float, float]],
    *,
    submitted_at: str | None = None,
    notebook: Path | None = None,
) -> list[str]:
    """Write the autograded notebook scores of one graded submission into the nbgrader gradebook.

    `cells` maps the grade_id of an autograded (test) cell of notebook `lab<N>` to (earned,
    max points). The student and their submission of assignment `lab<N>` are created when
    missing; each cell's `auto_score` is set as `nbgrader autograde` would (a grade a TA
    overrode is flagged for review again). Written answers are left to the TA.

    `submitted_at` (ISO 8601, as given to the leaderboard) becomes the gradebook submission's
    timestamp; scores older than the ones already recorded are not written (parallel grading
    may finish out of order), so the gradebook holds the latest submission's notebook.

    `notebook` (optional): the graded notebook (instructor's cells, the student's answers) to
    copy where formgrader looks for it, `<gradebook folder>/autograded/<student>/lab<N>/lab<N>.ipynb`
    (nbgrader's default layout); without that file formgrader cannot show the written answers.

    Never raises: every problem (no gradebook, lab not in it, unknown or manual grade_id, bad
    score) is returned as a note for the grading report, and the other cells are still recorded.
    """
    try:
        notes = _record(Path(db), lab, student, cells, submitted_at)
        if notebook is not None and not any(note.startswith("gradebook not updated") for note in notes):
            notes += _copy_for_formgrader(Path(db), lab, student, Path(notebook))
        return notes
    except GraderError as error:
        return [f"gradebook not updated: {error}"]
    except Exception as error:  # grading must go on whatever the gradebook does
        return [f"gradebook not updated ({db}): {type(error).__name__}: {error}"]


def _record(
    db: Path, lab: int, student: str, cells: dict[str, tuple[float, float]], submitted_at: str | None
) -> list[str]:
    from nbgrader.api import MissingEntry

    name = assignment_name(lab)
    if not isinstance(student, str) or not student.strip() or len(student) > 128:
        return [f"gradebook not updated: student id {student!r} is not 1-128 characters"]
    timestamp = normalize_time(submitted_at) if submitted_at is not None else None
    notes: list[str] = []
    with _open(db) as gradebook:
        try:
            gradebook.find_assignment(name)
            notebook = gradebook.find_notebook(name, name)
        except MissingEntry:
            return [f"gradebook not updated: {db} has no assignment {name!r} with notebook {name!r}; {_MAKE_LABS}"]
        manual = {cell.name for cell in notebook.solution_cells} | {cell.name for cell in notebook.task_cells}
        max_points = {cell.name: float(cell.max_score) for cell in notebook.grade_cells if cell.name not in manual}

        try:
            gradebook.find_student(student)
        except MissingEntry:
            gradebook.add_student(student)
        try:
            submission = gradebook.find_submission(name, student)
        except MissingEntry:
            with warnings.catch_warnings():
                # nbgrader's add_submission trips SQLAlchemy 2's autoflush warnings (harmless,
                # `nbgrader autograde` prints them too); they would only clutter the grader's log.
                warnings.simplefilter("ignore", category=Warning)
                submission = gradebook.add_submission(name, student, **({"timestamp": timestamp} if timestamp else {}))
        else:
            recorded = submission.timestamp
            new = _parse(timestamp)
            if recorded is not None and new is not None and new < recorded:
                return [
                    f"gradebook not updated: it already holds {student}'s {name} notebook submitted at "
                    f"{recorded.isoformat()} (UTC), later than this one ({timestamp})"
                ]
            if timestamp:
                submission.timestamp = new

        for grade_id, pair in cells.items():
            if grade_id in manual:
                notes.append(f"gradebook: {grade_id!r} is a written answer, graded by hand in formgrader: not recorded")
                continue
            if grade_id not in max_points:
                notes.append(
                    f"gradebook: notebook {name} has no autograded cell {grade_id!r} "
                    f"(it has {', '.join(sorted(max_points)) or 'none'}); {_MAKE_LABS} if the notebook changed"
                )
                continue
            try:
                earned, points = float(pair[0]), float(pair[1])
            except (TypeError, ValueError, IndexError):
                notes.append(f"gradebook: score of {grade_id!r} is not (earned, max points): {pair!r}; not recorded")
                continue
            if not (math.isfinite(earned) and math.isfinite(points)) or earned < 0:
                notes.append(f"gradebook: score of {grade_id!r} is {earned}/{points}; not recorded")
                continue
            expected = max_points[grade_id]
            if points != expected:
                notes.append(
                    f"gradebook: {grade_id!r} is worth {expected:g} points in the gradebook but {points:g} in the "
                    f"graded notebook; {_MAKE_LABS}"
                )
            if earned > expected:
                notes.append(f"gradebook: {grade_id!r} earned {earned:g} > {expected:g} points: {expected:g} recorded")
                earned = expected
            grade = gradebook.find_grade(grade_id, name, name, student)
            grade.auto_score = earned
            # nbgrader's SaveAutoGrades rule: a TA's earlier override needs another look.
            grade.needs_manual_grade = grade.manual_score is not None
        gradebook.db.commit()
    return notes


def _copy_for_formgrader(db: Path, lab: int, student: str, notebook: Path) -> list[str]:
    """Put the graded notebook where formgrader reads it; notes when it cannot."""
    # The student id becomes a folder name: it must stay one folder inside autograded/.
    if student in (".", "..") or student.startswith(".") or any(c in student for c in "/\\\0"):
        return [f"gradebook: student id {student!r} cannot be a folder name: notebook not copied for formgrader"]
    if not notebook.is_file() or notebook.is_symlink():
        return [f"gradebook: {notebook} is not a notebook file: not copied for formgrader"]
    name = assignment_name(lab)
    dest = db.parent / "autograded" / student / name / f"{name}.ipynb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, dest)
    return []


def _parse(timestamp: str | None) -> Any:
    """A naive UTC datetime, as nbgrader stores timestamps."""
    if timestamp is None:
        return None
    from nbgrader.utils import parse_utc

    return parse_utc(timestamp)


@dataclass(frozen=True)
class _NotebookScores:
    auto_score: float
    ta_adjustment: float
    written_score: float
    written_ungraded: int
    timestamp: str


def _manual_cells(notebook: Any) -> set[str]:
    """Names of a gradebook notebook's cells graded by hand: answers (grade + solution) and tasks."""
    return {c.name for c in notebook.solution_cells} | {c.name for c in notebook.task_cells}


def _gradebook_scores(db: Path, lab: int) -> tuple[dict[str, _NotebookScores], float, float] | None:
    """({student: notebook scores}, autograded max, written max) from the gradebook; None when
    the lab has no notebook at all."""
    from nbgrader.api import MissingEntry

    name = assignment_name(lab)
    with _open(db) as gradebook:
        try:
            assignment = gradebook.find_assignment(name)
        except MissingEntry:
            if _lab_has_notebook(lab):
                raise GraderError(f"{db} has no assignment {name!r}; {_MAKE_LABS}") from None
            return None
        # Maxima from the assignment itself: students without a gradebook submission have them too.
        auto_max = written_max = 0.0
        for notebook in assignment.notebooks:
            manual = _manual_cells(notebook)
            for cell in [*notebook.grade_cells, *notebook.task_cells]:
                if cell.name in manual:
                    written_max += float(cell.max_score)
                else:
                    auto_max += float(cell.max_score)
        scores: dict[str, _NotebookScores] = {}
        for submission in assignment.submissions:
            auto = adjustment = written = 0.0
            ungraded = 0
            for submitted in submission.notebooks:
                manual = _manual_cells(submitted.notebook)
                for grade in submitted.grades:
                    if grade.cell.name in manual:
                        written += float(grade.score or 0.0)
                        # nbgrader gives an unchanged answer auto_score 0 and needs no grade for it.
                        if grade.manual_score is None and (grade.needs_manual_grade or grade.auto_score is None):
                            ungraded += 1
                    else:
                        auto += float(grade.auto_score or 0.0)
                        # A TA's override in formgrader (manual score, extra credit) counts on top.
                        adjustment += float(grade.score or 0.0) - float(grade.auto_score or 0.0)
            timestamp = submission.timestamp.isoformat(timespec="seconds") + "+00:00" if submission.timestamp else ""
            scores[submission.student.id] = _NotebookScores(auto, adjustment, written, ungraded, timestamp)
    return scores, auto_max, written_max


def counted_submissions(board: Leaderboard, lab: int) -> dict[str, tuple[Submission, str, int]]:
    """Per student: (the submission that counts, "best" or "latest", number of submissions)."""
    by_student: dict[str, list[Submission]] = {}
    for submission in board.submissions(lab):
        by_student.setdefault(submission.student, []).append(submission)
    counted: dict[str, tuple[Submission, str, int]] = {}
    for student, subs in by_student.items():
        if any(s.public_value is not None for s in subs):
            # leaderboard.py's own ordering, so the sheet agrees with `leaderboard --lab N`.
            counted[student] = (min(subs, key=lambda s: _rank_key(s, s.public_value)), "best", len(subs))
        else:
            counted[student] = (max(subs, key=lambda s: (s.submitted_at, s.id)), "latest", len(subs))
    return counted


def grade_sheet(gradebook_db: Path, leaderboard_db: Path, lab: int) -> list[dict]:
    """The final grade sheet of lab `lab`: one row per student (sorted), columns `COLUMNS`.

    final_score = autograder_total + written_answers_score + notebook_ta_adjustment: the
    autograder total already holds the notebook's test cells, so notebook_autograded_* are
    shown for reference only. A student missing from one source gets empty columns for it (and
    counts 0 there). Raises GraderError when a database is missing or the gradebook lacks a lab
    that has a notebook.
    """
    leaderboard_db = Path(leaderboard_db)
    if not leaderboard_db.is_file():
        raise GraderError(
            f"no leaderboard database at {leaderboard_db}: grade submissions first "
            "(python -m autograder grade / grade-all) or pass the right --db"
        )
    board = Leaderboard(leaderboard_db)
    counted = counted_submissions(board, lab)
    from_gradebook = _gradebook_scores(Path(gradebook_db), lab)
    notebook = from_gradebook[0] if from_gradebook is not None else {}
    students = sorted(set(counted) | set(notebook))
    # Every submission of a lab has the suite's maximum: it stands for students never graded.
    lab_max = max((sub.max_score for sub, _, _ in counted.values()), default=0.0)
    rows: list[dict] = []
    for student in students:
        row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
        row.update(student=student, lab=lab, submissions=0)
        total, maximum = 0.0, lab_max
        if student in counted:
            sub, choice, count = counted[student]
            row.update(
                autograder_total=sub.score,
                autograder_max=sub.max_score,
                leaderboard_metric=sub.metric,
                leaderboard_public=_blank(sub.public_value),
                leaderboard_private=_blank(sub.private_value),
                counted_submission=choice,
                submitted_at=sub.submitted_at,
                submissions=count,
            )
            total, maximum = sub.score, sub.max_score
        if from_gradebook is not None:
            _, auto_max, written_max = from_gradebook
            row.update(notebook_autograded_max=auto_max, written_answers_max=written_max)
            maximum += written_max
            scores = notebook.get(student)
            if scores is not None:
                row.update(
                    notebook_autograded_score=scores.auto_score,
                    notebook_ta_adjustment=scores.ta_adjustment,
                    written_answers_score=scores.written_score,
                    written_answers_ungraded=scores.written_ungraded,
                    notebook_submitted_at=scores.timestamp,
                )
                total += scores.written_score + scores.ta_adjustment
        row["final_score"], row["final_max"] = round(total, 6), round(maximum, 6)
        rows.append(row)
    return rows


def _blank(value: float | None) -> float | str:
    return "" if value is None else value


def export_grade_sheet(gradebook_db: Path, leaderboard_db: Path, lab: int, to: Path) -> tuple[Path, int]:
    """Write `grade_sheet(...)` as CSV (header `COLUMNS`) to `to`; returns (path, number of students)."""
    rows = grade_sheet(gradebook_db, leaderboard_db, lab)
    to = Path(to)
    to.parent.mkdir(parents=True, exist_ok=True)
    with to.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return to, len(rows)
