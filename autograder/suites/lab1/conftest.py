"""Lab 1's fixtures: the hidden set, and the grader's own network for predict_on_image."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.suites.reference import reference_module
from autograder.pipeline.lab_suites import prepare
from autograder.suites.lab1 import hidden_set as hidden_sets
from autograder.suites.networks import softmax

HIDDEN_UNITS = 32


@pytest.fixture(scope="session")
def hidden(grading, state_dir, seed) -> hidden_sets.HiddenSet:
    """The hidden set (built once per installation; its labels never enter the sandbox)."""
    prepare(1, state_dir)
    return hidden_sets.load_or_build(state_dir, seed)


@pytest.fixture(scope="session")
def grader_network(seed, hidden) -> dict:
    """Weights of a small dense network the parent knows, and images it classifies clearly.

    `predict_on_image` is graded with this network so that a wrong `mlp` costs nothing here.
    The images' predicted classes all differ, and none is a near-tie.
    """
    rng = np.random.default_rng([seed, 11])
    classes = len(hidden.mapping)
    weights = [rng.normal(0, 0.08, (784, HIDDEN_UNITS)), rng.normal(0, 0.1, HIDDEN_UNITS),
               rng.normal(0, 0.6, (HIDDEN_UNITS, classes)), rng.normal(0, 0.3, classes)]
    weights = [w.astype(np.float32) for w in weights]
    chosen, seen = [], set()
    for _ in range(2000):
        image = _stroke_image(rng)
        probabilities = forward(weights, image[None])[0]
        top = np.sort(probabilities)[-2:]
        index = int(np.argmax(probabilities))
        if top[1] - top[0] >= 0.02 and index not in seen:
            seen.add(index)
            chosen.append(image)
        if len(chosen) == 12:
            break
    while len(chosen) < 12:  # pathological weights: accept repeats rather than fail
        chosen.append(_stroke_image(rng))
    images = np.stack(chosen)
    return {"weights": weights, "uint8": np.round(images[:8] * 255).astype(np.uint8),
            "float": images[8:].astype(np.float32)}


def forward(weights: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """The grader network's probabilities, in numpy (x in [0, 1])."""
    kernel1, bias1, kernel2, bias2 = (w.astype(np.float64) for w in weights)
    hidden = np.maximum(x.reshape(len(x), -1) @ kernel1 + bias1, 0.0)
    return softmax(hidden @ kernel2 + bias2)


def _stroke_image(rng: np.random.Generator) -> np.ndarray:
    """A random stroke-like image in [0, 1]."""
    image = np.zeros((28, 28))
    for _ in range(rng.integers(2, 6)):
        r0, c0, r1, c1 = rng.integers(4, 24, size=4)
        steps = np.linspace(0, 1, 40)
        image[np.round(r0 + (r1 - r0) * steps).astype(int), np.round(c0 + (c1 - c0) * steps).astype(int)] = 1
    return np.clip(image + rng.random((28, 28)) * rng.uniform(0, 0.5), 0, 1)


@pytest.fixture(scope="session")
def reference_model():
    """The course's reference character model with its deployed weights (trusted, in the parent);
    None when solutions/ carries no deployed Lab 1 weights."""
    from autograder.paths import SOLUTIONS_DIR

    config = SOLUTIONS_DIR / "text_recognizer" / "weights" / "character_model_mlp.json"
    if not config.is_file():
        return None
    model_class = reference_module("text_recognizer.models.character_model").CharacterModel
    return model_class.load(config)


def reference_probabilities(model, images: np.ndarray) -> np.ndarray:
    """The reference model's class probabilities for uint8 images (N, 28, 28)."""
    import keras

    x = model.preprocess(np.asarray(images))
    logits = keras.ops.convert_to_numpy(model.network(x, training=False))
    return softmax(np.asarray(logits, dtype=np.float64))
