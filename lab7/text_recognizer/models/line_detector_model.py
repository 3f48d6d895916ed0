"""The line detector model: the per-pixel network plus its loss, box post-processing and metrics.

    detector = LineDetectorModel(PAGE_CLASSES, (256, 256), "line_detector")
    boxes, confidence = detector.predict_on_image(page)     # page as the detector reads it
    detector.evaluate(x_test, y_test)                       # box precision / recall / F1, mean IoU

Training targets are the per-pixel classes of `data/synthetic/page_rendering.py` (background,
line, between lines); the boxes come from the probabilities through `models/line_boxes.py`.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from scipy import ndimage

from text_recognizer.images import checks as image_checks
from text_recognizer.models.base import Model
from text_recognizer.models.line_boxes import LINE, Box, boxes_with_confidence, line_boxes, match_boxes, reading_order

SIZE_MULTIPLE = 8  # the detector's encoder halves the page three times


class LineDetectorModel(Model):
    """Per-pixel line detector (see the module docstring)."""

    threshold = 0.5

    def loss(self) -> keras.losses.Loss:
        """Cross-entropy of every pixel's class (the network returns logits)."""
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def metrics(self) -> list:
        return [keras.metrics.SparseCategoricalAccuracy(name="pixel_accuracy")]

    def check_image(self, image: np.ndarray) -> np.ndarray:
        """A 2-D page (white ink on black), padded at the bottom and right to a multiple of 8."""
        array = image_checks.numeric_image(image)
        if array.ndim != 2 or min(array.shape) < SIZE_MULTIPLE:
            raise image_checks.ImageError(
                f"Expected one grey page image (height, width) of at least {SIZE_MULTIPLE} pixels, "
                f"got shape {array.shape}."
            )
        return image_checks.pad_to_multiple(array, SIZE_MULTIPLE)

    def predict_probabilities(self, page: np.ndarray) -> np.ndarray:
        """Per-pixel class probabilities (H, W, 3) of one page (the padding cut off again)."""
        padded = self.check_image(page)
        logits = self.network.predict_on_batch(self.preprocess(padded)[None])
        probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))[0]
        return probabilities[: page.shape[0], : page.shape[1]]

    def predict_on_image(self, image: np.ndarray) -> tuple[list[Box], float]:
        """(line boxes in reading order, the mean line probability inside them) for one page."""
        return boxes_with_confidence(self.predict_probabilities(image), self.threshold)

    def evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int = 8) -> dict[str, Any]:
        """Box precision, recall and F1 at IoU >= 0.5 (over all pages), mean box IoU and pixel accuracy."""
        if not len(x):
            raise ValueError("evaluate() got no pages.")
        totals = {"true_positives": 0, "num_predicted": 0, "num_target": 0}
        ious, pixel_hits = [], 0
        for page, mask in zip(x, y, strict=True):
            probabilities = self.predict_probabilities(page)
            scores = match_boxes(line_boxes(probabilities, self.threshold), target_boxes(mask))
            for key in totals:
                totals[key] += scores[key]
            ious.append(scores["mean_iou"])
            pixel_hits += int((probabilities.argmax(-1) == mask).sum())
        precision = totals["true_positives"] / max(1, totals["num_predicted"])
        recall = totals["true_positives"] / max(1, totals["num_target"])
        return {
            "num_samples": len(x),
            "box_precision": precision,
            "box_recall": recall,
            "box_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "mean_iou": float(np.mean(ious)),
            "pixel_accuracy": pixel_hits / float(np.asarray(y).size),
        }


def target_boxes(mask: np.ndarray) -> list[Box]:
    """The true line boxes of a target mask: its connected regions of "line" pixels, in reading order."""
    labels, _ = ndimage.label(mask == LINE)
    return reading_order([(r.start, c.start, r.stop, c.stop) for r, c in ndimage.find_objects(labels)])
