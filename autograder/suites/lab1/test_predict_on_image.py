"""`CharacterModel.predict_on_image`, graded with the grader's own network (weights known here).

Twelve images (uint8 and float) whose most probable classes all differ, once with the course
mapping and once with a shuffled one (the method must use `self.mapping`). One answer for every
image is a guess and earns nothing, even where it happens to hit.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.pipeline.marks import graded
from autograder.suites.lab1.conftest import forward

MAPPINGS = ("course mapping", "shuffled mapping")


@pytest.fixture(scope="module", params=MAPPINGS)
def predictions(request, sandbox, hidden, grader_network, seed) -> tuple[list[dict], list[dict]]:
    """(expected, observed) per image for one mapping."""
    mapping = list(hidden.mapping)
    if request.param == "shuffled mapping":
        order = np.random.default_rng([seed, 13]).permutation(len(mapping))
        mapping = [mapping[i] for i in order]
    expected = []
    for kind in ("uint8", "float"):
        images = grader_network[kind]
        x = images.astype(np.float64) / 255.0 if kind == "uint8" else images.astype(np.float64)
        for probabilities in forward(grader_network["weights"], x):
            index = int(np.argmax(probabilities))
            expected.append({"kind": kind, "character": mapping[index], "confidence": float(probabilities[index])})
    recipe = ("character_model", {"mapping": mapping, "weights": grader_network["weights"]})
    observed = []
    for kind in ("uint8", "float"):
        reply = sandbox.call("predict_on_image", grader_network[kind], each=True, on=recipe, observe="prediction",
                             imports=("keras", "text_recognizer.models.character_model"))
        calls = reply.value if reply.ok and isinstance(reply.value, list) else None
        count = len(grader_network[kind])
        if calls is None or len(calls) != count:
            observed += [{"ok": False, "error": reply.message()}] * count
        else:
            observed += calls
    return expected, observed


def _graded_calls(predictions, check, feedback) -> None:
    """Partial credit: the share of images for which `check(value, expected)` holds."""
    expected, observed = predictions
    values = [call.get("value") if isinstance(call, dict) and call.get("ok") is True
              and isinstance(call.get("value"), dict) else None for call in observed]
    answers = {v.get("text") for v in values if v is not None}
    guess = len(expected) > 1 and len(answers) == 1 and len({e["character"] for e in expected}) == len(expected)
    right = 0
    for index, (value, wanted, call) in enumerate(zip(values, expected, observed, strict=True)):
        problem = (f"raised {str(call.get('error', 'an exception'))[:300]}" if value is None
                   else check(value, wanted))
        if problem is None and not guess:
            right += 1
        elif problem and len(feedback.notes) < 4:
            feedback.say(f"image {index} ({wanted['kind']}): {problem}")
    if guess:
        feedback.say("the same character for every image earns nothing")
    feedback.partial(right / len(expected), f"{right} of {len(expected)} predictions right.")
    assert right == len(expected), "some predictions are wrong"


def _character(value: dict, wanted: dict) -> str | None:
    if value.get("text") == wanted["character"]:
        return None
    return f"expected {wanted['character']!r}, got {value.get('text')!r}"


@graded("predict_on_image: returns the most probable character", 15, merge=True)
def test_most_probable_character(predictions, feedback):
    _graded_calls(predictions, _character, feedback)


@graded("predict_on_image: confidence is the softmax probability", 10, merge=True)
def test_confidence(predictions, feedback):
    def check(value, wanted):
        confidence = value.get("confidence")
        if isinstance(confidence, float) and abs(confidence - wanted["confidence"]) <= 1e-4 + 1e-3 * wanted["confidence"]:
            return None
        return f"expected {wanted['confidence']:.5f}, got {confidence!r}"

    _graded_calls(predictions, check, feedback)


@graded("predict_on_image: returns a (str, float) pair", 5, merge=True)
def test_returns_a_pair(predictions, feedback):
    def check(value, wanted):
        # Type names are only claims: they count on predictions whose character is right.
        if (_character(value, wanted) is None and value.get("container") in ("tuple", "list")
                and value.get("length") == 2 and value.get("text_type") in ("str", "str_")
                and value.get("confidence_type") == "float"):
            return None
        return (f"got a {value.get('container')} of ({value.get('text_type')}, {value.get('confidence_type')}); "
                "expected a tuple (str, float) with the right character")

    _graded_calls(predictions, check, feedback)
