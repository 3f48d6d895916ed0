"""Credit only for working answers (issue 23, section 5): degenerate answers earn nothing beyond
the honest part of a submission.

- non-finite weights are refused before any comparison (`np.allclose` calls inf equal to inf);
- a predictor that answers one letter for every image (a lookup's fallback) earns no support
  image point, though that letter is right on some of them.

Lab 4's always-raising functions, Lab 5's two fixed page texts and Lab 6's routes that never read
an image are graded in `test_suite_lab4.py`, `test_suite_lab5.py` and `test_suite_lab6.py`.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

from autograder.paths import SUPPORT_IMAGES_DIR
from autograder.suites.networks import verify_network
from autograder.suites.reference import reference_module
from autograder.tests.conftest import needs_weights
from autograder.tests.hostile import inside_function

ARGS = ((6, 6), 3)
KEYWORDS = {"layer_size": 5, "num_layers": 1, "dropout": 0.0}


def _build():
    return reference_module("text_recognizer.networks.mlp").mlp(*ARGS, **KEYWORDS)


def _record(weights: list[np.ndarray], output: np.ndarray) -> dict:
    return {"output": {"ok": True, "value": output}, "weights": {"ok": True, "value": weights}}


def test_finite_weights_that_compute_the_output_are_verified():
    """The honest part: the check below refuses non-finite values, not every network."""
    network = _build()
    inputs = np.random.default_rng(1).normal(size=(4, *ARGS[0])).astype(np.float32)
    output = np.asarray(network(inputs, training=False), dtype=np.float64)
    assert verify_network(_record(network.get_weights(), output), _build, inputs).verified


@pytest.mark.parametrize("poison", [np.inf, np.nan, -np.inf])
def test_non_finite_weights_are_refused_before_any_comparison(poison):
    weights = [np.full(w.shape, poison, np.float32) for w in _build().get_weights()]
    inputs = np.random.default_rng(2).normal(size=(4, *ARGS[0])).astype(np.float32)
    check = verify_network(_record(weights, np.full((4, ARGS[1]), poison)), _build, inputs)
    assert not check.verified and "NaN or infinity" in check.message


def test_finite_weights_that_overflow_to_infinity_are_refused():
    weights = [np.full(w.shape, 3e38, np.float32) for w in _build().get_weights()]
    inputs = np.abs(np.random.default_rng(3).normal(size=(4, *ARGS[0]))).astype(np.float32) + 1
    check = verify_network(_record(weights, np.full((4, ARGS[1]), np.inf)), _build, inputs)
    assert not check.verified and "NaN or infinity" in check.message


FALLBACK = '''
        return ({letter!r}, 0.9)
'''


@needs_weights
@pytest.mark.long
@pytest.mark.usefixtures("sandbox_ok")
def test_one_letter_for_every_image_earns_no_support_point(make_submission, grade_submission):
    letters = collections.Counter(path.stem.split("_")[1] for path in SUPPORT_IMAGES_DIR.glob("*.png"))
    letter, count = letters.most_common(1)[0]
    assert count >= 1
    submission = make_submission(name="fallback", patches={"text_recognizer/predictors/base.py": inside_function(
        "def predict(self, image: str | Path | bytes | np.ndarray) -> tuple[str, float]:",
        FALLBACK.format(letter=letter))})
    graded = grade_submission(submission, student="fallback")
    assert graded.test("Deployed predictor: support images")["score"] == 0
    assert graded.group_score("predict_on_image:") == (30, 30)  # the honest rest still counts
