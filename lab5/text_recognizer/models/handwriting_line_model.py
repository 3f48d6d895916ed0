"""The line model for real handwriting: a CTC line model that reads lines of any width.

It differs from Lab 3's `LineModelCtc` in what it accepts, how it trains and how predictors
decode, not in its loss (CTC, inherited):

- `check_image` takes a normalised line of the model's height and *any* width (the CRNN has no
  fixed width): it pads the width to a multiple of the network's width reduction;
- `augment_batch` applies `data/line_augmentation.augment_lines` to training batches (with
  `"augment": true` in the experiment's train_args);
- besides greedy and beam search, it decodes with strategy "language_model": beam search that
  also weighs a character language model of English (`models/lm_beam_search.py`); predictors
  use it (`reading_strategy`), training's per-epoch validation stays greedy (fast).

Lines are brought to the model's form (height, white on black, contrast) by
`images/line_normalization.normalize_line`, which the dataset and `HandwritingLinePredictor` both use.
"""

from __future__ import annotations

import numpy as np

from text_recognizer.data.character_mapping import BLANK_INDEX
from text_recognizer.data.line_augmentation import augment_lines
from text_recognizer.images import checks as image_checks
from text_recognizer.models.char_language_model import CharNgramModel, brown_language_model
from text_recognizer.models.line_model_ctc import LineModelCtc
from text_recognizer.models.lm_beam_search import lm_beam_search

WIDTH_MULTIPLE = 8  # pad widths to this (the CRNN divides the width by 4)

LANGUAGE_MODEL = "language_model"
"""The decoding strategy of the predictors: CTC beam search with the character language model."""
LM_ALPHA, LM_BETA = 0.3, 1.5
"""Language-model weight and per-character bonus, chosen on the validation writers by
`python -m text_recognizer.reports.decoder_tuning` (reports/lab5_decoder_tuning.json)."""
LM_BEAM_WIDTH = 16


class HandwritingLineModel(LineModelCtc):
    """CTC line model for variable-width handwritten lines (see the module docstring)."""

    beam_width = 8  # greedy decoding while training (fast); predictors and reports use beam search
    reading_strategy = LANGUAGE_MODEL
    """How predictors decode (training's per-epoch validation stays greedy: `decode_strategy`)."""
    lm_alpha, lm_beta = LM_ALPHA, LM_BETA

    def decode_texts(self, logits: np.ndarray, strategy: str) -> list[str]:
        """Decode as `LineModelCtc` does, plus strategy "language_model": `lm_beam_search`."""
        if strategy != LANGUAGE_MODEL:
            return super().decode_texts(logits, strategy)
        return [self.decode_with_language_model(line, self.lm_alpha, self.lm_beta)[0] for line in np.asarray(logits)]

    def decode_with_language_model(self, logits: np.ndarray, alpha: float, beta: float) -> tuple[str, float]:
        """(text, path probability) of one line's (timesteps, classes) logits, by beam search with the LM."""
        return lm_beam_search(logits, self.mapping, self.language_model(), alpha, beta, LM_BEAM_WIDTH)

    def language_model(self) -> CharNgramModel:
        """The character language model over this model's characters (built once, then cached)."""
        return brown_language_model(tuple(self.mapping[BLANK_INDEX + 1 :]))

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
                "Normalise it first with text_recognizer.images.line_normalization.normalize_line(image, "
                f"{height}), or use HandwritingLinePredictor, which does."
            )
        return image_checks.pad_line_width(array, WIDTH_MULTIPLE)
