"""The line detector network: fully convolutional, one class per pixel (line, between lines, background).

    page (H, W) --encoder: conv blocks, each halving the size--> (H/8, W/8, C)   what is where
                --decoder: upsample + the encoder's map------> (H, W, 3) logits  exactly where

A small U-Net: the decoder adds back the encoder's feature map of the same size (a skip
connection), so that the coarse "this is a line" of the deep layers lands on the right pixels.
Like the anchor course's line detector it classifies every pixel; the line boxes come from the
per-pixel output afterwards (`models/line_boxes.py`). Any page size divisible by 8 works.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

NUM_PAGE_CLASSES = 3  # background, line, between lines (data/synthetic/page_rendering.py)


def _conv(x, filters: int, name: str):
    # No batch normalization: with a few hundred small batches of mostly blank pages its moving
    # statistics lag behind the batches', and the detector then sees nothing at inference.
    return keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv")(x)


def line_detector(
    input_shape: tuple[int, ...],
    num_classes: int = NUM_PAGE_CLASSES,
    filters: Sequence[int] = (12, 24, 32, 48),
    dilation_rates: Sequence[int] = (1, 2, 4),
) -> keras.Model:
    """Build the detector: page (batch, H, W) in, per-pixel logits (batch, H, W, num_classes) out.

    Args:
        input_shape: (height, width) of the training pages; the network takes any size
            divisible by 2 ** (len(filters) - 1).
        num_classes: per-pixel classes (3). The models' character mapping does not apply here.
        filters: channels of each encoder level (the first at full size).
        dilation_rates: dilated 3x3 convolutions at the bottom: a wide view of the page (a line
            is long and thin) for few weights.
    """
    inputs = keras.Input(shape=(None, None), name="page")
    x = keras.ops.expand_dims(inputs, -1)  # (batch, H, W, 1): one grey channel
    skips = []
    for level, width in enumerate(filters):
        x = _conv(x, width, f"down{level}")
        if level < len(filters) - 1:
            skips.append(x)
            x = keras.layers.MaxPooling2D(2, name=f"pool{level}")(x)
    for rate in dilation_rates:
        x = keras.layers.Conv2D(filters[-1], 3, padding="same", dilation_rate=rate, activation="relu",
                                name=f"context{rate}")(x)
    for level in reversed(range(len(filters) - 1)):
        x = keras.layers.UpSampling2D(2, name=f"up{level}")(x)
        x = keras.layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        x = _conv(x, filters[level], f"decode{level}")
    logits = keras.layers.Conv2D(num_classes, 1, name="logits")(x)
    return keras.Model(inputs, logits, name="line_detector")
