"""Lab 1 exercise: the MLP network."""

import keras
import numpy as np

from text_recognizer.networks.mlp import mlp


def test_mlp_maps_images_to_one_logit_per_class():
    network = mlp((28, 28), num_classes=80, layer_size=32, num_layers=2, dropout=0.1)
    assert isinstance(network, keras.Model), f"mlp must return a keras.Model, got {type(network).__name__}"
    logits = keras.ops.convert_to_numpy(network(np.zeros((5, 28, 28), "float32")))
    assert logits.shape == (5, 80), (
        f"expected one row of 80 logits per image, (5, 80), got {logits.shape}: what does a Dense layer do to "
        "an input with more than one axis per example?")


def test_mlp_hidden_layers_follow_its_arguments():
    network = mlp((28, 28), num_classes=10, layer_size=16, num_layers=3, dropout=0.3)
    dense = [layer for layer in network.layers if isinstance(layer, keras.layers.Dense)]
    dropout = [layer for layer in network.layers if isinstance(layer, keras.layers.Dropout)]
    units = [layer.units for layer in dense]
    assert units == [16, 16, 16, 10], f"expected num_layers=3 hidden layers of 16 units, then 10 outputs; got {units}"
    rates = [layer.rate for layer in dropout]
    assert len(rates) == 3 and all(abs(rate - 0.3) < 1e-9 for rate in rates), (
        f"expected one dropout of rate 0.3 after each hidden layer, got {rates}")
    # 28*28*16+16 + 2*(16*16+16) + 16*10+10
    expected = 784 * 16 + 16 + 2 * (16 * 16 + 16) + 16 * 10 + 10
    assert network.count_params() == expected, f"{network.count_params()} weights, expected {expected}"


def test_mlp_returns_logits_not_probabilities():
    network = mlp((28, 28), num_classes=80, layer_size=32, num_layers=1, dropout=0.0)
    image = np.random.default_rng(0).random((3, 28, 28)).astype("float32") * 5
    logits = keras.ops.convert_to_numpy(network(image))
    # Probabilities would be non-negative and sum to 1 on every row.
    assert not np.allclose(logits.sum(axis=1), 1.0) or (logits < 0).any(), (
        "the rows look like probabilities: return logits (no softmax), the loss applies it")
