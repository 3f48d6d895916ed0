"""LeNet-style convolutional network: the course's first CNN (Lab 2).

Convolutions share one small set of weights across every position of the image, so the network
learns a stroke detector once instead of once per pixel (as the MLP must). The same network,
applied to windows of a line image, is the building block of the line CNNs (`line_cnn.py`).
"""

from __future__ import annotations

import keras


def lenet(
    input_shape: tuple[int, ...],
    num_classes: int,
    conv_dim: int = 32,
    fc_dim: int = 128,
    dropout: float = 0.2,
) -> keras.Model:
    """Build a LeNet-style CNN that maps an image to one logit per class.

    Layers, in this order (the line CNNs rely on it: they reuse everything but the last layer):

    1. `keras.Input(shape=input_shape)`; a 2-D `input_shape` such as (28, 28) gets a channel
       axis with `keras.layers.Reshape((height, width, 1))`;
    2. Conv2D(`conv_dim`, 3x3, relu), Conv2D(`2 * conv_dim`, 3x3, relu), both with Keras'
       default "valid" padding (no zeros added: 28x28 -> 26x26 -> 24x24);
    3. MaxPooling2D(2x2), then Dropout(`dropout`);
    4. Flatten, Dense(`fc_dim`, relu), Dropout(`dropout`);
    5. Dense(`num_classes`) with no activation, named "logits": the loss applies the softmax.

    Args:
        input_shape: shape of one image, (height, width) or (height, width, 1).
        num_classes: number of output classes (80 for the course's character mapping).
        conv_dim: filters of the first convolution (the second has twice as many).
        fc_dim: units of the hidden Dense layer (the features the line CNNs reuse).
        dropout: dropout rate after the pooling and after the hidden Dense layer.

    Returns:
        A `keras.Model` named "lenet" from `keras.Input(shape=input_shape)` to logits of
        shape (batch, num_classes).
    """
    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    if len(input_shape) == 2:
        x = keras.layers.Reshape((*input_shape, 1))(x)
    x = keras.layers.Conv2D(conv_dim, (3, 3), activation="relu")(x)
    x = keras.layers.Conv2D(2 * conv_dim, (3, 3), activation="relu")(x)
    x = keras.layers.MaxPooling2D((2, 2))(x)
    x = keras.layers.Dropout(dropout)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(fc_dim, activation="relu")(x)
    x = keras.layers.Dropout(dropout)(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, logits, name="lenet")
