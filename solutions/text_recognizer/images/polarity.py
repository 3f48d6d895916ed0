"""Which way round is the ink? The one rule every reader of images uses.

Models read white ink on a black background (like EMNIST). People send dark ink on paper, or
light chalk on a board. The rule: the background is the image's most common grey (its median,
since ink covers less than half of any page or line); the ink is dark when that background lies
in the light half of the image's own range, nearer its brightest pixel than its darkest. Judging
against the image's range, not against mid-grey, keeps a photo of paper in dim light (paper at
grey 100, ink at 20) the right way round. An image without contrast (blank) counts as paper when
it is lighter than mid-grey.
"""

from __future__ import annotations

import numpy as np


def full_scale(image: np.ndarray) -> float:
    """The value of white: 255 for integer images and for floats above 1, else 1.0."""
    if np.issubdtype(image.dtype, np.integer) or (image.size and float(image.max()) > 1.0):
        return 255.0
    return 1.0


def ink_is_dark(image: np.ndarray) -> bool:
    """Whether `image` (2-D grey, uint8 or float) shows dark ink on a light background."""
    image = np.asarray(image)
    if image.size == 0:
        return False
    background = float(np.median(image))
    low, high = float(image.min()), float(image.max())
    if high - low < 1e-6 * full_scale(image):  # blank: no ink to compare with
        return background > full_scale(image) / 2
    return background > (low + high) / 2


def white_on_black(image: np.ndarray) -> np.ndarray:
    """`image` with bright ink on a dark background: inverted (same dtype) when its ink is dark."""
    image = np.asarray(image)
    if not ink_is_dark(image):
        return image
    return (full_scale(image) - image).astype(image.dtype)
