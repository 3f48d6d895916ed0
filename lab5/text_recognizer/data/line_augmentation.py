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
    raise NotImplementedError("Lab 5 exercise: implement random_slant: Shear each line by its own angle in [-max_degrees, max_degrees] about its middle row. See notebooks/lab5.ipynb.")


def random_scale(images: np.ndarray, rng: np.random.Generator, scale: tuple[float, float] = (0.8, 1.0),
                 stretch: tuple[float, float] = (0.85, 1.15)) -> np.ndarray:
    """Make each line's writing smaller (factor in `scale`) and wider or narrower (`stretch`).

    The writing stays left-aligned and vertically centred; what falls outside the image is cut
    off and the rest is background (0).
    """
    raise NotImplementedError("Lab 5 exercise: implement random_scale: Make each line's writing smaller (factor in `scale`) and wider or narrower (`stretch`). See notebooks/lab5.ipynb.")


def random_stroke_width(images: np.ndarray, rng: np.random.Generator, probability: float = 0.5) -> np.ndarray:
    """With `probability`, thicken (grey dilation) or thin (grey erosion) each line's strokes by a pixel.

    Thickening and thinning are equally likely; the other lines are returned unchanged.
    """
    raise NotImplementedError("Lab 5 exercise: implement random_stroke_width: With `probability`, thicken (grey dilation) or thin (grey erosion) each line's strokes by a pixel. See notebooks/lab5.ipynb.")


def random_contrast_noise(images: np.ndarray, rng: np.random.Generator,
                          contrast: tuple[float, float] = (0.6, 1.0), noise: float = 0.08) -> np.ndarray:
    """Scale each line's ink by a contrast factor, add a dim background and Gaussian noise.

    Per line: `ink * c + b + N(0, s)` with c in `contrast`, a background b in [0, 0.1] and a noise
    level s in [0, `noise`] (all in units of full ink, 255), clipped to [0, 255].
    """
    raise NotImplementedError("Lab 5 exercise: implement random_contrast_noise: Scale each line's ink by a contrast factor, add a dim background and Gaussian noise. See notebooks/lab5.ipynb.")


def augment_lines(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Slant, scale, stroke width, then contrast and noise: a training batch as new handwriting."""
    images = random_slant(images, rng)
    images = random_scale(images, rng)
    images = random_stroke_width(images, rng)
    return random_contrast_noise(images, rng)
