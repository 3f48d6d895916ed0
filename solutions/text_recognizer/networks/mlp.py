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
    """Build a multi-layer perceptron that maps an image to one logit per class.

    What the network must be (the tests and the autograder check each point):

    - it takes one image of `input_shape` per row of the batch, e.g. (batch, 28, 28) float32 in
      [0, 1], and returns (batch, num_classes) float32 **logits**: raw scores, no softmax (the
      model's loss and `predict_batch` apply it; applying it twice flattens every prediction);
    - its hidden part is `num_layers` fully connected layers of `layer_size` ReLU units, each
      followed by dropout at rate `dropout`; besides them only the output layer has weights;
    - it is a `keras.Model` named "mlp" that starts from `keras.Input(shape=input_shape)`.

    Think about what a fully connected layer does to an input that still has two spatial axes:
    the output must hold one row of logits per image, whatever `input_shape` is.

    Example (784 x 16 + 16 weights in the hidden layer, 16 x 10 + 10 in the output layer):

        >>> network = mlp((28, 28), num_classes=10, layer_size=16, num_layers=1)
        >>> network.output_shape, network.count_params()
        ((None, 10), 12730)

    Notebook: "Exercise: the MLP network" says what a network returns and why it stops at logits.

    Args:
        input_shape: shape of one input image, e.g. (28, 28).
        num_classes: number of output classes (80 for the course's character mapping).
        layer_size: units in each hidden layer.
        num_layers: number of hidden layers.
        dropout: dropout rate after each hidden layer.

    Returns:
        A `keras.Model` named "mlp": (batch, *input_shape) -> logits (batch, num_classes).
    """
    ### BEGIN SOLUTION lab1
    inputs = keras.Input(shape=input_shape, name="image")
    x = keras.layers.Flatten()(inputs)
    for _ in range(num_layers):
        x = keras.layers.Dense(layer_size, activation="relu")(x)
        x = keras.layers.Dropout(dropout)(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, logits, name="mlp")
    ### END SOLUTION
