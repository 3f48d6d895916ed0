"""The plain-data format that crosses the sandbox boundary: JSON lines, arrays as base64.

The sandbox (untrusted) writes one JSON object per line on a pipe; the trusted parent reads them.
Arrays travel as `{"__ndarray__": {"dtype": "<f4", "shape": [...], "data": "<base64>"}}`: the
parent rebuilds them with `numpy.frombuffer` from a whitelist of plain dtypes, so nothing the
sandbox sends is ever unpickled, imported or executed.

This module is copied into the sandbox and imported by its runner too, so it depends only on
the standard library and numpy.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np

ARRAY_KEY = "__ndarray__"
#: Plain numeric dtypes only: object, string and void dtypes could smuggle pickles or giant data.
ALLOWED_DTYPES = frozenset({"|b1", "|u1", "|i1", "<i2", "<i4", "<i8", "<u2", "<u4", "<f2", "<f4", "<f8"})
#: No single array may hold more elements than this (a 64 MiB float32 array).
MAX_ARRAY_ELEMENTS = 16 * 1024 * 1024
MAX_NDIM = 8


class WireError(ValueError):
    """Data from the sandbox that does not follow the format (the message says what was wrong)."""


def encode_array(array: np.ndarray) -> dict[str, Any]:
    """An array as a JSON-ready dict (little-endian, C order)."""
    array = np.ascontiguousarray(array)
    if array.dtype.kind not in "biuf":
        raise WireError(f"only numeric arrays cross the sandbox boundary, not dtype {array.dtype}")
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {
        ARRAY_KEY: {
            "dtype": little.dtype.str,
            "shape": list(little.shape),
            "data": base64.b64encode(little.tobytes()).decode("ascii"),
        }
    }


def to_plain(value: Any) -> Any:
    """Recursively turn numpy values into JSON-ready data (arrays via `encode_array`)."""
    if isinstance(value, np.ndarray):
        return encode_array(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value


def dumps(record: dict[str, Any]) -> bytes:
    """One record as a JSON line (bytes, newline-terminated)."""
    return (json.dumps(to_plain(record), allow_nan=True, separators=(",", ":")) + "\n").encode()


def decode_array(spec: Any, max_elements: int = MAX_ARRAY_ELEMENTS) -> np.ndarray:
    """Rebuild an array from its wire form, refusing anything that is not plain numeric data."""
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data"}:
        raise WireError("an array must have exactly the keys dtype, shape and data")
    dtype, shape, data = spec["dtype"], spec["shape"], spec["data"]
    if dtype not in ALLOWED_DTYPES:
        raise WireError(f"array dtype {dtype!r} is not one of the plain numeric dtypes allowed")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_NDIM
        or not all(type(d) is int and 0 <= d <= max_elements for d in shape)
    ):
        raise WireError(f"array shape {str(shape)[:80]} is not a short list of non-negative ints")
    count = math.prod(shape)
    if count > max_elements:
        raise WireError(f"array of {count:,} elements is larger than the {max_elements:,} allowed")
    if not isinstance(data, str):
        raise WireError("array data must be a base64 string")
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as error:
        raise WireError(f"array data is not valid base64: {error}") from None
    item = np.dtype(dtype)
    if len(raw) != count * item.itemsize:
        raise WireError(f"array data holds {len(raw)} bytes, expected {count * item.itemsize}")
    return np.frombuffer(raw, dtype=item).reshape(shape).astype(item.newbyteorder("="))


def from_plain(value: Any, depth: int = 0) -> Any:
    """Recursively decode arrays inside a parsed record (depth-limited)."""
    if depth > 32:
        raise WireError("record nested more than 32 levels deep")
    if isinstance(value, dict):
        if ARRAY_KEY in value:
            if len(value) != 1:
                raise WireError(f"an {ARRAY_KEY} object must have no other keys")
            return decode_array(value[ARRAY_KEY])
        return {k: from_plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [from_plain(v, depth + 1) for v in value]
    return value


def loads(line: bytes) -> dict[str, Any]:
    """Parse one JSON line from the sandbox into a record with arrays decoded; raise WireError."""
    try:
        record = json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise WireError(f"not a JSON line: {str(error)[:200]}") from None
    if not isinstance(record, dict):
        raise WireError("a record must be a JSON object")
    try:
        return from_plain(record)
    except RecursionError:
        raise WireError("record nested too deeply") from None
