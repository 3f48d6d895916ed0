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

    What the network must be (the tests and the autograder check each point):

    - it is the LeNet drawn in the notebook, layer for layer and in that order, sized by
      `conv_dim`, `fc_dim` and `dropout`: work out for yourself what each layer needs, e.g. what
      a convolution needs that a 2-D `input_shape` such as (28, 28) lacks;
    - no layer adds zeros around its input: the line CNNs slide this network along a line, and a
      window's features may depend on that window's pixels only;
    - its **last** layer gives the (batch, num_classes) float32 logits (no softmax) and takes the
      `fc_dim` features of the hidden layer, after their dropout, as input: the line CNNs reuse
      everything before it (`line_cnn.window_cnn` cuts the network at `layers[-1].input`);
    - it is a `keras.Model` named "lenet" that starts from `keras.Input(shape=input_shape)`.

    Example (count the weights of every layer yourself: that is the notebook's question 1):

        >>> network = lenet((28, 28), num_classes=80, conv_dim=8, fc_dim=16)
        >>> network.output_shape, network.count_params()
        ((None, 80), 39488)

    Notebook: "Exercise: LeNet" shows the layers and why a convolution shares its weights.

    Args:
        input_shape: shape of one image, (height, width) or (height, width, 1).
        num_classes: number of output classes (80 for the course's character mapping).
        conv_dim: filters of the first convolution (the second has twice as many).
        fc_dim: units of the hidden fully connected layer (the features the line CNNs reuse).
        dropout: rate of every dropout layer.

    Returns:
        A `keras.Model` named "lenet": (batch, *input_shape) -> logits (batch, num_classes).
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
