"""Reading images for prediction: files, bytes or arrays in, a grayscale uint8 array out.

Every entry point (the predictors and their command lines, the API, the Lambda function) reads
images here, so each applies a photo's EXIF orientation once: phones store a portrait photo
sideways with a flag that says how to turn it, and a model given the sideways pixels reads nothing.

Bad input (a missing, empty, corrupt or enormous file, or something that is not an image)
raises `ImageError` with a message saying what was wrong, never a deep library traceback.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from text_recognizer.images.checks import ImageError, numeric_image

__all__ = ["ImageError", "read_grayscale_image"]

# Refuse decompression bombs early: a character or line image never needs more pixels.
MAX_PIXELS = 50_000_000


def read_grayscale_image(source: str | Path | bytes | np.ndarray) -> np.ndarray:
    """Return `source` (a path, encoded image bytes, or an array) as a 2-D uint8 array, upright.

    Encoded images are turned as their EXIF orientation says (arrays have no EXIF: as given).
    """
    if isinstance(source, np.ndarray):
        return _array_to_grayscale(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"No image file at {path}.")
        data = path.read_bytes()
        name = str(path)
    elif isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), "the uploaded data"
    else:
        raise ImageError(f"Expected a path, image bytes or a numpy array, got {type(source).__name__}.")
    if not data:
        raise ImageError(f"{name} is empty: expected a PNG or JPEG image.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ImageError(
                    f"{name} is {image.width}x{image.height} pixels, more than the "
                    f"{MAX_PIXELS:,} this predictor accepts: scale it down first."
                )
            return np.asarray(upright(image).convert("L"), dtype=np.uint8)
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not an image that can be read: expected PNG, JPEG, ...") from None
    except (OSError, Image.DecompressionBombError, SyntaxError) as error:
        # A recognised format whose data is truncated or corrupt.
        raise ImageError(f"{name} is not an image that can be read (corrupt or truncated: {error})") from None


def _array_to_grayscale(array: np.ndarray) -> np.ndarray:
    array = numeric_image(array)
    if array.ndim == 3 and array.shape[-1] in (1, 3, 4):
        array = array[..., :3].mean(axis=-1) if array.shape[-1] >= 3 else array[..., 0]
    if array.ndim != 2:
        raise ImageError(f"Expected a 2-D grayscale image array, got shape {array.shape}.")
    if array.dtype != np.uint8:
        scale = 255.0 if array.size and float(np.nanmax(array)) <= 1.0 else 1.0
        array = np.clip(np.nan_to_num(array * scale), 0, 255).astype(np.uint8)
    return array



def upright(image: Image.Image) -> Image.Image:
    """`image` turned (and mirrored) as its EXIF orientation tag says; as it is without the tag."""
    return ImageOps.exif_transpose(image)
