"""Code snippets of the hostile submissions (each test patches one file of a lab with one)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path


def rewrite_weights(path: Path, change: Callable) -> None:
    """Rewrite every weight array of a Keras `.weights.h5` file in place with `change(array)`
    (other bytes on disk even when the values stay the same: the file is re-saved)."""
    import h5py

    with h5py.File(path, "a") as file:
        def visit(name, item):
            if isinstance(item, h5py.Dataset) and item.size > 1:
                item[...] = change(item[...])
        file.visititems(visit)
        file.attrs["re-saved by"] = "a student"


def prepend(code: str):
    """A patch that puts `code` at the top of a module (after `from __future__`, if any)."""
    code = textwrap.dedent(code)

    def patch(old: str) -> str:
        marker = "from __future__ import annotations\n"
        if marker in old:
            head, tail = old.split(marker, 1)
            return head + marker + code + tail
        return code + old

    return patch


def append(code: str):
    """A patch that adds `code` at the end of a module."""
    code = textwrap.dedent(code)
    return lambda old: old + "\n" + code


def inside_function(signature_end: str, code: str):
    """A patch that inserts `code` as the first statements after the line ending `signature_end`
    (the end of a def's signature line), indented like the function's body."""
    code = textwrap.dedent(code)

    def patch(old: str) -> str:
        lines = old.splitlines(keepends=True)
        for index, line in enumerate(lines):
            if line.rstrip().endswith(signature_end):
                first = next(text for text in lines[index + 1 :] if text.strip())
                body = textwrap.indent(code, first[: len(first) - len(first.lstrip())])
                # Skip the docstring, so the code runs first thing in the body.
                rest = "".join(lines[index + 1 :])
                doc_end = _docstring_end(rest)
                return "".join(lines[: index + 1]) + rest[:doc_end] + body + rest[doc_end:]
        raise AssertionError(f"no line ends with {signature_end!r}")

    return patch


def _docstring_end(body: str) -> int:
    stripped = body.lstrip()
    if not stripped.startswith('"""'):
        return 0
    start = len(body) - len(stripped)
    close = body.index('"""', start + 3) + 3
    return body.index("\n", close) + 1


MLP_SIGNATURE = ") -> keras.Model:"
PREDICT_SIGNATURE = "def predict_on_image(self, image: np.ndarray) -> tuple[str, float]:"
