"""Lab 1 exercise: the MLP network."""

import keras
import numpy as np

from text_recognizer.networks.mlp import mlp


def test_mlp_maps_images_to_one_logit_per_class():
    network = mlp((28, 28), num_classes=80, layer_size=32, num_layers=2, dropout=0.1)
    assert isinstance(network, keras.Model)
    logits = keras.ops.convert_to_numpy(network(np.zeros((5, 28, 28), "float32")))
    assert logits.shape == (5, 80)


def test_mlp_hidden_layers_follow_its_arguments():
    network = mlp((28, 28), num_classes=10, layer_size=16, num_layers=3, dropout=0.3)
    dense = [layer for layer in network.layers if isinstance(layer, keras.layers.Dense)]
    dropout = [layer for layer in network.layers if isinstance(layer, keras.layers.Dropout)]
    assert [layer.units for layer in dense] == [16, 16, 16, 10]
    assert len(dropout) == 3 and all(abs(layer.rate - 0.3) < 1e-9 for layer in dropout)
    # 28*28*16+16 + 2*(16*16+16) + 16*10+10
    assert network.count_params() == 784 * 16 + 16 + 2 * (16 * 16 + 16) + 16 * 10 + 10


def test_mlp_returns_logits_not_probabilities():
    network = mlp((28, 28), num_classes=80, layer_size=32, num_layers=1, dropout=0.0)
    image = np.random.default_rng(0).random((3, 28, 28)).astype("float32") * 5
    logits = keras.ops.convert_to_numpy(network(image))
    # Probabilities would be non-negative and sum to 1 on every row.
    assert not np.allclose(logits.sum(axis=1), 1.0) or (logits < 0).any()
