"""Checks of a student's network against the course's reference one, in the trusted parent.

The sandbox reports a network's output on the parent's inputs and its weights (plain arrays).
The parent builds the *reference* network (solutions/, trusted code) with the same arguments,
loads the reported weights into it and runs it: the reported output must be what those weights
compute in the reference architecture. A submission can report anything it likes, but only an
architecture equal to the reference one yields an output that matches.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from autograder.sandbox.session import ProbeOutcome
from autograder.suites.base import outcome_message

# The parent's own TensorFlow keeps its start-up chatter out of the grader's output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass
class NetworkCheck:
    """The verdict on one reported network."""

    verified: bool
    message: str = ""
    output_shape: tuple[int, ...] | None = None
    parameters: int | None = None
    reported_parameters: object = None
    is_keras_model: bool = False


def _entry(result: dict, key: str):
    entry = result.get(key)
    if isinstance(entry, dict) and entry.get("ok") is True:
        return entry.get("value"), ""
    error = entry.get("error") if isinstance(entry, dict) else None
    return None, f"{key}: {str(error)[:300]}" if error else f"{key} was not reported"


def reference_output(build: Callable[[], object], weights: list[np.ndarray], inputs: np.ndarray,
                     reshape: bool = False) -> tuple[np.ndarray, int]:
    """Run the reference network `build()` with `weights` on `inputs` (raises ValueError on a mismatch)."""
    network = build()
    shapes = [tuple(w.shape) for w in network.get_weights()]
    if len(shapes) != len(weights):
        raise ValueError(f"{len(weights)} weight arrays, the expected architecture has {len(shapes)}")
    loaded = []
    for index, (array, shape) in enumerate(zip(weights, shapes, strict=True)):
        if tuple(array.shape) != shape and not (reshape and array.size == int(np.prod(shape))):
            raise ValueError(f"weight array {index} has shape {tuple(array.shape)}, expected {shape}")
        loaded.append(array.reshape(shape).astype(np.float32))
    network.set_weights(loaded)
    import keras

    output = np.asarray(keras.ops.convert_to_numpy(network(inputs, training=False)), dtype=np.float64)
    return output, int(network.count_params())


def check_network(outcome: ProbeOutcome | None, build: Callable[[], object], inputs: np.ndarray,
                  reshape: bool = False) -> NetworkCheck:
    """Verify a `network_record` outcome against the reference architecture `build()`."""
    if outcome is None or not outcome.ok or not isinstance(outcome.result, dict):
        return NetworkCheck(False, outcome_message(outcome))
    result = outcome.result
    output, output_error = _entry(result, "output")
    weights, weights_error = _entry(result, "weights")
    if not isinstance(output, np.ndarray):
        return NetworkCheck(False, output_error or "the network's output is not a numeric array")
    if not isinstance(weights, list) or not all(isinstance(w, np.ndarray) for w in weights):
        return NetworkCheck(False, weights_error or "the weights were not reported as arrays")
    try:
        expected, parameters = reference_output(build, weights, inputs, reshape)
    except ValueError as error:
        return NetworkCheck(False, f"the layers do not follow the specification: {error}")
    if output.shape != expected.shape:
        return NetworkCheck(False, f"output shape {output.shape}, expected {expected.shape}",
                            output_shape=tuple(output.shape))
    if not np.allclose(output.astype(np.float64), expected, rtol=1e-3, atol=1e-4):
        worst = float(np.max(np.abs(output - expected)))
        return NetworkCheck(False, "the output differs from what the specified layers compute with your "
                            f"weights (largest difference {worst:.3g})", output_shape=tuple(output.shape))
    return NetworkCheck(True, "", tuple(output.shape), parameters, _entry(result, "count_params")[0],
                        result.get("is_keras_model") is True)
