"""Lab 2 exercise: the LeNet network."""

import keras
import numpy as np
import pytest

from text_recognizer.networks.lenet import lenet

LAYER_ORDER = [
    keras.layers.Conv2D,
    keras.layers.Conv2D,
    keras.layers.MaxPooling2D,
    keras.layers.Dropout,
    keras.layers.Flatten,
    keras.layers.Dense,
    keras.layers.Dropout,
    keras.layers.Dense,
]


def weighted_and_shaping_layers(network):
    """The network's layers without the input and reshape layers (which hold no weights)."""
    shaping = (keras.layers.InputLayer, keras.layers.Reshape)
    return [layer for layer in network.layers if not isinstance(layer, shaping)]


def test_lenet_maps_images_to_one_logit_per_class():
    network = lenet((28, 28), num_classes=80, conv_dim=8, fc_dim=16)
    assert isinstance(network, keras.Model), f"lenet must return a keras.Model, got {type(network).__name__}"
    logits = keras.ops.convert_to_numpy(network(np.zeros((5, 28, 28), "float32")))
    assert logits.shape == (5, 80), f"expected one row of 80 logits per image, (5, 80), got {logits.shape}"


def test_lenet_accepts_images_with_a_channel_axis():
    network = lenet((28, 28, 1), num_classes=10, conv_dim=4, fc_dim=8)
    shape = keras.ops.convert_to_numpy(network(np.zeros((2, 28, 28, 1), "float32"))).shape
    assert shape == (2, 10), f"an input_shape with a channel axis must work too: expected (2, 10), got {shape}"


def test_lenet_layers_come_in_lenet_order():
    network = lenet((28, 28), num_classes=80, conv_dim=8, fc_dim=16, dropout=0.3)
    layers = weighted_and_shaping_layers(network)
    names = [type(layer).__name__ for layer in layers]
    assert names == [kind.__name__ for kind in LAYER_ORDER], (
        f"the layers (input and reshape aside) are {names}: build the LeNet drawn in the notebook, in its order")
    conv1, conv2 = layers[0], layers[1]
    assert (conv1.filters, conv2.filters) == (8, 16), "the convolutions have conv_dim, then 2 * conv_dim filters"
    assert conv1.kernel_size == (3, 3), f"LeNet's convolutions are 3x3, got {conv1.kernel_size}"
    assert conv1.padding == conv2.padding == "valid", "no zeros may be added around a window's pixels"
    assert layers[2].pool_size == (2, 2), "LeNet pools 2x2"
    rates = [layer.rate for layer in layers if isinstance(layer, keras.layers.Dropout)]
    assert rates == pytest.approx([0.3, 0.3]), f"every dropout uses the rate given, 0.3: got {rates}"
    assert layers[5].units == 16 and layers[-1].units == 80, (
        "the hidden layer has fc_dim units, the last one num_classes")


def test_lenet_weight_count():
    conv_dim, fc_dim = 8, 16
    network = lenet((28, 28), num_classes=80, conv_dim=conv_dim, fc_dim=fc_dim)
    expected = (
        (3 * 3 * 1 * conv_dim + conv_dim)  # conv 1
        + (3 * 3 * conv_dim * 2 * conv_dim + 2 * conv_dim)  # conv 2
        + (12 * 12 * 2 * conv_dim * fc_dim + fc_dim)  # 28 -> 26 -> 24 -> pooled 12
        + (fc_dim * 80 + 80)
    )
    assert network.count_params() == expected, (
        f"{network.count_params()} weights, expected {expected}: count each layer's weights as in question 1")


def test_lenet_returns_logits_not_probabilities():
    network = lenet((28, 28), num_classes=80, conv_dim=4, fc_dim=8, dropout=0.0)
    assert network.layers[-1].activation in (None, keras.activations.linear), "the last layer has no activation"
    image = np.random.default_rng(0).random((3, 28, 28)).astype("float32")
    logits = keras.ops.convert_to_numpy(network(image))
    assert not np.allclose(logits.sum(axis=1), 1.0) or (logits < 0).any(), (
        "the rows look like probabilities: return logits (no softmax), the loss applies it")
