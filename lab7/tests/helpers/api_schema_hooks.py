"""Schemathesis hooks for the service's fuzz test: binary and base64 fields get real images.

The description says `format: binary` (an image file) and `format: byte` (base64 of one). Any
bytes fit those formats, but only images can be read: with random bytes, every schema-valid
request would be a 422, and the check that valid requests are accepted would test nothing. Here
schemathesis fills them with PNGs of 1 to 200 x 1 to 80 pixels of noise (a 1x1 page included).
Loaded by `SCHEMATHESIS_HOOKS=api_schema_hooks` (tests/api/test_api_fuzz.py).
"""

from __future__ import annotations

import base64
import io

import numpy as np
import schemathesis
from hypothesis import strategies as st
from PIL import Image


def noise_png(width: int, height: int, seed: int) -> bytes:
    """A grey PNG of `width` x `height` random pixels."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


images = st.builds(noise_png, st.integers(1, 200), st.integers(1, 80), st.integers(0, 2**16))
schemathesis.openapi.format("binary", images)
schemathesis.openapi.format("byte", images.map(lambda data: base64.b64encode(data).decode()))
for media_type in ("image/png", "image/jpeg", "application/octet-stream"):
    schemathesis.openapi.media_type(media_type, images)
