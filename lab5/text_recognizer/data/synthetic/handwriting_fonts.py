"""The handwriting fonts of the offline substitute, split by "writer" like IAM's test set.

Each font family stands for one writer (its weights are the same writer pressing harder).
Test writers never appear in training, so test accuracy measures what the course cares about:
reading the handwriting of someone the model has never seen.
"""

from __future__ import annotations

from pathlib import Path

from ... import paths
from ..errors import DataError

FONTS_PACKAGE = "@expo-google-fonts"  # npm scope of the fonts, installed by `make setup`

TRAIN_WRITERS = (
    "caveat",
    "gloria-hallelujah",
    "gochi-hand",
    "indie-flower",
    "nanum-pen-script",
    "permanent-marker",
    "reenie-beanie",
    "schoolbell",
)
TEST_WRITERS = ("kalam", "patrick-hand", "shadows-into-light")
WRITERS = TRAIN_WRITERS + TEST_WRITERS


def writers(split: str) -> tuple[str, ...]:
    """Font families of a split: "train" (also used for validation) or "test"."""
    if split == "test":
        return TEST_WRITERS
    if split in ("train", "val"):
        return TRAIN_WRITERS
    raise ValueError(f"Unknown split {split!r}; use 'train', 'val' or 'test'")


def font_files(family: str) -> list[Path]:
    """The .ttf files (one per weight) of a font family, in a fixed order."""
    family_dir = paths.node_modules_dir() / FONTS_PACKAGE / family
    files = sorted(family_dir.glob("*/*.ttf"))
    if not files:
        raise DataError(
            f"No font files for the handwriting font {family!r} in {family_dir}. The offline "
            "data packages are missing: run `make setup` (it installs them with npm)."
        )
    return files
