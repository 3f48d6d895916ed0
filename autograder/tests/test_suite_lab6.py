"""Lab 6: the honest solution gets full marks, the stubbed lab zero (its route raises
NotImplementedError, so every request answers 500; its Dockerfile lacks the dependencies stage and
its CI file the lint job)."""

from __future__ import annotations

import dataclasses

import pytest

from autograder.labs import write_lab
from autograder.tests.conftest import TEST_LIMITS, assert_full_marks, assert_zero, graded_once
from autograder.tests.hostile import append

LIMITS = dataclasses.replace(TEST_LIMITS, timeout_scale=0.5)
ROUTE = "text_recognizer/api/predict_route.py"
#: Routes that never read an image (each earned points before: 17.5 and 45 of 100).
DEGENERATE_ROUTES = {
    "always_400": """
def predict_response(request, recognizer, max_pixels):
    raise ApiError(400, "bad_request", "no")
""",
    "invented_fields": """
def predict_response(request, recognizer, max_pixels):
    kind = request.args.get("kind") or "line"
    if kind not in ("line", "page"):
        raise ApiError(400, "unknown_kind", "unknown kind")
    if kind == "page":
        raise ApiError(501, "no_page_reader", "no page reader")
    if not request.get_data():
        raise ApiError(400, "empty_body", "empty body")
    line = {"box": {"x": 0, "y": 0, "width": 1, "height": 1}, "text": "the", "confidence": 0.5}
    return {"text": "the", "kind": "line", "lines": [line], "confidence": 0.5, "time_ms": 2.0,
            "predict_ms": 1.0, "model": {"name": "line model"}, "image": {"width": 1, "height": 1}}
""",
}


@pytest.fixture(scope="module")
def graded(sandbox_ok, tmp_path_factory, grade_submission):
    root = tmp_path_factory.mktemp("lab6")
    sources = {"honest": write_lab(6, root / "honest", solved=True),
               "stub": write_lab(6, root / "stub", solved=False, prefer_committed=False)}
    for name, code in DEGENERATE_ROUTES.items():
        route = write_lab(6, root / name, solved=True) / ROUTE
        route.write_text(append(code)(route.read_text()))
        sources[name] = route.parents[2]
    return graded_once(grade_submission, sources, lab=6, limits=LIMITS)


def test_lab6_honest_solution_scores_full_marks(graded):
    assert_full_marks(graded("honest"), lab=6)


def test_lab6_stubbed_lab_scores_zero(graded):
    assert_zero(graded("stub"))


@pytest.mark.parametrize("name", list(DEGENERATE_ROUTES))
def test_lab6_routes_that_never_read_an_image_score_zero(graded, name):
    """Error, kind and provenance points count only beside hidden lines read right (the file
    exercises, solved in these labs, earn their own points)."""
    route_rows = [(t["name"], t["score"]) for t in graded(name).results["tests"] if t["name"].startswith("predict:")]
    assert route_rows and not [row for row in route_rows if row[1]], route_rows
