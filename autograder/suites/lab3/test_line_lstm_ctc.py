"""The student's `line_lstm_ctc`, built with hidden arguments and verified against the reference.

Each test is one results row; its two argument sets are the row's cases, each worth a half. A
network is believed only once verified: its reported weights, loaded into the reference network
here, must give the logits it reported (a softmax at the end does not count as logits).
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.pipeline.marks import graded
from autograder.suites.reference import reference_module
from autograder.suites.networks import NetworkCheck, observe_and_verify, require_verified

CASES = {
    "A": {"input_shape": [28, 84], "num_classes": 9, "window_width": 14, "window_stride": 7, "lstm_dim": 6,
          "bidirectional": True, "dropout": 0.1, "conv_dim": 2, "fc_dim": 8},
    "B": {"input_shape": [16, 64], "num_classes": 5, "window_width": 16, "window_stride": 8, "lstm_dim": 4,
          "bidirectional": False, "dropout": 0.0, "conv_dim": 3, "fc_dim": 6, "padding": "valid"},
}
BATCH = 2
IMPORTS = ("keras", "text_recognizer.networks.line_lstm_ctc")


def _keywords(args: dict) -> dict:
    return {k: v for k, v in args.items() if k not in ("input_shape", "num_classes")}


def _call(args: dict) -> str:
    return (f"line_lstm_ctc({tuple(args['input_shape'])}, {args['num_classes']}, "
            + ", ".join(f"{k}={v!r}" for k, v in _keywords(args).items()) + ")")


@pytest.fixture(scope="module", params=list(CASES))
def network(request, sandbox, seed) -> tuple[dict, NetworkCheck]:
    """One argument set: the student's network, observed in the sandbox and verified here."""
    args = CASES[request.param]
    rng = np.random.default_rng([seed, 34, ord(request.param)])
    inputs = rng.uniform(0, 1, size=(BATCH, *args["input_shape"])).astype(np.float32)
    reference = reference_module("text_recognizer.networks.line_lstm_ctc").line_lstm_ctc
    positional = (tuple(args["input_shape"]), args["num_classes"])
    return args, observe_and_verify(sandbox, "text_recognizer.networks.line_lstm_ctc:line_lstm_ctc", positional,
                                    _keywords(args), inputs, lambda: reference(*positional, **_keywords(args)),
                                    imports=IMPORTS, timeout=90)


def _verified(network, feedback) -> tuple[dict, NetworkCheck]:
    args, check = network
    return args, require_verified(check, feedback, _call(args))


@graded("line_lstm_ctc: returns a keras.Model", 5, merge=True)
def test_returns_a_keras_model(network, feedback):
    _, check = _verified(network, feedback)
    assert check.is_keras_model, "the function must return a keras.Model"


@graded("line_lstm_ctc: layers and logits follow the specification", 10, merge=True)
def test_layers_and_logits(network, feedback):
    _verified(network, feedback)


@graded("line_lstm_ctc: logits have shape (batch, num_windows, num_classes)", 5, merge=True)
def test_logits_shape(network, feedback):
    args, check = _verified(network, feedback)
    windows = reference_module("text_recognizer.networks.line_cnn").num_windows(
        args["input_shape"][1], args["window_width"], args["window_stride"], args.get("padding", "same"))
    wanted = (BATCH, windows, args["num_classes"])
    assert check.output_shape == wanted, f"logits shape {check.output_shape}, expected {wanted}"
