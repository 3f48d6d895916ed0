"""Bring any line image to the form the line recognizer reads: one function for data and predictor.

    normalize_line(image, height=32)             # any size, either polarity -> (32, W) uint8
    normalize_line(image, height=32, width=512)  # the same, padded / shrunk to 512 wide

Steps: grey -> white ink on black (a dark-on-light scan is inverted: `polarity.ink_is_dark`)
-> contrast stretched so paper is 0 and ink 255 -> cropped to the ink -> scaled to
`height` keeping the aspect ratio. Training lines go through exactly the same steps, so the model
never has to learn what the predictor could have fixed.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from text_recognizer.images.boxes import Box
from text_recognizer.images.polarity import ink_is_dark

INK_THRESHOLD = 0.25  # after stretching: pixels above this count as ink for the crop
MARGIN = 2  # pixels of black kept above and below the ink


def ink_levels(image: np.ndarray) -> np.ndarray:
    """float32 in [0, 1] with the ink bright: inverted when the ink is dark (`ink_is_dark`)."""
    grey = np.asarray(image, np.float32)
    if grey.ndim != 2:
        raise ValueError(f"Expected a 2-D grey image, got shape {grey.shape}")
    if grey.size == 0:
        raise ValueError("The image is empty (0 pixels): pass an image of a line of writing.")
    grey = grey / 255.0 if grey.max() > 1.0 else grey
    return 1.0 - grey if ink_is_dark(grey) else grey


def stretch_contrast(grey: np.ndarray) -> np.ndarray:
    """Background (median) -> 0 and ink (99.5th percentile) -> 1, clipped."""
    background = float(np.median(grey))
    ink = float(np.percentile(grey, 99.5))
    if ink - background < 0.08:  # no ink to speak of: a blank line
        return np.zeros_like(grey)
    return np.clip((grey - background) / (ink - background), 0.0, 1.0)


def ink_box(ink: np.ndarray) -> Box | None:
    """The box of the pixels above `INK_THRESHOLD`, or None for a blank image."""
    rows = np.flatnonzero((ink > INK_THRESHOLD).sum(axis=1) > 0)
    cols = np.flatnonzero((ink > INK_THRESHOLD).sum(axis=0) > 0)
    if len(rows) == 0:
        return None
    return Box(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def normalize_line(image: np.ndarray, height: int, width: int | None = None) -> np.ndarray:
    """A line image as the recognizer reads it: uint8 (height, W), white ink on black.

    Args:
        image: a grey line image, uint8 or float, any size, dark-on-light or light-on-dark.
        height: the model's line height.
        width: if given, the result is exactly this wide: padded with black on the right, or
            (for a longer line) shrunk to fit, keeping the aspect ratio. Without it, W follows
            the aspect ratio (at least `height`).
    """
    ink = stretch_contrast(ink_levels(image))
    box = ink_box(ink)
    inner = height - 2 * MARGIN
    if box is None:
        return np.zeros((height, width or height), np.uint8)
    ink = ink[box.top:box.bottom, box.left:box.right]
    scale = inner / ink.shape[0]
    new_width = max(1, round(ink.shape[1] * scale))
    new_height = inner
    if width is not None and new_width > width - MARGIN:
        scale = (width - MARGIN) / ink.shape[1]
        new_width, new_height = width - MARGIN, max(1, round(ink.shape[0] * scale))
    resized = Image.fromarray((ink * 255).astype(np.uint8)).resize(
        (new_width, new_height), Image.Resampling.BILINEAR, reducing_gap=2.0
    )
    out = np.zeros((height, width or max(height, new_width + 2 * MARGIN)), np.uint8)
    top = (height - new_height) // 2
    out[top : top + new_height, MARGIN : MARGIN + new_width] = np.asarray(resized)
    return out
