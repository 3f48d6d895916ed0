"""`release N --to DIR`: a student bundle with no solutions, hidden tests or instructor files."""

from __future__ import annotations

import json
from pathlib import Path

from instructor.markers import LEAK_MARKERS
from instructor.release import verify_bundle

from .conftest import invoke


def _files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
    )


def test_release_contains_the_lab_and_setup_and_nothing_forbidden(
    built: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    result = invoke("release", "1", "--to", bundle, "--root", built)
    assert result.exit_code == 0, result.output
    assert "Released lab1" in result.output
    files = _files(bundle)
    assert files == [
        "README.md",
        "lab1/README.md",
        "lab1/notebooks/lab1.ipynb",
        "lab1/pkg/__init__.py",
        "lab1/pkg/mlp.py",
        "lab1/pkg/model.py",
        "lab1/pkg/weights/mlp.bin",
        "lab1/pytest.ini",
        "lab1/tests/test_mlp.py",
        "setup/install.sh",
        "setup/requirements.in",
    ]
    for path in files:
        data = (bundle / path).read_bytes()
        assert not any(m.encode() in data for m in LEAK_MARKERS)
        assert b"square(-3)" not in data and b"scaled_values" not in data
    readme = (bundle / "README.md").read_text()
    assert "bash setup/install.sh" in readme and "lab1/README.md" in readme
    for text in ("## 3. Hand in", "nbgrader submit lab1", "zip -r lab1-submission.zip lab1",
                 "## 4. Score, feedback and leaderboard", "/services/grader/lab/1"):
        assert text in readme


def test_release_refuses_a_non_empty_folder_unless_forced(
    built: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "old.txt").write_text("old")
    result = invoke("release", "2", "--to", bundle, "--root", built)
    assert result.exit_code == 1
    assert "is not empty" in result.output and "--force" in result.output
    assert _files(bundle) == ["old.txt"]
    result = invoke("release", "2", "--to", bundle, "--force", "--root", built)
    assert result.exit_code == 0, result.output
    assert "old.txt" not in _files(bundle)
    assert "lab2/pkg/cnn.py" in _files(bundle)


def test_release_refuses_to_wipe_the_repository(built: Path) -> None:
    result = invoke("release", "1", "--to", built, "--force", "--root", built)
    assert result.exit_code == 1
    assert "refusing to write a release" in result.output
    assert (built / "solutions/manifest.toml").is_file()


def test_release_needs_a_built_lab(tmp_path: Path) -> None:
    result = invoke("release", "1", "--to", tmp_path / "out", "--root", tmp_path)
    assert result.exit_code == 1
    assert "run `make labs` first" in result.output


def test_verify_bundle_catches_every_kind_of_leak(built: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    assert invoke("release", "1", "--to", bundle, "--root", built).exit_code == 0
    (bundle / "solutions").mkdir()
    (bundle / "solutions/manifest.toml").write_text("")
    (bundle / "autograder").mkdir()
    (bundle / "autograder/hidden.py").write_text("")
    (bundle / "setup/node_modules").mkdir()
    (bundle / "setup/node_modules/x.js").write_text("")
    (bundle / "lab1/AUTHORING.md").write_text("")
    (bundle / "lab1/pkg/leak.py").write_text("### BEGIN SOLUTION lab1\n")
    nb_path = bundle / "lab1/notebooks/lab1.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"][2]["source"].append("\nassert square(-3) == 9, 'hidden check'")
    nb_path.write_text(json.dumps(nb))
    problems = "\n".join(verify_bundle(bundle, root=built))
    for expected in (
        "solutions/manifest.toml is inside an instructor-only folder (solutions/)",
        "autograder/hidden.py is inside an instructor-only folder (autograder/)",
        "setup/node_modules/x.js is inside an instructor-only folder (node_modules/)",
        "lab1/AUTHORING.md is an instructor-only file",
        "lab1/pkg/leak.py contains the marker '### BEGIN SOLUTION'",
        "lab1/notebooks/lab1.ipynb carries a hidden test, mark-scheme or solution line: "
        "`assert square(-3) == 9, 'hidden check'`",
    ):
        assert expected in problems
