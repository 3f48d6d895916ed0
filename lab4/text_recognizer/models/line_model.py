"""The line model of Lab 2: one character class per position of the line, read left to right.

The network (`line_cnn_sliding_window` or `line_cnn_all_conv`) gives logits of shape
(batch, max_length, num_classes): position `i` predicts the `i`-th character of the line. The
labels are padded with class 0 ("_") after the text, and the padding positions count in the
loss as ordinary "_" targets (as in FSDL's 2019 course): the model learns where a line ends.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from text_recognizer.data.character_mapping import indices_to_text
from text_recognizer.models.base import Model
from text_recognizer.models.metrics import ValidationCharacterErrorRate, character_error_rate


class LineModel(Model):
    """A per-position line recognizer: cross-entropy at every position, CER to evaluate.

    `predict_on_image` returns the characters of the non-padding positions and, as confidence,
    the *mean* over all `max_length` positions of the highest class probability (padding
    positions included: predicting where the line ends is part of reading it). A product would
    shrink with every position and could not be compared between lines of different lengths.
    """

    reads_lines = True

    @property
    def max_length(self) -> int:
        """Character positions the network predicts (its output's second axis)."""
        return int(self.network.output.shape[1])

    def loss(self) -> keras.losses.Loss:
        """Cross-entropy at every position, on logits; padding positions are class 0 targets."""
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def metrics(self) -> list:
        """Per-position accuracy (padding positions included), reported while training."""
        return ["accuracy"]

    def fit(self, dataset: Any, *args: Any, **kwargs: Any) -> dict[str, list[float]]:
        """Train as `Model.fit`, after checking that labels and network outputs have one length."""
        label_length = int(np.shape(dataset.y_train)[1]) if np.ndim(dataset.y_train) == 2 else None
        if label_length != self.max_length:
            raise ValueError(
                f"The dataset's labels hold {label_length} positions but the network predicts "
                f"{self.max_length}: set network_args.max_length to the dataset's max_length."
            )
        return super().fit(dataset, *args, **kwargs)

    def epoch_callbacks(self, dataset: Any) -> list:
        """Report the character error rate on the validation lines after every epoch."""
        return [ValidationCharacterErrorRate(self, dataset.x_val, dataset.y_val)]

    # --- prediction ----------------------------------------------------------------------------
    def predict_texts(self, images: np.ndarray, batch_size: int = 256) -> list[tuple[str, float]]:
        """(text, confidence) for each line of a batch of images at the trained size."""
        probabilities = self.predict_batch(images, batch_size=batch_size)
        return [self._decode(row) for row in probabilities]

    def predict_on_image(self, image: np.ndarray) -> tuple[str, float]:
        """Read one line image: (text without padding, mean of the per-position top probabilities)."""
        line = self.preprocess(self.check_image(image))[None]
        logits = self.network(line, training=False)
        probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))[0]
        return self._decode(probabilities)

    def _decode(self, probabilities: np.ndarray) -> tuple[str, float]:
        text = indices_to_text(np.argmax(probabilities, axis=-1), self.mapping)
        return text, float(probabilities.max(axis=-1).mean())

    # --- evaluation ----------------------------------------------------------------------------
    def evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> dict[str, Any]:
        """Character error rate, exact-line accuracy and per-position accuracy on (x, y).

        Returns a dict with `character_error_rate` (edit distance over target length, padding
        stripped, over all lines), `line_accuracy` (lines read exactly), `position_accuracy`
        (positions right, padding included), `num_samples`, and `examples` (five
        [target, prediction] pairs).
        """
        y = np.asarray(y)
        if len(y) == 0:
            raise ValueError("Cannot evaluate on zero lines: pass at least one image and label.")
        probabilities = self.predict_batch(x, batch_size=batch_size)
        predictions = [self._decode(row)[0] for row in probabilities]
        targets = [indices_to_text(row, self.mapping) for row in y]
        return {
            "num_samples": int(len(y)),
            "character_error_rate": float(character_error_rate(predictions, targets)),
            "line_accuracy": float(np.mean([p == t for p, t in zip(predictions, targets, strict=True)])),
            "position_accuracy": float((np.argmax(probabilities, axis=-1) == y).mean()),
            "examples": [[t, p] for t, p in zip(targets[:5], predictions[:5], strict=True)],
        }
