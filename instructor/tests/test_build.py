"""`build` on the synthetic course: stubs, solved labs, refused FROM LAB blocks, notebooks, determinism."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from instructor.layout import LABS, list_files
from instructor.markers import LEAK_MARKERS
from instructor.notebooks import BLANK_WRITTEN_ANSWER

from .conftest import BINARY, invoke


def _read(root: Path, path: str) -> str:
    return (root / path).read_text(encoding="utf-8")


def _cells(root: Path, path: str) -> list[dict]:
    return json.loads(_read(root, path))["cells"]


def test_every_lab_is_cumulative(built: Path) -> None:
    assert list_files(built / "lab1") == [
        "README.md",
        "notebooks/lab1.ipynb",
        "pkg/__init__.py",
        "pkg/mlp.py",
        "pkg/model.py",
        "pkg/weights/mlp.bin",
        "pytest.ini",
        "tests/test_mlp.py",
    ]
    for lab in LABS[1:]:
        files = list_files(built / f"lab{lab}")
        assert (
            "pkg/cnn.py" in files
            and "scripts/run.sh" in files
            and "pkg/mlp.py" in files
        )


def test_lab_exercises_are_stubbed_with_lab_and_function(built: Path) -> None:
    mlp = _read(built, "lab1/pkg/mlp.py")
    assert (
        '    raise NotImplementedError("Lab 1 exercise: implement mlp: Scale every input and '
        'squash it with tanh. See notebooks/lab1.ipynb.")'
    ) in mlp.split("\n")
    assert "scaled_values" not in mlp
    assert '"""Scale every input and squash it with tanh."""' in mlp
    model = _read(built, "lab1/pkg/model.py")
    assert "implement CharacterModel.predict_on_image: Predict the character" in model
    assert "best_index" not in model
    cnn = _read(built, "lab2/pkg/cnn.py")
    assert 'raise NotImplementedError("Lab 2 exercise: implement conv1d:' in cnn
    for lab in LABS:
        for path in list_files(built / f"lab{lab}"):
            if path.endswith(".py"):
                ast.parse(_read(built, f"lab{lab}/{path}"))


def test_earlier_exercises_appear_solved_in_later_labs(built: Path) -> None:
    for lab in LABS[1:]:
        mlp = _read(built, f"lab{lab}/pkg/mlp.py")
        assert "    scaled_values = [value * scale for value in x]" in mlp
        assert "NotImplementedError" not in mlp
    assert "best_index = max(" in _read(built, "lab2/pkg/model.py")
    assert "width = len(kernel)" in _read(built, "lab3/pkg/cnn.py")


def test_exercise_of_a_later_lab_is_not_handed_out_early(built: Path) -> None:
    model = _read(built, "lab1/pkg/model.py")
    assert "Lab 2 exercise: implement CharacterModel.describe" in model
    assert "description = f" not in model
    assert "description = f" in _read(built, "lab3/pkg/model.py")


def test_a_later_labs_file_is_absent_before_its_lab(built: Path) -> None:
    assert not (built / "lab1/pkg/cnn.py").exists()
    assert all((built / f"lab{lab}/pkg/cnn.py").is_file() for lab in LABS[1:])


def test_no_marker_or_hidden_test_reaches_any_lab(built: Path) -> None:
    for lab in LABS:
        for path in list_files(built / f"lab{lab}"):
            data = (built / f"lab{lab}" / path).read_bytes()
            assert not any(marker.encode() in data for marker in LEAK_MARKERS), path
            assert b"square(-3)" not in data, path
            assert b"hidden check" not in data, path


def test_lab_notebook_went_through_nbgrader(built: Path) -> None:
    cells = _cells(built, "lab1/notebooks/lab1.ipynb")
    solution = "".join(cells[1]["source"])
    assert "# YOUR CODE HERE" in solution and "raise NotImplementedError()" in solution
    assert "x * x" not in solution
    assert "".join(cells[2]["source"]) == "assert square(2) == 4, 'expected 4'\nprint('square looks right')"
    assert "".join(cells[3]["source"]) == "YOUR ANSWER HERE"
    assert cells[2]["metadata"]["editable"] is False  # nbgrader locked the test cell
    assert all("checksum" in c["metadata"]["nbgrader"] for c in cells)
    assert cells[1]["outputs"] == [] and cells[1]["execution_count"] is None
    assert "execution" not in cells[1]["metadata"]


def test_build_records_graded_cells_in_the_gradebook(built: Path) -> None:
    from nbgrader.api import Gradebook

    db = built / "build/nbgrader/gradebook.db"
    with Gradebook(f"sqlite:///{db}") as gradebook:
        notebook = gradebook.find_notebook("lab1", "lab1")
        assert sorted(c.name for c in notebook.grade_cells) == [
            "test_square",
            "why_sign",
        ]
        assert notebook.max_score == 3


def test_earlier_notebook_appears_solved_without_hidden_tests_or_written_answers(built: Path) -> None:
    for lab in LABS[1:]:
        cells = _cells(built, f"lab{lab}/notebooks/lab1.ipynb")
        assert (
            "".join(cells[1]["source"])
            == "def square(x):\n    return x * x  # the square"
        )
        assert "".join(cells[2]["source"]) == "assert square(2) == 4, 'expected 4'\nprint('square looks right')"
        assert "".join(cells[3]["source"]) == BLANK_WRITTEN_ANSWER
        assert cells[1]["outputs"] == [] and cells[1]["execution_count"] is None
        assert [c["id"] for c in cells] == ["c0", "c1", "c2", "c3"]


def test_other_files_are_copied_byte_for_byte(built: Path) -> None:
    for lab in LABS:
        assert (built / f"lab{lab}/pkg/weights/mlp.bin").read_bytes() == BINARY
    assert (built / "lab2/scripts/run.sh").stat().st_mode & 0o111
    assert not (built / "lab2/pkg/mlp.py").stat().st_mode & 0o111


def test_readme_tells_students_how_to_start_and_what_to_implement(built: Path) -> None:
    readme = _read(built, "lab1/README.md")
    assert readme.startswith("# Lab 1: Tiny networks\n")
    for text in (
        "make setup",
        "setup/install.sh",
        "notebooks/lab1.ipynb",
        "python -m pytest",
    ):
        assert text in readme
    assert (
        "| `pkg/mlp.py` | `mlp` | Scale every input and squash it with tanh. |"
        in readme
    )
    assert "`CharacterModel.predict_on_image`" in readme
    assert "`conv1d`" not in readme
    lab2 = _read(built, "lab2/README.md")
    assert lab2.startswith("# Lab 2\n")
    assert "| `pkg/cnn.py` | `conv1d` |" in lab2 and "`CharacterModel.describe`" in lab2
    assert "`mlp`" not in lab2
    assert "Lab 3 is not released yet" in _read(built, "lab3/README.md")  # nothing of its own yet


def test_readme_says_how_to_hand_in_and_where_results_are(built: Path) -> None:
    lab1, lab2 = _read(built, "lab1/README.md"), _read(built, "lab2/README.md")
    for lab, readme in ((1, lab1), (2, lab2)):
        for text in ("## Hand in", "**Assignments** panel", f"nbgrader submit lab{lab}", "Gradescope",
                     f"zip -r lab{lab}-submission.zip lab{lab}", "Fetch Feedback", "/services/grader/"):
            assert text in readme, (lab, text)
    assert "ranks the squares' accuracy" in lab1 and "/services/grader/lab/1" in lab1
    assert "lab 2 has none" in lab2
    # The manifest's own Markdown for a lab comes after its exercises, before the hand-in.
    assert lab2.index("| `pkg/cnn.py`") < lab2.index("## Run the convolution") < lab2.index("## Hand in")


def test_build_is_byte_for_byte_deterministic(built: Path, course_copy: Path) -> None:
    result = invoke("build", "--root", course_copy)
    assert result.exit_code == 0, result.output
    for lab in LABS:
        files = list_files(built / f"lab{lab}")
        assert list_files(course_copy / f"lab{lab}") == files
        for path in files:
            assert (course_copy / f"lab{lab}" / path).read_bytes() == (
                built / f"lab{lab}" / path
            ).read_bytes(), f"lab{lab}/{path}"


def test_build_keeps_work_folders_and_removes_stale_files(course_copy: Path) -> None:
    lab1 = course_copy / "lab1"
    work = [
        "runs/run1/metrics.json",
        "data/raw/x.bin",
        "pkg/__pycache__/mlp.pyc",
        "wandb/offline/log",
    ]
    for path in work:
        (lab1 / path).parent.mkdir(parents=True, exist_ok=True)
        (lab1 / path).write_text("work\n")
    (lab1 / "stale/old.py").parent.mkdir()
    (lab1 / "stale/old.py").write_text("x = 1\n")
    (lab1 / "pkg/mlp.py").write_text("edited by hand\n")
    lab2_mlp = (course_copy / "lab2/pkg/mlp.py").read_bytes()
    (course_copy / "lab2/pkg/mlp.py").write_text("edited too\n")

    result = invoke("build", "--lab", "1", "--root", course_copy)
    assert result.exit_code == 0, result.output
    assert "lab1: 8 files" in result.output
    for path in work:
        assert (lab1 / path).read_text() == "work\n"
    assert not (lab1 / "stale").exists()
    assert "NotImplementedError" in (lab1 / "pkg/mlp.py").read_text()
    # Only the requested lab was rebuilt.
    assert (course_copy / "lab2/pkg/mlp.py").read_bytes() != lab2_mlp


def test_invalid_course_writes_nothing(course_copy: Path) -> None:
    (course_copy / "solutions/pkg/orphan.py").write_text("x = 1\n")
    before = (course_copy / "lab1/pkg/mlp.py").read_bytes()
    (course_copy / "lab1/pkg/mlp.py").write_text("edited\n")
    result = invoke("build", "--root", course_copy)
    assert result.exit_code == 1
    assert (
        "solutions/pkg/orphan.py matches no lab in solutions/manifest.toml"
        in result.output
    )
    assert (
        (course_copy / "lab1/pkg/mlp.py").read_text() == "edited\n" != before.decode()
    )
