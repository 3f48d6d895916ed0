"""The student's `mlp`, built with hidden arguments and verified against the reference MLP.

Each test is one results row; its three argument sets are the row's cases, each worth a third.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.pipeline.marks import graded
from autograder.suites.reference import reference_module
from autograder.suites.networks import NetworkCheck, observe_and_verify, require_verified

CASES = {
    "A": {"input_shape": [28, 28], "num_classes": 80, "layer_size": 24, "num_layers": 2, "dropout": 0.25},
    "B": {"input_shape": [14, 14], "num_classes": 10, "layer_size": 12, "num_layers": 3, "dropout": 0.4},
    "C": {"input_shape": [28, 28], "num_classes": 5, "layer_size": 8, "num_layers": 1, "dropout": 0.0},
}


def _call(args: dict) -> str:
    return (f"mlp({tuple(args['input_shape'])}, num_classes={args['num_classes']}, layer_size="
            f"{args['layer_size']}, num_layers={args['num_layers']}, dropout={args['dropout']})")


@pytest.fixture(scope="module", params=list(CASES))
def mlp(request, sandbox, seed) -> tuple[dict, NetworkCheck]:
    """One argument set: the student's network, observed in the sandbox and verified here."""
    args = CASES[request.param]
    inputs = np.random.default_rng([seed, 12, ord(request.param)]).normal(size=(4, *args["input_shape"]))
    inputs = inputs.astype(np.float32)
    reference = reference_module("text_recognizer.networks.mlp").mlp
    positional = (tuple(args["input_shape"]), args["num_classes"])
    keywords = {k: args[k] for k in ("layer_size", "num_layers", "dropout")}
    return args, observe_and_verify(sandbox, "text_recognizer.networks.mlp:mlp", positional, keywords, inputs,
                                    lambda: reference(*positional, **keywords),
                                    imports=("keras", "text_recognizer.networks.mlp"))


def _verified(mlp, feedback) -> tuple[dict, NetworkCheck]:
    # The softmax case has a test of its own (test_returns_logits): not required here.
    args, check = mlp
    return args, require_verified(check, feedback, _call(args), logits=False)


@graded("MLP: returns a keras.Model", 4, merge=True)
def test_returns_a_keras_model(mlp, feedback):
    _, check = _verified(mlp, feedback)
    assert check.is_keras_model, "the function must return a keras.Model"


@graded("MLP: logits have shape (batch, num_classes)", 8, merge=True)
def test_logits_shape(mlp, feedback):
    args, check = _verified(mlp, feedback)
    wanted = (4, args["num_classes"])
    assert check.output_shape == wanted, f"logits shape {check.output_shape}, expected {wanted}"


@graded("MLP: layers follow the arguments (Flatten, Dense units, relu, Dropout rate)", 12, merge=True)
def test_layers_follow_the_arguments(mlp, feedback):
    args, check = _verified(mlp, feedback)
    rates = [layer.get("rate") for layer in check.layers or [] if layer.get("class_name") == "Dropout"]
    wanted = [args["dropout"]] * args["num_layers"] if args["dropout"] else []
    if not args["dropout"]:
        rates = [rate for rate in rates if rate]
    assert len(rates) == len(wanted) and np.allclose(rates, wanted), (
        f"Dropout rates {rates}: expected one Dropout({args['dropout']}) after each hidden layer")


@graded("MLP: returns logits, not probabilities", 8, merge=True)
def test_returns_logits(mlp, feedback):
    _, check = _verified(mlp, feedback)
    assert not check.applies_softmax, "the last layer applies a softmax; return raw logits (no activation)"


@graded("MLP: parameter count", 8, merge=True)
def test_parameter_count(mlp, feedback):
    _, check = _verified(mlp, feedback)
    assert check.reported_parameters == check.parameters, (
        f"Keras reports {check.reported_parameters} parameters; the specified layers have {check.parameters:,}")
