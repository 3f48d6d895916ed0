"""Moved to `text_recognizer/images/checks.py`; this name stays for code not yet updated.

`models/handwriting_line_model.py` still imports `text_recognizer.image_checks`; new code imports
`text_recognizer.images.checks`.
"""

from text_recognizer.images.checks import BLANK_COLUMN_THRESHOLD, ImageError, exact_shape, fit_line_width, numeric_image

__all__ = ["BLANK_COLUMN_THRESHOLD", "ImageError", "exact_shape", "fit_line_width", "numeric_image"]
