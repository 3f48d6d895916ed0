"""`select_best_run` on hidden run records, against the reference package."""

from __future__ import annotations

from autograder.pipeline.marks import graded
from autograder.suites.lab4 import cases
from autograder.suites.lab4.test_experiment_group import error_path_credit, raised_value_error

TARGET = "text_recognizer.training.selection:select_best_run"
IMPORTS = ("text_recognizer.training.selection",)
HIDDEN = "Checked on hidden run records: beyond the figures above, no details are shown."


def winners(sandbox, items: list[dict]) -> list:
    """The run id each call chose (None for None), or the string "error" when it raised."""
    chosen = []
    for item in items:
        reply = sandbox.call(TARGET, item["records"], item["metric"], item["mode"], imports=IMPORTS, timeout=30)
        value = reply.value if reply.ok else "error"
        chosen.append(value.get("run_id") if isinstance(value, dict) else value)
    return chosen


def _score(sandbox, items: list[dict], feedback, extra: tuple[int, int] = (0, 0)) -> None:
    got, expected = winners(sandbox, items), [cases.select(item) for item in items]
    happy = sum(g == e for g, e in zip(got, expected))
    right = happy + error_path_credit(bool(extra[0]), happy)
    total = len(expected) + extra[1]
    if "error" in got:
        feedback.say("select_best_run raised on some of the records")
    feedback.partial(right / total, f"{right} of {total} cases right.")
    assert right == total, "the best run was not the expected one in some cases"


@graded("select_best_run: direction (min and max)", 6, hidden_message=HIDDEN)
def test_direction(sandbox, seed, feedback):
    _score(sandbox, cases.direction_cases(seed), feedback)


@graded("select_best_run: failed, stopped, NaN and missing metrics never win", 10, hidden_message=HIDDEN)
def test_never_win(sandbox, seed, feedback):
    _score(sandbox, cases.never_win_cases(seed), feedback)


@graded("select_best_run: ties go to the earlier run; None when no run qualifies; a bad mode raises", 6,
        hidden_message=HIDDEN)
def test_ties_none_and_mode(sandbox, seed, feedback):
    bad = cases.direction_cases(seed)[0]
    reply = sandbox.call(TARGET, bad["records"], bad["metric"], "smallest", imports=IMPORTS, timeout=30)
    raised = raised_value_error(reply)
    if not raised:
        feedback.say("mode 'smallest' must raise ValueError")
    _score(sandbox, [*cases.tie_cases(seed), cases.none_case(seed)], feedback, extra=(int(raised), 1))
