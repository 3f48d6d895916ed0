"""Random shifts of character images: same content, moved, background filled in."""

import numpy as np

from text_recognizer.data.augmentation import random_shift


def test_random_shift_moves_each_image_within_the_limit():
    images = np.zeros((50, 28, 28), np.uint8)
    images[:, 14, 14] = 255  # one bright pixel in the centre
    shifted = random_shift(images, max_shift=2, rng=np.random.default_rng(0))
    assert shifted.shape == images.shape and shifted.dtype == np.uint8
    rows, cols = np.nonzero(shifted.reshape(50, -1) == 255)[1] // 28, np.nonzero(shifted.reshape(50, -1) == 255)[1] % 28
    assert len(rows) == 50  # the pixel survives in every image
    assert np.abs(rows - 14).max() <= 2 and np.abs(cols - 14).max() <= 2
    assert len({(r, c) for r, c in zip(rows, cols)}) > 5  # and lands in different places


def test_random_shift_is_reproducible_with_a_seeded_generator():
    images = np.random.default_rng(1).integers(0, 256, (8, 28, 28), dtype=np.uint8)
    a = random_shift(images, rng=np.random.default_rng(3))
    b = random_shift(images, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
