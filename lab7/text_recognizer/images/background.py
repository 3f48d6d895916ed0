"""The light behind the ink: an image's smooth background, its strokes taken away.

A grey opening (a min then a max filter) removes every bright stroke narrower than its window;
what is left is the paper's light, with its shading and stains, which an average over the same
window smooths. Lines subtract it (`line_normalization.flatten_background`); page photos divide
by it, since a shadow dims ink and paper alike (`page_photo.even_out_light`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def smooth_background(ink_bright: np.ndarray, size: int) -> np.ndarray:
    """The smooth background of an image whose ink is bright (white on black), as float.

    Strokes narrower than `size` pixels are opened away, then the rest is averaged over `size`.
    For dark ink on light paper, pass the inverted image and invert the result.
    """
    ink_bright = np.asarray(ink_bright, np.float32)
    return ndimage.uniform_filter(ndimage.grey_opening(ink_bright, size=(size, size)), size)
