"""The line model for real handwriting: a CTC line model that reads lines of any width.

It differs from Lab 3's `LineModelCtc` in what it accepts and how it trains, not in its loss or
decoding (CTC, greedy or beam search, inherited):

- `check_image` takes a normalised line of the model's height and *any* width (the CRNN has no
  fixed width): it pads the width to a multiple of the network's width reduction;
- `augment_batch` applies `data/line_augmentation.augment_lines` to training batches (with
  `"augment": true` in the experiment's train_args).

Lines are brought to the model's form (height, white on black, contrast) by
`data/line_images.normalize_line`, which the dataset and `HandwritingLinePredictor` both use.
"""

from __future__ import annotations

import numpy as np

from text_recognizer import image_checks
from text_recognizer.data.line_augmentation import augment_lines
from text_recognizer.models.line_model_ctc import LineModelCtc

WIDTH_MULTIPLE = 8  # pad widths to this (the CRNN divides the width by 4)


class HandwritingLineModel(LineModelCtc):
    """CTC line model for variable-width handwritten lines (see the module docstring)."""

    beam_width = 8  # greedy decoding while training (fast); predictors and reports use beam search

    def augment_batch(self, x: np.ndarray) -> np.ndarray:
        """Random slant, scale, stroke width, contrast and noise (training batches only)."""
        return augment_lines(x, self.augment_rng)

    def check_image(self, image: np.ndarray) -> np.ndarray:
        """A line `input_shape[0]` pixels high, any width (padded to a multiple of 8, at least the height)."""
        array = image_checks.numeric_image(image)
        height = self.input_shape[0]
        if array.ndim != 2 or array.shape[0] != height:
            raise image_checks.ImageError(
                f"Expected one grey line image {height} pixels high, got shape {array.shape}. "
                "Normalise it first with text_recognizer.data.line_images.normalize_line(image, "
                f"{height}), or use HandwritingLinePredictor, which does."
            )
        width = max(height, -(-array.shape[1] // WIDTH_MULTIPLE) * WIDTH_MULTIPLE)
        return np.pad(array, ((0, 0), (0, width - array.shape[1])))
