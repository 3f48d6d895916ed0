"""A page is scaled down to at most `MAX_PAGE_SIDE` pixels on its longest side, first of all.

Everything the page predictor does after reading costs memory in proportion to the page's area,
several times over: padding to a square of the longest side, float32 copies for contrast. A
48 KB PNG of 1250x20000 pixels padded to 20000x20000 took a worker 3.8 GB. Shrinking the uint8
page before any of that bounds the cost whatever is uploaded: at 2000 pixels the square is 4
MB of uint8 and 16 MB as float32. 2000 pixels still give a line of an A4 page written at a
normal size some 50 pixels of height, more than the 32 the line model reads.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

MAX_PAGE_SIDE = 2000
"""The longest side, in pixels, of a page as the page predictor reads it (larger pages are shrunk)."""


def cap_size(image: np.ndarray, max_side: int = MAX_PAGE_SIDE) -> tuple[np.ndarray, float]:
    """(`image` shrunk so its longest side is at most `max_side`, the factor it was shrunk by).

    The factor is 1.0 for an image already small enough (returned as it is); a box found in the
    shrunk image is `box.scaled(1 / factor)` in the original.
    """
    height, width = image.shape[:2]
    factor = max_side / max(height, width, 1)
    if factor >= 1.0:
        return image, 1.0
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    # reducing_gap: Pillow first shrinks by an integer factor in blocks (fast, little memory).
    small = Image.fromarray(np.asarray(image, np.uint8)).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(small), factor
