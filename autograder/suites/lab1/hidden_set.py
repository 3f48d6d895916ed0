"""Lab 1's hidden set: character images students never receive, with a public/private split.

Built once per installation from the course's offline data, with this installation's secret
seed, into `<state>/lab1/hidden_set.npz` (0600, gitignored):

- letters freshly rendered from the *test* writers' handwriting fonts with the secret seed
  (other samples than the ones students can build: slant, stroke, warp and noise all differ);
- digits rendered and distorted the same way, from a random stream of the secret seed. No
  MNIST image is used: MNIST's test split is on every student's disk (`setup/node_modules`),
  so a lookup table would read it perfectly;
- shuffled, then split in halves: the public half scores the visible leaderboard, the private
  half is kept for the final ranking.

When NIST's real EMNIST is available to the reference package, the images come from EMNIST's
test split instead. Only the images enter the sandbox; the labels stay in the parent.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.paths import ensure_private_dir
from autograder.suites.reference import reference_module

VERSION = 2
LETTERS_PER_CLASS_PER_FONT = 6
#: Digits of each class rendered per test writer (3 writers).
DIGITS_PER_CLASS = 12
EMNIST_SAMPLES = 1500


@dataclass(frozen=True)
class HiddenSet:
    """Images (uint8, N x 28 x 28), their class indices, and which are public."""

    images: np.ndarray
    labels: np.ndarray
    public: np.ndarray
    mapping: list[str]
    source: str

    @property
    def private(self) -> np.ndarray:
        return ~self.public


def hidden_set_path(state_dir: Path) -> Path:
    return state_dir / "lab1" / "hidden_set.npz"


def load_or_build(state_dir: Path, seed: int) -> HiddenSet:
    """The cached hidden set, built first if missing or from another seed or version."""
    path = hidden_set_path(state_dir)
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("version") == VERSION and meta.get("seed") == seed and meta.get("recipe") == _recipe():
            with np.load(path, allow_pickle=False) as data:
                return HiddenSet(data["images"], data["labels"], data["public"], meta["mapping"], meta["source"])
    hidden = build(seed)
    ensure_private_dir(path.parent)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
        np.savez(file, images=hidden.images, labels=hidden.labels, public=hidden.public)
    meta_path.write_text(json.dumps({"version": VERSION, "seed": seed, "recipe": _recipe(), "source": hidden.source,
                                     "size": int(len(hidden.labels)), "public": int(hidden.public.sum()),
                                     "mapping": hidden.mapping}, indent=1))
    meta_path.chmod(0o600)
    return hidden


def _recipe() -> list[int]:
    """The sizes the set was built with (a change rebuilds it)."""
    return [LETTERS_PER_CLASS_PER_FONT, DIGITS_PER_CLASS, EMNIST_SAMPLES]


def build(seed: int) -> HiddenSet:
    """Build the hidden set from the reference package's data sources (a second or two)."""
    mapping = list(reference_module("text_recognizer.data.character_mapping").MAPPING)
    emnist = reference_module("text_recognizer.data.emnist")
    rng = np.random.default_rng([seed, 1])
    if emnist._resolve_source("auto") == "emnist":
        data = emnist.EmnistCharacters(source="emnist").load()
        keep = rng.choice(len(data.y_test), size=min(EMNIST_SAMPLES, len(data.y_test)), replace=False)
        images, labels, source = data.x_test[keep], data.y_test[keep].astype(np.int64), emnist.EMNIST_SOURCE_NAME
    else:
        substitute = reference_module("text_recognizer.data.synthetic.emnist_substitute")
        digits, digit_labels = render_digits(seed, DIGITS_PER_CLASS)
        # The letter renderer seeds itself from (seed, split, writer, letter): a secret seed
        # gives samples nobody else has rendered.
        letters, letter_labels = substitute.render_letters(
            "test", LETTERS_PER_CLASS_PER_FONT, seed=seed, workers=1
        )
        images = np.concatenate([digits, letters])
        labels = np.concatenate([digit_labels, letter_labels]).astype(np.int64)
        source = substitute.SOURCE_NAME.replace("MNIST digits", "rendered digits")
    order = rng.permutation(len(labels))
    images, labels = images[order].astype(np.uint8), labels[order]
    public = np.zeros(len(labels), dtype=bool)
    public[: len(labels) // 2] = True
    return HiddenSet(images, labels, public, mapping, source)


def render_digits(seed: int, per_class_per_writer: int) -> tuple[np.ndarray, np.ndarray]:
    """Digits 0-9 rendered from the test writers' fonts with the course's handwriting renderer
    (random slant, stroke, pressure, elastic warp, blur), from a stream of the secret seed that
    no course code uses: images uint8 (N, 28, 28) and their class indices."""
    rendering = reference_module("text_recognizer.data.synthetic.glyph_rendering")
    fonts_module = reference_module("text_recognizer.data.synthetic.handwriting_fonts")
    char_to_index = reference_module("text_recognizer.data.character_mapping").char_to_index
    images, labels = [], []
    for writer_index, family in enumerate(fonts_module.writers("test")):
        fonts = fonts_module.font_files(family)
        for digit in "0123456789":
            rng = np.random.default_rng([seed, 2, writer_index, int(digit)])
            for _ in range(per_class_per_writer):
                images.append(rendering.render_character(fonts[rng.integers(len(fonts))], digit, rng))
                labels.append(char_to_index(digit))
    return np.stack(images).astype(np.uint8), np.asarray(labels, dtype=np.int64)
