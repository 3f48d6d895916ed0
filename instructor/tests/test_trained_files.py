"""`trained` in the manifest: a lab ships without the weights its own students train; later labs
ship them (issue 8: the leaderboard ranks the student's own model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from instructor.errors import CourseError
from instructor.manifest import load_manifest
from instructor.tests.conftest import MANIFEST, invoke, write_course

ROOT = Path(__file__).resolve().parents[2]
TRAINED = MANIFEST.replace('[lab2]', 'trained = ["pkg/weights/*.bin"]\n\n[lab2]')


def _course(tmp_path: Path, manifest: str) -> Path:
    root = write_course(tmp_path / "course")
    (root / "solutions" / "manifest.toml").write_text(manifest)
    return root


def test_a_lab_ships_without_what_its_students_train_and_later_labs_ship_it(tmp_path):
    root = _course(tmp_path, TRAINED)
    manifest = load_manifest(root / "solutions")
    assert "pkg/weights/mlp.bin" not in manifest.files_of_lab(1)
    assert "pkg/weights/mlp.bin" in manifest.files_of_lab(1, with_trained=True)  # the solved form
    assert "pkg/weights/mlp.bin" in manifest.files_of_lab(2)
    result = invoke("build", "--root", root)
    assert result.exit_code == 0, result.output
    assert not (root / "lab1/pkg/weights/mlp.bin").exists()
    assert (root / "lab2/pkg/weights/mlp.bin").read_bytes() == (root / "solutions/pkg/weights/mlp.bin").read_bytes()
    readme = (root / "lab1/README.md").read_text()
    assert "## The model you train" in readme and "`pkg/weights/mlp.bin`" in readme
    assert "## The model you train" not in (root / "lab2/README.md").read_text()
    check = invoke("check", "--root", root)
    assert check.exit_code == 0, check.output


@pytest.mark.parametrize(("manifest", "problem"), [
    (MANIFEST.replace('[lab2]\nfiles = ["pkg/cnn.py", "scripts/**"]',
                      '[lab2]\nfiles = ["pkg/cnn.py", "scripts/**"]\ntrained = ["pkg/weights/*.bin"]'),
     "which lab 1 introduces"),
    (MANIFEST.replace('[lab2]', 'trained = ["pkg/nothing/*"]\n\n[lab2]'), "matches no file"),
    (MANIFEST.replace('[lab2]', 'trained = "pkg/weights/*.bin"\n\n[lab2]'), "must be a list"),
])
def test_a_trained_glob_must_name_files_of_its_own_lab(tmp_path, manifest, problem):
    root = _course(tmp_path, manifest)
    with pytest.raises(CourseError) as error:
        load_manifest(root / "solutions")
    assert any(problem in line for line in error.value.problems), error.value.problems


def test_the_course_ships_lab1_without_the_mlp_weights():
    weights = "text_recognizer/weights/character_model_mlp.weights.h5"
    assert not (ROOT / "lab1" / weights).exists()
    for lab in range(2, 8):
        assert (ROOT / f"lab{lab}" / weights).read_bytes() == (ROOT / "solutions" / weights).read_bytes()


def test_the_lab1_notebook_trains_and_deploys_its_model_in_quick_mode(tmp_path, monkeypatch):
    """In a lab 1 folder (no deployed weights), the solved notebook's training cell deploys the
    model it trained, and the predictor cell after it reads the support images with it."""
    import shutil

    import nbformat
    from nbconvert.preprocessors import ExecutePreprocessor

    lab = tmp_path / "lab1"
    shutil.copytree(ROOT / "lab1", lab, ignore=shutil.ignore_patterns("__pycache__", "runs", "data", "wandb"))
    shutil.rmtree(lab / "text_recognizer")
    shutil.copytree(ROOT / "solutions" / "text_recognizer", lab / "text_recognizer",
                    ignore=shutil.ignore_patterns("__pycache__", "character_model_mlp.*"))
    deployed = lab / "text_recognizer" / "weights" / "character_model_mlp.weights.h5"
    assert not deployed.exists()
    environment = {"LAB_QUICK": "1", "TEXT_RECOGNIZER_NODE_MODULES": str(ROOT / "setup" / "node_modules"),
                   "TEXT_RECOGNIZER_DATA_DIR": str(tmp_path / "data"),
                   "TEXT_RECOGNIZER_RUNS_DIR": str(tmp_path / "runs"), "MPLBACKEND": "Agg"}
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    notebook = nbformat.read(ROOT / "solutions" / "notebooks" / "lab1.ipynb", as_version=4)
    resources = {"metadata": {"path": str(lab / "notebooks")}}
    ExecutePreprocessor(timeout=600, kernel_name="python3").preprocess(notebook, resources)
    errors = [o for c in notebook.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert deployed.is_file() and (deployed.parent / "character_model_mlp.json").is_file()
    # The course's own source never takes a notebook's weights.
    reference = ROOT / "solutions" / "text_recognizer" / "weights" / "character_model_mlp.weights.h5"
    assert reference.read_bytes() != deployed.read_bytes()
