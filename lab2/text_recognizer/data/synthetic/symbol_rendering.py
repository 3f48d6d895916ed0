"""Punctuation for synthetic lines, rendered from the same handwriting fonts as the EMNIST substitute.

EMNIST has no punctuation, so the synthetic lines draw `, . ; : ? ! " ' ( ) - & / # * +` from
the handwriting fonts of `handwriting_fonts` (train writers for train and validation lines,
test writers for test lines). Unlike letters, a symbol is *not* centred in its 28x28 cell: a
comma sits on the baseline and a quote near the top, which is most of what tells them apart. So
every glyph is drawn at its place relative to a fixed baseline (row 23 of 28, capitals about 20
pixels high, like the centred EMNIST letters), with the random pen (stroke width), hand (slant,
aspect) and scan (blur, small shift) of `glyph_rendering`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from .glyph_rendering import DEFAULT_STYLE, IMAGE_SIZE, SCALE, HandwritingStyle, load_font
from .handwriting_fonts import font_files, writers

BASELINE_ROW = 23  # of 28: capitals span rows ~3..23, descenders (",", ";") reach below


def render_symbol(
    font_path: str | Path,
    char: str,
    rng: np.random.Generator,
    style: HandwritingStyle = DEFAULT_STYLE,
) -> np.ndarray:
    """A random handwritten-looking `char` at its natural height in a 28x28 cell: uint8, white ink."""
    font, thickness = load_font(str(font_path))  # capitals SCALE * 20 pixels high
    cell = SCALE * IMAGE_SIZE
    target = rng.uniform(*style.stroke_width) * SCALE
    pen = max(0, round((target - thickness) / 2))
    baseline = SCALE * BASELINE_ROW + int(rng.integers(-SCALE, SCALE + 1))  # +-1 pixel jitter
    canvas = Image.new("L", (2 * cell, cell))
    ImageDraw.Draw(canvas).text(
        (cell // 2, baseline), char, font=font, fill=255, anchor="ls", stroke_width=pen, stroke_fill=255
    )
    # Hand: size, aspect and slant about the baseline, in one affine map (PIL wants the inverse:
    # for each output pixel, where to read in the drawing).
    size = rng.uniform(*style.cap_height) / style.cap_height[1]  # letters vary the same way
    slant = np.tan(np.radians(rng.uniform(*style.slant_degrees)))
    forward = np.array([[size * rng.uniform(*style.aspect), -slant * size], [0.0, size]])
    inverse = np.linalg.inv(forward)
    origin = np.array([cell, baseline], np.float64)
    offset = origin - inverse @ origin
    coefficients = (*inverse[0], offset[0], *inverse[1], offset[1])
    canvas = canvas.transform(canvas.size, Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR)
    ink = np.asarray(canvas, dtype=np.float32) / 255
    # Centre the ink horizontally in the cell; keep its height.
    columns = np.flatnonzero(ink.max(axis=0) > 0.05)
    if len(columns) == 0:
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    middle = (columns[0] + columns[-1]) // 2 + int(rng.integers(-SCALE, SCALE + 1))
    left = int(np.clip(middle - cell // 2, 0, ink.shape[1] - cell))
    ink = ink[:, left : left + cell]
    small = np.asarray(Image.fromarray(ink).resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.LANCZOS))
    small = ndimage.gaussian_filter(np.clip(small, 0, None), rng.uniform(*style.blur_sigma))
    peak = small.max()
    return np.round(small * (255 / peak)).astype(np.uint8) if peak > 0 else np.zeros_like(small, np.uint8)


def render_symbol_pool(
    split: str, symbols: str, per_symbol: int, seed: int = 0
) -> dict[str, np.ndarray]:
    """`per_symbol` random samples of each symbol, in the fonts of the split's writers.

    Returns {symbol: uint8 (per_symbol, 28, 28)}. "train" and "val" share the train writers,
    "test" uses the test writers. Same arguments, same images.
    """
    fonts = [font for family in writers(split) for font in font_files(family)]
    rng = np.random.default_rng([seed, ("train", "val", "test").index(split)])
    return {
        char: np.stack([render_symbol(fonts[rng.integers(len(fonts))], char, rng) for _ in range(per_symbol)])
        for char in symbols
    }
