"""The line model with CTC: reads a whole line of handwriting without knowing where characters are.

The network emits one vector of logits per timestep (a window sliding along the line); CTC
(Connectionist Temporal Classification) trains it from the line's text alone, summing over every
alignment of the text to the timesteps. Class 0 (`_`) is the CTC **blank** and also the label
padding, so real characters are numbered from 1 (see `data/character_mapping.py`).

    loss:      CtcLoss()                       padded labels (batch, max_length) + logits
    decoding:  ctc_decode_logits(logits, ...)  logits -> [(text, path probability), ...]

The model's own `decode_logits` (and so `predict_on_image`, `evaluate` and the predictors) gives
each line the confidence of `models/confidence.py` instead, which does not shrink with length.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from text_recognizer.data.character_mapping import BLANK_INDEX, indices_to_text
from text_recognizer.models.base import Model
from text_recognizer.models.confidence import line_confidence
from text_recognizer.models.metrics import ValidationCharacterErrorRate, character_error_rate

DECODE_STRATEGIES = ("greedy", "beam_search")


def ctc_lengths(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """Label and logit lengths for CTC, from padded labels and per-timestep logits.

    The contract: `label_length[i]` is the number of characters of line `i` (the padding at the
    end of a label is not text: see how `data/character_mapping.py` pads), and
    `logit_length[i]` is the number of timesteps the network emitted for line `i` (every line
    uses all of them). Both are int32 tensors of shape (batch,). This runs inside the training
    graph, where the batch size may still be unknown: use `keras.ops` only.

    Example (labels padded to 4, 7 timesteps of logits):

        >>> labels = np.array([[8, 5, 0, 0], [1, 2, 3, 0]])
        >>> label_length, logit_length = ctc_lengths(labels, np.zeros((2, 7, 80), "float32"))
        >>> keras.ops.convert_to_numpy(label_length), keras.ops.convert_to_numpy(logit_length)
        (array([2, 3], dtype=int32), array([7, 7], dtype=int32))

    Notebook: "Exercise: the CTC loss" says what Keras needs besides labels and logits.

    Args:
        y_true: padded labels, (batch, max_length) integer (or float: Keras casts targets).
        y_pred: logits, (batch, timesteps, num_classes).

    Returns:
        (label_length, logit_length), two int32 tensors of shape (batch,).
    """
    raise NotImplementedError("Lab 3 exercise: implement ctc_lengths: Label and logit lengths for CTC, from padded labels and per-timestep logits. See notebooks/lab3.ipynb, section \"Exercise: the CTC loss\".")


class CtcLoss(keras.losses.Loss):
    """CTC loss on logits with labels padded by the blank class (0).

    Keras's CTC applies the log-softmax itself: give it the network's raw logits.
    """

    def __init__(self, name: str = "ctc_loss", reduction: str = "sum_over_batch_size") -> None:
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """The CTC loss of each line: minus the log-probability of its label under the logits.

        The contract: for each line, `-log p(label | logits)`, where `p` sums, over every
        alignment of the label to the timesteps, the product of the per-timestep softmax
        probabilities. A float tensor of shape (batch,) (Keras then averages it over the batch);
        the padding of a label changes nothing, and neither does adding a constant to all the
        logits of a timestep (they are logits: this loss does its own normalisation).

        You need not write the dynamic programme: `keras.ops` has CTC. Read its documentation
        to see what it expects, and tell it the course's conventions (blank = padding = class 0,
        lengths from `ctc_lengths`).

        Example (every class equally likely at each timestep, 80 classes): a one-character label
        has 3 alignments over 2 timesteps ("x_", "_x", "xx"); a double letter over 3 timesteps
        only one ("x_x"):

            >>> loss = CtcLoss(reduction=None)
            >>> per_line = loss(np.array([[5, 0, 0]]), np.zeros((1, 2, 80), "float32"))
            >>> keras.ops.convert_to_numpy(per_line)  # -log(3 / 80**2)
            array([7.665441], dtype=float32)
            >>> per_line = loss(np.array([[5, 5, 0]]), np.zeros((1, 3, 80), "float32"))
            >>> keras.ops.convert_to_numpy(per_line)  # -log(1 / 80**3)
            array([13.14608], dtype=float32)

        Notebook: "Exercise: the CTC loss" (and "How does CTC write a double letter?").

        Returns:
            A float tensor of shape (batch,).
        """
        raise NotImplementedError("Lab 3 exercise: implement CtcLoss.call: The CTC loss of each line: minus the log-probability of its label under the logits. See notebooks/lab3.ipynb, section \"Exercise: the CTC loss\".")


def best_path(logits: np.ndarray, mapping: Sequence[str]) -> str:
    """The raw per-timestep argmax of one line, blanks shown as `_` (nothing collapsed).

    This is what CTC decoding starts from; `ctc_decode_logits` then merges repeats and drops
    the blanks. Useful to *see* what the network does at each timestep.
    """
    return "".join(mapping[int(i)] for i in np.argmax(np.asarray(logits), axis=-1))


def ctc_decode_logits(
    logits: Any,
    mapping: Sequence[str],
    strategy: str = "greedy",
    beam_width: int = 10,
) -> list[tuple[str, float]]:
    """Turn per-timestep logits into text and a confidence for each line.

    The contract, for each line of the batch:

    - "greedy": the text is the most probable class at every timestep, collapsed the CTC way
      (repeats merged, then blanks dropped); its confidence is the probability of that single
      best alignment, the product over timesteps of the best softmax probability;
    - "beam_search": the most probable text that a beam of `beam_width` finds; its confidence
      is that text's probability, summed over the alignments the beam found;
    - texts use `mapping` and contain no blank; confidences are Python floats in [0, 1].

    `keras.ops` has a CTC decoder for both strategies: read what it returns (its shapes, its
    padding, and what its scores are for each strategy) before you turn them into the above.

    Example ("h" is class 44, "l" class 48; each timestep sure of one class):

        >>> logits = np.full((1, 6, 80), -8.0, "float32")
        >>> logits[0, np.arange(6), [44, 44, 0, 48, 0, 48]] = 8.0  # the best path "hh_l_l"
        >>> [(text, round(confidence, 3)) for text, confidence in ctc_decode_logits(logits, MAPPING)]
        [('hll', 1.0)]

    Notebook: "Exercise: decoding" (greedy against beam search).

    Args:
        logits: (batch, timesteps, num_classes) logits (not softmaxed), a tensor or array.
        mapping: class index -> character; class 0 is the blank.
        strategy: "greedy" or "beam_search".
        beam_width: beams kept by beam search (ignored by greedy).

    Returns:
        One (text, confidence) pair per line.
    """
    if strategy not in DECODE_STRATEGIES:
        raise ValueError(f"Unknown decoding strategy {strategy!r}: use one of {DECODE_STRATEGIES}.")
    raise NotImplementedError("Lab 3 exercise: implement ctc_decode_logits: Turn per-timestep logits into text and a confidence for each line. See notebooks/lab3.ipynb, section \"Exercise: decoding\".")


class LineModelCtc(Model):
    """A line recognizer trained with CTC: images (28, width) -> text.

    Training and evaluation use the dataset's fixed line width. `predict_on_image` also takes
    narrower lines and wider ones whose extra right part is blank (see `Model.check_image`).
    """

    reads_lines = True
    decode_strategy = "greedy"
    """How `evaluate` and `predict_on_image` decode: "greedy" or "beam_search"."""
    beam_width = 10

    def loss(self) -> keras.losses.Loss:
        """CTC on the network's logits, blank = padding = class 0."""
        return CtcLoss()

    def epoch_callbacks(self, dataset: Any) -> list:
        """Report the character error rate on the validation lines after every epoch."""
        return [ValidationCharacterErrorRate(self, dataset.x_val, dataset.y_val)]

    # --- prediction --------------------------------------------------------------------------
    def predict_logits(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Per-timestep logits (batch, timesteps, num_classes) for a batch of line images."""
        return np.asarray(self.network.predict(self.preprocess(images), batch_size=batch_size, verbose=0))

    def predict_texts(
        self, images: np.ndarray, batch_size: int = 256, strategy: str | None = None
    ) -> list[tuple[str, float]]:
        """(text, confidence) for each line image of a batch (trained width)."""
        results: list[tuple[str, float]] = []
        for start in range(0, len(images), batch_size):
            logits = self.predict_logits(images[start : start + batch_size], batch_size=batch_size)
            results += self.decode_logits(logits, strategy)
        return results

    def decode_logits(self, logits: np.ndarray, strategy: str | None = None) -> list[tuple[str, float]]:
        """(text, confidence) for each line of (batch, timesteps, classes) logits.

        The confidence is `models/confidence.line_confidence`: the mean per-character posterior
        along the decoded path (not `ctc_decode_logits`'s path probability, which shrinks with length).
        """
        strategy = strategy or self.decode_strategy
        texts = self.decode_texts(logits, strategy)
        return [(text, line_confidence(line, text, self.mapping, greedy=strategy == "greedy"))
                for line, text in zip(np.asarray(logits), texts, strict=True)]

    def decode_texts(self, logits: np.ndarray, strategy: str) -> list[str]:
        """The text of each line of (batch, timesteps, classes) logits, decoded by `strategy`."""
        return [text for text, _ in ctc_decode_logits(logits, self.mapping, strategy, self.beam_width)]

    def predict_on_image(self, image: np.ndarray, strategy: str | None = None) -> tuple[str, float]:
        """Read one line image (white ink on black, any width up to the trained one).

        Returns:
            (text, confidence); see `decode_logits` for what the confidence means.
        """
        line = self.check_image(image)
        # predict_on_batch runs the compiled (graph / jit) forward pass: calling the network
        # eagerly steps through the LSTM op by op, many times slower.
        logits = self.network.predict_on_batch(self.preprocess(line)[None])
        return self.decode_logits(np.asarray(logits), strategy)[0]

    # --- evaluation --------------------------------------------------------------------------
    def evaluate(
        self, x: np.ndarray, y: np.ndarray, batch_size: int = 256, strategy: str | None = None
    ) -> dict[str, Any]:
        """Character error rate (CER), line accuracy and a few examples on (x, y).

        Returns a dict with `character_error_rate` (edit distance / target length, over all
        lines), `line_accuracy` (lines read exactly), `mean_confidence`, `num_samples` and
        `examples` (the first five (target, prediction) pairs).
        """
        targets = [indices_to_text(row, self.mapping) for row in np.asarray(y)]
        predictions = self.predict_texts(np.asarray(x), batch_size=batch_size, strategy=strategy)
        texts = [text for text, _ in predictions]
        if not targets:
            raise ValueError("evaluate() got no lines: pass at least one image and its label.")
        return {
            "num_samples": len(targets),
            "character_error_rate": float(character_error_rate(texts, targets)),
            "line_accuracy": float(np.mean([p == t for p, t in zip(texts, targets, strict=True)])),
            "mean_confidence": float(np.mean([c for _, c in predictions])),
            "examples": [[t, p] for t, p in zip(targets[:5], texts[:5], strict=True)],
        }
