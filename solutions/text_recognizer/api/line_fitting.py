"""A photo of one line of writing -> the line image the line model reads, and where the ink is.

The Lab 3 line model reads white ink on black, `height` pixels high (28), at most `max_width`
wide (896). People upload other things: dark ink on paper, any size, margins around the words.
`fit_line` inverts dark-on-light images, crops to the ink, scales the ink to the height the
model was trained on and pads the rest with black. An image that already has the model's height
goes to the predictor unchanged. (Lab 5's line predictor does these steps itself; this module
keeps the service usable with the Lab 3 model.)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from PIL import Image

INK_FRACTION = 0.8
"""How much of the model's height the ink fills (EMNIST characters leave a margin in their box)."""
MIN_CONTRAST = 24
"""Grey levels between background and ink below which an image holds no writing."""


class Box(NamedTuple):
    """A rectangle in image pixels: left `x`, top `y`, `width`, `height`."""

    x: int
    y: int
    width: int
    height: int

    def as_json(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


def white_on_black(image: np.ndarray) -> np.ndarray:
    """Invert a dark-on-light image so the ink is bright; the background is the median grey."""
    image = np.asarray(image, dtype=np.uint8)
    return 255 - image if np.median(image) > 127 else image


def ink_box(white: np.ndarray) -> Box | None:
    """The box around the pixels clearly brighter than the background, None for a blank image."""
    background = float(np.median(white))
    brightest = float(white.max()) if white.size else 0.0
    if brightest - background < MIN_CONTRAST:
        return None
    ink = white > background + 0.4 * (brightest - background)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return Box(int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))


def fit_line(image: np.ndarray, height: int, max_width: int) -> tuple[np.ndarray, Box]:
    """(the line as the model reads it, the box of its ink in `image`).

    An image already `height` pixels high and at most `max_width` wide is returned as it is
    (the predictor handles its polarity). A blank image gives a black line and the whole image
    as its box.
    """
    image = np.asarray(image, dtype=np.uint8)
    full = Box(0, 0, int(image.shape[1]), int(image.shape[0]))
    white = white_on_black(image)
    box = ink_box(white)
    if image.shape[0] == height and image.shape[1] <= max_width:
        return image, box or full
    if box is None:
        return np.zeros((height, min(max(image.shape[1], 1), max_width)), np.uint8), full
    ink = white[box.y:box.y + box.height, box.x:box.x + box.width].astype(np.float32)
    background = float(np.median(white))
    ink = np.clip((ink - background) * 255.0 / max(float(ink.max()) - background, 1.0), 0, 255)
    ink_height = max(1, round(height * INK_FRACTION))
    scale = ink_height / box.height
    new_width = max(1, round(box.width * scale))
    if new_width > max_width:  # a long line: shrink it to the widest the model reads
        scale = max_width / box.width
        new_width, ink_height = max_width, max(1, round(box.height * scale))
    resized = Image.fromarray(ink.astype(np.uint8)).resize((new_width, ink_height), Image.Resampling.BILINEAR)
    line = np.zeros((height, new_width), np.uint8)
    top = (height - ink_height) // 2
    line[top:top + ink_height] = np.asarray(resized)
    return line, box
