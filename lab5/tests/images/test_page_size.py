"""`images/page_size.py`: a page is shrunk to `MAX_PAGE_SIDE` on its longest side before anything else."""

from __future__ import annotations

import numpy as np

from text_recognizer.images.boxes import Box
from text_recognizer.images.page_size import MAX_PAGE_SIDE, cap_size


def test_a_tall_page_is_shrunk_to_the_cap_keeping_its_aspect():
    tall = np.full((20000, 1250), 255, np.uint8)
    tall[10000:10400, 100:1100] = 0
    small, factor = cap_size(tall)
    assert small.shape == (MAX_PAGE_SIDE, 125) and small.dtype == np.uint8 and factor == MAX_PAGE_SIDE / 20000
    assert small[1000:1040, 10:110].mean() < 30  # the ink is still there, scaled
    assert Box(1000, 10, 1040, 110).scaled(1 / factor) == Box(10000, 100, 10400, 1100)


def test_a_page_within_the_cap_is_left_as_it_is():
    page = np.zeros((MAX_PAGE_SIDE, 300), np.uint8)
    small, factor = cap_size(page)
    assert small is page and factor == 1.0
