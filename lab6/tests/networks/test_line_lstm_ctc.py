"""Lab 3 exercise: the LSTM-CTC line network (sliding-window CNN -> LSTM -> logits per window)."""

import keras
import numpy as np
import pytest

from text_recognizer.networks import get_network
from text_recognizer.networks.line_cnn import num_windows
from text_recognizer.networks.line_lstm_ctc import line_lstm_ctc

LINE_SHAPE = (28, 28 * 8)  # lines of up to 8 characters


@pytest.mark.parametrize("bidirectional", [True, False])
def test_output_is_one_row_of_logits_per_window(bidirectional):
    network = line_lstm_ctc(LINE_SHAPE, 80, lstm_dim=16, bidirectional=bidirectional)
    logits = keras.ops.convert_to_numpy(network(np.zeros((3, *LINE_SHAPE), "float32")))
    expected = (3, num_windows(LINE_SHAPE[1], 28, 14), 80)
    assert logits.shape == expected, (
        f"expected one row of logits per window, {expected}, got {logits.shape}: does the LSTM return its "
        "whole sequence, or only its last step?")
    assert network.name == "line_lstm_ctc", f"name the model 'line_lstm_ctc', not {network.name!r}"


def test_window_arguments_set_the_number_of_timesteps():
    network = line_lstm_ctc(LINE_SHAPE, 10, window_width=20, window_stride=10, lstm_dim=8)
    assert network.output_shape == (None, num_windows(LINE_SHAPE[1], 20, 10), 10), (
        "one timestep per window: window_width and window_stride set the count")
    network = line_lstm_ctc(LINE_SHAPE, 10, padding="valid", lstm_dim=8)
    assert network.output_shape == (None, num_windows(LINE_SHAPE[1], 28, 14, "valid"), 10), (
        "padding reaches the line CNN: 'valid' cuts fewer windows")


def test_feature_arguments_reach_the_line_cnn():
    slim = line_lstm_ctc(LINE_SHAPE, 80, lstm_dim=8, conv_dim=4, fc_dim=16)
    wide = line_lstm_ctc(LINE_SHAPE, 80, lstm_dim=8, conv_dim=8, fc_dim=16)
    assert slim.count_params() < wide.count_params(), "conv_dim and fc_dim must reach the line CNN (**feature_args)"
    all_conv = line_lstm_ctc(LINE_SHAPE, 80, lstm_dim=8, conv_dim=4, fc_dim=16, all_conv=True)
    assert all_conv.count_params() == slim.count_params(), (
        "all_conv=True builds the same features with the same weights")


def test_the_head_is_an_lstm_and_a_linear_layer():
    network = line_lstm_ctc(LINE_SHAPE, 80, lstm_dim=16, bidirectional=True)
    wrapped = [layer for layer in network.layers if isinstance(layer, keras.layers.Bidirectional)]
    assert wrapped and isinstance(wrapped[0].forward_layer, keras.layers.LSTM), (
        "bidirectional=True: the LSTM reads the windows in both directions (keras.layers.Bidirectional)")
    assert wrapped[0].forward_layer.units == 16 and wrapped[0].output.shape[-1] == 32, (
        "lstm_dim=16 units per direction, so 32 features per timestep")
    last = network.layers[-1]
    assert isinstance(last, keras.layers.Dense) and last.activation in (None, keras.activations.linear), (
        "the last layer gives logits: a Dense layer without activation (CTC applies the log-softmax)")


def test_registered_for_experiment_configs():
    assert get_network("line_lstm_ctc") is line_lstm_ctc
