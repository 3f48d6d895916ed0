"""The student's drift check (text_recognizer/monitoring/drift.py: `detect_drift`) on hidden windows.

The grader's `drift_check` recipe calls `detect_drift(reference, window, **options)` in the
sandbox; the `drift_report` observer reads the report's fields. Every expectation is the course's
reference implementation run here, in the parent, on the same arrays (`drift_cases.py`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.pipeline.marks import graded
from autograder.suites.reference import reference_module
from autograder.suites.lab7 import drift_cases

CHECK = ("drift_check", {})
IMPORTS = ("text_recognizer.monitoring.drift",)
HIDDEN_MESSAGE = "Graded on hidden windows of request features: beyond the figures above, no details are shown."
STATISTIC_TOLERANCE = 1e-9
PSI_TOLERANCE = 1e-6
P_VALUE_RELATIVE = 1e-4
"""The p-values of `scipy.stats.ks_2samp` are reproducible; tiny ones are compared relatively."""


@pytest.fixture(scope="module")
def cases(seed, hidden) -> dict[str, list[drift_cases.DriftCase]]:
    return drift_cases.build(seed, hidden.profile)


def check(sandbox, items: list[drift_cases.DriftCase], timeout: float = 120) -> list[dict]:
    """The student's reports, one per case (`{"error": text}` for a case that raised)."""
    calls = sandbox.call("check", [c.request() for c in items], each=True, on=CHECK, observe="drift_report",
                         imports=IMPORTS, timeout=timeout).unwrap()
    assert isinstance(calls, list) and len(calls) == len(items), "no report per window"
    return [call["value"] if call.get("ok") is True else {"error": str(call.get("error", ""))[:120]}
            for call in calls]


def close(got, expected: float, absolute: float, relative: float = 0.0) -> bool:
    return isinstance(got, (int, float)) and math.isfinite(got) and math.isclose(
        got, expected, abs_tol=absolute, rel_tol=relative)


def value_problems(report: dict, expected: dict) -> list[str]:
    """What differs between the student's report and the reference's, feature by feature."""
    if "error" in report:
        return [f"raised {report['error']}"]
    problems = []
    if report.get("feature_order") != list(expected["features"]):
        problems.append("the features are not the reference's, in its order")
    for name, want in expected["features"].items():
        got = report.get("features", {}).get(name, {})
        if not close(got.get("statistic"), want["statistic"], STATISTIC_TOLERANCE):
            problems.append(f"{name}: KS statistic")
        if not close(got.get("p_value"), want["p_value"], 1e-12, P_VALUE_RELATIVE):
            problems.append(f"{name}: p-value")
        if not close(got.get("psi"), want["psi"], PSI_TOLERANCE, 1e-9):
            problems.append(f"{name}: PSI")
        if got.get("drifted") is not want["drifted"]:
            problems.append(f"{name}: drifted")
    return problems


def score_verdicts(feedback, items: list[drift_cases.DriftCase], reports: list[dict]) -> None:
    """Each case right when the drifted features are the reference's (and those it was drawn for)."""
    right = 0
    for case, report in zip(items, reports, strict=True):
        expected = case.expected()["drifted"]
        got = report.get("drifted") if "error" not in report else None
        ok = got == expected and (case.intended is None or tuple(expected) == case.intended)
        right += ok
        shown = got if got is not None else report.get("error")
        feedback.say(f"{'ok  ' if ok else 'FAIL'} {case.what}: expected drifted {expected}, got {shown}")
    feedback.partial(right / len(items), f"{right} of {len(items)} windows judged right.")
    assert right == len(items), "some windows were judged wrong"


@graded("drift: KS statistic, p-value and PSI of every feature", 15, hidden_message=HIDDEN_MESSAGE)
def test_values(sandbox, feedback, cases):
    items = cases["values"]
    right = 0
    for case, report in zip(items, check(sandbox, items), strict=True):
        problems = value_problems(report, case.expected())
        right += not problems
        feedback.say(f"{'ok  ' if not problems else 'FAIL'} {case.what}"
                     f"{': ' + ', '.join(problems[:4]) if problems else ''}")
    feedback.partial(right / len(items), f"{right} of {len(items)} windows with every value right.")
    assert right == len(items), "some values differ from the reference's (scipy's ks_2samp, the PSI formula)"


@graded("drift: drifted windows flagged on the right features", 15, hidden_message=HIDDEN_MESSAGE)
def test_drifted_windows(sandbox, feedback, cases):
    score_verdicts(feedback, cases["drifted"], check(sandbox, cases["drifted"]))


@graded("drift: reference-like windows do not alert", 10, hidden_message=HIDDEN_MESSAGE)
def test_reference_like_windows(sandbox, feedback, cases):
    # Judged with the drifted ones in the same call: a check that flags everything scores nothing.
    items = cases["reference_like"] + cases["drifted"][:2]
    reports = check(sandbox, items)
    like = len(cases["reference_like"])
    quiet = sum("error" not in r and r.get("drifted") == [] for r in reports[:like])
    flagged = all("error" not in r and r.get("drifted") for r in reports[like:])
    feedback.say(f"{quiet} of {like} reference-like windows raised no alert; the drifted windows beside them "
                 f"{'did' if flagged else 'did NOT'} alert")
    feedback.partial(quiet / like * flagged, "")
    assert flagged, "the drifted windows did not alert, so quiet windows prove nothing"
    assert quiet == like, "a reference-like window alerted"


@graded("drift: score, window size and thresholds", 5, hidden_message=HIDDEN_MESSAGE)
def test_score_and_options(sandbox, feedback, cases):
    items = cases["options"] + cases["values"][-1:]
    reports = check(sandbox, items)
    checks: dict[str, bool] = {}
    for case, report in zip(items, reports, strict=True):
        expected = case.expected()
        checks[f"{case.what}: drifted {expected['drifted']}"] = report.get("drifted") == expected["drifted"]
        checks[f"{case.what}: score = the largest PSI"] = close(report.get("score"), expected["score"], PSI_TOLERANCE)
        checks[f"{case.what}: window size {expected['window_size']}"] = (
            report.get("window_size") == expected["window_size"])
    for name, ok in checks.items():
        feedback.say(f"{'ok  ' if ok else 'FAIL'} {name}")
    feedback.partial(sum(checks.values()) / len(checks), "")
    assert all(checks.values()), "the score, the window size or the thresholds are not the reference's"


def edge_cases(case: drift_cases.DriftCase) -> list[tuple[str, dict, str | None]]:
    """(what, request, the feature a ValueError must name, or None when the check must answer)."""
    reference, window = case.reference, case.window
    constant = {"height": reference["height"], "line_count": reference["line_count"]}
    return [
        ("constant features (every line 28 high, one line)", {"reference": constant, "window": {
            "height": window["height"], "line_count": window["line_count"]}}, None),
        ("an empty window", {"reference": reference, "window": {n: np.zeros(0) for n in reference}},
         next(iter(reference))),
        ("a window without the feature 'confidence'", {"reference": reference, "window": {
            n: v for n, v in window.items() if n != "confidence"}}, "confidence"),
        ("a window whose 'contrast' is NaN in every request", {"reference": reference, "window": {
            **window, "contrast": np.full(len(window["contrast"]), np.nan)}}, "contrast"),
        ("no features at all", {"reference": {}, "window": {}}, None),
    ]


@graded("drift: constant features, empty and incomplete windows", 10, hidden_message=HIDDEN_MESSAGE)
def test_edge_cases(sandbox, feedback, cases):
    reference_drift = reference_module("text_recognizer.monitoring.drift")
    items = edge_cases(cases["reference_like"][0])
    calls = sandbox.call("check", [request for _, request, _ in items], each=True, on=CHECK,
                         observe="drift_report", imports=IMPORTS, timeout=120).unwrap()
    right = 0
    for (what, request, feature), call in zip(items, calls, strict=True):
        if feature is not None:
            error = str(call.get("error", "")) if call.get("ok") is False else ""
            ok = error.startswith("ValueError") and feature in error.partition(":")[2]
            expectation = f"a ValueError naming {feature!r}"
            got = error or "an answer"
        else:
            expected = reference_drift.drift_report_json(request["reference"], request["window"])
            report = call.get("value") if call.get("ok") is True else {"error": str(call.get("error", ""))}
            problems = value_problems(report, expected)
            if "error" not in report:
                if report.get("drifted") != expected["drifted"]:
                    problems.append("drifted")
                if not close(report.get("score"), expected["score"], PSI_TOLERANCE):
                    problems.append("score")
            ok = not problems
            expectation = "the reference's finite values, no drift"
            got = ", ".join(problems[:3]) or "right"
        right += ok
        feedback.say(f"{'ok  ' if ok else 'FAIL'} {what}: expected {expectation}, got {got}")
    feedback.partial(right / len(items), f"{right} of {len(items)} edge cases handled as the docstring says.")
    assert right == len(items), "some edge cases were not handled as the docstring says"
