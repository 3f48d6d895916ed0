"""Render a line of text as handwriting on paper: the lines of the offline IAM substitute.

A font writes every "e" the same way; people do not, and neither does one person from line to
line. So the hand is drawn twice:

- per writer (`writer_hand`, fixed by the writer's name): slant, size, letter spacing, stroke
  width and how much the baseline wanders, i.e. what makes two writers look different;
- per line (`render_line`): small changes around that hand (one line is written faster, or
  more upright), a drifting and wobbling baseline, uneven letter and word spacing, a small
  rotation, ink colour and pen pressure, then the paper: texture, noise, blur and JPEG artefacts.

The result is a grey scan, dark ink on light paper (uint8), like a crop of an IAM form.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from .handwriting_writers import Writer, font_files

FONT_PIXELS = 48  # drawing size (em) before the line is scaled to its final height


@dataclass(frozen=True)
class Hand:
    """How one writer writes (lengths relative to the font's em)."""

    slant_degrees: float  # forward (+) or backward (-) slant
    size: float  # relative size of the writing
    letter_spacing: float  # extra advance after each letter, fraction of the letter's width
    stroke: int  # pen: thickens the font's strokes by this many pixels each side (at FONT_PIXELS)
    wobble: float  # baseline wobble amplitude, fraction of the em


def writer_hand(writer: Writer) -> Hand:
    """The hand of a writer: the same every time for the same writer (seeded by its name)."""
    rng = np.random.default_rng(zlib.crc32(writer.family.encode()))
    return Hand(
        slant_degrees=float(rng.uniform(-12, 18)),
        size=float(rng.uniform(0.85, 1.15)),
        letter_spacing=float(rng.uniform(-0.04, 0.10)),
        stroke=int(rng.integers(0, 3)),
        wobble=float(rng.uniform(0.0, 0.05)),
    )


@lru_cache(maxsize=128)
def _files(writer: Writer) -> list:
    return font_files(writer)


@lru_cache(maxsize=128)
def _font(path: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, FONT_PIXELS)


def render_ink(text: str, writer: Writer, rng: np.random.Generator) -> np.ndarray:
    """The ink of `text` in the writer's hand, float32 in [0, 1], cropped to the ink.

    The crop's height is about `FONT_PIXELS` scaled by the writer's size: callers scale it.
    """
    hand = writer_hand(writer)
    files = _files(writer)
    font = _font(str(files[rng.integers(len(files))]))
    slant = hand.slant_degrees + rng.uniform(-4, 4)
    spacing = hand.letter_spacing + rng.uniform(-0.02, 0.02)
    # Baseline: a slow drift plus a wobble with a random period, in pixels.
    drift = rng.uniform(-0.04, 0.04)
    period = rng.uniform(3, 8) * FONT_PIXELS
    phase = rng.uniform(0, 2 * np.pi)
    amplitude = (hand.wobble + rng.uniform(0, 0.02)) * FONT_PIXELS

    stroke = max(0, hand.stroke + int(rng.integers(-1, 2)))
    width = int(sum(font.getlength(c) for c in text) * 1.6) + 4 * FONT_PIXELS
    height = 3 * FONT_PIXELS
    canvas = Image.new("L", (width, height))
    draw = ImageDraw.Draw(canvas)
    x, baseline = FONT_PIXELS, 2 * FONT_PIXELS
    for char in text:
        advance = font.getlength(char)
        if char == " ":
            x += advance * rng.uniform(0.8, 1.8)
            continue
        y = baseline + drift * x + amplitude * np.sin(2 * np.pi * x / period + phase)
        y += rng.normal(0, 0.015 * FONT_PIXELS)
        draw.text((x, y), char, font=font, fill=255, anchor="ls", stroke_width=stroke, stroke_fill=255)
        x += advance * (1 + spacing + rng.normal(0, 0.03))
    # Slant (shear about the baseline) and a small rotation, on the crop around the ink.
    left, top, right, bottom = canvas.getbbox() or (0, 0, 1, 1)
    shear = np.tan(np.radians(slant))
    pad = int(abs(shear) * height) + 4
    canvas = canvas.crop((left - pad, top - 4, right + pad, bottom + 4))
    baseline -= top - 4
    canvas = canvas.transform(
        canvas.size, Image.Transform.AFFINE, (1, shear, -shear * baseline, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
    )
    canvas = canvas.rotate(rng.uniform(-1.5, 1.5), resample=Image.Resampling.BILINEAR, expand=True)
    ink = np.asarray(canvas, np.float32) / 255
    rows, cols = np.nonzero(ink > 0.1)
    if len(rows) == 0:
        return np.zeros((FONT_PIXELS, FONT_PIXELS), np.float32)
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    return _resize(ink, round(ink.shape[0] * hand.size), round(ink.shape[1] * hand.size))


def render_line(
    text: str, writer: Writer, rng: np.random.Generator, text_height: float = 40.0
) -> np.ndarray:
    """A scanned handwritten line: uint8, dark ink on light paper, ink about `text_height` high.

    The image has a margin of paper around the writing (as a crop from a form would).
    """
    ink = render_ink(text, writer, rng)
    scale = text_height * rng.uniform(0.85, 1.15) / FONT_PIXELS
    ink = _resize(ink, max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale)))
    margin = rng.integers(2, 12, size=4)
    ink = np.pad(ink, ((margin[0], margin[1]), (margin[2], margin[3])))
    return scan(ink, rng)


def scan(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Put `ink` (float in [0, 1]) on paper and scan it: uint8, dark ink on light paper.

    Ink colour and pen pressure, paper brightness and texture, noise, blur and JPEG artefacts
    are all random.
    """
    shape = ink.shape
    paper = rng.uniform(175, 250) + _texture(shape, rng) * rng.uniform(0, 18)
    ink_level = rng.uniform(0, 90)  # 0 = black ink, 90 = a light pencil
    pressure = 1 - rng.uniform(0, 0.35) * (_texture(shape, rng) * 0.5 + 0.5)
    image = paper - ink * pressure * (paper - ink_level)
    image = ndimage.gaussian_filter(image, rng.uniform(0, 0.9))
    image += rng.normal(0, rng.uniform(0, 10), size=shape)
    image = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < 0.4:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="JPEG", quality=int(rng.integers(30, 90)))
        image = np.asarray(Image.open(buffer).convert("L"))
    return image


def _texture(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Smooth random texture in about [-1, 1] (paper fibres, uneven pressure)."""
    coarse = rng.normal(size=(max(2, shape[0] // 16), max(2, shape[1] // 16)))
    field = ndimage.zoom(coarse, (shape[0] / coarse.shape[0], shape[1] / coarse.shape[1]), order=1)
    field = field[: shape[0], : shape[1]]
    return np.pad(field, ((0, shape[0] - field.shape[0]), (0, shape[1] - field.shape[1])), mode="edge")


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a float image (anti-aliased when shrinking)."""
    resized = Image.fromarray(image.astype(np.float32)).resize(
        (max(1, width), max(1, height)), Image.Resampling.BILINEAR, reducing_gap=2.0
    )
    return np.clip(np.asarray(resized, np.float32), 0, 1)
