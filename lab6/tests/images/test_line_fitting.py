"""`images/line_fitting.fit_line`: a photo of a line becomes what the line model reads, and its ink box."""

from __future__ import annotations

import numpy as np
from api_inputs import LINES_DIR
from PIL import Image

from text_recognizer.images.boxes import Box
from text_recognizer.images.line_fitting import fit_line

HEIGHT, WIDTH = 28, 896


def test_a_line_of_the_models_height_passes_unchanged():
    line = np.asarray(Image.open(LINES_DIR / "line_00.png"))
    fitted, box = fit_line(line, HEIGHT, WIDTH)
    assert fitted is line or np.array_equal(fitted, line)
    assert box.left > 0 and box.width < WIDTH and box.bottom <= HEIGHT


def test_dark_ink_on_paper_is_inverted_cropped_and_scaled_to_the_models_height():
    photo = np.full((120, 600), 220, np.uint8)
    photo[40:80, 100:500] = 20  # a dark stroke, 40 x 400
    fitted, box = fit_line(photo, HEIGHT, WIDTH)
    assert box == Box(top=40, left=100, bottom=80, right=500)
    assert fitted.shape[0] == HEIGHT and fitted.shape[1] == round(400 * round(HEIGHT * 0.8) / 40)
    assert fitted.max() == 255 and fitted[0].max() == 0, "white ink on black, margins above and below"


def test_a_very_long_line_is_shrunk_to_the_widest_the_model_reads():
    photo = np.zeros((50, 5000), np.uint8)
    photo[10:40, 10:4990] = 255
    fitted, _ = fit_line(photo, HEIGHT, WIDTH)
    assert fitted.shape == (HEIGHT, WIDTH)


def test_a_blank_image_gives_a_black_line_and_the_whole_image_as_its_box():
    fitted, box = fit_line(np.full((60, 300), 200, np.uint8), HEIGHT, WIDTH)
    assert fitted.shape[0] == HEIGHT and fitted.max() == 0
    assert box == Box(0, 0, 60, 300) and box.as_json() == {"x": 0, "y": 0, "width": 300, "height": 60}
