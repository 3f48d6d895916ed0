"""Looking at a trained model's mistakes: confusion counts and pictures of training."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def most_confused_pairs(
    y_true: np.ndarray, y_pred: np.ndarray, mapping: Sequence[str], top: int = 10
) -> list[tuple[str, str, int]]:
    """The `top` (true character, predicted character, count) mistakes, most frequent first."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    wrong = y_true != y_pred
    pairs, counts = np.unique(np.stack([y_true[wrong], y_pred[wrong]], axis=1), axis=0, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:top]
    return [(mapping[pairs[i, 0]], mapping[pairs[i, 1]], int(counts[i])) for i in order]


def save_training_curves(history: dict[str, list[float]], path: Path) -> Path:
    """Plot loss, accuracy and (line models) the validation CER per epoch to a PNG file."""
    # A bare Figure draws off-screen without touching pyplot's global backend, so notebooks
    # that train (and then plot inline) keep showing their figures.
    from matplotlib.figure import Figure

    metrics = [m for m in ("loss", "accuracy", "character_error_rate") if m in history or f"val_{m}" in history]
    fig = Figure(figsize=(5 * len(metrics), 3.5))
    axes = fig.subplots(1, len(metrics), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        if metric in history:
            ax.plot(np.arange(1, len(history[metric]) + 1), history[metric], marker="o", label="train")
        if f"val_{metric}" in history:
            epochs = np.arange(1, len(history[f"val_{metric}"]) + 1)
            ax.plot(epochs, history[f"val_{metric}"], marker="o", label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path
