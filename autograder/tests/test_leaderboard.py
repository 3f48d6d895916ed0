"""Leaderboard: best per student, ties to the earlier submission, public and private splits, HTML, web."""

from __future__ import annotations

import pytest

from autograder.records.leaderboard import Leaderboard, format_table, normalize_time, render_html
from autograder.records.web import create_app


@pytest.fixture
def board(tmp_path) -> Leaderboard:
    board = Leaderboard(tmp_path / "lb.sqlite")

    def add(student, public, private, when, score=100.0):
        board.record(
            lab=1,
            student=student,
            score=score,
            max_score=100,
            metric="Accuracy (public)",
            order="desc",
            public_value=public,
            private_value=private,
            submitted_at=when,
        )

    add("alice", 0.80, 0.70, "2025-03-01T10:00:00Z")
    add("alice", 0.85, 0.60, "2025-03-02T10:00:00Z")  # her best public: shown, and used privately
    add("bob", 0.85, 0.90, "2025-03-01T12:00:00+02:00")  # same value as alice's best, but earlier
    add("carol", 0.85, 0.90, "2025-03-03T09:00:00Z")
    add("carol", 0.85, 0.10, "2025-03-01T09:00:00Z")  # a tie with herself: the earlier one counts
    add("dave", None, None, "2025-03-01T08:00:00Z", score=0.0)  # crashed: last
    return board


def test_public_table_takes_each_students_best_and_breaks_ties_by_time(board):
    rows = board.table(1, "public")
    assert [(r.student, r.value) for r in rows] == [
        ("carol", 0.85),
        ("bob", 0.85),
        ("alice", 0.85),
        ("dave", None),
    ]
    assert [r.rank for r in rows] == [1, 2, 3, 4]
    assert rows[2].submitted_at == "2025-03-02T10:00:00+00:00" and rows[2].submissions == 2


def test_private_table_ranks_the_same_submissions_by_the_private_split(board):
    rows = board.table(1, "private")
    assert [(r.student, r.value) for r in rows] == [
        ("bob", 0.9),
        ("alice", 0.6),
        ("carol", 0.1),
        ("dave", None),
    ]


def test_ascending_metrics_prefer_lower_values(tmp_path):
    board = Leaderboard(tmp_path / "cer.sqlite")
    for student, cer in (("x", 0.2), ("y", 0.1), ("z", 0.3)):
        board.record(
            lab=3,
            student=student,
            score=1,
            max_score=1,
            metric="CER (public)",
            order="asc",
            public_value=cer,
            private_value=cer,
            submitted_at="2025-01-01T00:00:00Z",
        )
    assert [r.student for r in board.table(3)] == ["y", "x", "z"]
    assert board.metric(3) == ("CER (public)", "asc")


def test_bad_inputs_are_refused_clearly(board):
    with pytest.raises(ValueError, match="asc"):
        board.record(lab=1, student="e", score=0, max_score=1, metric="m", order="up", public_value=1, private_value=1)
    with pytest.raises(ValueError, match="ISO 8601"):
        normalize_time("yesterday")
    with pytest.raises(ValueError, match="split"):
        board.table(1, "secret")


def test_text_and_html_tables_escape_and_show_the_split(board):
    board.record(
        lab=1,
        student="<script>alert(1)</script>",
        score=1,
        max_score=100,
        metric="Accuracy (public)",
        order="desc",
        public_value=0.1,
        private_value=0.1,
    )
    text = format_table(board.table(1), "Accuracy", "public")
    assert text.splitlines()[2].split()[1] == "carol"
    page = render_html(1, board.table(1), "Accuracy", "public")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "Public split" in page


def test_web_view_serves_public_tables_and_hides_the_final_ranking(board):
    client = create_app(board.path).test_client()
    assert b"Lab 1" in client.get("/").data
    page = client.get("/lab/1").data.decode()
    assert "carol" in page and "Public split" in page
    assert client.get("/lab/1.json").get_json()["rows"][0]["student"] == "carol"
    assert client.get("/lab/1/final").status_code == 404
    final = create_app(board.path, show_final=True).test_client().get("/lab/1/final").data.decode()
    assert "Private split" in final and final.index("bob") < final.index("alice")
