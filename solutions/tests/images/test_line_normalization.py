"""Line normalisation as HTR systems do it: background, rules, baseline and height, slant."""

import numpy as np
from PIL import Image, ImageDraw

from text_recognizer.images.line_normalization import (
    crop_to_band,
    deslant,
    estimate_slant,
    flatten_background,
    normalize_line,
    remove_rules,
)


def strokes(slant_degrees: float, height: int = 60, width: int = 300) -> np.ndarray:
    """White-on-black vertical strokes leaning `slant_degrees` forward (tops to the right)."""
    image = Image.new("L", (width, height))
    draw = ImageDraw.Draw(image)
    lean = np.tan(np.radians(slant_degrees)) * height
    for x in range(30, width - 60, 25):
        draw.line([(x, height - 5), (x + lean, 5)], fill=255, width=3)
    return np.asarray(image, np.float32) / 255


def test_slant_is_estimated_and_removed():
    for degrees in (-20, 0, 25):
        assert abs(estimate_slant(strokes(degrees)) - degrees) <= 4
    upright = deslant(strokes(25), 25)
    assert abs(estimate_slant(upright)) <= 4
    # Upright strokes pile their ink into few columns.
    assert (upright.sum(axis=0) > 0.5 * upright.shape[0]).sum() > (strokes(25).sum(axis=0) > 30).sum()


def test_the_neighbouring_lines_fragments_are_cut_away():
    ink = np.zeros((90, 400), np.float32)
    ink[35:55, 20:380] = (np.arange(360) % 6 < 3)  # the line's core band: dense letters
    ink[25:35, 40:45] = 1  # an ascender belongs to the line
    ink[0:6, 100:300:7] = 1  # the line above's descender tips
    ink[84:90, 50:350:5] = 1  # the line below's ascender tips
    band = crop_to_band(ink)
    # The band holds the core, the ascender zone, and nothing of the neighbours.
    assert 45 <= band.shape[0] <= 60
    assert band.sum() < ink.sum() and band[:, :].max() == 1
    assert abs(band.sum() - ink[25:55].sum()) < 1


def test_ruled_lines_are_erased_and_letters_kept():
    ink = np.zeros((40, 600), np.float32)
    ink[30:32, :] = 1  # a rule across the line
    ink[10:30, 100:103] = 1  # a letter's stroke
    cleaned = remove_rules(ink)
    assert cleaned[30:32].sum() < 0.1 * ink[30:32].sum()
    assert cleaned[10:30, 100:103].mean() > 0.9


def test_uneven_light_is_flattened():
    rows, cols = np.mgrid[0:64, 0:400]
    shading = 0.4 * cols / 400  # the paper grows lighter (here: brighter background) to the right
    ink = np.zeros((64, 400), np.float32)
    ink[20:44, 50:350:20] = 0.6
    flat = flatten_background(ink + shading)
    assert flat[:, 380:].max() < 0.1  # no shade left where there is no ink
    assert flat[20:44, 330].mean() > 0.4  # the ink is kept


def test_a_photo_like_line_normalises_to_the_model_form():
    image = np.full((120, 900), 200, np.uint8)
    for x in range(100, 800, 12):
        image[50:80, x : x + 4] = 30  # dark pen strokes on light paper
    image[:, 850:] = 255  # a white margin (a polygon crop)
    out = normalize_line(image, 32, 512)
    assert out.shape == (32, 512) and out.dtype == np.uint8
    assert np.median(out) == 0 and out.max() > 200
    assert normalize_line(np.full((40, 100), 128, np.uint8), 32, 512).max() == 0  # blank stays blank
