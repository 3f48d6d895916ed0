"""The plain-data format from the sandbox: arrays round-trip; anything else is refused."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from autograder.sandbox.inside.wire import WireError, decode_array, dumps, encode_array, loads


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "float32", "float64", "bool"])
def test_arrays_round_trip(dtype):
    array = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    back = loads(dumps({"event": "x", "value": array}))["value"]
    assert back.dtype == array.dtype and np.array_equal(back, array)


def test_numpy_scalars_become_plain_numbers():
    assert loads(dumps({"a": np.float32(0.5), "b": np.int64(3)})) == {"a": 0.5, "b": 3}


def spec(**changes):
    good = encode_array(np.zeros(4, np.float32))["__ndarray__"]
    return {**good, **changes}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (spec(dtype="|O"), "dtype"),
        (spec(dtype="<U4"), "dtype"),
        (spec(dtype="|V8"), "dtype"),
        (spec(shape=[5]), "bytes"),
        (spec(shape=[-1]), "shape"),
        (spec(shape=[2**40, 2**40]), "shape"),
        (spec(shape="4"), "shape"),
        (spec(data="!!notbase64"), "base64"),
        (spec(data=5), "base64"),
        ({"dtype": "<f4", "shape": [1]}, "exactly the keys"),
    ],
)
def test_anything_but_plain_numeric_arrays_is_refused(bad, message):
    with pytest.raises(WireError, match=message):
        decode_array(bad)


def test_pickled_object_arrays_cannot_be_smuggled():
    payload = base64.b64encode(b"\x80\x04cos\nsystem\n").decode()
    line = json.dumps({"v": {"__ndarray__": {"dtype": "|O", "shape": [1], "data": payload}}}).encode()
    with pytest.raises(WireError):
        loads(line)


@pytest.mark.parametrize("line", [b"[1, 2]", b"not json", b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, b"\xff\xfe"])
def test_malformed_lines_raise_wire_errors(line):
    with pytest.raises(WireError):
        loads(line)


def test_an_array_key_with_company_is_refused():
    with pytest.raises(WireError, match="no other keys"):
        loads(json.dumps({"v": {"__ndarray__": spec(), "extra": 1}}).encode())
