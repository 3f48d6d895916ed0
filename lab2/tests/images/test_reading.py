"""`images/reading.py`: every entry point reads an image upright, as its EXIF orientation says."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from text_recognizer.images.checks import ImageError
from text_recognizer.images.reading import read_grayscale_image

ORIENTATION = 0x0112  # the EXIF tag


def upright_page() -> np.ndarray:
    """A wide light image with one dark mark near its top-left corner."""
    image = np.full((40, 100), 230, np.uint8)
    image[5:15, 5:30] = 10
    return image


def as_phone_stores_it(upright: np.ndarray, fmt: str = "JPEG") -> bytes:
    """The pixels turned a quarter to the left, tagged orientation 6 ("turn right to view")."""
    stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    buffer = io.BytesIO()
    stored.save(buffer, fmt, exif=exif, **({"quality": 95} if fmt == "JPEG" else {}))
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_exif_orientation_6_is_read_upright(fmt, tmp_path):
    data = as_phone_stores_it(upright_page(), fmt)
    path = tmp_path / f"photo.{fmt.lower()}"
    path.write_bytes(data)
    for source in (data, path):
        image = read_grayscale_image(source)
        assert image.shape == (40, 100)
        assert image[5:15, 5:30].mean() < 60 and image[25:, 60:].mean() > 200  # the mark is top-left again


def test_without_exif_the_pixels_are_as_stored():
    buffer = io.BytesIO()
    Image.fromarray(upright_page()).transpose(Image.Transpose.ROTATE_90).save(buffer, "PNG")
    assert read_grayscale_image(buffer.getvalue()).shape == (100, 40)


def test_bad_input_says_what_was_wrong(tmp_path):
    with pytest.raises(ImageError, match="No image file"):
        read_grayscale_image(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="not an image"):
        read_grayscale_image(b"hello, not an image")
