"""Inputs the API tests share: the support lines, PNG encoding, a line "photographed".

The test folders' pytest configuration puts tests/helpers on the import path
(`from api_inputs import LINES_DIR, png_bytes`); conftest modules are not imported by name,
since every test folder has its own conftest.py.
"""

from __future__ import annotations

import io
import json

import numpy as np
from lab_folders import SUPPORT_DIR
from PIL import Image

LINES_DIR = SUPPORT_DIR / "emnist_lines"


def line_labels() -> dict[str, str]:
    """The support lines' file names and texts."""
    return json.loads((LINES_DIR / "labels.json").read_text())


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def photo_of_line(name: str, scale: int = 2, margin: int = 30) -> np.ndarray:
    """A support line as a person would photograph it: dark ink on light paper, bigger, margins."""
    line = np.asarray(Image.open(LINES_DIR / name).convert("L"))
    ink = np.flatnonzero(line.max(axis=0) > 0)
    line = 255 - line[:, : ink[-1] + 8]
    big = Image.fromarray(line).resize((line.shape[1] * scale, line.shape[0] * scale), Image.Resampling.BILINEAR)
    return np.pad(np.asarray(big), margin, constant_values=235)
