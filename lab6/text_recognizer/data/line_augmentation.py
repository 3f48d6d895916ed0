"""Training-time augmentation of line images: the same line, as a different hand might write it.

Every transform takes a batch of white-on-black line images (batch, height, width) uint8 and a
random generator, and returns a batch of the same shape and dtype. `augment_lines` chains them.
They run in the data pipeline on *training* batches only (`Model.augment_batch`): validation and
test lines are never changed, so their figures measure the model, not the dice.

    augmented = augment_lines(batch, rng)     # slant, scale, stroke width, contrast and noise
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage


def random_slant(images: np.ndarray, rng: np.random.Generator, max_degrees: float = 12.0) -> np.ndarray:
    """Shear each line by its own angle in [-max_degrees, max_degrees] about its middle row.

    The contract: every line of the batch gets its own angle, drawn from `rng`; a positive angle
    leans the writing forward (the tops of letters move right, the bottoms left, the middle row
    stays); pixels that come in from outside the image are background (0); `max_degrees=0`
    returns the lines unchanged. Same shape and dtype (uint8) as `images`.

    Work out the geometry first: by how many columns must a row `y` rows above the middle move
    for a given angle? Then find a library that applies such a map to an image for you.

    Example (a vertical stroke; with 0 degrees nothing moves):

        >>> lines = np.zeros((2, 32, 96), np.uint8)
        >>> lines[:, 6:26, 20:23] = 255
        >>> random_slant(lines, np.random.default_rng(0), max_degrees=20).shape
        (2, 32, 96)
        >>> np.array_equal(random_slant(lines, np.random.default_rng(0), max_degrees=0), lines)
        True

    Notebook: "Exercise: augmentation".
    """
    out = np.empty_like(images)
    for i, image in enumerate(images):
        shear = np.tan(np.radians(rng.uniform(-max_degrees, max_degrees)))
        middle = image.shape[0] / 2
        # PIL's AFFINE maps each output pixel (x, y) to the input pixel (x + shear * (y - middle), y).
        out[i] = np.asarray(Image.fromarray(image).transform(
            image.shape[::-1], Image.Transform.AFFINE, (1, shear, -shear * middle, 0, 1, 0),
            resample=Image.Resampling.BILINEAR,
        ))
    return out


def random_scale(images: np.ndarray, rng: np.random.Generator, scale: tuple[float, float] = (0.8, 1.0),
                 stretch: tuple[float, float] = (0.85, 1.15)) -> np.ndarray:
    """Make each line's writing smaller (factor in `scale`) and wider or narrower (`stretch`).

    The contract, per line: a size factor `f` drawn from `scale` and a stretch `s` from
    `stretch`; the writing becomes `f` times as high and `f * s` times as wide, stays
    left-aligned and vertically centred; what falls outside the image is cut off and the rest is
    background (0). Same shape and dtype (uint8) as `images`.

    Example (half size: a stroke 20 rows high becomes about 10):

        >>> lines = np.zeros((1, 32, 96), np.uint8)
        >>> lines[:, 6:26, 20:23] = 255
        >>> half = random_scale(lines, np.random.default_rng(0), scale=(0.5, 0.5), stretch=(1.0, 1.0))
        >>> rows = np.flatnonzero(half[0].max(axis=1) > 127)
        >>> int(rows.max() - rows.min() + 1)
        10

    Notebook: "Exercise: augmentation".
    """
    batch, height, width = images.shape
    out = np.zeros_like(images)
    for i, image in enumerate(images):
        factor = rng.uniform(*scale)
        new_height = max(1, round(height * factor))
        new_width = max(1, round(width * factor * rng.uniform(*stretch)))
        resized = np.asarray(Image.fromarray(image).resize((new_width, new_height), Image.Resampling.BILINEAR))
        top = (height - new_height) // 2
        out[i, top : top + new_height, : min(width, new_width)] = resized[:, :width]
    return out


def random_stroke_width(images: np.ndarray, rng: np.random.Generator, probability: float = 0.5) -> np.ndarray:
    """With `probability`, thicken or thin each line's strokes by about a pixel.

    The contract, per line: with `probability` its strokes change, thicker or thinner with equal
    chances, and the grey levels of the strokes' edges stay grey (the images are not binary);
    the other lines are returned unchanged. With `probability=0` the batch comes back equal to
    the input, with `probability=1` every line that has ink changes. Same shape and dtype.

    Which morphological operations grow and shrink the bright parts of a grey image?

    Example:

        >>> lines = np.zeros((3, 32, 96), np.uint8)
        >>> lines[:, 6:26, 20:23] = 255
        >>> np.array_equal(random_stroke_width(lines, np.random.default_rng(0), probability=0.0), lines)
        True

    Notebook: "Exercise: augmentation".
    """
    out = images.copy()
    for i, image in enumerate(images):
        if rng.random() >= probability:
            continue
        size = (2, 2) if rng.random() < 0.5 else (1, 2)
        if rng.random() < 0.5:
            out[i] = ndimage.grey_dilation(image, size=size)
        else:
            out[i] = ndimage.grey_erosion(image, size=size)
    return out


def random_contrast_noise(images: np.ndarray, rng: np.random.Generator,
                          contrast: tuple[float, float] = (0.6, 1.0), noise: float = 0.08) -> np.ndarray:
    """Scale each line's ink by a contrast factor, add a dim background and Gaussian noise.

    The contract, per line: `ink * c + b + N(0, s)` with c drawn from `contrast`, a background b
    from [0, 0.1] and a noise level s from [0, `noise`] (all in units of full ink, 255), rounded
    and clipped to [0, 255], uint8. Each line draws its own c, b and s; the noise is drawn per
    pixel. Same shape as `images`.

    Example (contrast 0.5 and no noise: full ink ends half of 255 above the background):

        >>> lines = np.zeros((1, 32, 96), np.uint8)
        >>> lines[:, 10:20, 40:60] = 255
        >>> out = random_contrast_noise(lines, np.random.default_rng(0), contrast=(0.5, 0.5), noise=0.0)
        >>> abs(int(out[0, 15, 50]) - int(out[0, 0, 0]) - 127.5) <= 1  # 255 * 0.5, whatever b is
        True

    Notebook: "Exercise: augmentation".
    """
    batch = len(images)
    c = rng.uniform(*contrast, size=(batch, 1, 1))
    b = rng.uniform(0.0, 0.1, size=(batch, 1, 1))
    s = rng.uniform(0.0, noise, size=(batch, 1, 1))
    values = images / 255.0 * c + b + rng.normal(size=images.shape) * s
    return np.clip(np.round(values * 255), 0, 255).astype(np.uint8)


def augment_lines(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Slant, scale, stroke width, then contrast and noise: a training batch as new handwriting."""
    images = random_slant(images, rng)
    images = random_scale(images, rng)
    images = random_stroke_width(images, rng)
    return random_contrast_noise(images, rng)
