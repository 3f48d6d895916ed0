"""A photo of one line of writing -> the line image the line model reads, and where the ink is.

The Lab 3 line model reads white ink on black, `height` pixels high (28), at most `max_width`
wide (896). People upload other things: dark ink on paper, any size, margins around the words.
`fit_line` inverts dark-on-light images, crops to the ink, scales the ink to the height the
model was trained on and pads the rest with black. An image that already has the model's height
goes to the predictor unchanged. (Lab 5's line predictor reads any line through
`line_normalization.py`; this module keeps the service usable with the Lab 3 model, whose
synthetic lines have no margin rule of their own.)
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from text_recognizer.images.boxes import Box
from text_recognizer.images.line_normalization import ink_box, ink_levels, stretch_contrast

INK_FRACTION = 0.8
"""How much of the model's height the ink fills (EMNIST characters leave a margin in their box)."""


def fit_line(image: np.ndarray, height: int, max_width: int) -> tuple[np.ndarray, Box]:
    """(the line as the model reads it, the box of its ink in `image`).

    The ink is found as `line_normalization` finds it (polarity, contrast, crop). An image
    already `height` pixels high and at most `max_width` wide is returned as it is (the
    predictor handles its polarity). A blank image gives a black line and the whole image as
    its box.
    """
    image = np.asarray(image, dtype=np.uint8)
    full = Box(0, 0, int(image.shape[0]), int(image.shape[1]))
    ink = stretch_contrast(ink_levels(image)) if image.size else np.zeros(image.shape, np.float32)
    box = ink_box(ink)
    if image.shape[0] == height and image.shape[1] <= max_width:
        return image, box or full
    if box is None:
        return np.zeros((height, min(max(image.shape[1], 1), max_width)), np.uint8), full
    ink = ink[box.top:box.bottom, box.left:box.right] * 255.0
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
