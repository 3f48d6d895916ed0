"""A line's confidence that does not shrink with its length, and its calibration.

`ctc_decode_logits` scores a reading by the probability of a whole path, a product over every
timestep: a long line that the model reads perfectly still gets a number near 0. The confidence
the predictors give instead is the **mean per-character posterior along the decoded path**:

    path = greedy_path(log_probs)                      # greedy: the best class of each timestep
    path = best_alignment(log_probs, labels)           # any other decoder: its text's best alignment
    confidence = path_confidence(log_probs, path)      # mean over characters of their peak probability

It is a mean, so a line of 60 characters and one of 6, read equally well, get the same number.
It is still not a probability of being right: `Calibration` maps it to the share of the line's
characters read right, fitted on validation lines (`python -m
text_recognizer.monitoring.calibrate_confidence`) and stored beside the deployed weights
(`<weights name>_calibration.json`). Numpy only: the Lambda function uses it without Keras.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from text_recognizer.data.character_mapping import BLANK_INDEX

CALIBRATION_SUFFIX = "_calibration.json"


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Per-timestep log-probabilities of (timesteps, classes) logits, computed stably in float64."""
    shifted = np.asarray(logits, np.float64)
    shifted = shifted - shifted.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def greedy_path(log_probs: np.ndarray) -> np.ndarray:
    """The class of each timestep that greedy CTC decoding reads: the most probable one."""
    return np.asarray(log_probs).argmax(axis=-1)


def best_alignment(log_probs: np.ndarray, labels: Sequence[int]) -> np.ndarray:
    """The most probable CTC alignment of `labels` to the timesteps (Viterbi): one class per timestep.

    CTC's states are the labels with a blank before, between and after them; an alignment stays in
    a state or moves to the next one, and may skip a blank between two different labels. When the
    line has too few timesteps for the labels, the greedy path is returned instead.
    """
    log_probs = np.asarray(log_probs, np.float64)
    steps = len(log_probs)
    states = np.full(2 * len(labels) + 1, BLANK_INDEX)
    states[1::2] = labels
    # A label may be reached from two states back only when it differs from that state's label.
    can_skip = np.zeros(len(states), bool)
    can_skip[3::2] = states[3::2] != states[1:-2:2]
    score = np.full(len(states), -np.inf)
    score[:2] = log_probs[0, states[:2]] if steps else -np.inf
    moves = np.zeros((steps, len(states)), np.int8)  # 0: stayed, 1: from the previous state, 2: skipped one
    for t in range(1, steps):
        candidates = np.full((3, len(states)), -np.inf)
        candidates[0], candidates[1, 1:], candidates[2, 2:] = score, score[:-1], score[:-2]
        candidates[2, ~can_skip] = -np.inf
        moves[t] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + log_probs[t, states]
    ends = [len(states) - 1, len(states) - 2] if len(labels) else [0]
    state = max(ends, key=lambda s: score[s])
    if not np.isfinite(score[state]):
        return greedy_path(log_probs)
    path = np.empty(steps, int)
    for t in range(steps - 1, -1, -1):
        path[t] = states[state]
        state -= int(moves[t, state])
    return path


def path_confidence(log_probs: np.ndarray, path: np.ndarray) -> float:
    """The mean over the path's characters of each one's peak probability along its timesteps.

    A character is a run of one non-blank class in the path (a blank separates repeats: "l_l" is
    two characters). A path of blanks only (an empty line) gets the mean probability of the blank.
    """
    probabilities = np.exp(np.take_along_axis(np.asarray(log_probs), np.asarray(path)[:, None], axis=1)[:, 0])
    path = np.asarray(path)
    starts = np.flatnonzero(np.diff(path, prepend=-1) != 0)  # where each run of one class begins
    runs = np.maximum.reduceat(probabilities, starts) if len(path) else np.array([])
    characters = runs[path[starts] != BLANK_INDEX]
    chosen = characters if len(characters) else probabilities
    return float(np.clip(chosen.mean(), 0.0, 1.0)) if len(chosen) else 0.0


def line_confidence(logits: np.ndarray, text: str, mapping: Sequence[str], greedy: bool) -> float:
    """The confidence of one line read as `text` from its (timesteps, classes) logits (raw, not calibrated).

    `greedy`: `text` is the greedy reading, whose path is the best class of each timestep; else
    (beam search, language model) the path is the best alignment of `text`.
    """
    log_probs = log_softmax(logits)
    if greedy:
        return path_confidence(log_probs, greedy_path(log_probs))
    index = {char: i for i, char in enumerate(mapping)}
    return path_confidence(log_probs, best_alignment(log_probs, [index[char] for char in text]))


@dataclass(frozen=True)
class Calibration:
    """A monotone map from a raw line confidence to the expected share of characters read right.

    `raw` and `calibrated` are the knots of an isotonic fit (increasing `raw`); between knots the
    map interpolates linearly, outside them it holds the end values. No knots: the identity.
    """

    raw: tuple[float, ...] = ()
    calibrated: tuple[float, ...] = ()

    def __call__(self, confidence: float) -> float:
        """The calibrated confidence of one raw confidence."""
        if not self.raw:
            return float(confidence)
        return float(np.clip(np.interp(confidence, self.raw, self.calibrated), 0.0, 1.0))

    @property
    def fitted(self) -> bool:
        return bool(self.raw)

    def as_json(self) -> dict[str, Any]:
        return {"raw": [round(v, 6) for v in self.raw], "calibrated": [round(v, 6) for v in self.calibrated]}


def calibration_path(config_path: str | Path) -> Path:
    """Where the calibration of the model saved as `config_path` lives: beside its weights."""
    config_path = Path(config_path)
    return config_path.with_name(config_path.name.removesuffix(".json") + CALIBRATION_SUFFIX)


def weights_sha256(config_path: str | Path) -> str:
    """The SHA-256 of the weights file that the saved-model config `config_path` names."""
    weights = Path(config_path).with_name(json.loads(Path(config_path).read_text())["weights_file"])
    return hashlib.sha256(weights.read_bytes()).hexdigest()


def load_calibration(config_path: str | Path, strategy: str) -> Calibration:
    """The calibration of the saved model `config_path` for decoding `strategy`.

    A model without a calibration file (a lab before Lab 7, a new training run) gets the identity,
    so its predictors give the raw confidence. So does one whose file was fitted for other weights
    (a model promoted without recalibrating), with a warning: a stale map would mislead, and a
    service that stops reading over it would be worse.
    """
    path = calibration_path(config_path)
    if not path.is_file():
        return Calibration()
    stored = json.loads(path.read_text())
    if stored.get("weights_sha256") != weights_sha256(config_path):
        logging.getLogger(__name__).warning(
            "%s was fitted for other weights than %s names: the confidence is left uncalibrated; recalibrate "
            "with `python -m text_recognizer.monitoring.calibrate_confidence`.", path.name, Path(config_path).name)
        return Calibration()
    fit = stored.get("strategies", {}).get(strategy)
    return Calibration(tuple(fit["raw"]), tuple(fit["calibrated"])) if fit else Calibration()
