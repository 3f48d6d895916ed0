"""Bring any line image to the form the line recognizer reads: one function for data and predictor.

    normalize_line(image, height=32)             # any size, either polarity -> (32, W) uint8
    normalize_line(image, height=32, width=512)  # the same, padded / shrunk to 512 wide

Steps, as HTR systems normalise lines:

1. grey -> white ink on black (a dark-on-light scan is inverted: `polarity.ink_is_dark`), its
   smooth background (uneven light) removed, contrast stretched so that paper is 0 and ink 1;
2. ruled lines and underlines removed (strokes much longer than any letter);
3. **baseline and height**: the line's core band (the rows of its x-height letters, found in the
   ink's row profile) is located, and the crop keeps an ascender zone above it and a descender
   zone below it, cutting what the neighbouring lines of a real crop leave at its top and
   bottom; the core band then always lands on the same rows, at the same height;
4. **slant**: the shear that makes the strokes most upright is estimated and removed;
5. scaled to `height` (and padded or shrunk to `width`).

Training lines go through exactly the same steps, so the model never has to learn what the
predictor could have fixed.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from text_recognizer.images.background import smooth_background
from text_recognizer.images.boxes import Box
from text_recognizer.images.polarity import ink_is_dark

INK_THRESHOLD = 0.25  # after stretching: pixels above this count as ink for the crop
MARGIN = 2  # pixels of black kept above and below the ink
ASCENDER_ZONE = 1.0  # kept above the core band, in core heights (b, d, l, capitals)
DESCENDER_ZONE = 0.8  # kept below the core band, in core heights (g, p, y)
ANALYSIS_HEIGHT = 96  # a taller crop is shrunk to this many rows before it is analysed (speed)
SLANT_DEGREES = np.arange(-45, 46, 3)  # the shears `estimate_slant` tries
RULE_LENGTH = 6.0  # a horizontal stroke longer than this many line heights is a rule, not a letter


def ink_levels(image: np.ndarray) -> np.ndarray:
    """float32 in [0, 1] with the ink bright: inverted when the ink is dark (`ink_is_dark`)."""
    grey = np.asarray(image, np.float32)
    if grey.ndim != 2:
        raise ValueError(f"Expected a 2-D grey image, got shape {grey.shape}")
    if grey.size == 0:
        raise ValueError("The image is empty (0 pixels): pass an image of a line of writing.")
    grey = grey / 255.0 if grey.max() > 1.0 else grey
    return 1.0 - grey if ink_is_dark(grey) else grey


def flatten_background(grey: np.ndarray) -> np.ndarray:
    """White-on-black `grey` minus its smooth background (uneven light, shading, stains)."""
    return np.clip(grey - smooth_background(grey, size=max(7, min(grey.shape) // 4)), 0.0, 1.0)


def stretch_contrast(grey: np.ndarray) -> np.ndarray:
    """Background (median) -> 0 and ink (99.5th percentile) -> 1, clipped."""
    background = float(np.median(grey))
    ink = float(np.percentile(grey, 99.5))
    if ink - background < 0.08:  # no ink to speak of: a blank line
        return np.zeros_like(grey)
    return np.clip((grey - background) / (ink - background), 0.0, 1.0)


def detector_input(page: np.ndarray, size: int) -> np.ndarray:
    """A page as the line detector reads it: white ink on black, contrast stretched, resized to (size, size)."""
    ink = stretch_contrast(ink_levels(page))
    return np.asarray(Image.fromarray((ink * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BILINEAR))


def ink_box(ink: np.ndarray) -> Box | None:
    """The box of the pixels above `INK_THRESHOLD`, or None for a blank image."""
    rows = np.flatnonzero((ink > INK_THRESHOLD).sum(axis=1) > 0)
    cols = np.flatnonzero((ink > INK_THRESHOLD).sum(axis=0) > 0)
    if len(rows) == 0:
        return None
    return Box(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def remove_rules(ink: np.ndarray) -> np.ndarray:
    """Erase ruled lines and underlines: horizontal strokes far longer than any letter."""
    top, bottom = _core_band(ink)
    length = int(RULE_LENGTH * max(4, bottom - top))
    if ink.shape[1] < 2 * length:
        return ink
    rules = ndimage.grey_opening(ink, size=(1, length))
    return np.clip(ink - rules, 0.0, 1.0)


def _core_band(ink: np.ndarray) -> tuple[int, int]:
    """(first, last + 1) row of the core band: the densest run of rows of the row profile."""
    profile = ndimage.uniform_filter1d(ink.sum(axis=1), max(1, ink.shape[0] // 24))
    # A crop is centred on its line: rows far from the middle (neighbouring lines) weigh less.
    offset = (np.arange(len(profile)) - (len(profile) - 1) / 2) / max(1.0, len(profile) / 2)
    profile = profile * (1 - 0.6 * offset**2)
    if profile.max() <= 0:
        return 0, ink.shape[0]
    dense = profile >= 0.5 * profile.max()
    peak = int(np.argmax(profile))
    top, bottom = peak, peak + 1
    while top > 0 and dense[top - 1]:
        top -= 1
    while bottom < len(dense) and dense[bottom]:
        bottom += 1
    return top, bottom


def crop_to_band(ink: np.ndarray) -> np.ndarray:
    """The rows of the line's core band plus its ascender and descender zones (zero-padded).

    Cutting here, not at the outermost ink, is what removes the neighbouring lines' descenders
    and ascenders from a real line crop, and puts every line's baseline on the same row.
    """
    top, bottom = _core_band(ink)
    core = max(bottom - top, 2)
    first, last = top - round(ASCENDER_ZONE * core), bottom + round(DESCENDER_ZONE * core)
    band = np.zeros((last - first, ink.shape[1]), ink.dtype)
    source = ink[max(first, 0) : min(last, ink.shape[0])]
    band[max(0, -first) : max(0, -first) + len(source)] = source
    cols = np.flatnonzero((band > INK_THRESHOLD).any(axis=0))
    return band[:, cols[0] : cols[-1] + 1] if len(cols) else band


def estimate_slant(ink: np.ndarray) -> float:
    """The slant of the writing in degrees (+ leans forward): the shear that makes strokes upright.

    Each candidate shear is undone and the columns' ink counted: upright strokes pile their ink
    into few columns, so the sharpest column profile (largest sum of squares) wins.
    """
    rows, cols = np.nonzero(ink > INK_THRESHOLD)
    if len(rows) < 8:
        return 0.0
    weights = ink[rows, cols]
    middle = ink.shape[0] / 2
    best, best_score = 0.0, -1.0
    for degrees in SLANT_DEGREES:
        shifted = np.round(cols + np.tan(np.radians(degrees)) * (rows - middle)).astype(int)
        counts = np.bincount(shifted - shifted.min(), weights=weights)
        score = float((counts ** 2).sum())
        if score > best_score:
            best, best_score = float(degrees), score
    return best


def deslant(ink: np.ndarray, degrees: float) -> np.ndarray:
    """Shear the writing upright (the inverse of a `degrees` slant), widening the image as needed."""
    if abs(degrees) < 1e-6:
        return ink
    shear = np.tan(np.radians(degrees))
    height, width = ink.shape
    pad = int(np.ceil(abs(shear) * height / 2)) + 1
    padded = np.pad(ink, ((0, 0), (pad, pad)))
    middle = height / 2
    # PIL's AFFINE reads output pixel (x, y) from input (x + shear * (middle - y), y): tops move back.
    image = Image.fromarray((padded * 255).astype(np.uint8)).transform(
        padded.shape[::-1], Image.Transform.AFFINE, (1, -shear, shear * middle, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
    )
    out = np.asarray(image, np.float32) / 255
    cols = np.flatnonzero((out > INK_THRESHOLD).any(axis=0))
    return out[:, cols[0] : cols[-1] + 1] if len(cols) else out


def normalize_line(image: np.ndarray, height: int, width: int | None = None) -> np.ndarray:
    """A line image as the recognizer reads it: uint8 (height, W), white ink on black.

    Args:
        image: a grey line image, uint8 or float, any size, dark-on-light or light-on-dark.
        height: the model's line height.
        width: if given, the result is exactly this wide: padded with black on the right, or
            (for a longer line) shrunk to fit, keeping the aspect ratio. Without it, W follows
            the aspect ratio (at least `height`).
    """
    grey = ink_levels(_shrink_to(np.asarray(image, np.float32), ANALYSIS_HEIGHT))
    ink = stretch_contrast(flatten_background(grey))
    box = ink_box(ink)
    if box is None:
        return np.zeros((height, width or height), np.uint8)
    ink = ink[box.top : box.bottom, box.left : box.right]
    ink = deslant(crop_to_band(remove_rules(ink)), estimate_slant(ink))
    box = ink_box(ink)
    if box is None:
        return np.zeros((height, width or height), np.uint8)
    return _fit(ink, height, width)


def _shrink_to(ink: np.ndarray, rows: int) -> np.ndarray:
    """`ink` shrunk (aspect kept) to at most `rows` rows (anything but a 2-D image: unchanged)."""
    if ink.ndim != 2 or ink.shape[0] <= rows:
        return ink
    new_width = max(1, round(ink.shape[1] * rows / ink.shape[0]))
    resized = Image.fromarray(ink.astype(np.float32)).resize((new_width, rows), Image.Resampling.BILINEAR,
                                                              reducing_gap=2.0)
    return np.asarray(resized, np.float32)


def _fit(ink: np.ndarray, height: int, width: int | None) -> np.ndarray:
    """Scale the band to `height` minus the margins, then pad or shrink it to `width`."""
    inner = height - 2 * MARGIN
    scale = inner / ink.shape[0]
    new_width = max(1, round(ink.shape[1] * scale))
    new_height = inner
    if width is not None and new_width > width - MARGIN:
        scale = (width - MARGIN) / ink.shape[1]
        new_width, new_height = width - MARGIN, max(1, round(ink.shape[0] * scale))
    resized = Image.fromarray((np.clip(ink, 0, 1) * 255).astype(np.uint8)).resize(
        (new_width, new_height), Image.Resampling.BILINEAR, reducing_gap=2.0
    )
    out = np.zeros((height, width or max(height, new_width + 2 * MARGIN)), np.uint8)
    top = (height - new_height) // 2
    out[top : top + new_height, MARGIN : MARGIN + new_width] = np.asarray(resized)
    return out
