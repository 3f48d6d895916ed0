"""Verifying an MLP from its reported layers and weights, in numpy (no student code)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.suites.lab1 import network_check as nc


def dense(units, inputs, activation="relu", seed=0, name="dense"):
    rng = np.random.default_rng(seed)
    return {
        "class_name": "Dense",
        "name": name,
        "units": units,
        "activation": activation,
        "use_bias": True,
        "weights": [rng.normal(size=(inputs, units)), rng.normal(size=units)],
    }


def layers(L=8, n=2, C=5, dropout=0.2, final="linear"):
    found = [
        {"class_name": "InputLayer", "name": "in", "weights": []},
        {"class_name": "Flatten", "name": "flat", "weights": []},
    ]
    inputs = 16
    for i in range(n):
        found += [
            dense(L, inputs, seed=i, name=f"d{i}"),
            {"class_name": "Dropout", "name": f"dr{i}", "rate": dropout, "weights": []},
        ]
        inputs = L
    return found + [dense(C, inputs, final, seed=9, name="logits")]


def test_a_correct_mlp_rebuilds_and_passes_every_structure_check():
    network = nc.rebuild(layers(), (4, 4))
    out = nc.forward(network, np.ones((3, 4, 4)))
    assert out.shape == (3, 5)
    assert nc.structure_problems(network, 5, 8, 2, 0.2) == []
    assert nc.final_activation(network) == "linear"
    assert network.parameter_count == nc.expected_parameters((4, 4), 5, 8, 2) == 16 * 8 + 8 + 8 * 8 + 8 + 8 * 5 + 5


def test_wrong_units_activations_and_rates_are_named():
    found = layers()
    found[2]["activation"] = "tanh"
    found[3]["rate"] = 0.5
    problems = nc.structure_problems(nc.rebuild(found, (4, 4)), 5, 8, 2, 0.2)
    assert any("activations" in p for p in problems) and any("Dropout rates" in p for p in problems)
    assert nc.structure_problems(nc.rebuild(layers(L=6), (4, 4)), 5, 8, 2, 0.2)[0].startswith("Dense layer units")


def test_a_softmax_at_the_end_is_seen():
    network = nc.rebuild(layers(final="softmax"), (4, 4))
    assert nc.final_activation(network) == "softmax"
    assert nc.looks_like_probabilities(nc.forward(network, np.ones((2, 4, 4))))


def test_separate_activation_layers_count_as_the_dense_activation():
    found = layers()
    found[2]["activation"] = "linear"
    found.insert(
        3,
        {
            "class_name": "ReLU",
            "name": "relu",
            "weights": [],
            "max_value": None,
            "negative_slope": 0.0,
            "threshold": 0.0,
        },
    )
    assert nc.structure_problems(nc.rebuild(found, (4, 4)), 5, 8, 2, 0.2) == []


def test_reported_logits_must_match_the_rebuilt_forward_pass():
    network = nc.rebuild(layers(), (4, 4))
    out = nc.forward(network, np.ones((2, 4, 4)))
    assert nc.logits_match(out.astype(np.float32), out)
    assert not nc.logits_match(out + 0.1, out)
    assert not nc.logits_match(out[:, :4], out)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.append({"class_name": "Conv2D", "name": "c", "weights": []}), "Conv2D"),
        (lambda f: f[2].update(weights=[]), "unexpected weights"),
        (lambda f: f[2].update(weights="lots"), "did not report its weights"),
        (lambda f: f[2]["weights"].__setitem__(0, np.zeros((16, 8))), "all-zero kernel"),
        (lambda f: f[2]["weights"].__setitem__(0, np.full((16, 8), np.nan)), "non-finite"),
        (lambda f: f[2].update(activation="swish"), "activation"),
        (lambda f: f[3].update(rate=None), "rate"),
        (lambda f: f[1].update(weights=[np.ones(3)]), "not Dense"),
    ],
)
def test_unverifiable_networks_say_why(change, message):
    found = layers()
    change(found)
    with pytest.raises(nc.Unverifiable, match=message):
        nc.forward(nc.rebuild(found, (4, 4)), np.ones((1, 4, 4)))


def test_a_missing_flatten_shows_in_the_shape():
    found = layers()
    del found[1]
    found[1]["weights"][0] = np.random.default_rng(0).normal(size=(4, 8))
    network = nc.rebuild(found, (4, 4))
    assert nc.forward(network, np.ones((2, 4, 4))).shape == (2, 4, 5)
    assert "not flattened" in nc.structure_problems(network, 5, 8, 2, 0.2)[0]
