"""Tesseract, the peer the evaluations compare with: it reads a printed line (where installed)."""

import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from text_recognizer.reports.tesseract import tesseract_available, tesseract_read


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed (make setup)")
def test_tesseract_reads_a_printed_line():
    assert tesseract_available()
    image = Image.new("L", (400, 60), 255)
    ImageDraw.Draw(image).text((10, 10), "hello world", fill=0, font=ImageFont.load_default(size=32))
    assert "hello" in tesseract_read(np.asarray(image), 7).lower()
