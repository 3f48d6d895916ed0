"""What every dataset of the course has in common: a processed cache, splits, batches, a summary.

A dataset subclass only says *what* it is (`name`, `input_shape`, `source_name`), which of its
arguments change the data (`cache_args`) and how to build its arrays from the raw sources
(`build`). This base class does the rest:

    dataset = EmnistCharacters()
    dataset.prepare()                    # build data/processed/emnist/<...>.npz once (minutes)
    data = dataset.load()                # then load it in a second: data.x_train, data.y_train...
    train = dataset.batches("train", batch_size=256, shuffle=True)   # for model.fit
"""

from __future__ import annotations

import hashlib
import json
import logging
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .. import paths
from .cache import CacheError, load_arrays, save_arrays
from .character_mapping import CHARACTER_GROUPS, MAPPING

if TYPE_CHECKING:  # keras is imported only when batches are asked for (see `batches`)
    from .batches import ArrayBatches

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Splits:
    """The three splits of a dataset: x uint8 (N, *input_shape), y integer class indices (N, *label_shape)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def get(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of one split: "train", "val" or "test"."""
        if split not in SPLITS:
            raise ValueError(f"Unknown split {split!r}; use one of {SPLITS}")
        return getattr(self, f"x_{split}"), getattr(self, f"y_{split}")

    def sizes(self) -> dict[str, int]:
        """Number of examples in each split."""
        return {split: len(self.get(split)[1]) for split in SPLITS}


def _split_array(name: str, doc: str) -> property:
    """A read-only attribute that returns one array of `Dataset.load()`."""
    return property(lambda self: getattr(self.load(), name), doc=doc)


class Dataset(ABC):
    """Base class of the course's datasets (see the module docstring for how to use one)."""

    name: ClassVar[str]
    """Registry name, also the folder of its raw and processed data."""
    mapping: ClassVar[list[str]] = MAPPING
    input_shape: ClassVar[tuple[int, ...]]

    CACHE_VERSION: ClassVar[int] = 1
    """Bump when `build` changes what it produces, so that old caches are rebuilt, not reused."""

    def __init__(self) -> None:
        self._splits: Splits | None = None

    # --- What a subclass provides -------------------------------------------------------------

    @property
    @abstractmethod
    def source_name(self) -> str:
        """Where the data comes from, in words; says plainly when it is a substitute."""

    @property
    def is_substitute(self) -> bool:
        """True when the data stands in for a real dataset it cannot download (reports say so)."""
        return False

    @property
    def label_shape(self) -> tuple[int, ...]:
        """Shape of one label: () for one class per example; (max_length,) for a line's characters."""
        return ()

    @abstractmethod
    def cache_args(self) -> dict:
        """The arguments that change the data (so that each set of them gets its own cache)."""

    @abstractmethod
    def build(self) -> dict[str, np.ndarray]:
        """Build the splits from the raw sources: uint8 arrays x_train, y_train, ... y_test."""

    # --- What the base class provides ---------------------------------------------------------

    @property
    def num_classes(self) -> int:
        return len(self.mapping)

    def cache_label(self) -> str:
        """Readable start of the cache file's name (the rest is a hash of `cache_args`)."""
        return "data"

    def cache_path(self) -> Path:
        """The processed cache file for this dataset's arguments."""
        digest = hashlib.sha256(json.dumps(self._cache_meta(), sort_keys=True).encode()).hexdigest()
        return paths.processed_dir(self.name) / f"{self.cache_label()}-{digest[:12]}.npz"

    def prepare(self) -> Path:
        """Build the processed cache unless a valid one exists; return its path.

        A corrupt or truncated cache is not an error: it is rebuilt from the raw sources
        (with a warning), so nothing is lost.
        """
        self._load_or_build()
        return self.cache_path()

    def load(self) -> Splits:
        """The dataset's splits (building the cache first if needed); kept in memory."""
        return self._splits or self._load_or_build()

    # FSDL-style attributes: `dataset.x_train` etc. (the first one used loads the data).
    x_train = _split_array("x_train", "Training images, uint8 (N, *input_shape).")
    y_train = _split_array("y_train", "Training labels: int64 class indices (N,).")
    x_val = _split_array("x_val", "Validation images.")
    y_val = _split_array("y_val", "Validation labels.")
    x_test = _split_array("x_test", "Test images.")
    y_test = _split_array("y_test", "Test labels.")

    def batches(self, split: str, batch_size: int, **options: Any) -> ArrayBatches:
        """A `keras.utils.PyDataset` of (x, y) batches of one split, ready for `model.fit`.

        `options` are those of `batches.ArrayBatches` (`shuffle`, `seed`, `transform`, `workers`,
        ...); the default `transform` gives x as float32 in [0, 1] and y as int32.
        """
        # Imported here, not at the top: building data needs no keras, and worker processes
        # that render the substitute start much faster without importing TensorFlow.
        from .batches import ArrayBatches

        x, y = self.load().get(split)
        return ArrayBatches(x, y, batch_size, **options)

    def summary(self) -> dict:
        """Where the data comes from, split sizes and class counts (a dict for notebooks, logs)."""
        data = self.load()
        counts, groups = {}, {}
        for split in SPLITS:
            per_class = Counter(self.mapping[i] for i in data.get(split)[1].ravel().tolist())
            counts[split] = {char: per_class[char] for char in self.mapping if per_class[char]}
            groups[split] = {
                group: sum(per_class[char] for char in chars) for group, chars in CHARACTER_GROUPS.items()
            }
        return {
            "name": self.name,
            "source": self.source_name,
            "input_shape": self.input_shape,
            "num_classes": self.num_classes,
            "split_sizes": data.sizes(),
            "group_counts": groups,
            "class_counts": counts,
            "cache": str(self.cache_path()),
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.cache_args().items())
        return f"{type(self).__name__}({args})"

    # --- Internals ----------------------------------------------------------------------------

    def _cache_meta(self) -> dict:
        return {"dataset": self.name, "version": self.CACHE_VERSION, **self.cache_args()}

    def _load_or_build(self) -> Splits:
        path, meta = self.cache_path(), self._cache_meta()
        try:
            self._splits = self._to_splits(load_arrays(path, meta), where=str(path))
            logger.info("Loaded %s from %s.", self.source_name, path)
            return self._splits
        except CacheError as error:
            if path.exists():
                logger.warning("%s: rebuilding the processed cache from the raw data.", error)
        logger.info("Building %s into %s ...", self.source_name, path)
        arrays = self.build()
        # Check before writing: bad data must never reach the cache.
        self._splits = self._to_splits(arrays, where=f"{type(self).__name__}.build()")
        save_arrays(path, arrays, meta)
        return self._splits

    def _to_splits(self, arrays: dict[str, np.ndarray], where: str) -> Splits:
        """Check the arrays' names, dtypes and shapes; labels come back as int64."""
        names = [field.name for field in fields(Splits)]
        missing = [name for name in names if name not in arrays]
        if missing:
            raise CacheError(f"{where} lacks the arrays {missing}")
        for split in SPLITS:
            x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
            label_shape = (len(x), *self.label_shape)
            shape_ok = x.shape[1:] == tuple(self.input_shape) and y.shape == label_shape
            if x.dtype != np.uint8 or not shape_ok:
                raise CacheError(
                    f"{where}: the {split} split has x {x.dtype}{x.shape} and y {y.shape}; "
                    f"expected uint8 (N, {', '.join(map(str, self.input_shape))}) and "
                    f"({', '.join(['N', *map(str, self.label_shape)])})"
                )
            if len(y) and y.max() >= self.num_classes:
                raise CacheError(f"{where}: the {split} split has labels >= {self.num_classes}")
        labels_as_int = {name: arrays[name].astype(np.int64) for name in names if name.startswith("y")}
        return Splits(**{name: labels_as_int.get(name, arrays[name]) for name in names})
