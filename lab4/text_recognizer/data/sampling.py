"""Fixed-seed sampling shared by every dataset: class balancing and the validation split."""

from __future__ import annotations

import numpy as np


def balanced_indices(labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """Indices that keep at most the *mean* class count of every class (FSDL's balancing).

    EMNIST ByClass has ~35,000 of each digit but only ~2,000 of some letters: a model trained on
    it learns that "when unsure, say a digit". Classes above the mean (over the classes present)
    keep a random subset of that size, drawn without replacement; smaller classes keep all.
    The result is sorted, so the data keeps its original order.
    """
    labels = np.asarray(labels).ravel()
    counts = np.bincount(labels)
    cap = int(counts[counts > 0].mean())
    rng = np.random.default_rng(seed)
    keep = [
        rng.choice(np.flatnonzero(labels == label), size=min(count, cap), replace=False)
        for label, count in enumerate(counts)
        if count > 0
    ]
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)


def validation_split(
    num_examples: int, fraction: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Split `range(num_examples)` into (train indices, validation indices), both sorted."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation fraction must be in [0, 1), got {fraction}")
    order = np.random.default_rng(seed).permutation(num_examples)
    num_val = round(num_examples * fraction)
    return np.sort(order[num_val:]), np.sort(order[:num_val])


def balanced_train_val(
    x: np.ndarray,
    y: np.ndarray,
    *,
    balance: bool = True,
    seed: int = 0,
    validation_fraction: float = 0.1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Balance a training set (optional), then hold out validation.

    Returns x_train, y_train, x_val, y_val.
    """
    if balance:
        keep = balanced_indices(y, seed)
        x, y = x[keep], y[keep]
    train_rows, val_rows = validation_split(len(y), validation_fraction, seed)
    return x[train_rows], y[train_rows], x[val_rows], y[val_rows]
