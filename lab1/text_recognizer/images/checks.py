"""What an image array must be before a model reads it: the one place that checks it.

Models call these from `Model.check_image`; `images/reading.py` calls `numeric_image` on arrays
it is given. A bad input raises `ImageError` (a `ValueError`) with a message that says what to do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# A column is "blank" when no pixel in it is brighter than this, after scaling to [0, 1].
BLANK_COLUMN_THRESHOLD = 0.1


class ImageError(ValueError):
    """An input that cannot be read as an image, or not as the image a model expects."""


def numeric_image(image: object) -> np.ndarray:
    """`image` as a numpy array of numbers, or an ImageError."""
    array = np.asarray(image)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise ImageError(f"Expected a numeric image array, got dtype {array.dtype}.")
    return array


def exact_shape(image: object, shape: Sequence[int]) -> np.ndarray:
    """One character image of exactly `shape`, e.g. (28, 28)."""
    array, shape = numeric_image(image), tuple(shape)
    if array.shape != shape:
        raise ImageError(
            f"Expected one grayscale image of shape {shape}, got shape {array.shape}. Crop or resize "
            f"it to {shape} first (white character on a black background, like EMNIST)."
        )
    return array


def pad_to_multiple(image: np.ndarray, multiple: int) -> np.ndarray:
    """A 2-D image padded with zeros at the bottom and right to a multiple of `multiple` on each side."""
    return np.pad(image, [(0, -n % multiple) for n in image.shape])


def pad_line_width(line: np.ndarray, multiple: int) -> np.ndarray:
    """A line padded with zeros on the right to a multiple of `multiple` pixels, and at least as wide as high.

    How a network that reads lines of any width gets them (its width reduction must divide the width).
    """
    width = max(line.shape[0], -(-line.shape[1] // multiple) * multiple)
    return np.pad(line, ((0, 0), (0, width - line.shape[1])))


def fit_line_width(image: object, height: int, width: int) -> np.ndarray:
    """One line image `height` pixels high, padded or cropped to `width` pixels.

    Narrower lines are padded on the right with background (synthetic lines are left-aligned on
    black); wider ones are cropped when their extra part is blank, refused when it holds ink.
    """
    array = numeric_image(image)
    if array.ndim != 2 or array.shape[0] != height:
        raise ImageError(
            f"Expected one grayscale line image {height} pixels high (shape ({height}, width)), got "
            f"shape {array.shape}. Resize the line to a height of {height} pixels, keeping its aspect "
            "ratio (white ink on a black background)."
        )
    if array.shape[1] <= width:
        return np.pad(array, ((0, 0), (0, width - array.shape[1])))
    extra = array[:, width:]
    brightest = float(extra.max()) / (255.0 if array.dtype == np.uint8 else 1.0)
    if brightest > BLANK_COLUMN_THRESHOLD:
        raise ImageError(
            f"The line is {array.shape[1]} pixels wide and has ink beyond the {width} pixels this model "
            f"reads. Split it into shorter lines or scale it down to at most {width} pixels wide."
        )
    return array[:, :width]
