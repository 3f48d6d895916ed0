"""The student's `lenet`, built with hidden arguments and verified against the reference LeNet.

Each test is one results row; its two argument sets are the row's cases, each worth a half.
A network is believed only once verified: its reported weights, loaded into the reference
LeNet here, must give the logits it reported (a softmax at the end does not count as logits).
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.pipeline.marks import graded
from autograder.suites.reference import reference_module
from autograder.suites.networks import NetworkCheck, observe_and_verify, require_verified

CASES = {
    "A": {"input_shape": [28, 28], "num_classes": 7, "conv_dim": 4, "fc_dim": 16, "dropout": 0.3},
    "B": {"input_shape": [20, 16, 1], "num_classes": 3, "conv_dim": 2, "fc_dim": 8, "dropout": 0.0},
}
BATCH = 3
IMPORTS = ("keras", "text_recognizer.networks.lenet")


def _call(args: dict) -> str:
    return (f"lenet({tuple(args['input_shape'])}, num_classes={args['num_classes']}, conv_dim="
            f"{args['conv_dim']}, fc_dim={args['fc_dim']}, dropout={args['dropout']})")


@pytest.fixture(scope="module", params=list(CASES))
def lenet(request, sandbox, seed) -> tuple[dict, NetworkCheck]:
    """One argument set: the student's network, observed in the sandbox and verified here."""
    args = CASES[request.param]
    inputs = np.random.default_rng([seed, 21, ord(request.param)]).uniform(0, 1, size=(BATCH, *args["input_shape"]))
    inputs = inputs.astype(np.float32)
    reference = reference_module("text_recognizer.networks.lenet").lenet
    positional = (tuple(args["input_shape"]), args["num_classes"])
    keywords = {k: args[k] for k in ("conv_dim", "fc_dim", "dropout")}
    return args, observe_and_verify(sandbox, "text_recognizer.networks.lenet:lenet", positional, keywords, inputs,
                                    lambda: reference(*positional, **keywords), imports=IMPORTS)


def _verified(lenet, feedback) -> tuple[dict, NetworkCheck]:
    args, check = lenet
    return args, require_verified(check, feedback, _call(args))


@graded("LeNet: returns a keras.Model", 5, merge=True)
def test_returns_a_keras_model(lenet, feedback):
    _, check = _verified(lenet, feedback)
    assert check.is_keras_model, "the function must return a keras.Model"


@graded("LeNet: layers and logits follow the specification", 20, merge=True)
def test_layers_and_logits(lenet, feedback):
    _verified(lenet, feedback)


@graded("LeNet: logits have shape (batch, num_classes)", 10, merge=True)
def test_logits_shape(lenet, feedback):
    args, check = _verified(lenet, feedback)
    wanted = (BATCH, args["num_classes"])
    assert check.output_shape == wanted, f"logits shape {check.output_shape}, expected {wanted}"


@graded("LeNet: parameter count", 5, merge=True)
def test_parameter_count(lenet, feedback):
    _, check = _verified(lenet, feedback)
    assert check.reported_parameters == check.parameters, (
        f"Keras reports {check.reported_parameters} parameters; the specified layers have {check.parameters:,}")
