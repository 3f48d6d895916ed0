"""The CRNN line network: a convolutional stack, then recurrent layers along the line, then logits.

    image (H, W) --conv blocks--> (H/16, W/4, C) feature map
                 --columns-----> (W/4, H/16 * C) one feature vector per 4 pixels of width
                 --BiLSTM x n--> (W/4, 2 * lstm_dim)
                 --Dense-------> (W/4, num_classes) logits for CTC

Unlike Lab 3's sliding-window network, nothing here fixes the width: the network is built for
lines of any width (`keras.Input(shape=(H, None))`), so a long line is read whole. The two first
blocks halve both height and width; the later ones halve only the height, so that a character a
dozen pixels wide still gets three timesteps (CTC needs at least one per character, plus blanks
between repeats).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

WIDTH_REDUCTION = 4  # timesteps = width // 4


def line_crnn(
    input_shape: tuple[int, ...],
    num_classes: int,
    conv_dims: Sequence[int] = (16, 32, 64, 96),
    lstm_dim: int = 128,
    lstm_layers: int = 2,
    dropout: float = 0.2,
) -> keras.Model:
    """Build the CRNN: a line image (height, any width) in, logits per timestep out.

    Args:
        input_shape: (height, width) of the training lines; only the height is fixed in the
            network (it must be divisible by 2 ** len(conv_dims)).
        num_classes: output classes, blank (class 0) included.
        conv_dims: filters of each convolutional block (3x3 conv, batch norm, ReLU, max-pool).
        lstm_dim: units of each LSTM, per direction.
        lstm_layers: stacked bidirectional LSTMs.
        dropout: dropout rate before each LSTM and before the logits.

    Returns:
        A `keras.Model` named "line_crnn": (batch, height, width) -> (batch, width // 4, num_classes).
    """
    height = int(input_shape[0])
    if height % 2 ** len(conv_dims):
        raise ValueError(f"The line height {height} must be divisible by 2 ** {len(conv_dims)} "
                         f"(one halving per conv block); use a height such as {2 ** len(conv_dims) * 2}.")
    inputs = keras.Input(shape=(height, None), name="line")
    x = keras.layers.Reshape((height, -1, 1))(inputs)
    for block, filters in enumerate(conv_dims):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{block}")(x)
        x = keras.layers.BatchNormalization(name=f"norm{block}")(x)
        x = keras.layers.ReLU()(x)
        pool = (2, 2) if block < 2 else (2, 1)  # width / 4 in all
        x = keras.layers.MaxPooling2D(pool, name=f"pool{block}")(x)
    # (batch, h, w, c) -> (batch, w, h * c): each column of the feature map is one timestep.
    x = keras.layers.Permute((2, 1, 3))(x)
    x = keras.layers.Reshape((-1, (height // 2 ** len(conv_dims)) * conv_dims[-1]))(x)
    for layer in range(lstm_layers):
        x = keras.layers.Dropout(dropout)(x)
        lstm = keras.layers.LSTM(lstm_dim, return_sequences=True, name=f"lstm{layer}")
        x = keras.layers.Bidirectional(lstm, name=f"bilstm{layer}")(x)
    x = keras.layers.Dropout(dropout)(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, logits, name="line_crnn")
