"""The processed cache: uint8 arrays in one `.npz` file, written atomically, checked on read.

Processing raw data (unzipping EMNIST, rendering the substitute) takes minutes; loading the result
takes a second. The cache stores uint8 (1 byte a pixel, 4x smaller than float32) and a small
JSON `meta` record of what was built, so a cache built with other arguments or by an older
version of the code is never taken for the one asked for.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .errors import DataError

META_KEY = "meta"


class CacheError(DataError):
    """The cache file is missing, unreadable, or not the data that was asked for."""


def save_arrays(path: str | Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Write `arrays` and `meta` to `path` so that readers only ever see a complete file.

    The file is written under a temporary name in the same folder and then renamed: the rename is
    atomic, so an interrupted build (Ctrl-C, full disk) never leaves a half-written cache behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as file:
            # The meta record is stored as a plain unicode string: no pickle needed to read it back.
            np.savez_compressed(file, **arrays, **{META_KEY: np.array(json.dumps(meta, sort_keys=True))})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_arrays(path: str | Path, meta: dict) -> dict[str, np.ndarray]:
    """Read a cache written by `save_arrays`, checking that it holds what `meta` describes.

    Raises `CacheError` when the file is missing, truncated or corrupt, not uint8, or was built
    with a different `meta` (other arguments, older code).
    """
    path = Path(path)
    if not path.exists():
        raise CacheError(f"{path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}  # reads (and CRC-checks) every array now
        stored = json.loads(str(arrays.pop(META_KEY)))
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        raise CacheError(f"{path} is unreadable ({type(error).__name__}: {error})") from error
    if stored != json.loads(json.dumps(meta, sort_keys=True)):
        raise CacheError(f"{path} was built with other arguments or an older version of the code")
    not_uint8 = [key for key, array in arrays.items() if array.dtype != np.uint8]
    if not_uint8:
        raise CacheError(f"{path} holds arrays that are not uint8: {not_uint8}")
    return arrays
