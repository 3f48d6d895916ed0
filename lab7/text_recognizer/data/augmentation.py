"""Training-time augmentation for character images: small random shifts.

Handwriting never sits exactly centred; shifting each training image by a pixel or two teaches
the network that position does not change the character (an MLP cannot learn that on its own).
"""

from __future__ import annotations

import numpy as np


def random_shift(images: np.ndarray, max_shift: int = 2, rng: np.random.Generator | None = None) -> np.ndarray:
    """Shift every image of a (batch, height, width) array by up to `max_shift` pixels each way.

    Pixels shifted in are background (0); the dtype is kept.
    """
    rng = rng or np.random.default_rng()
    batch, height, width = images.shape
    padded = np.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    offsets = rng.integers(0, 2 * max_shift + 1, size=(batch, 2))
    return np.stack([padded[i, dy:dy + height, dx:dx + width] for i, (dy, dx) in enumerate(offsets)])
