"""Verify a student's MLP from plain data: its layer list, weights and logits (no student code).

The sandbox reports what `mlp(...)` built: each layer's class and configuration, its weights,
and the logits it computed on inputs the parent chose. Here the parent rebuilds the forward pass
in numpy from those layers and weights and checks it reproduces the reported logits. Only then
are the layers trusted to be what the network really computes, and the structure checks
(units, activations, dropout, parameter count) read them. Faking this takes a set of layers and
weights whose numpy forward pass gives the reported logits: that is, an MLP.

Layers understood: InputLayer, Flatten, Reshape (to one axis), Dense, Dropout, Activation,
ReLU, Softmax. Any other layer makes the network "unverifiable" (the feedback says which).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

ACTIVATIONS = {
    None: lambda x: x,
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "softmax": lambda x: softmax(x),
}
MAX_LAYERS = 64


class Unverifiable(ValueError):
    """The reported network cannot be rebuilt from its layers (the message says why)."""


def softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


@dataclass
class Op:
    """One step of the rebuilt forward pass."""

    kind: str  # flatten | dense | activation | dropout
    activation: str | None = None
    rate: float | None = None
    kernel: np.ndarray | None = None
    bias: np.ndarray | None = None
    layer: str = ""

    @property
    def units(self) -> int:
        return int(self.kernel.shape[1]) if self.kernel is not None else 0


@dataclass
class Network:
    """The rebuilt network: its ops and every weight array."""

    ops: list[Op]
    weights: list[np.ndarray] = field(default_factory=list)

    @property
    def parameter_count(self) -> int:
        return int(sum(w.size for w in self.weights))

    def denses(self) -> list[Op]:
        return [op for op in self.ops if op.kind == "dense"]


def _activation_name(value) -> str | None:
    if value in (None, "linear"):
        return "linear"
    if isinstance(value, str) and value in ACTIVATIONS:
        return value
    raise Unverifiable(f"activation {str(value)[:40]!r} is not one the grader can check "
                       "(use linear, relu, sigmoid, tanh or softmax)")


def rebuild(layers: list, input_shape: tuple[int, ...]) -> Network:
    """Turn the reported layer records into ops; raise Unverifiable on anything unexpected."""
    if not isinstance(layers, list) or not layers:
        raise Unverifiable("the network reported no layers")
    if len(layers) > MAX_LAYERS:
        raise Unverifiable(f"the network has more than {MAX_LAYERS} layers")
    ops: list[Op] = []
    weights: list[np.ndarray] = []
    flat = math.prod(input_shape)
    for record in layers:
        if not isinstance(record, dict) or not isinstance(record.get("class_name"), str):
            raise Unverifiable("a layer record is malformed")
        kind, name = record["class_name"], str(record.get("name", ""))[:60]
        arrays = record.get("weights")
        if not isinstance(arrays, list) or not all(isinstance(a, np.ndarray) for a in arrays):
            raise Unverifiable(f"layer {name!r} did not report its weights")
        arrays = [a.astype(np.float64) for a in arrays]
        if not all(np.isfinite(a).all() for a in arrays):
            raise Unverifiable(f"layer {name!r} has non-finite weights")
        weights.extend(arrays)
        if kind != "Dense" and arrays:
            raise Unverifiable(f"layer {name!r} ({kind}) has weights but is not Dense")
        if kind == "InputLayer":
            continue
        if kind == "Flatten":
            ops.append(Op("flatten", layer=name))
        elif kind == "Reshape":
            if record.get("target_shape") != [flat]:
                raise Unverifiable(f"Reshape layer {name!r} does not flatten to ({flat},)")
            ops.append(Op("flatten", layer=name))
        elif kind == "Dense":
            use_bias = record.get("use_bias", True) is not False
            if len(arrays) != (2 if use_bias else 1) or arrays[0].ndim != 2:
                raise Unverifiable(f"Dense layer {name!r} has unexpected weights")
            kernel = arrays[0]
            bias = arrays[1] if use_bias else np.zeros(kernel.shape[1])
            if bias.shape != (kernel.shape[1],) or record.get("units") != kernel.shape[1]:
                raise Unverifiable(f"Dense layer {name!r}: weights do not match its units")
            if not kernel.size or float(np.abs(kernel).max()) == 0.0:
                raise Unverifiable(f"Dense layer {name!r} has an all-zero kernel: the network was not "
                                   "initialized as Keras does")
            ops.append(Op("dense", _activation_name(record.get("activation")), kernel=kernel,
                          bias=bias, layer=name))
        elif kind == "Dropout":
            rate = record.get("rate")
            if not isinstance(rate, float) or not 0.0 <= rate < 1.0:
                raise Unverifiable(f"Dropout layer {name!r} has no valid rate")
            ops.append(Op("dropout", rate=rate, layer=name))
        elif kind == "Activation":
            ops.append(Op("activation", _activation_name(record.get("activation")), layer=name))
        elif kind == "ReLU":
            if record.get("max_value") is not None or record.get("negative_slope") not in (0.0, None) \
                    or record.get("threshold") not in (0.0, None):
                raise Unverifiable(f"ReLU layer {name!r} is not a plain ReLU")
            ops.append(Op("activation", "relu", layer=name))
        elif kind == "Softmax":
            ops.append(Op("activation", "softmax", layer=name))
        else:
            raise Unverifiable(
                f"layer {name!r} is a {kind[:40]}; the grader verifies MLPs built from Flatten, "
                "Dense, Dropout and activation layers"
            )
    return Network(ops, weights)


def forward(network: Network, x: np.ndarray) -> np.ndarray:
    """The network's output on `x` at inference (dropout off), in float64."""
    out = x.astype(np.float64)
    for op in network.ops:
        if op.kind == "flatten":
            out = out.reshape(out.shape[0], -1)
        elif op.kind == "dense":
            if out.shape[-1] != op.kernel.shape[0]:
                raise Unverifiable(
                    f"Dense layer {op.layer!r} expects {op.kernel.shape[0]} inputs but receives "
                    f"shape {out.shape[1:]}"
                )
            out = ACTIVATIONS[op.activation](out @ op.kernel + op.bias)
        elif op.kind == "activation":
            out = ACTIVATIONS[op.activation](out)
    return out


def logits_match(reported: np.ndarray, recomputed: np.ndarray) -> bool:
    """Whether the sandbox's logits are the rebuilt network's (float32 round-off allowed)."""
    if reported.shape != recomputed.shape or not np.isfinite(reported).all():
        return False
    scale = 1.0 + float(np.abs(recomputed).max(initial=0.0))
    return bool(np.allclose(reported, recomputed, rtol=1e-3, atol=1e-4 * scale))


def expected_parameters(input_shape, num_classes, layer_size, num_layers) -> int:
    """Parameters of the MLP the exercise asks for."""
    inputs = math.prod(input_shape)
    if num_layers == 0:
        return inputs * num_classes + num_classes
    return (inputs * layer_size + layer_size
            + (num_layers - 1) * (layer_size * layer_size + layer_size)
            + layer_size * num_classes + num_classes)


def structure_problems(network: Network, num_classes: int, layer_size: int, num_layers: int,
                       dropout: float) -> list[str]:
    """What differs from: Flatten, num_layers x [Dense(layer_size, relu), Dropout], Dense(num_classes)."""
    problems = []
    ops = network.ops
    first_dense = next((i for i, op in enumerate(ops) if op.kind == "dense"), None)
    if first_dense is None:
        return ["the network has no Dense layer"]
    if not any(op.kind == "flatten" for op in ops[:first_dense]):
        problems.append("the image is not flattened before the first Dense layer")
    denses = network.denses()
    units = [op.units for op in denses]
    expected_units = [layer_size] * num_layers + [num_classes]
    if units != expected_units:
        problems.append(f"Dense layer units are {units}, expected {expected_units}")
    hidden_activations = []
    positions = [i for i, op in enumerate(ops) if op.kind == "dense"]
    for index in positions[:-1]:
        effective = ops[index].activation
        for follower in ops[index + 1:]:
            if follower.kind == "dropout":
                continue
            if follower.kind == "activation" and effective == "linear":
                effective = follower.activation
            break
        hidden_activations.append(effective)
    if any(name != "relu" for name in hidden_activations):
        problems.append(f"hidden layer activations are {hidden_activations}, expected relu")
    rates = [op.rate for op in ops if op.kind == "dropout"]
    expected_rates = [dropout] * num_layers
    rates_ok = len(rates) == num_layers and all(abs(r - dropout) < 1e-6 for r in rates)
    if dropout == 0.0 and not rates:
        rates_ok = True
    if not rates_ok:
        problems.append(f"Dropout rates are {rates}, expected {expected_rates}")
    return problems


def final_activation(network: Network) -> str:
    """The activation applied after the last Dense layer ('linear' when none)."""
    ops = network.ops
    last = max(i for i, op in enumerate(ops) if op.kind == "dense")
    activation = ops[last].activation
    for op in ops[last + 1:]:
        if op.kind == "activation" and op.activation != "linear":
            activation = op.activation if activation == "linear" else f"{activation}+{op.activation}"
    return activation


def looks_like_probabilities(logits: np.ndarray) -> bool:
    """Rows that are non-negative and sum to one are probabilities, not logits."""
    if logits.ndim < 1 or logits.size == 0:
        return False
    return bool((logits >= -1e-6).all() and np.allclose(logits.sum(axis=-1), 1.0, atol=1e-3))
