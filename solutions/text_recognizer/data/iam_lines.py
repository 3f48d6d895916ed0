"""Handwritten text lines: the IAM Handwriting Database's, or the offline IAM substitute's.

    lines = IamLines()            # "auto": IAM if `python -m text_recognizer.data.iam` prepared it
    lines.x_train                 # uint8 (N, 32, 512): white ink on black, normalised (images/line_normalization.py)
    lines.y_train                 # int (N, max_length): class indices padded with 0 ("_")
    lines.writer_of("test", 3)    # which writer wrote test line 3 (for CER per writer)

The substitute (`source="substitute"`) writes Brown corpus text (digits, capitals and punctuation
included) with the handwriting fonts of `synthetic/handwriting_writers.py`, one font a writer,
split by writer like IAM: train lines are written by the train writers only, validation lines by
the validation writers, test lines by the test writers; the text of each split comes from its own
Brown documents. Line `i` of a split is written by writer `i % number of writers`, so every
writer has about the same number of lines. Every line, IAM's or the substitute's, goes through
`images/line_normalization.normalize_line`: the predictor does the same to the lines people give it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from typing import Annotated

import numpy as np
import typer
from tqdm.auto import tqdm

from text_recognizer.images.line_normalization import normalize_line

from .base import SPLITS, Dataset
from .character_mapping import BLANK_INDEX, text_to_indices
from .errors import DataError
from .process_pool import process_pool
from .synthetic.emnist_substitute import mnist_digits
from .synthetic.handwriting_writers import Writer, writers
from .synthetic.line_rendering import render_line
from .synthetic.sentences import TextSampler, brown_sentences

logger = logging.getLogger(__name__)

SOURCES = ("auto", "iam", "substitute")
TEXT_HEIGHT = (22.0, 44.0)  # pixels of ink height the substitute renders at, before normalising


class IamLines(Dataset):
    """Handwritten lines with their text (see the module docstring).

    Args:
        source: "auto" (IAM when prepared, else the substitute), "iam" or "substitute".
        height: line height in pixels the models read.
        width: line width in pixels; longer lines are shrunk to fit (`normalize_line`).
        max_length: most characters in a line (longer IAM lines are left out).
        num_train: substitute lines in the train split (IAM: all its lines).
        num_val: substitute lines in the validation split.
        num_test: substitute lines in the test split.
        seed: seed of the substitute's text and rendering.
    """

    name = "iam_lines"
    CACHE_VERSION = 2  # 2: glyph variation, neighbouring lines, rules, MNIST digits; HTR normalisation

    def __init__(
        self,
        source: str = "auto",
        height: int = 32,
        width: int = 512,
        max_length: int = 40,
        num_train: int = 10_000,
        num_val: int = 1_000,
        num_test: int = 1_400,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if source not in SOURCES:
            raise ValueError(f"Unknown source {source!r}; use one of {SOURCES}")
        if height < 8 or width < height or max_length < 1:
            raise ValueError(f"Need height >= 8, width >= height and max_length >= 1; got "
                             f"height={height}, width={width}, max_length={max_length}")
        if any(not isinstance(n, int) or n < 0 for n in (num_train, num_val, num_test)):
            raise ValueError("Split sizes must be integers >= 0")
        self.source = _resolve(source)
        self.height, self.width, self.max_length = height, width, max_length
        self.num_train, self.num_val, self.num_test = num_train, num_val, num_test
        self.seed = seed
        self.input_shape = (height, width)

    @property
    def label_shape(self) -> tuple[int, ...]:
        return (self.max_length,)

    @property
    def is_substitute(self) -> bool:
        return self.source == "substitute"

    @property
    def source_name(self) -> str:
        if self.is_substitute:
            counts = "/".join(str(len(writers(split))) for split in SPLITS)
            return (f"IAM lines substitute (Brown corpus text handwritten by font 'writers', "
                    f"{counts} train/val/test writers)")
        return "IAM Handwriting Database lines (writer-independent split)"

    def cache_label(self) -> str:
        return f"{self.source}-{self.height}x{self.width}"

    def cache_args(self) -> dict:
        return {
            "source": self.source, "height": self.height, "width": self.width,
            "max_length": self.max_length, "num_train": self.num_train, "num_val": self.num_val,
            "num_test": self.num_test, "seed": self.seed,
        }

    def split_size(self, split: str) -> int:
        """The number of substitute lines asked for in `split`."""
        return {"train": self.num_train, "val": self.num_val, "test": self.num_test}[split]

    def writer_of(self, split: str, index: int) -> str:
        """The writer of line `index` of `split` (a font family, or an IAM writer id)."""
        if self.is_substitute:
            split_writers = writers(split)
            return split_writers[index % len(split_writers)].family
        from .iam import IamDatabase

        return IamDatabase().line_writers(split, self.max_length)[index]

    def build(self) -> dict[str, np.ndarray]:
        arrays = {}
        for split in SPLITS:
            if self.is_substitute:
                x, y = self._render_split(split)
            else:
                x, y = self._iam_split(split)
            arrays[f"x_{split}"], arrays[f"y_{split}"] = x, y
        return arrays

    def _render_split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, SPLITS.index(split)])
        texts = TextSampler(brown_sentences(split), self.max_length)
        count = self.split_size(split)
        return render_lines([texts.sample(rng) for _ in range(count)], writers(split), rng,
                            self.height, self.width, self.max_length, desc=f"{split} lines",
                            digits=digits_by_class("train" if split == "train" else "test"))

    def _iam_split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        from .iam import IamDatabase

        crops, texts = IamDatabase().line_crops(split, self.max_length)
        x = np.zeros((len(crops), self.height, self.width), np.uint8)
        for i, crop in enumerate(tqdm(crops, desc=f"IAM {split} lines", leave=False)):
            x[i] = normalize_line(crop, self.height, self.width)
        return x, labels_of(texts, self.max_length)


def render_lines(
    texts: list[str],
    line_writers: tuple[Writer, ...],
    rng: np.random.Generator,
    height: int,
    width: int,
    max_length: int,
    desc: str = "lines",
    digits: Sequence[np.ndarray] | None = None,
    processes: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Render `texts[i]` by writer `line_writers[i % len]`: normalised images and padded labels.

    The other texts are the neighbouring lines a crop cuts into; `digits`: real handwritten
    digits by class (`digits_by_class`) that write most of the texts' digits. Each line has its
    own seed drawn from `rng`, so the lines are the same whether one process renders them or
    several do (`processes`; default: one per core for large sets).
    """
    seeds = rng.integers(2**63, size=len(texts))
    tasks = [(text, line_writers[i % len(line_writers)], int(seed)) for i, (text, seed) in enumerate(zip(texts, seeds))]
    x = np.zeros((len(texts), height, width), np.uint8)
    workers = processes or min(os.cpu_count() or 1, max(1, len(texts) // 200))
    context = (texts, digits, height, width)
    if workers == 1:
        _set_render_context(*context)
        lines = map(_render_one, tasks)
        pool = None
    else:
        pool = process_pool(workers, _set_render_context, context)
        lines = pool.imap(_render_one, tasks, chunksize=32)
    try:
        for i, line in enumerate(tqdm(lines, total=len(tasks), desc=desc, leave=False, mininterval=5)):
            x[i] = line
    finally:
        if pool is not None:
            pool.terminate()
    return x, labels_of(texts, max_length)


_RENDER_CONTEXT: tuple = ()


def _set_render_context(texts: list[str], digits: Sequence[np.ndarray] | None, height: int, width: int) -> None:
    global _RENDER_CONTEXT
    _RENDER_CONTEXT = (texts, digits, height, width)


def _render_one(task: tuple[str, Writer, int]) -> np.ndarray:
    """One normalised line, from its own seed (runs in a worker process)."""
    texts, digits, height, width = _RENDER_CONTEXT
    text, writer, seed = task
    rng = np.random.default_rng(seed)
    image = render_line(text, writer, rng, rng.uniform(*TEXT_HEIGHT), neighbours=texts, digits=digits)
    return normalize_line(image, height, width)


def digits_by_class(split: str) -> list[np.ndarray]:
    """Real MNIST digits of a split ("train" or "test"), grouped: element d holds the images of d."""
    images, classes = mnist_digits(split)
    return [images[classes == digit + 1] for digit in range(10)]


def labels_of(texts: list[str], max_length: int) -> np.ndarray:
    """Class indices of each text, padded with the blank (0) to `max_length`: uint8 (N, max_length)."""
    labels = np.full((len(texts), max_length), BLANK_INDEX, np.uint8)
    for i, text in enumerate(texts):
        indices = text_to_indices(text)
        if len(indices) > max_length:
            raise DataError(f"Line {i} has {len(indices)} characters, more than max_length={max_length}.")
        labels[i, : len(indices)] = indices
    return labels


def _resolve(source: str) -> str:
    """"auto" -> "iam" when the IAM lines are prepared, else "substitute"."""
    if source != "auto":
        return source
    from .iam import IamDatabase

    available = IamDatabase().is_prepared()
    if not available:
        logger.info("IAM is not prepared (python -m text_recognizer.data.iam): using the IAM substitute.")
    return "iam" if available else "substitute"


def main(
    source: Annotated[str, typer.Option(help=f"Which lines to use: {', '.join(SOURCES)}.")] = "auto",
    num_train: Annotated[int, typer.Option(help="Training lines (the substitute's).")] = 10_000,
) -> None:
    """Build the lines' cache and print its summary."""
    if source not in SOURCES:
        raise typer.BadParameter(f"choose one of {', '.join(SOURCES)}", param_hint="--source")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        dataset = IamLines(source=source, num_train=num_train)
        dataset.prepare()
        summary = dataset.summary()
        del summary["class_counts"]
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    except DataError as error:
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    typer.run(main)
