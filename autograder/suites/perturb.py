"""Graded inputs no student has: the public support files, perturbed with the secret seed.

The support images and lines in `solutions/tests/support/` are in every lab, byte for byte, so
a submission could answer them from a table of their hashes. The suites therefore grade
*perturbed copies*: each image shifted by up to a pixel, its contrast scaled a little and
seeded noise added, then encoded again as PNG. A copy depends on the installation's secret
seed and on the grading, so neither the file bytes nor the decoded pixels match anything a
student has; a model that reads the original reads the copy just as well.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

#: Noise (grey levels), contrast range and shift (pixels) of a copy.
NOISE = 5.0
CONTRAST = (0.88, 1.0)
SHIFT = 1
TRIES = 8


def decode(data: bytes) -> np.ndarray:
    """A PNG's grey levels (uint8, 2-D)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L"), dtype=np.uint8)


def encode(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def perturb(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A seeded copy of `image` (uint8): shifted, contrast-scaled around the background, noisy."""
    image = np.asarray(image, dtype=np.float64)
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    background = float(np.median(border))
    dy, dx = (int(v) for v in rng.integers(-SHIFT, SHIFT + 1, size=2))
    shifted = np.full_like(image, background)
    height, width = image.shape
    shifted[max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
        image[max(-dy, 0):height + min(-dy, 0), max(-dx, 0):width + min(-dx, 0)]
    scaled = background + (shifted - background) * rng.uniform(*CONTRAST)
    noisy = scaled + rng.normal(0.0, NOISE, size=image.shape)
    copy = np.clip(np.round(noisy), 0, 255).astype(np.uint8)
    if np.array_equal(copy, np.asarray(image, dtype=np.uint8)):  # never the original itself
        copy[0, 0] = np.uint8((int(copy[0, 0]) + 1) % 256)
    return copy


def perturbed_files(paths: Sequence[Path], seed: int, tag: int,
                    accept: Callable[[int, np.ndarray], bool] | None = None) -> list[bytes]:
    """PNG bytes of a seeded copy of every file in `paths` (`tag` keeps each suite's copies apart).

    `accept(index, image)`, when given, is the reference model's check that a copy is still
    readable; a refused copy is drawn again (a few tries, then the mildest: noise only).
    """
    copies = []
    for index, path in enumerate(paths):
        original = decode(Path(path).read_bytes())
        rng = np.random.default_rng([seed, 41, tag, index])
        copy = perturb(original, rng)
        tries = 1
        while accept is not None and not accept(index, copy) and tries < TRIES:
            copy, tries = perturb(original, rng), tries + 1
        if accept is not None and not accept(index, copy):
            noise = rng.normal(0.0, 1.0, size=original.shape)
            copy = np.clip(np.round(original + noise), 0, 255).astype(np.uint8)
        copies.append(encode(copy))
    return copies
