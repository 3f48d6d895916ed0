"""Lab 7's hidden inputs, kept in `<state>/lab7/` so that a Gradescope zip carries them.

- `hidden_lines.npz` (+ `.json`, 0600): the lines the handler's events carry, 12 of Lab 3's
  hidden lines (built with the secret seed; Lab 3's set is built first when it is missing). Their
  images go into the sandbox inside events; their texts stay in the parent.
- `drift_profile.npz`: the deployed model's reference profile values (the drift features of 1,000
  validation lines), which `drift_cases.py` draws the hidden windows from with the secret seed.
  Refreshed whenever solutions/ holds another profile (a model was promoted).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.paths import ensure_private_dir
from autograder.suites.reference import reference_module
from autograder.suites.hidden_cache import load_or_build_texts

VERSION = 1
LAB3_ROWS = (20, 32)
"""Lab 3's hidden lines 20..31 (Lab 6's suite reads the first twelve)."""
DEPLOYED_LINE_CONFIG = "line_model_ctc_line_lstm_ctc.json"
"""The deployed line model's config (`LinePredictor.default_config`, named here so that the
parent need not import the predictors, which import Keras)."""


@dataclass(frozen=True)
class HiddenInputs:
    images: np.ndarray  # uint8 (12, 28, 896)
    texts: list[str]
    public: np.ndarray
    profile: dict[str, np.ndarray]  # drift feature -> the reference profile's values


def reference_profile_path() -> Path:
    """The deployed model's reference profile in solutions/ (beside its weights)."""
    profile = reference_module("text_recognizer.monitoring.profile")
    return profile.profile_path(reference_module("text_recognizer.paths").WEIGHTS_DIR / DEPLOYED_LINE_CONFIG)


@dataclass(frozen=True)
class _Lines:
    images: np.ndarray
    texts: list[str]
    public: np.ndarray


def _lines(state_dir: Path, seed: int) -> _Lines:
    # Only when the cache is missing: a Gradescope zip holds lab 7's suite and state, not lab 3's.
    from autograder.pipeline.lab_suites import prepare
    from autograder.suites.lab3 import hidden_set as lab3_hidden

    prepare(3, state_dir)
    lines = lab3_hidden.load_or_build(state_dir, seed)
    rows = range(*LAB3_ROWS)
    return _Lines(lines.images[list(rows)], [lines.texts[i] for i in rows], np.ones(len(rows), dtype=bool))


def _profile(state_dir: Path) -> dict[str, np.ndarray]:
    path = state_dir / "lab7" / "drift_profile.npz"
    meta_path = path.with_suffix(".json")
    source = reference_profile_path()
    digest = hashlib.sha256(source.read_bytes()).hexdigest() if source.is_file() else None
    cached = json.loads(meta_path.read_text()).get("sha256") if meta_path.is_file() and path.is_file() else None
    if cached is None or (digest is not None and digest != cached):
        if digest is None:
            raise FileNotFoundError(f"no reference profile at {source} and none cached in {path.parent}: run the "
                                    "grader from a full course checkout once")
        columns = reference_module("text_recognizer.monitoring.profile").reference_columns(
            json.loads(source.read_text()))
        ensure_private_dir(path.parent)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
            np.savez(file, **columns)
        meta_path.write_text(json.dumps({"sha256": digest, "source": source.name}))
        meta_path.chmod(0o600)
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def load_or_build(state_dir: Path, seed: int) -> HiddenInputs:
    lines = load_or_build_texts(state_dir / "lab7" / "hidden_lines.npz", seed, [VERSION, *LAB3_ROWS],
                                lambda s: _lines(state_dir, s), _Lines)
    return HiddenInputs(lines.images, lines.texts, lines.public, _profile(state_dir))
