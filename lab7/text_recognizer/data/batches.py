"""Feed in-memory arrays to Keras in batches, through `keras.utils.PyDataset`.

`PyDataset` lets Keras prepare the next batches in worker threads (or processes, with
`use_multiprocessing=True`) while the model trains on the current one: that matters as soon as a
batch needs real work (augmentation in lab 5). A dataset only says how many batches there are
(`__len__`) and how to make batch `i` (`__getitem__`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
import numpy as np

Transform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def to_float(images: np.ndarray) -> np.ndarray:
    """Pixels as float32 in [0, 1]: uint8 images are divided by 255, float images kept as they are."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32)


def to_float_inputs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The default batch transform: pixels -> float32 in [0, 1] (`to_float`), labels -> int32.

    The data stays uint8 in memory (4x smaller) and is only converted one batch at a time.
    """
    return to_float(x), np.asarray(y, dtype=np.int32)


class ArrayBatches(keras.utils.PyDataset):
    """Batches `(transform(x[batch]), ...)` of two arrays with the same first dimension.

    With `shuffle=True` the examples are drawn in a new random order every epoch (reproducible:
    epoch `e` always uses the same order for the same `seed`). The last batch may be smaller.

    With `batch_multiple=N` every batch holds a multiple of N examples, so that data
    parallelism (Lab 4) can split each one evenly over N devices: the last batch is cut down, and
    the at most N - 1 examples left over are skipped that epoch (other ones each epoch, when shuffled).
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        *,
        shuffle: bool = False,
        seed: int = 0,
        transform: Transform | None = None,
        workers: int = 1,
        use_multiprocessing: bool = False,
        max_queue_size: int = 10,
        batch_multiple: int = 1,
    ) -> None:
        super().__init__(
            workers=workers, use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size
        )
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.transform = transform or to_float_inputs
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(x)) if shuffle else np.arange(len(x))
        if batch_multiple < 1 or batch_size % batch_multiple:
            raise ValueError(f"batch_size {batch_size} must be a multiple of batch_multiple {batch_multiple}")
        self._examples = len(x) - len(x) % batch_multiple

    def __len__(self) -> int:
        return math.ceil(self._examples / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} does not exist: there are {len(self)} batches")
        rows = self._order[index * self.batch_size : min((index + 1) * self.batch_size, self._examples)]
        return self.transform(self.x[rows], self.y[rows])

    def on_epoch_end(self) -> None:
        """Keras calls this after every epoch: draw a new order for the next one."""
        if self.shuffle:
            self._order = self._rng.permutation(len(self.x))
