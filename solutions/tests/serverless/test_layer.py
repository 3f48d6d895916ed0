"""The layer is stripped of what the function never loads, and zipped the way Lambda unpacks it."""

from __future__ import annotations

import zipfile

import pytest

from text_recognizer.serverless import layer


@pytest.mark.parametrize("path", [
    "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so", "numpy/testing/__init__.py",
    "onnxruntime/capi/onnxruntime_pybind11_state.cpython-311-x86_64-linux-gnu.so", "scipy/__init__.py",
    "scipy/ndimage/_filters.py", "scipy/special/_ufuncs.cpython-311-x86_64-linux-gnu.so", "PIL/Image.py",
    "numpy.libs/libscipy_openblas64_-32a4b2a6.so", "flask/app.py",
])
def test_what_the_function_loads_stays(path):
    assert layer.kept(path)


@pytest.mark.parametrize("path", [
    "numpy/_core/tests/test_api.py", "numpy/_core/include/numpy/ndarrayobject.h", "numpy/__init__.pyi",
    "onnxruntime/transformers/optimizer.py", "onnxruntime/capi/libonnxruntime.so.1.31.1",
    "scipy/stats/_stats_py.py", "scipy/linalg/_flapack.cpython-311-x86_64-linux-gnu.so",
    "scipy.libs/libgfortran-8f1e9814.so.5.0.0", "pillow.libs/libavif-c6062d5f.so.16.4.2",
])
def test_what_it_never_loads_goes(path):
    assert not layer.kept(path)


def test_strip_then_zip_a_layer(tmp_path):
    for name in ("numpy/__init__.py", "numpy/tests/test_x.py", "scipy/ndimage/a.py", "scipy/stats/b.py"):
        (tmp_path / "python" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "python" / name).write_text("x = 1\n")
    counts = layer.strip_layer(tmp_path)
    assert counts["files_removed"] == 2 and counts["files_left"] == 2
    with zipfile.ZipFile(layer.zip_layer(tmp_path, tmp_path / "layer.zip")) as archive:
        assert sorted(archive.namelist()) == ["python/numpy/__init__.py", "python/scipy/ndimage/a.py"]


def test_a_missing_layer_says_how_to_install_it(tmp_path):
    with pytest.raises(SystemExit, match="pip install --target"):
        layer.strip_layer(tmp_path)
