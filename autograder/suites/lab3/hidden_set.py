"""Lab 3's hidden set: synthetic handwritten lines students never receive, public/private halves.

Built once per installation into `<state>/lab3/hidden_lines.npz` (0600) from the reference
package's `EmnistLines(source="substitute")` test split with this installation's secret seed
(the seed picks the text, the characters' images, the overlaps and the punctuation renders).
Only the images enter the sandbox; the texts stay in the parent.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.paths import ensure_private_dir
from autograder.suites.reference import reference_module
from autograder.suites import reference_answers as answers
from autograder.suites.hidden_cache import load_or_build_texts

VERSION = 1
NUM_LINES = 200
MAX_LENGTH = 32
PREDICTOR = "text_recognizer.predictors.line_predictor:LinePredictor().predict"
REFERENCE_WEIGHTS = ("line_model_ctc_line_lstm_ctc.json", "line_model_ctc_line_lstm_ctc.weights.h5")


@dataclass(frozen=True)
class HiddenLines:
    images: np.ndarray  # uint8 (N, 28, 28 * MAX_LENGTH)
    texts: list[str]
    public: np.ndarray


def hidden_lines_path(state_dir: Path) -> Path:
    return state_dir / "lab3" / "hidden_lines.npz"


def load_or_build(state_dir: Path, seed: int) -> HiddenLines:
    return load_or_build_texts(hidden_lines_path(state_dir), seed, [VERSION, NUM_LINES, MAX_LENGTH], build, HiddenLines)


def labels_to_text(labels, mapping) -> str:
    """The text of one label row: its characters, without blanks / padding (class 0)."""
    return "".join(mapping[int(i)] for i in np.asarray(labels).ravel() if 0 < int(i) < len(mapping))


def build(seed: int) -> HiddenLines:
    """Render the lines (a few seconds) from the offline substitute data."""
    lines_module = reference_module("text_recognizer.data.emnist_lines")
    mapping = reference_module("text_recognizer.data.character_mapping").MAPPING
    dataset = lines_module.EmnistLines(source="substitute", max_length=MAX_LENGTH, num_train=0, num_val=0,
                                       num_test=NUM_LINES, seed=seed)
    with contextlib.redirect_stderr(io.StringIO()):
        arrays = dataset.build()
    images = arrays["x_test"].astype(np.uint8)
    texts = [labels_to_text(row, mapping) for row in arrays["y_test"]]
    public = np.zeros(len(texts), dtype=bool)
    public[: len(texts) // 2] = True
    return HiddenLines(images, texts, public)


def reference_answers(state_dir: Path, seed: int) -> list[tuple[str, float]]:
    """The deployed reference line model's (text, confidence) on every hidden line (cached)."""
    hidden = load_or_build(state_dir, seed)
    return answers.load_or_build(state_dir / "lab3" / "reference_answers.json", seed, PREDICTOR,
                                 REFERENCE_WEIGHTS, hidden.images)
