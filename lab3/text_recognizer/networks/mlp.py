"""Multi-layer perceptron: the first network of the course."""

from __future__ import annotations

import keras


def mlp(
    input_shape: tuple[int, ...],
    num_classes: int,
    layer_size: int = 256,
    num_layers: int = 2,
    dropout: float = 0.2,
) -> keras.Model:
    """Build an MLP that maps an image to one logit per class.

    The image is flattened, then goes through `num_layers` blocks of
    Dense(`layer_size`, relu) followed by Dropout(`dropout`), then a final Dense layer with
    `num_classes` units and no activation: the model's loss applies the softmax, so the
    network returns logits.

    Args:
        input_shape: shape of one input image, e.g. (28, 28).
        num_classes: number of output classes (80 for the course's character mapping).
        layer_size: units in each hidden Dense layer.
        num_layers: number of hidden Dense + Dropout blocks.
        dropout: dropout rate after each hidden layer.

    Returns:
        A `keras.Model` named "mlp" from `keras.Input(shape=input_shape)` to logits of
        shape (batch, num_classes).
    """
    inputs = keras.Input(shape=input_shape, name="image")
    x = keras.layers.Flatten()(inputs)
    for _ in range(num_layers):
        x = keras.layers.Dense(layer_size, activation="relu")(x)
        x = keras.layers.Dropout(dropout)(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, logits, name="mlp")
