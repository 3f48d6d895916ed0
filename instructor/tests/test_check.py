"""`check`: passes on a fresh build, names every stale, missing, extra or leaking file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import MANIFEST, invoke


def _check(root: Path):
    return invoke("check", "--root", root)


def test_check_passes_right_after_build(built: Path) -> None:
    result = _check(built)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: lab1..lab7 match solutions/")
    assert len(result.output.strip().splitlines()) == 1


def test_check_ignores_work_folders(course_copy: Path) -> None:
    (course_copy / "lab1/runs").mkdir()
    (course_copy / "lab1/runs/metrics.json").write_text("{}")
    (course_copy / "lab2/pkg/__pycache__").mkdir()
    (course_copy / "lab2/pkg/__pycache__/mlp.pyc").write_bytes(b"\x00")
    assert _check(course_copy).exit_code == 0


def test_hand_edit_missing_and_extra_files_are_named(course_copy: Path) -> None:
    mlp = course_copy / "lab1/pkg/mlp.py"
    mlp.write_text(mlp.read_text() + "# my note\n")
    (course_copy / "lab2/pkg/cnn.py").unlink()
    (course_copy / "lab3/extra.py").write_text("x = 1\n")
    result = _check(course_copy)
    assert result.exit_code == 1
    out = result.output
    assert "lab1/pkg/mlp.py differs from what build produces; run `make labs`" in out
    assert "lab2/pkg/cnn.py is missing; run `make labs`" in out
    assert "lab3/extra.py is not produced by build (extra file)" in out
    assert "check failed: 3 problem(s)" in out


def test_missing_lab_folder_is_named(course_copy: Path) -> None:
    import shutil

    shutil.rmtree(course_copy / "lab7")
    result = _check(course_copy)
    assert result.exit_code == 1
    assert "lab7/ is missing; run `make labs`" in result.output


def test_marker_left_in_a_lab_file_is_named(course_copy: Path) -> None:
    test_file = course_copy / "lab4/tests/test_mlp.py"
    test_file.write_text(test_file.read_text() + "### BEGIN SOLUTION lab4\n")
    result = _check(course_copy)
    assert result.exit_code == 1
    assert (
        "lab4/tests/test_mlp.py contains the marker '### BEGIN SOLUTION'"
        in result.output
    )


def test_stub_carrying_solution_code_is_detected(course_copy: Path) -> None:
    mlp = course_copy / "lab1/pkg/mlp.py"
    stub = 'raise NotImplementedError("Lab 1 exercise: implement mlp'
    text = mlp.read_text().replace(
        "    " + stub, "    scaled_values = [value * scale for value in x]\n    " + stub
    )
    mlp.write_text(text)
    result = _check(course_copy)
    assert result.exit_code == 1
    assert (
        "lab1/pkg/mlp.py: the stub of mlp (lab 1 exercise, solutions/pkg/mlp.py:8) still "
        "carries solution code `scaled_values = [value * scale for value in x]`"
    ) in result.output


def test_hidden_test_in_a_notebook_is_detected(course_copy: Path) -> None:
    path = course_copy / "lab2/notebooks/lab1.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][2]["source"].append("\nassert square(-3) == 9, 'hidden check'")
    path.write_text(json.dumps(nb, indent=1))
    result = _check(course_copy)
    assert result.exit_code == 1
    assert (
        "lab2/notebooks/lab1.ipynb carries a hidden test, mark-scheme or written-answer line: "
        "`assert square(-3) == 9, 'hidden check'`" in result.output
    )


def test_solution_in_the_labs_own_notebook_is_detected(course_copy: Path) -> None:
    path = course_copy / "lab1/notebooks/lab1.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][1]["source"] = ["def square(x):\n", "    return x * x  # the square"]
    path.write_text(json.dumps(nb, indent=1))
    result = _check(course_copy)
    assert (
        "lab1/notebooks/lab1.ipynb carries a hidden test, mark-scheme or solution line"
        in result.output
    )


def test_written_answer_in_a_later_lab_is_detected(course_copy: Path) -> None:
    path = course_copy / "lab2/notebooks/lab1.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][3]["source"] = "Squaring loses the sign of the input because both signs give the same product."
    path.write_text(json.dumps(nb, indent=1))
    result = _check(course_copy)
    assert result.exit_code == 1
    assert "lab2/notebooks/lab1.ipynb carries a hidden test, mark-scheme or written-answer line" in result.output


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("assert square(2) == 4\nprint('ok')", "(test_square) line 1: `assert` without a message"),
        ("for x in (1, 2):\n    assert square(x) > 0\nprint('ok')", "(test_square) line 2: `assert` without a message"),
        ("assert square(2) == 4, 'expected 4'", "(test_square): the test cell does not end with a print"),
    ],
)
def test_bare_assert_or_silent_test_cell_fails_check(course_copy: Path, source: str, expected: str) -> None:
    path = course_copy / "solutions/notebooks/lab1.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][2]["source"] = source
    path.write_text(json.dumps(nb, indent=1))
    result = _check(course_copy)
    assert result.exit_code == 1
    assert f"solutions/notebooks/lab1.ipynb cell 3 {expected}" in result.output


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda s: s.replace("    ### END SOLUTION\n", ""),
            "solutions/pkg/cnn.py:6: solution region is never closed; add its END marker.",
        ),
        (
            lambda s: s.replace("lab2", "lab8"),
            "solutions/pkg/cnn.py:6: marker names lab 8, but labs run from 1 to 7",
        ),
        (
            lambda s: s.replace(
                "    width = len(kernel)\n",
                "    width = len(kernel)\n    ### BEGIN SOLUTION lab2\n",
            ),
            "solutions/pkg/cnn.py:8: solution region opened inside another solution region",
        ),
        (
            lambda s: s.replace("lab2", "lab1"),
            "solutions/pkg/cnn.py:6: exercise tagged lab1, but the manifest introduces this file in lab 2",
        ),
    ],
)
def test_marker_errors_fail_check_naming_file_and_line(
    course_copy: Path, edit, expected: str
) -> None:
    cnn = course_copy / "solutions/pkg/cnn.py"
    cnn.write_text(edit(cnn.read_text()))
    result = _check(course_copy)
    assert result.exit_code == 1
    assert expected in result.output


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (
            MANIFEST.replace('"pkg/cnn.py", ', ""),
            "solutions/pkg/cnn.py matches no lab in solutions/manifest.toml",
        ),
        (
            MANIFEST.replace('"pkg/cnn.py", ', '"pkg/*.py", '),
            "solutions/pkg/mlp.py matches several labs in solutions/manifest.toml ([lab1], [lab2])",
        ),
        (
            MANIFEST.replace('"pkg/cnn.py", ', '"pkg/cnn.py", "pkg/nothing_*.py", '),
            "solutions/manifest.toml: [lab2] glob 'pkg/nothing_*.py' matches no file under solutions/",
        ),
        (
            MANIFEST + '\n[lab8]\nfiles = ["x.py"]\n',
            "solutions/manifest.toml: [lab8] names lab 8, outside 1..7",
        ),
        (MANIFEST + "\n[lab3\n", "solutions/manifest.toml is not valid TOML"),
        (
            MANIFEST + "\n[extras]\nfiles = []\n",
            "solutions/manifest.toml: unknown table [extras]",
        ),
    ],
)
def test_manifest_errors_fail_check(
    course_copy: Path, manifest: str, expected: str
) -> None:
    (course_copy / "solutions/manifest.toml").write_text(manifest)
    result = _check(course_copy)
    assert result.exit_code == 1
    assert expected in result.output


def test_new_file_in_solutions_matching_no_lab(course_copy: Path) -> None:
    (course_copy / "solutions/pkg/orphan.py").write_text("x = 1\n")
    result = _check(course_copy)
    assert result.exit_code == 1
    assert "solutions/pkg/orphan.py matches no lab" in result.output


def test_notebook_with_unbalanced_hidden_tests(course_copy: Path) -> None:
    path = course_copy / "solutions/notebooks/lab1.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][2]["source"] = [
        line for line in nb["cells"][2]["source"] if "END HIDDEN" not in line
    ]
    path.write_text(json.dumps(nb, indent=1))
    result = _check(course_copy)
    assert result.exit_code == 1
    assert (
        "solutions/notebooks/lab1.ipynb cell 3 (test_square) line 2: the hidden tests block is never closed"
        in result.output
    )


def test_markers_outside_modules_and_lab_notebooks_are_rejected(
    course_copy: Path,
) -> None:
    (course_copy / "solutions/scripts/notes.txt").write_text(
        "### BEGIN SOLUTION lab2\nanswer\n"
    )
    result = _check(course_copy)
    assert result.exit_code == 1
    assert (
        "solutions/scripts/notes.txt contains solution or hidden-test markers"
        in result.output
    )


def test_nbgrader_failure_names_the_notebook(course_copy: Path) -> None:
    path = course_copy / "solutions/notebooks/lab1.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][2]["metadata"]["nbgrader"]["grade_id"] = "square"
    path.write_text(json.dumps(nb, indent=1))
    result = _check(course_copy)
    assert result.exit_code == 1
    assert (
        "nbgrader generate_assignment failed on solutions/notebooks/lab1.ipynb"
        in result.output
    )
    assert "Duplicate grade id: square" in result.output
    assert "Traceback" not in result.output


def test_a_from_lab_block_in_solutions_fails_the_check(course_copy: Path) -> None:
    mlp = course_copy / "solutions/pkg/mlp.py"
    mlp.write_text(mlp.read_text() + "\n\n### BEGIN FROM LAB 2\ndef tracked():\n    return 1\n### END FROM LAB 2\n")
    result = _check(course_copy)
    assert result.exit_code != 0
    assert "solutions/pkg/mlp.py:" in result.output
    assert "in-line `FROM LAB` blocks are gone" in result.output


def test_stub_pointing_to_a_missing_notebook_section_is_named(course_copy: Path) -> None:
    mlp = course_copy / "solutions/pkg/mlp.py"
    mlp.write_text(mlp.read_text().replace(
        '"""Scale every input and squash it with tanh."""',
        '"""Scale every input and squash it with tanh.\n\n    Notebook: "Squashing" explains tanh.\n    """',
    ))
    result = _check(course_copy)
    assert result.exit_code == 1
    assert (
        'mlp\'s docstring points to the section "Squashing" of notebooks/lab1.ipynb, which has '
        "no such heading"
    ) in result.output
