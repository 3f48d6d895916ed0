"""`extract_windows` and the all-convolutional line CNN features.

- extract_windows: four argument sets on the parent's random images (no two windows alike, no
  window all zero): the returned array must be the windows computed here in numpy.
- line_cnn_all_conv_features: the reported weights, put into the reference *sliding-window*
  network (`line_cnn_features(..., all_conv=False)`) here, must give the reported features.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.pipeline.marks import graded
from autograder.suites.reference import reference_module
from autograder.suites.networks import NetworkCheck, observe_and_verify

IMPORTS = ("keras", "text_recognizer.networks.line_cnn")
WINDOW_CASES = [
    {"window_width": 6, "window_stride": 3, "padding": "same"},
    {"window_width": 8, "window_stride": 4, "padding": "valid"},
    {"window_width": 5, "window_stride": 2, "padding": "same"},
    {"window_width": 7, "window_stride": 7, "padding": "valid"},
]
WINDOW_IMAGES_SHAPE = (2, 7, 23)
ALL_CONV_CASES = {
    "A": {"input_shape": [28, 112], "window_width": 28, "window_stride": 14, "padding": "same",
          "conv_dim": 2, "fc_dim": 8, "dropout": 0.1},
    "B": {"input_shape": [12, 40], "window_width": 10, "window_stride": 4, "padding": "valid",
          "conv_dim": 3, "fc_dim": 5, "dropout": 0.0},
}
ARGUMENTS = ("input_shape", "window_width", "window_stride", "padding", "conv_dim", "fc_dim", "dropout")


def reference_windows(images: np.ndarray, window_width: int, window_stride: int, padding: str) -> np.ndarray:
    """The windows, computed in numpy from the definition (zero columns split left-smaller)."""
    width = images.shape[2]
    if padding == "same":
        count = -(-width // window_stride)
        total = max((count - 1) * window_stride + window_width - width, 0)
        left = total // 2
        images = np.pad(images, ((0, 0), (0, 0), (left, total - left)))
    else:
        count = (width - window_width) // window_stride + 1
    return np.stack([images[:, :, i * window_stride: i * window_stride + window_width] for i in range(count)],
                    axis=1)


@pytest.fixture(scope="module")
def window_images(seed) -> np.ndarray:
    return np.random.default_rng([seed, 22]).normal(0, 1, size=WINDOW_IMAGES_SHAPE).astype(np.float32)


@graded("extract_windows: returns the windows of every line", 25, merge=True)
@pytest.mark.parametrize("case", WINDOW_CASES, ids=lambda c: f"{c['window_width']}-{c['window_stride']}-{c['padding']}")
def test_extract_windows(case, window_images, sandbox, feedback):
    feedback.label = (f"extract_windows(images {WINDOW_IMAGES_SHAPE}, {case['window_width']}, "
                      f"{case['window_stride']}, {case['padding']!r})")
    wanted = reference_windows(window_images.astype(np.float64), **case)
    reply = sandbox.call("text_recognizer.networks.line_cnn:extract_windows", window_images,
                         case["window_width"], case["window_stride"], case["padding"], observe="array",
                         imports=IMPORTS)
    value = reply.unwrap()
    assert isinstance(value, np.ndarray), "no array returned"
    assert value.shape == wanted.shape, f"shape {value.shape}, expected {wanted.shape}"
    assert np.allclose(value, wanted, atol=1e-5), "the windows hold other pixels than the columns they should"


def _call(args: dict) -> str:
    shown = {**args, "input_shape": tuple(args["input_shape"])}
    return "line_cnn_all_conv_features(" + ", ".join(f"{k}={shown[k]!r}" for k in ARGUMENTS) + ")"


@pytest.fixture(scope="module", params=list(ALL_CONV_CASES))
def all_conv(request, sandbox, seed) -> tuple[dict, NetworkCheck]:
    """One argument set: the student's all-conv network, verified against the sliding windows."""
    args = ALL_CONV_CASES[request.param]
    rng = np.random.default_rng([seed, 23, ord(request.param)])
    inputs = rng.uniform(0, 1, size=(2, *args["input_shape"])).astype(np.float32)
    positional = tuple(tuple(args[k]) if k == "input_shape" else args[k] for k in ARGUMENTS)
    features = reference_module("text_recognizer.networks.line_cnn").line_cnn_features
    return args, observe_and_verify(sandbox, "text_recognizer.networks.line_cnn:line_cnn_all_conv_features",
                                    positional, {}, inputs, lambda: features(*positional, all_conv=False),
                                    imports=IMPORTS, reshape=True)


def _verified(all_conv, feedback) -> NetworkCheck:
    args, check = all_conv
    feedback.label = _call(args)
    assert check.verified and not check.applies_softmax, (
        f"could not verify the network: {check.message or 'it applies a softmax the features do not have'}")
    return check


@graded("Line CNN all-conv: same features as the sliding windows with the same weights", 25, merge=True)
def test_all_conv_features(all_conv, feedback):
    _verified(all_conv, feedback)


@graded("Line CNN all-conv: parameter count", 10, merge=True)
def test_all_conv_parameter_count(all_conv, feedback):
    check = _verified(all_conv, feedback)
    assert check.reported_parameters == check.parameters, (
        f"Keras reports {check.reported_parameters} parameters; the sliding-window network has "
        f"{check.parameters:,}")
