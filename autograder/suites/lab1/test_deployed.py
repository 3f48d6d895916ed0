"""The deployed CharacterPredictor: the support images, and the hidden set with its leaderboard."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.marks import graded
from autograder.paths import SUPPORT_IMAGES_DIR
from autograder.sandbox.session import SandboxFile

#: Public-half accuracy that earns full marks on the hidden-set test. The deployed reference
#: MLP reaches 0.85 on the substitute's test split; 0.75 leaves room for honest variation.
ACCURACY_TARGET = 0.75
CHANCE = 1 / 62
PREDICTOR = "text_recognizer.predictors:CharacterPredictor().predict"
BATCH = "text_recognizer.predictors:CharacterPredictor().model.predict_batch"
IMPORTS = ("keras", "text_recognizer.predictors")
CHECKED = 32
HIDDEN_MESSAGE = "Graded on hidden images: beyond the figures above, no details are shown."


@graded("Deployed predictor: support images", 10)
def test_support_images(sandbox, feedback):
    paths = sorted(SUPPORT_IMAGES_DIR.glob("*.png"))
    if not paths:
        pytest.skip("no support images in solutions/tests/support/emnist")
    files = [SandboxFile(f"image_{i:02d}.png", path.read_bytes()) for i, path in enumerate(paths)]
    reply = sandbox.call(PREDICTOR, files, each=True, observe="prediction", imports=IMPORTS, timeout=120)
    calls = reply.unwrap()
    right = 0
    for call, path in zip(calls, paths, strict=True):
        character = path.stem.split("_")[1]
        value = call.get("value") if call.get("ok") is True else None
        got = value.get("text") if isinstance(value, dict) else None
        confidence = value.get("confidence") if isinstance(value, dict) else None
        ok = got == character and isinstance(confidence, float) and 0.0 < confidence <= 1.0 + 1e-6
        right += ok
        shown = repr(got) if value else f"error: {str(call.get('error', ''))[:200]}"
        feedback.say(f"{'ok  ' if ok else 'FAIL'} expected {character!r}, got {shown}")
    feedback.partial(right / len(paths), f"{right} of {len(paths)} support images read right.")
    assert right == len(paths), "some support images were read wrong"


@graded("Deployed predictor: accuracy on the hidden set (public half)", 20, hidden_message=HIDDEN_MESSAGE,
        leaderboard=("Accuracy", "desc"))
def test_hidden_set_accuracy(sandbox, hidden, feedback, leaderboard):
    # The whole set goes through the deployed model in one batch (a second, instead of a minute
    # image by image); the first CHECKED images also go through the predictor itself, and the
    # agreement goes to the instructor's report.
    reply = sandbox.call(BATCH, hidden.images, observe="array", imports=IMPORTS, timeout=240)
    probabilities = reply.value if reply.ok else None
    if not (isinstance(probabilities, np.ndarray) and probabilities.ndim == 2
            and probabilities.shape[0] == len(hidden.labels)):
        leaderboard.publish(0.0)
        feedback.instructor("hidden_set", {"error": reply.message()})
        raise AssertionError("no answer per image")
    indices = probabilities.argmax(axis=-1)
    answers = [hidden.mapping[i] if i < len(hidden.mapping) else None for i in indices]
    checked = sandbox.call(PREDICTOR, hidden.images[:CHECKED], each=True, observe="prediction", imports=IMPORTS)
    agree = sum(isinstance(c, dict) and c.get("ok") is True and c["value"].get("text") == answer
                for c, answer in zip(checked.value if checked.ok else [], answers, strict=False))
    truth = [hidden.mapping[i] for i in hidden.labels]
    correct = np.array([a == t for a, t in zip(answers, truth, strict=True)])
    public, private = float(correct[hidden.public].mean()), float(correct[hidden.private].mean())
    leaderboard.publish(public, private)
    feedback.instructor("hidden_set", {"public_accuracy": public, "private_accuracy": private,
                                       "overall_accuracy": float(correct.mean()), "source": hidden.source,
                                       "size": int(len(correct)), "predictor_checked": CHECKED,
                                       "predictor_agreed": int(agree)})
    fraction = float(np.clip((public - CHANCE) / (ACCURACY_TARGET - CHANCE), 0.0, 1.0))
    feedback.partial(fraction, f"Accuracy on the public half of the hidden set: {public:.4f} "
                               f"({int(hidden.public.sum())} images; full marks from {ACCURACY_TARGET:.2f}).")
    assert fraction == 1.0, f"accuracy {public:.4f} is under the {ACCURACY_TARGET:.2f} that earns full marks"
