"""Line CNNs: read a whole line image with a LeNet slid along it (Lab 2).

    line (28, W) --extract_windows-----> (num_windows, 28, window_width)   windows every `stride` px
                 --LeNet on each window-> (num_windows, fc_dim)             = line_cnn_features
                 --per-position head----> (max_length, num_classes) logits  one per character slot

Two implementations compute exactly the same function with the same weights:

- `line_cnn_sliding_window` cuts the windows out and runs the LeNet on each of them
  (`PerWindow`, a batched `TimeDistributed`): simple, but neighbouring windows overlap, so every
  pixel goes through the convolutions twice (window 28, stride 14);
- `line_cnn_all_conv` runs the LeNet's convolutions once over the whole line and turns its Dense
  layer into a convolution as wide as a window, striding like the windows: the overlap is
  computed once. `transfer_weights` copies one network's weights into the other.

The head maps the windows to `max_length` character slots the way FSDL's 2019 course did: a
convolution over `num_windows // max_length` neighbouring windows, striding by as many, keeping
the first `max_length` outputs. With 'same' padding a 28 x 896 line gives 64 windows, so every
slot sees the two windows over "its" 28 pixels. That only fits lines whose characters sit on a
28-pixel grid: overlapping characters drift away from their slots, which is what Lab 3's CTC
loss fixes (`line_cnn_features` is the feature extractor that its LSTM reads).

Everything uses `keras.layers` and `keras.ops` only, so it runs on TensorFlow, JAX and PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np

from text_recognizer.networks.lenet import lenet

PADDINGS = ("same", "valid")


def num_windows(image_width: int, window_width: int, window_stride: int, padding: str = "same") -> int:
    """How many windows `extract_windows` cuts from a line `image_width` pixels wide.

    "valid": only windows that fit inside the image, `(W - window_width) // stride + 1`;
    "same": `ceil(W / stride)` windows, the image being padded with zero columns so that the
    last one fits (TensorFlow's convention, the same as `keras.layers.Conv2D(padding="same")`).
    """
    _check_window_args(image_width, window_width, window_stride, padding)
    if padding == "same":
        return math.ceil(image_width / window_stride)
    return (image_width - window_width) // window_stride + 1


def window_padding(
    image_width: int, window_width: int, window_stride: int, padding: str = "same"
) -> tuple[int, int]:
    """Zero columns to add (left, right) before cutting windows: (0, 0) for "valid".

    For "same", the padded width is exactly what `num_windows` windows need; the left side gets
    the smaller half, as in TensorFlow, so that the windows stay centred on the image.
    """
    count = num_windows(image_width, window_width, window_stride, padding)
    if padding == "valid":
        return 0, 0
    total = max((count - 1) * window_stride + window_width - image_width, 0)
    return total // 2, total - total // 2


def extract_windows(images, window_width: int, window_stride: int, padding: str = "same"):
    """Cut a batch of line images into windows `window_width` wide, one every `window_stride` px.

    The contract: window `i` holds the columns `[i * window_stride, i * window_stride +
    window_width)` of the image *after* zero columns were added on its left and right, as many as
    `window_padding(width, window_width, window_stride, padding)` says (none for "valid"); there
    are `num_windows(width, window_width, window_stride, padding)` windows; every row of every
    window is kept. Write it with `keras.ops` only (no numpy call on `images`): it runs inside a
    Keras layer, on a symbolic tensor while the model is built, and on every backend.

    Example (one image, one row, the pixel values 1..10):

        >>> images = np.arange(1, 11, dtype="float32").reshape(1, 1, 10)
        >>> keras.ops.convert_to_numpy(extract_windows(images, 4, 3, "valid"))[0, :, 0]
        array([[ 1.,  2.,  3.,  4.],
               [ 4.,  5.,  6.,  7.],
               [ 7.,  8.,  9., 10.]], dtype=float32)
        >>> keras.ops.convert_to_numpy(extract_windows(images, 4, 3, "same"))[0, :, 0]
        array([[ 0.,  1.,  2.,  3.],
               [ 3.,  4.,  5.,  6.],
               [ 6.,  7.,  8.,  9.],
               [ 9., 10.,  0.,  0.]], dtype=float32)

    Notebook: "Exercise: cutting a line into windows" explains "valid" and "same".

    Args:
        images: a tensor or array of shape (batch, height, width).
        window_width: width of each window in pixels.
        window_stride: pixels between the starts of consecutive windows.
        padding: "same" (zero columns so that windows cover the whole width) or "valid".

    Returns:
        A tensor of shape (batch, num_windows, height, window_width), the dtype of `images`.
    """
    width = int(images.shape[2])
    count = num_windows(width, window_width, window_stride, padding)
    left, right = window_padding(width, window_width, window_stride, padding)
    if left or right:
        images = keras.ops.pad(images, [[0, 0], [0, 0], [left, right]])
    # columns[i, j]: the padded image's column that is column j of window i.
    columns = np.arange(count)[:, None] * window_stride + np.arange(window_width)[None, :]
    windows = keras.ops.take(images, columns, axis=2)  # (batch, height, count, window_width)
    return keras.ops.transpose(windows, (0, 2, 1, 3))


class SlidingWindows(keras.layers.Layer):
    """A layer that applies `extract_windows`: (batch, height, width) -> (batch, n, height, window)."""

    def __init__(self, window_width: int, window_stride: int, padding: str = "same", **kwargs) -> None:
        super().__init__(**kwargs)
        self.window_width = window_width
        self.window_stride = window_stride
        self.padding = padding

    def call(self, images):
        return extract_windows(images, self.window_width, self.window_stride, self.padding)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple[int | None, ...]:
        batch, height, width = input_shape
        count = num_windows(width, self.window_width, self.window_stride, self.padding)
        return batch, count, height, self.window_width

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "window_width": self.window_width,
            "window_stride": self.window_stride,
            "padding": self.padding,
        }


class PerWindow(keras.layers.Wrapper):
    """Apply `layer` to every window: (batch, n, *window) -> (batch, n, *layer output).

    Like `keras.layers.TimeDistributed`, but in one call: the windows of all lines are merged
    into one big batch (batch * n windows), the layer runs once on it, and its outputs are split
    back per line. (Keras 3's TimeDistributed calls the layer once per window, n copies in the
    graph, which takes far longer to trace.)
    """

    def build(self, input_shape: Sequence[int | None]) -> None:
        if not self.layer.built:
            self.layer.build((None, *input_shape[2:]))
        self.built = True

    def call(self, windows, training=None):
        count = windows.shape[1]
        merged = keras.ops.reshape(windows, (-1, *windows.shape[2:]))
        outputs = self.layer(merged, training=training)
        return keras.ops.reshape(outputs, (-1, count, *outputs.shape[1:]))

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple[int | None, ...]:
        inner = self.layer.compute_output_shape((None, *input_shape[2:]))
        return input_shape[0], input_shape[1], *inner[1:]


def window_cnn(
    window_shape: tuple[int, int], conv_dim: int = 32, fc_dim: int = 128, dropout: float = 0.2
) -> keras.Model:
    """The LeNet of `lenet.py` without its logits layer: a window in, `fc_dim` features out."""
    network = lenet(window_shape, num_classes=1, conv_dim=conv_dim, fc_dim=fc_dim, dropout=dropout)
    # Everything up to the input of the last (logits) layer: the dropped-out Dense features.
    return keras.Model(network.inputs, network.layers[-1].input, name="window_cnn")


def line_cnn_features(
    input_shape: tuple[int, int],
    window_width: int = 28,
    window_stride: int = 14,
    padding: str = "same",
    conv_dim: int = 32,
    fc_dim: int = 128,
    dropout: float = 0.2,
    all_conv: bool = False,
) -> keras.Model:
    """The per-window features of a line: image (batch, H, W) -> (batch, num_windows, fc_dim).

    This is the part of the line CNN that Lab 3's LSTM-CTC network builds on: it stacks an LSTM
    on exactly these features (one timestep per window). `all_conv=True` computes the same
    features with `line_cnn_all_conv_features` (faster: overlapping windows are convolved once;
    needs an even `window_width` and `window_stride`).

    Args:
        input_shape: shape of one line image, (height, width), e.g. (28, 896).
        window_width: width of each window in pixels (28: one character).
        window_stride: pixels between the starts of consecutive windows.
        padding: "same" (windows cover the whole line) or "valid" (only windows inside it).
        conv_dim: filters of the LeNet's first convolution (the second has twice as many).
        fc_dim: features per window (the LeNet's hidden Dense layer).
        dropout: dropout rate inside the LeNet.
        all_conv: use the all-convolutional implementation.

    Returns:
        A `keras.Model` named "line_cnn_features" with output (batch, num_windows, fc_dim).
    """
    if all_conv:
        return line_cnn_all_conv_features(
            input_shape, window_width, window_stride, padding, conv_dim, fc_dim, dropout
        )
    height = int(input_shape[0])
    inputs = keras.Input(shape=tuple(input_shape), name="line")
    windows = SlidingWindows(window_width, window_stride, padding, name="windows")(inputs)
    cnn = window_cnn((height, window_width), conv_dim, fc_dim, dropout)
    features = PerWindow(cnn, name="window_features")(windows)
    return keras.Model(inputs, features, name="line_cnn_features")


def line_cnn_all_conv_features(
    input_shape: tuple[int, int],
    window_width: int = 28,
    window_stride: int = 14,
    padding: str = "same",
    conv_dim: int = 32,
    fc_dim: int = 128,
    dropout: float = 0.2,
) -> keras.Model:
    """The same features as `line_cnn_features`, all-convolutional: no windows are cut out.

    The contract: for the same arguments, this network computes exactly the function of the
    sliding-window `line_cnn_features(..., all_conv=False)` (a LeNet run on every window), with
    the same number of weights, so that `transfer_weights` can copy one network's weights into
    the other and get the same features (up to float rounding). But it never cuts a window: it
    runs LeNet's convolutions once over the whole (padded) line, and computes the per-window
    features of LeNet's hidden fully connected layer with a layer that slides along the line.

    What you have to work out is the geometry: what one window's hidden layer saw, after
    LeNet's convolutions and pooling, in rows and columns; and how far apart, in those pooled
    columns, two consecutive windows start. Check it on paper with the notebook's numbers (a 28
    x 896 line, windows 28 wide every 14 px) before you write code. The pooling halves every
    distance, hence even `window_width` and `window_stride` only.

    Example (as many weights as the sliding-window network, one feature row per window):

        >>> features = line_cnn_all_conv_features((28, 896), conv_dim=4, fc_dim=8)
        >>> features.output_shape
        (None, 64, 8)
        >>> features.count_params() == line_cnn_features((28, 896), conv_dim=4, fc_dim=8).count_params()
        True

    Notebook: "Exercise: the all-convolutional line CNN" explains why the overlap is computed once.

    Raises:
        ValueError: if `window_width` or `window_stride` is odd (the pooling halves them).

    Returns:
        A `keras.Model` named "line_cnn_all_conv_features": (batch, H, W) -> (batch,
        num_windows, fc_dim), starting from `keras.Input(shape=input_shape)`.
    """
    height, width = (int(d) for d in input_shape)
    if window_width % 2 or window_stride % 2 or window_width < 6:
        raise ValueError(
            f"The all-convolutional line CNN needs an even window_width >= 6 and an even "
            f"window_stride (2x2 pooling halves them), got {window_width} and {window_stride}."
        )
    count = num_windows(width, window_width, window_stride, padding)
    left, right = window_padding(width, window_width, window_stride, padding)
    inputs = keras.Input(shape=(height, width), name="line")
    x = keras.layers.Reshape((height, width, 1))(inputs)
    x = keras.layers.ZeroPadding2D(((0, 0), (left, right)))(x)
    x = keras.layers.Conv2D(conv_dim, (3, 3), activation="relu")(x)
    x = keras.layers.Conv2D(2 * conv_dim, (3, 3), activation="relu")(x)
    x = keras.layers.MaxPooling2D((2, 2))(x)
    x = keras.layers.Dropout(dropout)(x)
    # LeNet's Dense layer, slid along the line one window at a time.
    kernel = ((height - 4) // 2, (window_width - 4) // 2)
    x = keras.layers.Conv2D(fc_dim, kernel, strides=(1, window_stride // 2), activation="relu")(x)
    x = keras.layers.Dropout(dropout)(x)
    features = keras.layers.Reshape((count, fc_dim))(x)
    return keras.Model(inputs, features, name="line_cnn_all_conv_features")


def per_position_logits(features, num_classes: int, max_length: int):
    """Map window features (batch, num_windows, f) to (batch, max_length, num_classes) logits.

    FSDL's head: a Conv1D over `num_windows // max_length` neighbouring windows, striding by as
    many, so output `i` sees the windows over the `i`-th stretch of the line; outputs beyond
    `max_length` are cropped off.
    """
    count = int(features.shape[1])
    group = count // max_length
    if group < 1:
        raise ValueError(
            f"{count} windows cannot give {max_length} character positions: use 'same' padding, "
            "a smaller window_stride or a wider image."
        )
    logits = keras.layers.Conv1D(num_classes, group, strides=group, name="logits")(features)
    return keras.layers.Cropping1D((0, count // group - max_length), name="positions")(logits)


def line_cnn_sliding_window(
    input_shape: tuple[int, int],
    num_classes: int,
    window_width: int = 28,
    window_stride: int = 14,
    max_length: int = 32,
    padding: str = "same",
    conv_dim: int = 32,
    fc_dim: int = 128,
    dropout: float = 0.2,
) -> keras.Model:
    """The sliding-window line CNN: a LeNet on every window, then one logit vector per position.

    Returns a `keras.Model` named "line_cnn_sliding_window" from a line image (batch, H, W)
    to logits (batch, max_length, num_classes). Arguments as in `line_cnn_features`;
    `max_length` is the number of character positions (the dataset's `max_length`).
    """
    features = line_cnn_features(input_shape, window_width, window_stride, padding, conv_dim, fc_dim, dropout)
    logits = per_position_logits(features.output, num_classes, max_length)
    return keras.Model(features.input, logits, name="line_cnn_sliding_window")


def line_cnn_all_conv(
    input_shape: tuple[int, int],
    num_classes: int,
    window_width: int = 28,
    window_stride: int = 14,
    max_length: int = 32,
    padding: str = "same",
    conv_dim: int = 32,
    fc_dim: int = 128,
    dropout: float = 0.2,
) -> keras.Model:
    """The all-convolutional line CNN: the same function as `line_cnn_sliding_window`, faster.

    Returns a `keras.Model` named "line_cnn_all_conv" from a line image (batch, H, W) to
    logits (batch, max_length, num_classes), with exactly the same number of weights.
    """
    features = line_cnn_all_conv_features(
        input_shape, window_width, window_stride, padding, conv_dim, fc_dim, dropout
    )
    logits = per_position_logits(features.output, num_classes, max_length)
    return keras.Model(features.input, logits, name="line_cnn_all_conv")


def transfer_weights(source: keras.Model, target: keras.Model) -> None:
    """Copy the weights of one line CNN into the other (sliding window <-> all-convolutional).

    The two have the same weights in the same order; only the Dense layer of the window CNN
    (inputs flattened) and the wide convolution replacing it (inputs as height x width x
    channels) store them in different shapes, which a reshape turns into each other.
    """
    source_weights, target_weights = source.get_weights(), target.get_weights()
    sizes = ([w.size for w in source_weights], [w.size for w in target_weights])
    if sizes[0] != sizes[1]:
        raise ValueError(
            f"{source.name} and {target.name} do not have the same weights (sizes {sizes[0]} "
            f"and {sizes[1]}): build both with the same input_shape and network arguments."
        )
    target.set_weights([w.reshape(t.shape) for w, t in zip(source_weights, target_weights, strict=True)])


def _check_window_args(image_width: int, window_width: int, window_stride: int, padding: str) -> None:
    if padding not in PADDINGS:
        raise ValueError(f"Unknown padding {padding!r}; use one of {PADDINGS}")
    if window_width < 1 or window_stride < 1:
        raise ValueError(f"window_width and window_stride must be >= 1, got {window_width}, {window_stride}")
    if window_stride > window_width:
        raise ValueError(
            f"window_stride {window_stride} > window_width {window_width} would skip columns "
            "between windows: use a stride no larger than the window."
        )
    if padding == "valid" and image_width < window_width:
        raise ValueError(
            f"An image {image_width} pixels wide holds no {window_width}-pixel window with "
            "'valid' padding: use 'same' padding or a narrower window."
        )
