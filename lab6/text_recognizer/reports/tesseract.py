"""Tesseract 5, the production OCR engine the course's readers are measured beside.

Debian's `tesseract-ocr` runs offline. The evaluations that compare with it (`handwriting_evaluation`,
`real_handwriting`) ask `tesseract_available()` first and skip its figures, saying so, where it is
not installed.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

TESSERACT_TIMEOUT = 300  # seconds for one image

logger = logging.getLogger(__name__)


def tesseract_available() -> bool:
    """Whether the `tesseract` command is installed."""
    return shutil.which("tesseract") is not None


def tesseract_version() -> str:
    """The first line of `tesseract --version` (e.g. "tesseract 5.3.0")."""
    result = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, timeout=30)
    return (result.stdout or result.stderr).splitlines()[0].strip()


def tesseract_read(image: np.ndarray, psm: int) -> str:
    """Tesseract's text for a grey image (its own English model, page segmentation mode `psm`).

    A Tesseract run that takes over `TESSERACT_TIMEOUT` seconds (a busy machine) counts as
    reading nothing, with a warning, rather than ending the whole evaluation.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "image.png"
        Image.fromarray(image).save(path)
        try:
            result = subprocess.run(["tesseract", str(path), "stdout", "--psm", str(psm), "-l", "eng"],
                                    capture_output=True, text=True, timeout=TESSERACT_TIMEOUT,
                                    env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        except subprocess.TimeoutExpired:
            logger.warning("Tesseract took over %d s on an image of %s pixels: counted as read nothing.",
                           TESSERACT_TIMEOUT, image.shape)
            return ""
    return " ".join(result.stdout.split()) if psm == 7 else "\n".join(
        " ".join(line.split()) for line in result.stdout.splitlines() if line.strip())
