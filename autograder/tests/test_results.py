"""Results validation and the writer that always leaves a valid results.json."""

from __future__ import annotations

import json

import pytest

from autograder.records.results import (
    LeaderboardEntry,
    Results,
    TestResult,
    fallback_results,
    validate_results,
    write_results,
)


def sample() -> Results:
    return Results(
        tests=[TestResult("a", 2.0, 2.0, "fine"), TestResult("b", 0.5, 3.0, "partial")],
        leaderboard=[
            LeaderboardEntry("Accuracy (public)", 0.8, "desc"),
            LeaderboardEntry("Accuracy (private)", 0.7, "desc", public=False),
        ],
        output="summary",
        execution_time=1.25,
    )


def test_results_follow_gradescope_format(tmp_path):
    data = write_results(tmp_path / "results.json", sample())
    assert json.loads((tmp_path / "results.json").read_text()) == data
    assert validate_results(data) == []
    assert data["score"] == 2.5 and data["execution_time"] == 1.25
    assert [t["status"] for t in data["tests"]] == ["passed", "failed"]
    assert data["leaderboard"] == [{"name": "Accuracy (public)", "value": 0.8, "order": "desc"}]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(score=float("nan")), "score"),
        (lambda d: d.update(score=99), "not the sum"),
        (lambda d: d["tests"][0].update(score=5), "between 0 and max_score"),
        (lambda d: d["tests"][0].update(status="ok"), "status"),
        (lambda d: d["tests"][0].update(visibility="public"), "visibility"),
        (lambda d: d["tests"][1].update(name="a"), "used twice"),
        (lambda d: d["leaderboard"][0].update(order="up"), "order"),
        (lambda d: d["leaderboard"][0].update(value="high"), "value"),
        (lambda d: d.pop("execution_time"), "execution_time"),
    ],
)
def test_invalid_results_are_named(change, problem):
    data = sample().to_json()
    change(data)
    assert any(problem in p for p in validate_results(data))


def test_an_invalid_document_is_replaced_by_the_fallback(tmp_path):
    data = sample().to_json()
    data["tests"][0]["score"] = float("inf")
    written = write_results(tmp_path / "results.json", data)
    assert written["score"] == 0 and "internal error while writing results" in written["output"]
    assert validate_results(json.loads((tmp_path / "results.json").read_text())) == []


def test_a_results_object_that_breaks_is_replaced_by_the_fallback(tmp_path):
    class Broken(Results):
        def to_json(self):
            raise RuntimeError("boom")

    written = write_results(tmp_path / "results.json", Broken())
    assert written["tests"] == [] and "boom" in written["output"]


def test_fallback_is_valid():
    assert validate_results(fallback_results("x", 3.0)) == []


def test_results_stay_under_a_mebibyte_whatever_the_feedback_says(tmp_path):
    from autograder.records.results import MAX_RESULTS_BYTES, MAX_TEST_OUTPUT

    flood = "\\u0000\n" * 3_000_000  # JSON escapes make every character cost bytes
    results = Results(tests=[TestResult(f"test {i}", 1.0, 2.0, flood) for i in range(300)], output=flood)
    path = tmp_path / "results.json"
    written = write_results(path, results)
    assert path.stat().st_size < MAX_RESULTS_BYTES
    assert validate_results(written) == [] and written["score"] == 300.0
    assert len(written["tests"]) == 300
    assert all(len(t["output"]) <= MAX_TEST_OUTPUT and t["output"].endswith("[... cut ...]") for t in written["tests"])
    assert json.loads(path.read_text())["tests"][0]["output"].startswith("\\u0000")


def test_one_long_output_is_cut_to_its_cap(tmp_path):
    from autograder.records.results import MAX_TEST_OUTPUT

    written = write_results(tmp_path / "r.json", Results(tests=[TestResult("a", 1.0, 1.0, "x" * 10**6)]))
    assert len(written["tests"][0]["output"]) == MAX_TEST_OUTPUT
