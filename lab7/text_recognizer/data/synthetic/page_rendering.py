"""Render a page of handwriting like an IAM form's handwritten part, with every line's box.

    page = render_page(["first line", "second line"], writer, rng)
    page.image       # uint8 (height, width), dark ink on light paper
    page.boxes       # [(top, left, bottom, right), ...] of each line's ink, in reading order
    page.texts       # the lines' texts
    page.mask        # uint8 per-pixel classes: 0 background, 1 line, 2 between lines

One writer writes the page (as on an IAM form). Lines get uneven gaps and left margins, the whole
block a random margin; each line drifts and wobbles as in `line_rendering` (the page's skew).
The boxes are the ground truth of the line detector; the mask is what it learns per pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .handwriting_writers import Writer
from .line_rendering import FONT_PIXELS, _resize, render_ink, scan

BACKGROUND, LINE, BETWEEN_LINES = 0, 1, 2
PAGE_CLASSES = ("background", "line", "between lines")


@dataclass(frozen=True)
class Page:
    """A rendered page with its ground truth."""

    image: np.ndarray
    boxes: list[tuple[int, int, int, int]]
    texts: list[str]
    mask: np.ndarray


def render_page(
    texts: list[str], writer: Writer, rng: np.random.Generator, size: tuple[int, int] = (384, 384),
) -> Page:
    """A page of `texts` (one per line) written by `writer`, fitted into `size` = (height, width).

    Lines that do not fit below the previous ones are left out (`page.texts` says which were
    written). A page without texts is blank paper.
    """
    height, width = size
    line_height = rng.uniform(0.05, 0.08) * height  # ink height of a line on this page
    top = int(rng.uniform(0.03, 0.12) * height)
    block_left = int(rng.uniform(0.02, 0.10) * width)
    ink = np.zeros(size, np.float32)
    boxes, written = [], []
    for text in texts:
        line = render_ink(text, writer, rng)
        scale = line_height * rng.uniform(0.9, 1.1) / FONT_PIXELS
        new_h, new_w = max(1, round(line.shape[0] * scale)), max(1, round(line.shape[1] * scale))
        left = block_left + int(rng.integers(0, max(1, width // 40)))
        if new_w > width - left - 2:  # a long line is written smaller to fit the page
            factor = (width - left - 2) / new_w
            new_h, new_w = max(1, round(new_h * factor)), width - left - 2
        if top + new_h > height - 2:
            break
        line = _resize(line, new_h, new_w)
        region = ink[top : top + new_h, left : left + new_w]
        np.maximum(region, line, out=region)
        rows, cols = np.nonzero(line > 0.1)
        boxes.append((top + int(rows.min()), left + int(cols.min()), top + int(rows.max()) + 1,
                      left + int(cols.max()) + 1))
        written.append(text)
        top = boxes[-1][2] + max(2, int(line_height * rng.uniform(0.25, 1.0)))
    return Page(image=scan(ink, rng), boxes=boxes, texts=written, mask=page_mask(boxes, size))


def page_mask(boxes: list[tuple[int, int, int, int]], size: tuple[int, int]) -> np.ndarray:
    """The detector's per-pixel target: 1 inside each line box, 2 in the gaps between consecutive lines."""
    mask = np.full(size, BACKGROUND, np.uint8)
    for index, (top, left, bottom, right) in enumerate(boxes):
        following = boxes[index + 1] if index + 1 < len(boxes) else None
        mask[top:bottom, left:right] = LINE
        if following is not None and following[0] > bottom:
            gap_left, gap_right = min(left, following[1]), max(right, following[3])
            gap = mask[bottom : following[0], gap_left:gap_right]
            gap[gap == BACKGROUND] = BETWEEN_LINES
    return mask
