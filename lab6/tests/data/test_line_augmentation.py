"""Lab 5 exercise: training-time augmentation of line images (data/line_augmentation.py)."""

import numpy as np
import pytest

from text_recognizer.data.line_augmentation import (
    augment_lines,
    random_contrast_noise,
    random_scale,
    random_slant,
    random_stroke_width,
)


@pytest.fixture
def lines():
    """Four white-on-black lines with a vertical bar and a horizontal stroke each."""
    images = np.zeros((4, 32, 96), np.uint8)
    images[:, 6:26, 20:23] = 255  # a vertical stroke
    images[:, 15:17, 40:80] = 255  # a horizontal stroke
    return images


def _same_batch_shape(out, images):
    assert out.shape == images.shape and out.dtype == np.uint8, (
        f"expected a batch like the input, {images.shape} uint8, got {out.shape} {out.dtype}")


def test_slant_leans_vertical_strokes(lines):
    out = random_slant(lines, np.random.default_rng(0), max_degrees=20)
    _same_batch_shape(out, lines)
    tops = [np.flatnonzero(image[7] > 127).mean() for image in out]
    bottoms = [np.flatnonzero(image[24] > 127).mean() for image in out]
    leans = [round(t - b, 1) for t, b in zip(tops, bottoms, strict=True)]
    assert max(abs(x) for x in leans) > 2, f"the vertical bar should lean (columns top - bottom: {leans})"
    assert len(set(leans)) > 1, f"every line draws its own angle, but all lean by {leans[0]}"
    assert np.array_equal(random_slant(lines, np.random.default_rng(0), max_degrees=0), lines), (
        "0 degrees must leave the lines unchanged")


def test_scale_shrinks_and_stretches_the_writing(lines):
    out = random_scale(lines, np.random.default_rng(1), scale=(0.5, 0.5), stretch=(1.0, 1.0))
    _same_batch_shape(out, lines)
    rows = np.flatnonzero(out[0].max(axis=1) > 127)
    height = rows.max() - rows.min() + 1
    assert 8 <= height <= 12, f"at half size the 20-pixel bar should be about 10 high, got {height}"
    assert out[0][:, 48:].max() < 128, "the writing stays left-aligned: at half size the right half is empty"
    wide = random_scale(lines, np.random.default_rng(1), scale=(1.0, 1.0), stretch=(1.5, 1.5))
    right = np.flatnonzero(wide[0].max(axis=0) > 127).max()
    assert right >= 95, f"stretch 1.5 should push the stroke at columns 40..80 past the right edge, it ends at {right}"


def test_stroke_width_thickens_or_thins(lines):
    rng = np.random.default_rng(2)
    out = random_stroke_width(lines, rng, probability=1.0)
    _same_batch_shape(out, lines)
    ink = (lines > 127).sum(axis=(1, 2))
    changed = (out > 127).sum(axis=(1, 2))
    assert (changed != ink).all(), f"with probability 1 every line changes: ink pixels {ink} -> {changed}"
    assert np.array_equal(random_stroke_width(lines, rng, probability=0.0), lines), (
        "with probability 0 nothing may change")


def test_contrast_and_noise_stay_in_range(lines):
    out = random_contrast_noise(lines, np.random.default_rng(3), contrast=(0.5, 0.5), noise=0.0)
    _same_batch_shape(out, lines)
    above = int(out[0, 16, 60]) - int(out[0, 0, 0])
    assert abs(above - 0.5 * 255) <= 2, f"at contrast 0.5 full ink sits 127.5 above the background, got {above}"
    noisy = random_contrast_noise(lines, np.random.default_rng(3), noise=0.2)
    assert noisy[:, :5].std() > 5, "noise up to 0.2 (of 255) should show in the background"


def test_augment_lines_is_random_but_reproducible(lines):
    a = augment_lines(lines, np.random.default_rng(4))
    b = augment_lines(lines, np.random.default_rng(4))
    _same_batch_shape(a, lines)
    assert np.array_equal(a, b), "the same generator seed must give the same batch: draw from rng only"
    assert not np.array_equal(a, lines), "augment_lines must change the batch"
