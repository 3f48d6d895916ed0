"""The features of one request, the numbers that monitoring watches.

    image_features(image)                        # brightness, contrast, width, height
    request_features(image, answer, latency_s)   # ... plus lines, text length, confidence, common words, latency

The common-word share hints at the language of the text. Every feature is cheap (a strided mean
and standard deviation at most), so a stream of thousands of requests replays in seconds.
Brightness and contrast are on the uploaded image as sent, before the recognizer normalizes it:
what changed in the world is visible there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

IMAGE_FEATURES = ("brightness", "contrast", "width", "height")
ANSWER_FEATURES = ("line_count", "text_length", "confidence", "common_words")
FEATURES = (*IMAGE_FEATURES, *ANSWER_FEATURES, "latency_ms")
DRIFT_FEATURES = (*IMAGE_FEATURES, *ANSWER_FEATURES)
"""What the drift check compares. Latency is left out: it changes with the machine's load, not with
the data, and has its own alarm (the serverless.yml Latency alarm)."""
COMMON_WORDS = frozenset(
    "the of and to a in that is he was for it with as his on be i at by this had not are but from or have you "
    "they an which one all were her she we there him their would been has when will if who no out more so can "
    "what said up its about them into only other than time new some these could two may do then first man like "
    "my now any such over our me even made most must many after before also did well through back where your "
    "down".split())
"""The 97 most frequent words of the Brown corpus's training documents: about half of the words of
English text, few of another language's. Their share in the answer is a cheap sign of the
language (no dictionary to ship with the function)."""
MAX_SAMPLED_PIXELS = 250_000
"""Brightness and contrast are read on at most about this many pixels (a strided view of big photos)."""


def image_features(image: np.ndarray) -> dict[str, float]:
    """Brightness (mean grey, 0..1), contrast (standard deviation of grey, 0..1), width, height."""
    grey = np.asarray(image)
    if grey.ndim != 2 or grey.size == 0:
        raise ValueError(f"Expected a non-empty 2-D grey image, got shape {grey.shape}: decode it first "
                         "(text_recognizer.api.decoding.decode_image).")
    step = max(1, int(np.ceil(np.sqrt(grey.size / MAX_SAMPLED_PIXELS))))
    sample = grey[::step, ::step].astype(np.float32)
    scale = 255.0 if grey.dtype == np.uint8 or sample.max() > 1.0 else 1.0
    return {"brightness": float(sample.mean() / scale), "contrast": float(sample.std() / scale),
            "width": float(grey.shape[1]), "height": float(grey.shape[0])}


def common_word_share(text: str) -> float:
    """The share of the text's words that are among `COMMON_WORDS` (0.0 for a text without words)."""
    words = re.findall(r"[a-z]+", text.lower())
    return sum(word in COMMON_WORDS for word in words) / len(words) if words else 0.0


def answer_features(answer: Mapping[str, Any]) -> dict[str, float]:
    """Line count, text length (characters, newlines excluded), confidence and common-word share of
    a /v1/predict answer."""
    text = str(answer.get("text", ""))
    return {"line_count": float(len(answer.get("lines", []))),
            "text_length": float(len(text.replace("\n", ""))),
            "confidence": float(answer.get("confidence", 0.0)),
            "common_words": common_word_share(text)}


def request_features(image: np.ndarray | Mapping[str, float], answer: Mapping[str, Any],
                     latency_s: float) -> dict[str, float]:
    """Every feature of `FEATURES` for one answered request (`image` may be its `image_features`)."""
    shown = dict(image) if isinstance(image, Mapping) else image_features(image)
    return {**shown, **answer_features(answer), "latency_ms": float(latency_s) * 1000.0}


def as_columns(records: Iterable[Mapping[str, float]], names: Iterable[str] = FEATURES) -> dict[str, np.ndarray]:
    """Per-request feature dicts as one float array per feature (what the drift check reads)."""
    rows = list(records)
    return {name: np.array([float(row[name]) for row in rows], dtype=np.float64) for name in names}
