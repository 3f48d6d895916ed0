"""The one way the hidden suites verify a student's network: against the course's reference.

The sandbox reports a network (observer `network`): its output on the parent's inputs, its
weights and parameter count, its layer configs. The parent builds the *reference* network
(solutions/, trusted code) with the same arguments, loads the reported weights into it and runs
it on the same inputs: the reported output must be what those weights compute in the reference
architecture. A submission can report anything it likes, but only an architecture equal to the
reference one yields a matching output. Degenerate weights are refused before anything is
believed: non-finite weights or outputs (NaN, inf: `np.allclose` calls inf equal to inf), all-zero
weights, and weights for which the reference network gives the same output for every one of the
parent's (random, distinct) inputs, such as zero kernels with a bias.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

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
    #: Verified, except that the network applies a softmax to the reference's logits.
    applies_softmax: bool = False
    layers: list | None = None


def softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def _entry(record: dict, key: str):
    entry = record.get(key)
    if isinstance(entry, dict) and entry.get("ok") is True:
        return entry.get("value"), ""
    error = entry.get("error") if isinstance(entry, dict) else None
    return None, f"{key}: {str(error)[:300]}" if error else f"{key} was not reported"


def reference_output(build: Callable[[], object], weights: list[np.ndarray], inputs: np.ndarray,
                     reshape: bool = False) -> tuple[np.ndarray, int]:
    """Run the reference network `build()` with `weights` on `inputs` (ValueError on a mismatch).

    The message says what differs without giving the expected weight shapes away.
    """
    import keras

    network = build()
    shapes = [tuple(w.shape) for w in network.get_weights()]
    if len(shapes) != len(weights):
        raise ValueError(f"the network has {len(weights)} weight arrays, which is not what the "
                         "specified layers have")
    loaded = []
    for index, (array, shape) in enumerate(zip(weights, shapes, strict=True)):
        if tuple(array.shape) != shape and not (reshape and array.size == int(np.prod(shape))):
            raise ValueError(f"weight array {index} (shape {tuple(array.shape)}) does not fit the specified "
                             "layer at that position")
        loaded.append(array.reshape(shape).astype(np.float32))
    network.set_weights(loaded)
    output = np.asarray(keras.ops.convert_to_numpy(network(inputs, training=False)), dtype=np.float64)
    return output, int(network.count_params())


def verify_network(record: object, build: Callable[[], object], inputs: np.ndarray,
                   reshape: bool = False) -> NetworkCheck:
    """Verify a `network` observation against the reference architecture `build()`."""
    if not isinstance(record, dict):
        return NetworkCheck(False, "the network was not reported")
    output, output_error = _entry(record, "output")
    weights, weights_error = _entry(record, "weights")
    layers = _entry(record, "layers")[0]
    if not isinstance(output, np.ndarray):
        return NetworkCheck(False, output_error or "the network's output is not a numeric array")
    if not isinstance(weights, list) or not all(isinstance(w, np.ndarray) for w in weights):
        return NetworkCheck(False, weights_error or "the weights were not reported as arrays")
    if not all(np.all(np.isfinite(w)) for w in weights) or not np.all(np.isfinite(output)):
        # Refused before any comparison: inf weights give inf outputs, which "match" inf.
        return NetworkCheck(False, "the weights or the output hold NaN or infinity: train with finite values")
    if not weights or all(not np.any(w) for w in weights):
        return NetworkCheck(False, "every weight is zero: a freshly built network has random weights")
    try:
        expected, parameters = reference_output(build, weights, inputs, reshape)
    except ValueError as error:
        return NetworkCheck(False, f"the layers do not follow the specification: {error}")
    common = dict(output_shape=tuple(output.shape), parameters=parameters,
                  reported_parameters=_entry(record, "count_params")[0],
                  is_keras_model=record.get("is_keras_model") is True,
                  layers=layers if isinstance(layers, list) else None)
    if not np.all(np.isfinite(expected)):
        return NetworkCheck(False, "these weights make the network compute NaN or infinity: train with finite values")
    if len(expected) > 1 and np.allclose(expected, expected[:1], rtol=1e-5, atol=1e-6):
        # Zero kernels with a bias, or any weights that ignore the input: one answer for all inputs.
        return NetworkCheck(False, "the network gives the same output for every input: its weights ignore "
                            "the input (a freshly built network has random weights)")
    if output.shape != expected.shape:
        return NetworkCheck(False, f"output shape {output.shape} is not what the specified layers give",
                            output_shape=tuple(output.shape))
    output = output.astype(np.float64)
    if np.allclose(output, expected, rtol=1e-3, atol=1e-4):
        return NetworkCheck(True, "", **common)
    if expected.ndim >= 2 and np.allclose(output, softmax(expected), rtol=1e-3, atol=1e-5):
        return NetworkCheck(True, "the network applies a softmax at the end", applies_softmax=True, **common)
    worst = float(np.max(np.abs(output - expected)))
    return NetworkCheck(False, "the output differs from what the specified layers compute with your "
                        f"weights (largest difference {worst:.3g})", output_shape=tuple(output.shape))


def observe_and_verify(sandbox, target: str, args: tuple, kwargs: dict, inputs: np.ndarray,
                       build: Callable[[], object], imports: tuple[str, ...], timeout: float = 60.0,
                       reshape: bool = False) -> NetworkCheck:
    """Build the student's network in the sandbox with `args`/`kwargs`, observe it on `inputs`,
    and verify it against the reference `build()` here."""
    reply = sandbox.call(target, *args, observe="network", observe_args={"inputs": inputs}, imports=imports,
                         timeout=timeout, **kwargs)
    if not reply.ok:
        return NetworkCheck(False, reply.message())
    return verify_network(reply.value, build, inputs, reshape)


def require_verified(check: NetworkCheck, feedback, label: str, logits: bool = True) -> NetworkCheck:
    """Fail the running test unless the network was verified (and, with `logits`, returns logits)."""
    feedback.label = label
    assert check.verified, f"could not verify the network: {check.message}"
    if logits:
        assert not check.applies_softmax, "the last layer applies a softmax; return raw logits (no activation)"
    return check
