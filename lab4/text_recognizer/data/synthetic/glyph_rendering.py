"""Render one character from a handwriting font as a 28x28 MNIST/EMNIST-style image.

A font draws the same letter the same way every time; a person never does. So each sample is
drawn with its own random pen and hand:

- pen: stroke width (thin fonts are thickened to MNIST's 2-3 pixel strokes) and uneven pen
  pressure, the noise of this renderer (no background speckle: MNIST and EMNIST backgrounds are
  clean zeros, and speckle on letters only would tell a model "this is not a digit");
- hand: slant (shear), small rotation, size and aspect jitter, and an elastic distortion (a
  smooth random warp of the strokes, as in Simard et al. 2003);
- scan: MNIST's normalisation (fit into a 20x20 box, centre of mass at the centre of 28x28),
  a little translation jitter and blur.

Case stays visible the way it is in handwriting: every glyph of a font is drawn at the *same*
size (one cap height per font), so "o" comes out smaller than "O". A glyph is only shrunk when
it would not fit the 20x20 box. The work is done at 3x resolution and then downsampled with
anti-aliasing, like MNIST's own grey edges. Images are white ink (255) on black (0).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

IMAGE_SIZE = 28  # like MNIST / EMNIST
BOX_SIZE = 20  # MNIST fits every digit into a 20x20 box, then centres it in 28x28
SCALE = 3  # render at 3x resolution, then downsample (anti-aliased, sub-pixel stroke widths)


@dataclass(frozen=True)
class HandwritingStyle:
    """How much each sample may vary (ranges are drawn uniformly; lengths in 28x28 pixels)."""

    cap_height: tuple[float, float] = (16.0, 20.0)  # height of capitals; MNIST digits are ~20
    aspect: tuple[float, float] = (0.85, 1.15)  # horizontal stretch
    slant_degrees: tuple[float, float] = (-14.0, 14.0)  # shear: forward or backward slant
    rotation_degrees: tuple[float, float] = (-6.0, 6.0)
    stroke_width: tuple[float, float] = (2.0, 3.6)  # MNIST strokes are about 2-3.5 pixels wide
    elastic_pixels: float = 1.2  # largest displacement of the elastic warp
    elastic_grid: int = 4  # control points per side: fewer = smoother, larger-scale warps
    pressure: tuple[float, float] = (0.65, 1.0)  # ink intensity range along the strokes
    shift_pixels: int = 1  # translation jitter after centring
    blur_sigma: tuple[float, float] = (0.0, 0.5)


DEFAULT_STYLE = HandwritingStyle()


@lru_cache(maxsize=64)
def load_font(path: str) -> tuple[ImageFont.FreeTypeFont, float]:
    """The font at the size that draws its capitals `SCALE * BOX_SIZE` pixels high.

    Returns the font and its stroke thickness at that size (in high-resolution pixels).
    Fonts draw capitals at very different heights for the same point size, so the size is set
    from measured capitals; every glyph of the font then shares it (case stays visible).
    """
    reference = ImageFont.truetype(path, 100)
    heights = [_bbox_height(reference, char) for char in string.ascii_uppercase]
    size = 100 * SCALE * BOX_SIZE / float(np.median(heights))
    font = ImageFont.truetype(path, size)
    return font, _stroke_thickness(font)


def render_character(
    font_path: str | Path,
    char: str,
    rng: np.random.Generator,
    style: HandwritingStyle = DEFAULT_STYLE,
) -> np.ndarray:
    """A random handwritten-looking sample of `char` in the font at `font_path`: uint8 (28, 28)."""
    font, thickness = load_font(str(font_path))
    size = rng.uniform(*style.cap_height) / BOX_SIZE  # the glyph is drawn, then scaled by this
    # Pen: thicken thin fonts towards a random MNIST-like stroke width (PIL strokes both sides).
    target = rng.uniform(*style.stroke_width) * SCALE / size
    pen = max(0, round((target - thickness) / 2))
    ink = _draw(font, char, pen)
    # Hand: one affine map (size, aspect, slant, rotation) and a smooth elastic warp.
    ink = _warp(ink, _hand_matrix(rng, style, size), rng, style.elastic_pixels * SCALE, style.elastic_grid)
    ink *= _smooth_field(ink.shape, rng, grid=3, low=style.pressure[0], high=style.pressure[1])
    # Scan: MNIST's normalisation, then jitter and blur.
    image = fit_to_box(ink, shift=rng.integers(-style.shift_pixels, style.shift_pixels + 1, size=2))
    image = ndimage.gaussian_filter(image, rng.uniform(*style.blur_sigma))
    return _to_uint8(image)


def fit_to_box(ink: np.ndarray, shift: np.ndarray | tuple[int, int] = (0, 0)) -> np.ndarray:
    """Downsample high-resolution `ink` by `SCALE` into a float 28x28 image, centred like MNIST.

    The glyph keeps its size (so case stays visible) unless it is larger than the 20x20 box,
    in which case it is shrunk to fit. Its centre of mass lands at the image centre (+ shift).
    """
    rows, cols = np.nonzero(ink > 0.05 * ink.max())
    if len(rows) == 0:
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    height, width = ink.shape
    factor = min(1 / SCALE, BOX_SIZE / max(height, width))
    new_size = (max(1, round(width * factor)), max(1, round(height * factor)))
    small = np.asarray(Image.fromarray(ink.astype(np.float32)).resize(new_size, Image.Resampling.LANCZOS))
    small = np.clip(small, 0, None)
    center = np.array(ndimage.center_of_mass(small))
    top, left = np.round(IMAGE_SIZE / 2 - center).astype(int) + np.asarray(shift)
    # Clip so that the glyph always stays inside the image.
    top = int(np.clip(top, 0, IMAGE_SIZE - small.shape[0]))
    left = int(np.clip(left, 0, IMAGE_SIZE - small.shape[1]))
    image = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    image[top : top + small.shape[0], left : left + small.shape[1]] = small
    return image


def _draw(font: ImageFont.FreeTypeFont, char: str, pen: int) -> np.ndarray:
    """The glyph as float ink in [0, 1] on a canvas with room for slant, rotation and warping."""
    left, top, right, bottom = font.getbbox(char, stroke_width=pen)
    margin = SCALE * BOX_SIZE // 2  # room for the slant, rotation and warp to move ink into
    canvas = Image.new("L", (right - left + 2 * margin, bottom - top + 2 * margin))
    ImageDraw.Draw(canvas).text(
        (margin - left, margin - top), char, font=font, fill=255, stroke_width=pen, stroke_fill=255
    )
    return np.asarray(canvas, dtype=np.float32) / 255


def _hand_matrix(rng: np.random.Generator, style: HandwritingStyle, size: float) -> np.ndarray:
    """2x2 matrix (row, col coordinates) = rotation @ slant @ scale."""
    aspect = rng.uniform(*style.aspect)
    slant = np.tan(np.radians(rng.uniform(*style.slant_degrees)))
    angle = np.radians(rng.uniform(*style.rotation_degrees))
    scale = np.diag([size, size * aspect])
    shear = np.array([[1.0, 0.0], [-slant, 1.0]])  # columns move with height: a slanted glyph
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return rotation @ shear @ scale


def _warp(
    ink: np.ndarray, matrix: np.ndarray, rng: np.random.Generator, pixels: float, grid: int
) -> np.ndarray:
    """Apply `matrix` about the canvas centre plus a smooth random displacement of <= `pixels`.

    Both are done in one resampling (fewer passes blur the strokes less, and it is faster):
    for every output pixel, scipy looks up where it comes from in the input.
    """
    center = (np.array(ink.shape, np.float32) - 1) / 2
    rows, cols = np.indices(ink.shape, dtype=np.float32)
    rows += _smooth_field(ink.shape, rng, grid, -pixels, pixels) - center[0]
    cols += _smooth_field(ink.shape, rng, grid, -pixels, pixels) - center[1]
    inverse = np.linalg.inv(matrix).astype(np.float32)
    source_rows = inverse[0, 0] * rows + inverse[0, 1] * cols + center[0]
    source_cols = inverse[1, 0] * rows + inverse[1, 1] * cols + center[1]
    return ndimage.map_coordinates(ink, [source_rows, source_cols], order=1)


def _smooth_field(
    shape: tuple[int, int], rng: np.random.Generator, grid: int, low: float, high: float
) -> np.ndarray:
    """A smooth random field in [low, high]: random values on a coarse grid, upsampled."""
    coarse = rng.uniform(low, high, size=(grid, grid)).astype(np.float32)
    return _upsampling_matrix(shape[0], grid) @ coarse @ _upsampling_matrix(shape[1], grid).T


@lru_cache(maxsize=256)
def _upsampling_matrix(size: int, grid: int) -> np.ndarray:
    """(size, grid) weights of linear interpolation from `grid` control points to `size` pixels."""
    positions = np.linspace(0, grid - 1, size, dtype=np.float32)
    return np.maximum(0, 1 - np.abs(positions[:, None] - np.arange(grid, dtype=np.float32)))


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """Scale so that the darkest ink is 255 (as MNIST's normalisation does), as uint8."""
    peak = image.max()
    if peak <= 0:
        return np.zeros(image.shape, np.uint8)
    return np.round(image * (255 / peak)).astype(np.uint8)


def _bbox_height(font: ImageFont.FreeTypeFont, char: str) -> int:
    _, top, _, bottom = font.getbbox(char)
    return bottom - top


def _stroke_thickness(font: ImageFont.FreeTypeFont) -> float:
    """Average stroke width of a few glyphs: 2 x ink area / outline length."""
    ink = np.asarray(_draw_text(font, "Hnxo")) > 127
    inner = ink & np.roll(ink, 1, 0) & np.roll(ink, -1, 0) & np.roll(ink, 1, 1) & np.roll(ink, -1, 1)
    return 2 * ink.sum() / max(1, (ink & ~inner).sum())


def _draw_text(font: ImageFont.FreeTypeFont, text: str) -> Image.Image:
    left, top, right, bottom = font.getbbox(text)
    canvas = Image.new("L", (right - left + 4, bottom - top + 4))
    ImageDraw.Draw(canvas).text((2 - left, 2 - top), text, font=font, fill=255)
    return canvas
