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

    A positive angle leans the writing forward (tops of letters move right). Pixels sheared in
    from outside are background (0).
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

    The writing stays left-aligned and vertically centred; what falls outside the image is cut
    off and the rest is background (0).
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
    """With `probability`, thicken (grey dilation) or thin (grey erosion) each line's strokes by a pixel.

    Thickening and thinning are equally likely; the other lines are returned unchanged.
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

    Per line: `ink * c + b + N(0, s)` with c in `contrast`, a background b in [0, 0.1] and a noise
    level s in [0, `noise`] (all in units of full ink, 255), clipped to [0, 255].
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
