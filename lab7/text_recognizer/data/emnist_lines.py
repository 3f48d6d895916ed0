"""Synthetic handwritten lines: Brown corpus text written with EMNIST characters (or their substitute).

    lines = EmnistLines()          # 10,000 / 1,000 / 1,000 lines of up to 32 characters
    lines.x_train                  # uint8 (N, 28, 896): white ink on black, left-aligned
    lines.y_train                  # int (N, 32): class indices, padded with 0 ("_")
    indices_to_text(lines.y_train[0])   # 'the jury said it did find'

How a line is made (FSDL's EMNIST lines, with a few fixes):

1. Text: a fragment of Brown corpus sentences that starts and ends at word boundaries and has at
   most `max_length` characters (`synthetic/sentences.py: TextSampler`). Train, validation and test lines
   take their text from different documents.
2. Characters: for every character, a random image of that class from `EmnistCharacters`:
   train lines from the characters' train split, validation lines from its validation split,
   test lines from its *test* split (writers never seen in training).
   EMNIST has no punctuation: `, . ; : ? ! " ' ( ) - & / # * +` are rendered from the handwriting
   fonts of the substitute (`synthetic/symbol_rendering.py`; train fonts for train and validation lines, test
   fonts for test lines), at their natural height (a comma on the baseline, a quote on top).
   A space is a blank gap of 50-100% of a character step.
3. Layout: the character images (28x28) are pasted left to right, each `28 - overlap * 28`
   pixels after the previous one, overlapping ink combined with `max` (ink does not add up);
   `overlap` is drawn once per line, uniformly in [`min_overlap`, `max_overlap`] (one writer
   writes one line with one spacing). The line is left-aligned in a 28 x (28 * max_length)
   image; the labels are padded with class 0.

Same arguments, same lines (every split has its own seeded random stream). Built once and kept in
the uint8 cache of `base.Dataset`, like every dataset of the course.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

import numpy as np
import typer

from .base import Dataset
from .character_mapping import BLANK_INDEX, LINE_SYMBOLS, MAPPING, char_to_index, text_to_indices
from .emnist import SOURCES, EmnistCharacters
from .errors import DataError
from .synthetic.glyph_rendering import IMAGE_SIZE
from .synthetic.sentences import TextSampler, brown_sentences
from .synthetic.symbol_rendering import render_symbol_pool

logger = logging.getLogger(__name__)

CHAR_WIDTH = IMAGE_SIZE  # every character image is 28x28
SYMBOLS = "".join(symbol for symbol in LINE_SYMBOLS if symbol != " ")  # rendered from fonts
SPACE_WIDTH = (0.5, 1.0)  # a space advances this fraction of a character step
TEXT_SOURCE = "brown-by-document-v1"  # bump when the text or its split changes
MAX_REDRAWS = 1000  # fragments in a row that may need a character the split lacks


class EmnistLines(Dataset):
    """Synthetic lines of handwritten characters, with their text (see the module docstring).

    Args:
        source: where the characters come from: "auto" (EMNIST if downloaded, else the
            offline substitute), "emnist" or "substitute" (as `EmnistCharacters`).
        max_length: most characters in a line; images are 28 x (28 * max_length).
        min_overlap: smallest overlap of neighbouring characters, as a fraction of their width.
        max_overlap: largest overlap (0.33: a third of a character).
        num_train: lines in the train split.
        num_val: lines in the validation split.
        num_test: lines in the test split.
        seed: seed of the text, the character choices, overlaps and rendered symbols.
        symbols_per_class: rendered samples of each punctuation symbol per split.
        char_args: further arguments of `EmnistCharacters` (e.g. tiny sizes for tests).
    """

    name = "emnist_lines"

    def __init__(
        self,
        source: str = "auto",
        max_length: int = 32,
        min_overlap: float = 0.0,
        max_overlap: float = 0.33,
        num_train: int = 10_000,
        num_val: int = 1_000,
        num_test: int = 1_000,
        seed: int = 0,
        symbols_per_class: int = 100,
        char_args: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if source not in SOURCES:
            raise ValueError(f"Unknown character source {source!r}; use one of {SOURCES}")
        if not isinstance(max_length, int) or max_length < 1:
            raise ValueError(f"max_length must be a positive integer, got {max_length!r}")
        if not 0.0 <= min_overlap <= max_overlap < 1.0:
            raise ValueError(
                f"Need 0 <= min_overlap <= max_overlap < 1 (fractions of a character's width), "
                f"got min_overlap={min_overlap}, max_overlap={max_overlap}"
            )
        sizes = {"num_train": num_train, "num_val": num_val, "num_test": num_test}
        if any(not isinstance(n, int) or n < 0 for n in sizes.values()) or symbols_per_class < 1:
            raise ValueError(f"Split sizes must be integers >= 0 and symbols_per_class >= 1, got {sizes}")
        self.characters = EmnistCharacters(source=source, **(char_args or {}))
        self.char_args = dict(char_args or {})
        self.max_length = max_length
        self.min_overlap = float(min_overlap)
        self.max_overlap = float(max_overlap)
        self.num_train, self.num_val, self.num_test = num_train, num_val, num_test
        self.seed = seed
        self.symbols_per_class = symbols_per_class
        self.input_shape = (IMAGE_SIZE, CHAR_WIDTH * max_length)

    @property
    def label_shape(self) -> tuple[int, ...]:
        return (self.max_length,)

    @property
    def source_name(self) -> str:
        characters = self.characters.source_name
        if self.characters.is_substitute:
            return f"EMNIST lines substitute (synthetic lines of the {characters}; Brown corpus text)"
        return f"EMNIST lines (synthetic lines of {characters} characters; Brown corpus text)"

    @property
    def is_substitute(self) -> bool:
        return self.characters.is_substitute

    def cache_label(self) -> str:
        return f"{self.characters.cache_label()}-len{self.max_length}"

    def cache_args(self) -> dict:
        return {
            "characters": {"version": self.characters.CACHE_VERSION, **self.characters.cache_args()},
            "text": TEXT_SOURCE,
            "max_length": self.max_length,
            "min_overlap": self.min_overlap,
            "max_overlap": self.max_overlap,
            "num_train": self.num_train,
            "num_val": self.num_val,
            "num_test": self.num_test,
            "seed": self.seed,
            "symbols_per_class": self.symbols_per_class,
        }

    def build(self) -> dict[str, np.ndarray]:
        characters = self.characters.load()
        arrays = {}
        for split, count in (("train", self.num_train), ("val", self.num_val), ("test", self.num_test)):
            x, y = build_lines(
                *characters.get(split),
                texts=TextSampler(brown_sentences(split), self.max_length),
                symbols=render_symbol_pool(split, SYMBOLS, self.symbols_per_class, self.seed),
                count=count,
                max_length=self.max_length,
                overlap=(self.min_overlap, self.max_overlap),
                rng=np.random.default_rng([self.seed, ("train", "val", "test").index(split)]),
            )
            arrays[f"x_{split}"], arrays[f"y_{split}"] = x, y
        return arrays

    def summary(self) -> dict:
        """The base summary plus the mean number of characters per line."""
        summary = super().summary()
        summary["mean_line_length"] = {
            split: float((self.load().get(split)[1] != BLANK_INDEX).sum(axis=1).mean())
            if len(self.load().get(split)[1]) else 0.0
            for split in ("train", "val", "test")
        }
        return summary


def build_lines(
    char_images: np.ndarray,
    char_labels: np.ndarray,
    texts: TextSampler,
    symbols: dict[str, np.ndarray],
    count: int,
    max_length: int,
    overlap: tuple[float, float],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """`count` lines: images uint8 (count, 28, 28 * max_length), labels uint8 (count, max_length).

    Characters are drawn from `char_images` by class (`char_labels`), punctuation from `symbols`
    ({symbol: images}). A fragment needing a character this split lacks (possible only in tiny
    test builds) is replaced by another one.
    """
    pools = {int(label): np.flatnonzero(char_labels == label) for label in np.unique(char_labels)}
    pools = {label: (char_images, rows) for label, rows in pools.items()}
    for symbol, images in symbols.items():
        pools[char_to_index(symbol)] = (images, np.arange(len(images)))
    space = char_to_index(" ")
    images = np.zeros((count, IMAGE_SIZE, CHAR_WIDTH * max_length), np.uint8)
    labels = np.full((count, max_length), BLANK_INDEX, np.uint8)
    for line in range(count):
        text = _sample_writable_text(texts, pools, space, rng)
        indices = text_to_indices(text)
        labels[line, : len(indices)] = indices
        step = CHAR_WIDTH - round(rng.uniform(*overlap) * CHAR_WIDTH)
        x = 0
        for index in indices:
            if index == space:
                x += round(step * rng.uniform(*SPACE_WIDTH))
                continue
            source, rows = pools[index]
            glyph = source[rows[rng.integers(len(rows))]]
            region = images[line, :, x : x + CHAR_WIDTH]
            np.maximum(region, glyph, out=region)  # overlapping ink: the darker stroke wins
            x += step
    return images, labels


def _sample_writable_text(
    texts: TextSampler, pools: dict, space: int, rng: np.random.Generator
) -> str:
    for _ in range(MAX_REDRAWS):
        text = texts.sample(rng)
        if all(index == space or index in pools for index in text_to_indices(text)):
            return text
    missing = "".join(c for i, c in enumerate(MAPPING) if i not in (BLANK_INDEX, space) and i not in pools)
    raise DataError(
        f"The character data of this split lacks classes needed to write its lines ({missing!r}). "
        "Use a character dataset with every class in every split (larger char_args sizes)."
    )


def main(
    source: Annotated[str, typer.Option(help=f"Which characters to use: {', '.join(SOURCES)}.")] = "auto",
    num_train: Annotated[int, typer.Option(help="Training lines.")] = 10_000,
    num_val: Annotated[int, typer.Option(help="Validation lines.")] = 1_000,
    num_test: Annotated[int, typer.Option(help="Test lines.")] = 1_000,
) -> None:
    """Build the lines' cache and print its summary."""
    if source not in SOURCES:
        raise typer.BadParameter(f"choose one of {', '.join(SOURCES)}", param_hint="--source")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        dataset = EmnistLines(source=source, num_train=num_train, num_val=num_val, num_test=num_test)
        dataset.prepare()
        summary = dataset.summary()
        del summary["class_counts"]
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    except DataError as error:
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    typer.run(main)
