"""The cache of a hidden set of images with texts (Labs 3 and 5), private files in the state folder.

`<name>.npz` holds the images and the public-half mask, `<name>.json` the seed, the recipe and
the texts. A cache made with another seed or recipe is built again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from autograder.paths import ensure_private_dir

T = TypeVar("T")


def load_or_build_texts(path: Path, seed: int, recipe: list, build: Callable[[int], T],
                        kind: Callable[[np.ndarray, list[str], np.ndarray], T]) -> T:
    """The hidden set cached at `path` for (`seed`, `recipe`), else `build(seed)`, cached.

    `kind(images, texts, public)` makes the set from the cache; `build`'s result has those three
    attributes."""
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("seed") == seed and meta.get("recipe") == recipe:
            with np.load(path, allow_pickle=False) as data:
                return kind(data["images"], list(meta["texts"]), data["public"])
    hidden = build(seed)
    ensure_private_dir(path.parent)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
        np.savez(file, images=hidden.images, public=hidden.public)
    meta_path.write_text(json.dumps({"seed": seed, "recipe": recipe, "texts": hidden.texts}, indent=1))
    meta_path.chmod(0o600)
    return hidden
