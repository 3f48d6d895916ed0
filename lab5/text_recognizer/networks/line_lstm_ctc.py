"""The LSTM-CTC line network: sliding-window CNN features, an LSTM over them, logits per window.

    image (28, W) --line_cnn_features--> (num_windows, features)
                  --(Bi)LSTM-----------> (num_windows, lstm_dim [x2])
                  --Dense--------------> (num_windows, num_classes) logits, one row per window

Unlike Lab 2's line CNNs, the number of windows need not equal the number of characters: CTC
(see `models/line_model_ctc.py`) learns the alignment, emitting the blank (class 0) between
characters and wherever a window shows no new character.
"""

from __future__ import annotations

import keras

from text_recognizer.networks.line_cnn import line_cnn_features


def line_lstm_ctc(
    input_shape: tuple[int, ...],
    num_classes: int,
    window_width: int = 28,
    window_stride: int = 14,
    lstm_dim: int = 128,
    bidirectional: bool = True,
    dropout: float = 0.2,
    **feature_args,
) -> keras.Model:
    """Build the LSTM-CTC line network: image in, per-timestep logits out.

    The sliding-window features of Lab 2 are built for you (`features`: one `fc_dim` vector per
    window). Your part is the head on top of them, and its contract:

    - one timestep per window: the output is (batch, num_windows, num_classes) float32 logits,
      one row of logits for **every** window (CTC reads the whole sequence, not a summary of it);
    - a single recurrent layer, an LSTM with `lstm_dim` units per direction, reads the windows in
      order; with `bidirectional=True` each timestep also sees the windows to its right;
    - dropout at rate `dropout` on the LSTM's input and on its output;
    - the last layer gives logits, no softmax: the CTC loss applies the log-softmax itself;
    - a `keras.Model` named "line_lstm_ctc" from the features' input to the logits.

    Example (a line 8 characters wide, windows every 14 px: 16 timesteps):

        >>> network = line_lstm_ctc((28, 28 * 8), 80, lstm_dim=16, conv_dim=4, fc_dim=16)
        >>> network.output_shape
        (None, 16, 80)

    Notebook: "Exercise: the LSTM-CTC network" shows the layers and what each timestep sees.

    Args:
        input_shape: shape of one line image, (28, 28 * max_length).
        num_classes: output classes, blank (class 0) included: 80 for the course's mapping.
        window_width: width in pixels of each window the CNN reads.
        window_stride: pixels between the starts of consecutive windows.
        lstm_dim: units of the LSTM (per direction).
        bidirectional: read the sequence in both directions.
        dropout: dropout rate before and after the LSTM.
        **feature_args: further arguments of `line_cnn_features` (e.g. its layer sizes).

    Returns:
        A `keras.Model` named "line_lstm_ctc": (batch, *input_shape) -> logits (batch,
        num_windows, num_classes).
    """
    features = line_cnn_features(input_shape, window_width=window_width, window_stride=window_stride,
                                 **feature_args)
    x = keras.layers.Dropout(dropout)(features.output)
    lstm = keras.layers.LSTM(lstm_dim, return_sequences=True, name="lstm")
    x = keras.layers.Bidirectional(lstm, name="bilstm")(x) if bidirectional else lstm(x)
    x = keras.layers.Dropout(dropout)(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(features.input, logits, name="line_lstm_ctc")
