"""Lab 5's hidden set: pages written by the grader's writers, public and private halves.

Built once per installation into `<state>/lab5/hidden_pages.npz` (0600) with the reference
package's page renderer, the writers of `GRADER_WRITERS` (no student trains or selects on them)
and this installation's secret seed. Only the images enter the sandbox; texts stay in the parent.
"""

from __future__ import annotations

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
NUM_PAGES = 24
PREDICTOR = "text_recognizer.predictors.page_predictor:PagePredictor().predict_text"
REFERENCE_WEIGHTS = ("handwriting_line_model_line_crnn.json", "handwriting_line_model_line_crnn.weights.h5",
                     "line_detector_model_line_detector.json", "line_detector_model_line_detector.weights.h5")


@dataclass(frozen=True)
class HiddenPages:
    images: np.ndarray  # uint8 (N, 384, 384), dark ink on light paper
    texts: list[str]  # each page's lines joined by newlines
    public: np.ndarray


def hidden_pages_path(state_dir: Path) -> Path:
    return state_dir / "lab5" / "hidden_pages.npz"


def load_or_build(state_dir: Path, seed: int) -> HiddenPages:
    return load_or_build_texts(hidden_pages_path(state_dir), seed, [VERSION, NUM_PAGES], build, HiddenPages)


def build(seed: int) -> HiddenPages:
    """Render the pages (about a second each) with the reference package."""
    pages_module = reference_module("text_recognizer.data.iam_pages")
    pages = pages_module.render_pages("grader", NUM_PAGES, seed=seed)
    images = np.stack([page.image for page in pages]).astype(np.uint8)
    texts = ["\n".join(page.texts) for page in pages]
    public = np.zeros(len(texts), dtype=bool)
    public[: len(texts) // 2] = True
    return HiddenPages(images, texts, public)


def reference_answers(state_dir: Path, seed: int) -> list[tuple[str, float]]:
    """The deployed reference page reader's (text, confidence) on every hidden page (cached)."""
    hidden = load_or_build(state_dir, seed)
    return answers.load_or_build(state_dir / "lab5" / "reference_answers.json", seed, PREDICTOR,
                                 REFERENCE_WEIGHTS, hidden.images)
