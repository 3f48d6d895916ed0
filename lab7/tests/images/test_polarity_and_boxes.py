"""The one polarity rule (`images/polarity.py`) and the one box type (`images/boxes.py`)."""

from __future__ import annotations

import numpy as np
import pytest

from text_recognizer.images.boxes import Box
from text_recognizer.images.polarity import ink_is_dark, white_on_black


def page(paper: int, ink: int) -> np.ndarray:
    image = np.full((40, 100), paper, np.uint8)
    image[15:25, 10:90] = ink  # a stroke covering a fifth of the image
    return image


@pytest.mark.parametrize(("paper", "ink", "dark"), [
    (230, 20, True),    # ink on white paper
    (100, 20, True),    # paper photographed in dim light: darker than mid-grey, ink darker still
    (0, 255, False),    # EMNIST: white on black
    (60, 200, False),   # chalk on a board
])
def test_the_background_decides_against_the_images_own_range(paper, ink, dark):
    assert ink_is_dark(page(paper, ink)) is dark
    assert ink_is_dark(page(paper, ink).astype(np.float32) / 255) is dark  # floats in [0, 1] alike


def test_white_on_black_inverts_dark_ink_only_and_keeps_the_dtype():
    dim = page(100, 20)
    assert np.array_equal(white_on_black(dim), 255 - dim) and white_on_black(dim).dtype == np.uint8
    chalk = page(60, 200)
    assert white_on_black(chalk) is chalk
    assert white_on_black(white_on_black(dim)).max() == 235  # applying it twice changes nothing more


def test_a_blank_image_counts_as_paper_when_light():
    assert ink_is_dark(np.full((5, 5), 200, np.uint8)) and not ink_is_dark(np.full((5, 5), 9, np.uint8))
    assert white_on_black(np.full((5, 5), 255, np.uint8)).max() == 0


def test_a_box_is_top_left_bottom_right_and_answers_json_as_x_y_width_height():
    box = Box(top=10, left=20, bottom=50, right=300)
    assert box == (10, 20, 50, 300)  # the detector's plain tuples compare equal
    assert (box.width, box.height) == (280, 40)
    assert box.as_json() == {"x": 20, "y": 10, "width": 280, "height": 40}
    assert box.scaled(2.0) == Box(20, 40, 100, 600)
    assert Box(-3, 5, 80, 500).clipped(60, 400) == Box(0, 5, 60, 400)
