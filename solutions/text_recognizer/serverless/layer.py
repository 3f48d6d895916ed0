"""The Lambda function's dependency layer, without what its libraries never load at run time.

    pip install --target build/lambda/layer/python --platform manylinux2014_x86_64 \
        --implementation cp --python-version 3.11 --only-binary=:all: \
        -r text_recognizer/serverless/requirements.txt
    python -m text_recognizer.serverless.layer build/lambda/layer     # strip, then zip: build/lambda/layer.zip

onnxruntime, numpy, SciPy and Pillow install their tests, C headers, static libraries, type
stubs and tools (onnxruntime's quantization and transformer optimizers, SciPy's statistics,
optimization, sparse matrices...) that the function never imports: it reads images
(`images/`: Pillow, `scipy.ndimage`) and runs ONNX graphs. `UNUSED` names them; `kept(path)`
says whether a layer file stays. `make benchmark-lab7` (`reports/lambda_speed.py`) measures the
zip before and after, and serves pages and lines from the stripped layer alone, so a pattern
that took out something needed fails there.

The compiled `.pyc` files stay: Lambda's file system is read-only, so without them every cold
start would compile the libraries' Python again.
"""

from __future__ import annotations

import fnmatch
import sys
import zipfile
from pathlib import Path

SCIPY_USED = ("_lib", "ndimage", "special")
"""The SciPy subpackages the function imports: `scipy.ndimage` and what it imports."""
UNUSED = (
    "*/tests/*", "*/test/*", "*.pyi", "*/py.typed", "*.h", "*.a", "*.pxd", "*.c",
    "numpy/_core/include/*", "numpy/_core/lib/*", "numpy/_pyinstaller/*", "numpy/f2py/src/*", "numpy/doc/*",
    "numpy/distutils/*",
    "onnxruntime/transformers/*", "onnxruntime/quantization/*", "onnxruntime/tools/*", "onnxruntime/datasets/*",
    "onnxruntime/backend/*", "onnxruntime/ThirdPartyNotices.txt",
    # onnxruntime's C API library, for other languages' bindings: the Python module holds its own copy.
    "onnxruntime/capi/libonnxruntime.so*",
    # SciPy's Cython API, and its copies of gfortran: its OpenBLAS uses numpy's, loaded first (same name).
    "scipy/special/cython_special*", "scipy.libs/libgfortran-*",
    # Pillow's AVIF plugin (it reads no AVIF without it, and says so): the function reads PNG and JPEG.
    "PIL/_avif*", "pillow.libs/libavif-*",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/*",
)
"""Layer paths (relative to `python/`, fnmatch patterns: `*` crosses folders) never loaded at run time."""


def kept(path: str) -> bool:
    """Whether the layer file `path` (relative to the layer's `python/` folder, with `/`) stays in the layer."""
    if any(fnmatch.fnmatch(path, pattern) for pattern in UNUSED):
        return False
    parts = path.split("/")
    if parts[0] == "scipy" and len(parts) > 2:  # a file inside a SciPy subpackage
        return parts[1] in SCIPY_USED
    return True


def strip_layer(layer_dir: Path) -> dict[str, int]:
    """Delete the files `kept` refuses from `layer_dir/python`; the files and bytes removed and left."""
    root = layer_dir / "python"
    if not root.is_dir():
        raise SystemExit(f"{root} does not exist: install the layer there first (`pip install --target "
                         f"{root} -r text_recognizer/serverless/requirements.txt`, see this module's docstring).")
    removed = {"files_removed": 0, "bytes_removed": 0, "files_left": 0, "bytes_left": 0}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        size = path.stat().st_size
        if kept(path.relative_to(root).as_posix()):
            removed["files_left"] += 1
            removed["bytes_left"] += size
        else:
            path.unlink()
            removed["files_removed"] += 1
            removed["bytes_removed"] += size
    return removed


def zip_layer(layer_dir: Path, target: Path) -> Path:
    """Zip `layer_dir/python` as Lambda wants a layer (a `python/` folder at the zip's root)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(p for p in (layer_dir / "python").rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(layer_dir).as_posix())
    return target


if __name__ == "__main__":  # no typer here: the layer does not install it
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "build/lambda/layer")
    counts = strip_layer(folder)
    archive = zip_layer(folder, folder.with_suffix(".zip"))
    print(f"removed {counts['files_removed']} files ({counts['bytes_removed'] / 2**20:.1f} MB), kept "
          f"{counts['files_left']} ({counts['bytes_left'] / 2**20:.1f} MB); {archive}: "
          f"{archive.stat().st_size / 2**20:.1f} MB (direct upload limit: 50 MB)")
