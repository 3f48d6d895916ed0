"""A photo-like page for tests: a page as a phone photographs it, made from a flat page image.

    data = phone_photo(page)      # JPEG bytes: perspective, shade, background, EXIF orientation 6

The flat page (a rendered support page) is enlarged, warped in perspective onto a darker desk,
shaded from left to right (a shadow over half of the paper), turned a quarter to the left and
tagged with EXIF orientation 6, as phones store portrait photos.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from text_recognizer.images.page_photo import homography

ORIENTATION_TAG = 0x0112
CANVAS = (1000, 900)
"""(height, width) of the upright photo."""
PAGE_CORNERS = np.array([[140, 110], [800, 150], [760, 900], [100, 850]], np.float64)
"""Where the page's corners land in the upright photo: (x, y), top-left clockwise."""


def shade(width: int, height: int) -> np.ndarray:
    """Light falling off to the right: 1.0 on the left 45 %, down to 0.5 at the right edge."""
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)
    return np.broadcast_to(1.0 - 0.5 * np.clip((x - 0.45) / 0.55, 0.0, 1.0), (height, width))


def upright_photo(page: np.ndarray, scale: int = 2) -> np.ndarray:
    """The page (2-D uint8) enlarged `scale` times, in perspective on a desk, shaded: 2-D uint8 (CANVAS)."""
    height, width = CANVAS
    big = Image.fromarray(page).resize((page.shape[1] * scale, page.shape[0] * scale), Image.Resampling.BILINEAR)
    rectangle = np.array([[0, 0], [big.width, 0], [big.width, big.height], [0, big.height]], np.float64)
    to_page = homography(PAGE_CORNERS, rectangle)  # for each photo pixel, where on the page it is
    coefficients = tuple((to_page / to_page[2, 2]).ravel()[:8])
    warped = big.transform((width, height), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR)
    inside = Image.new("L", big.size, 255).transform((width, height), Image.Transform.PERSPECTIVE, coefficients)
    desk = np.random.default_rng(0).normal(70, 6, (height, width))
    mask = np.asarray(inside, np.float32) / 255
    photo = mask * np.asarray(warped, np.float32) + (1 - mask) * desk
    return np.clip(photo * shade(width, height), 0, 255).astype(np.uint8)


def phone_photo(page: np.ndarray) -> bytes:
    """`upright_photo(page)` as a phone stores it: RGB JPEG, turned left, EXIF orientation 6."""
    grey = upright_photo(page)
    rgb = np.stack([grey, grey, (grey * 0.92).astype(np.uint8)], axis=-1)  # warm indoor light
    stored = Image.fromarray(rgb).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()
