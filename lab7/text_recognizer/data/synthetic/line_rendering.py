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
from collections.abc import Sequence
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


def render_ink(text: str, writer: Writer, rng: np.random.Generator,
               digits: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """The ink of `text` in the writer's hand, float32 in [0, 1], cropped to the ink.

    Words are drawn whole, so cursive fonts keep their joins; then every glyph is bent its own
    way by a smooth elastic distortion, each word gets its own size and baseline, and the pen's
    pressure (stroke width) changes along the line. With `digits` (for each digit d, uint8
    (N, 28, 28) real handwritten images of d, white on black), most digits of the text are
    written with one of them.
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
    width = int(font.getlength(text) * 1.8) + 4 * FONT_PIXELS
    height = 3 * FONT_PIXELS
    canvas = Image.new("L", (width, height))
    x, baseline = float(FONT_PIXELS), 2 * FONT_PIXELS
    for word in text.split(" "):
        if word:
            y = baseline + drift * x + amplitude * np.sin(2 * np.pi * x / period + phase)
            y += rng.normal(0, 0.03 * FONT_PIXELS)
            image = _word_image(word, font, stroke, spacing, rng, digits)
            size = rng.normal(1, 0.05)
            image = image.resize((max(1, round(image.width * size)), max(1, round(image.height * size))),
                                 Image.Resampling.BILINEAR)
            top = int(round(y - image.height * 2 / 3))
            canvas.paste(image, (int(x), max(0, top)), image)
            x += image.width
        x += font.getlength(" ") * rng.uniform(0.7, 1.8) * (1 + spacing)
    box = canvas.getbbox() or (0, 0, 1, 1)
    pad = FONT_PIXELS // 4
    box = (max(0, box[0] - pad), max(0, box[1] - pad), min(width, box[2] + pad), min(height, box[3] + pad))
    baseline -= box[1]
    height = box[3] - box[1]
    ink = _pen_pressure(_elastic(np.asarray(canvas.crop(box), np.float32) / 255, rng), rng)
    canvas = Image.fromarray((ink * 255).astype(np.uint8))
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


def _word_image(word: str, font: ImageFont.FreeTypeFont, stroke: int, spacing: float,
                rng: np.random.Generator, digits: Sequence[np.ndarray] | None) -> Image.Image:
    """One word's ink on a transparent-black canvas, its baseline at 2/3 of the height.

    A word is drawn in one go (joins and kerning kept) unless real digits replace its digits, or
    the writer spaces letters apart, which draws it glyph by glyph with its own jitter.
    """
    use_digits = digits is not None and any(c.isdigit() for c in word) and rng.random() < 0.7
    glyph_by_glyph = use_digits or abs(spacing) > 0.06
    width = int(font.getlength(word) * 1.6) + FONT_PIXELS
    image = Image.new("L", (width, 3 * FONT_PIXELS))
    draw = ImageDraw.Draw(image)
    baseline = 2 * FONT_PIXELS
    if not glyph_by_glyph:
        draw.text((4, baseline), word, font=font, fill=255, anchor="ls", stroke_width=stroke, stroke_fill=255)
    else:
        x = 4.0
        for char in word:
            y = baseline + rng.normal(0, 0.02 * FONT_PIXELS)
            if use_digits and char.isdigit():
                x += _paste_digit(image, digits, int(char), x, y, rng)
                continue
            draw.text((x, y), char, font=font, fill=255, anchor="ls", stroke_width=stroke, stroke_fill=255)
            x += font.getlength(char) * (1 + spacing + rng.normal(0, 0.03))
    box = image.getbbox()
    if box is None:
        return image.crop((0, 0, 4, 3 * FONT_PIXELS))
    return image.crop((0, 0, box[2] + 2, 3 * FONT_PIXELS))


def _paste_digit(image: Image.Image, digits: Sequence[np.ndarray], digit: int, x: float, baseline: float,
                 rng: np.random.Generator) -> float:
    """Write a real handwritten `digit` (one of `digits[digit]`) standing on the baseline; its advance."""
    choices = digits[digit]
    glyph = Image.fromarray(choices[rng.integers(len(choices))])
    box = glyph.getbbox() or (0, 0, 28, 28)
    glyph = glyph.crop(box)
    height = round(FONT_PIXELS * rng.uniform(0.6, 0.8))
    glyph = glyph.resize((max(1, round(glyph.width * height / glyph.height)), height), Image.Resampling.BILINEAR)
    image.paste(glyph, (int(x), int(baseline - height)), glyph)
    return glyph.width + FONT_PIXELS * rng.uniform(0.03, 0.12)


def _elastic(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A smooth random displacement field (about a glyph in scale): no two letters alike."""
    sigma = FONT_PIXELS * rng.uniform(0.15, 0.3)
    strength = FONT_PIXELS * rng.uniform(0.02, 0.06)
    small = (max(2, ink.shape[0] // 8), max(2, ink.shape[1] // 8))  # the field is smooth: make it small
    shifts = []
    for _ in range(2):
        field = ndimage.gaussian_filter(rng.normal(size=small), sigma / 8)
        field = (field * strength / (field.std() + 1e-6)).astype(np.float32)
        shifts.append(np.asarray(Image.fromarray(field).resize(ink.shape[::-1], Image.Resampling.BILINEAR)))
    rows, cols = np.indices(ink.shape, dtype=np.float32)
    return ndimage.map_coordinates(ink, [rows + shifts[0], cols + shifts[1]], order=1, mode="constant")


def _pen_pressure(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Strokes that thicken and thin along the line, as pressure on a pen changes."""
    thick = ndimage.grey_dilation(ink, size=(3, 3))
    thin = ndimage.grey_erosion(ink, size=(2, 2))
    period = rng.uniform(2, 10) * FONT_PIXELS
    weight = np.sin(2 * np.pi * np.arange(ink.shape[1]) / period + rng.uniform(0, 2 * np.pi))
    weight = weight * rng.uniform(0.3, 1.0) + rng.uniform(-0.3, 0.3)
    pressed, light = np.clip(weight, 0, 1), np.clip(-weight, 0, 1)
    return ink * (1 - pressed - light) + thick * pressed + thin * light


def render_line(
    text: str, writer: Writer, rng: np.random.Generator, text_height: float = 40.0,
    neighbours: Sequence[str] = (), digits: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """A scanned handwritten line: uint8, dark ink on light paper, ink about `text_height` high.

    The image has a margin of paper around the writing, as a crop from a form would. A real line
    crop carries more than its line, and so do these: with `neighbours` (texts of the lines
    around it), the descenders of the line above and the ascenders of the line below are cut at
    the crop's top and bottom; some lines are written on ruled paper or underlined; the paper is
    lit unevenly; some are scanned at low resolution. `digits`: see `render_ink`.
    """
    ink = render_ink(text, writer, rng, digits)
    if rng.random() < 0.08:  # underline part of the line
        row = ink.shape[0] - 1 - int(rng.integers(0, 4))
        start = int(rng.integers(0, max(1, ink.shape[1] // 2)))
        ink = np.pad(ink, ((0, 6), (0, 0)))
        ink[row + 3 : row + 5, start : start + int(rng.integers(ink.shape[1] // 4, ink.shape[1]))] = 1.0
    if neighbours and rng.random() < 0.45:
        ink = _with_neighbours(ink, neighbours, writer, rng, digits)
    scale = text_height * rng.uniform(0.85, 1.15) / FONT_PIXELS
    ink = _resize(ink, max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale)))
    margin = rng.integers(2, 12, size=4)
    ink = np.pad(ink, ((margin[0], margin[1]), (margin[2], margin[3])))
    rules = _rules(ink.shape, rng, text_height) if rng.random() < 0.25 else None
    image = scan(ink, rng, rules)
    if rng.random() < 0.35:  # a low-resolution scan (IAM's lines are about 70 px high), enlarged back
        factor = rng.uniform(0.35, 0.8)
        small = Image.fromarray(image).resize(
            (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor))), Image.Resampling.BILINEAR)
        image = np.asarray(small.resize(image.shape[::-1], Image.Resampling.BILINEAR))
    if rng.random() < 0.3:
        image = _polygon_crop(image, rng)
    return image


def _polygon_crop(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """White outside a jagged band around the line, as line crops cut from page polygons are."""
    height, width = image.shape
    out = image.copy()
    knots = max(2, width // max(8, height // 2))
    rows = np.arange(height)[:, None]
    for edge in ("top", "bottom"):
        depth = np.interp(np.arange(width), np.linspace(0, width - 1, knots),
                          rng.uniform(0, 0.25, size=knots) * height).astype(int)
        outside = rows < depth if edge == "top" else rows >= height - depth
        out[outside & (depth > 0)] = 255
    return out


def _with_neighbours(ink: np.ndarray, neighbours: Sequence[str], writer: Writer, rng: np.random.Generator,
                     digits: Sequence[np.ndarray] | None) -> np.ndarray:
    """`ink` with the bottom of the line above and the top of the line below, tightly spaced."""
    height = ink.shape[0]
    pieces = [(0, ink)]  # (first row, ink)
    for above in (True, False):
        if rng.random() < 0.3:
            continue
        other = render_ink(neighbours[rng.integers(len(neighbours))], writer, rng, digits)
        other = _resize(other, height, max(1, round(other.shape[1] * height / other.shape[0])))
        gap = int(height * rng.uniform(-0.15, 0.25))  # negative: the lines' strokes touch
        visible = max(1, int(height * rng.uniform(0.15, 0.45)))  # what the crop keeps of it
        part = np.roll(other[-visible:] if above else other[:visible], int(rng.integers(-height, height)), axis=1)
        pieces.append((-gap - visible if above else height + gap, part[:, : ink.shape[1]]))  # the crop's width
    top = min(row for row, _ in pieces)
    out = np.zeros((max(row + p.shape[0] for row, p in pieces) - top, ink.shape[1]), np.float32)
    for row, piece in pieces:
        region = out[row - top : row - top + piece.shape[0], : piece.shape[1]]
        np.maximum(region, piece, out=region)
    return out


def _rules(shape: tuple[int, int], rng: np.random.Generator, spacing: float) -> np.ndarray:
    """Printed ruled lines (float mask in [0, 1]) about one line height apart."""
    mask = np.zeros(shape, np.float32)
    gap = max(8, int(spacing * rng.uniform(1.1, 1.6)))
    first = int(shape[0] * rng.uniform(0.7, 0.95)) % gap
    thickness = int(rng.integers(1, 3))
    for row in range(first, shape[0], gap):
        mask[row : row + thickness] = 1.0
    return mask


def scan(ink: np.ndarray, rng: np.random.Generator, rules: np.ndarray | None = None) -> np.ndarray:
    """Put `ink` (float in [0, 1]) on paper and scan it: uint8, dark ink on light paper.

    Ink colour and pen pressure, paper brightness and texture, uneven light (a photo's shading),
    optional printed `rules` (a mask, lighter than ink), noise, blur and JPEG artefacts are all
    random.
    """
    shape = ink.shape
    paper = rng.uniform(175, 250) + _texture(shape, rng) * rng.uniform(0, 18)
    if rng.random() < 0.4:  # light falling from one side, and a soft shadow
        rows, cols = np.mgrid[0 : 1 : shape[0] * 1j, 0 : 1 : shape[1] * 1j]
        angle = rng.uniform(0, 2 * np.pi)
        paper = paper * (1 - rng.uniform(0.05, 0.35) * (np.cos(angle) * cols + np.sin(angle) * rows + 1) / 2)
    if rules is not None:
        paper = paper - rules * rng.uniform(30, 90)
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
