"""What the predictors read: one line (where it is, its text, the model's confidence), and a page.

The page predictor, the recognizer façade and everything above them (API, Lambda, monitoring)
share these two types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from text_recognizer.images.boxes import Box


@dataclass(frozen=True)
class LineReading:
    """One line: its box in the image's pixels, its text and the model's confidence in it."""

    box: Box
    text: str
    confidence: float

    def as_json(self) -> dict[str, Any]:
        """`{"box": {x, y, width, height}, "text", "confidence"}` (confidence rounded to 4 places)."""
        return {"box": self.box.as_json(), "text": self.text, "confidence": round(float(self.confidence), 4)}


@dataclass(frozen=True)
class PageReading:
    """What the page predictor read: the text (lines joined by newlines) and every line."""

    text: str
    lines: list[LineReading] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        """The mean confidence of the lines (1.0 for a page without lines)."""
        return float(np.mean([line.confidence for line in self.lines])) if self.lines else 1.0
