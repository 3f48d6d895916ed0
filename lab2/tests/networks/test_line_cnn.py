"""Lab 2 exercises: window extraction and the all-convolutional line CNN."""

import keras
import numpy as np
import pytest

from text_recognizer.networks.line_cnn import (
    extract_windows,
    line_cnn_all_conv,
    line_cnn_all_conv_features,
    line_cnn_features,
    line_cnn_sliding_window,
    num_windows,
    transfer_weights,
    window_padding,
)

SMALL = {"conv_dim": 4, "fc_dim": 8, "dropout": 0.0}  # tiny networks: the tests are about shapes
LINE = (28, 28 * 8)  # a line of 8 characters


def windows_by_slicing(images, width, stride, padding):
    """Reference: pad with numpy, then cut window after window with plain slices."""
    left, right = window_padding(images.shape[2], width, stride, padding)
    padded = np.pad(images, ((0, 0), (0, 0), (left, right)))
    count = num_windows(images.shape[2], width, stride, padding)
    return np.stack([padded[:, :, i * stride : i * stride + width] for i in range(count)], axis=1)


def as_numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


@pytest.mark.parametrize(
    ("width", "window", "stride", "padding", "expected"),
    [
        (896, 28, 14, "same", (64, 7, 7)),
        (896, 28, 14, "valid", (63, 0, 0)),
        (100, 28, 14, "same", (8, 13, 13)),
        (101, 16, 8, "same", (13, 5, 6)),  # odd padding: the right side gets the extra column
        (100, 16, 8, "valid", (11, 0, 0)),
    ],
)
def test_number_of_windows_and_padding(width, window, stride, padding, expected):
    count = num_windows(width, window, stride, padding)
    assert (count, *window_padding(width, window, stride, padding)) == expected


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize(
    ("width", "window", "stride"), [(224, 28, 14), (101, 16, 8), (60, 10, 10), (57, 9, 4)]
)
def test_extract_windows_matches_slicing(padding, width, window, stride):
    images = np.random.default_rng(0).random((3, 5, width)).astype("float32")
    windows = as_numpy(extract_windows(images, window, stride, padding))
    np.testing.assert_array_equal(
        windows, windows_by_slicing(images, window, stride, padding),
        err_msg=f"window i must hold columns [i * {stride}, i * {stride} + {window}) of the line padded by "
                f"window_padding, as (batch, num_windows, height, window_width)",
    )


def test_same_padding_covers_every_column_and_adds_only_zeros():
    images = np.arange(1, 1 + 2 * 3 * 100, dtype="float32").reshape(2, 3, 100)  # no zero pixel
    windows = as_numpy(extract_windows(images, 28, 14, "same"))
    assert windows.shape == (2, 8, 3, 28), f"expected (batch, num_windows, height, window_width), got {windows.shape}"
    seen = np.unique(windows[0])
    assert set(images[0].ravel()) <= set(seen), "with 'same' padding every column must be in some window"
    assert set(seen) - set(images[0].ravel()) == {0.0}, "'same' padding may add zero columns only"
    left, _ = window_padding(100, 28, 14, "same")
    assert (windows[:, 0, :, :left] == 0).all() and (windows[:, 0, :, left:] != 0).all(), (
        f"the first window starts with the {left} zero columns window_padding puts on the left")


def test_valid_padding_drops_the_columns_no_window_fits():
    images = np.ones((1, 2, 100), "float32")
    windows = as_numpy(extract_windows(images, 28, 14, "valid"))
    # Columns 98 and 99 are left out: no whole window fits there.
    assert windows.shape == (1, 6, 2, 28), f"'valid' cuts only windows that fit: 6 here, got {windows.shape}"
    assert (windows == 1).all(), "'valid' adds no zero column"


@pytest.mark.parametrize("network", [line_cnn_sliding_window, line_cnn_all_conv])
def test_line_cnns_give_logits_per_position(network):
    model = network(LINE, 80, max_length=8, **SMALL)
    logits = as_numpy(model(np.zeros((2, *LINE), "float32")))
    assert logits.shape == (2, 8, 80), f"expected (batch, max_length, num_classes) = (2, 8, 80), got {logits.shape}"


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize(("window", "stride"), [(28, 14), (16, 8), (20, 10)])
def test_all_conv_is_the_same_network_as_the_sliding_window(padding, window, stride):
    args = {"window_width": window, "window_stride": stride, "max_length": 4, "padding": padding, **SMALL}
    sliding = line_cnn_sliding_window(LINE, 80, **args)
    all_conv = line_cnn_all_conv(LINE, 80, **args)
    assert all_conv.count_params() == sliding.count_params(), (
        f"the all-conv network has {all_conv.count_params()} weights, the sliding window "
        f"{sliding.count_params()}: the layer that replaces LeNet's hidden Dense layer must have exactly its "
        f"weights, so it must see exactly what that layer saw of one window")
    transfer_weights(sliding, all_conv)
    images = np.random.default_rng(1).random((3, *LINE)).astype("float32")
    np.testing.assert_allclose(
        as_numpy(all_conv(images)), as_numpy(sliding(images)), atol=1e-5,
        err_msg=f"same weights, different logits (windows {window} px every {stride} px, {padding!r}): check "
                f"the line's zero padding and that consecutive outputs of the wide layer start one window apart",
    )


def test_features_for_lab3_have_one_row_per_window():
    for all_conv in (False, True):
        features = line_cnn_features((28, 896), all_conv=all_conv, **SMALL)
        shape = tuple(features.output.shape)
        assert shape == (None, 64, 8), f"expected (batch, 64 windows, fc_dim 8) with all_conv={all_conv}, got {shape}"
    shape = tuple(line_cnn_all_conv_features((28, 896), **SMALL).output.shape)
    assert shape == (None, 64, 8), f"expected (batch, 64 windows, fc_dim 8), got {shape}"


def test_all_conv_needs_even_windows_and_strides():
    with pytest.raises(ValueError, match="even"):
        line_cnn_all_conv(LINE, 80, window_width=27, window_stride=14, max_length=8, **SMALL)


def test_too_few_windows_for_the_positions_is_a_clear_error():
    with pytest.raises(ValueError, match="windows cannot give"):
        line_cnn_sliding_window(LINE, 80, window_width=28, window_stride=28, max_length=16, **SMALL)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"window_width": 28, "window_stride": 14, "padding": "full"}, "Unknown padding"),
        ({"window_width": 10, "window_stride": 14, "padding": "same"}, "skip columns"),
    ],
)
def test_bad_window_arguments_are_clear_errors(args, message):
    with pytest.raises(ValueError, match=message):
        num_windows(896, **args)
