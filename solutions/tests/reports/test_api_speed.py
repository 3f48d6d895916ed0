"""The benchmark's arithmetic (the benchmark itself is a command, not a test: `make benchmark-api`)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from text_recognizer.reports.api_speed import page_image, summary


def test_summary_gives_percentiles_in_milliseconds():
    result = summary([0.010] * 19 + [0.100])
    assert result["count"] == 20 and result["p50_ms"] == 10.0
    assert 10.0 < result["p95_ms"] <= 100.0 and len(result["latencies_ms"]) == 20


def test_page_image_stacks_dark_lines_on_paper():
    line = np.zeros((28, 100), np.uint8)
    line[5:20, 10:90] = 255
    page = np.asarray(Image.open(io.BytesIO(page_image(line, lines=3))))
    assert page.shape == (60 + 3 * 60, 180)
    dark_rows = np.flatnonzero((page < 128).any(axis=1))
    assert len(dark_rows) == 3 * 15 and np.median(page) == 255
