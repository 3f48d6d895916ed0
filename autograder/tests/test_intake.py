"""Taking in submissions: only the package and the notebook, no links out, no payloads, safe archives."""

from __future__ import annotations

import os
import shutil
import tarfile
import zipfile

import pytest

from autograder.errors import SubmissionRejected
from autograder.pipeline.intake import take_in


@pytest.fixture
def lab(tmp_path):
    root = tmp_path / "lab1"
    (root / "text_recognizer" / "networks").mkdir(parents=True)
    (root / "text_recognizer" / "__init__.py").write_text("")
    (root / "text_recognizer" / "networks" / "mlp.py").write_text("def mlp(): ...\n")
    (root / "notebooks").mkdir()
    (root / "notebooks" / "lab1.ipynb").write_text("{}")
    (root / "data").mkdir()
    (root / "data" / "big.npz").write_bytes(b"0" * 100)
    (root / "conftest.py").write_text("import os\n")
    return root


def files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_only_the_package_and_the_lab_notebook_are_taken(lab, tmp_path):
    intake = take_in(lab, tmp_path / "copy", 1)
    assert files(intake.root) == [
        "notebooks/lab1.ipynb",
        "text_recognizer/__init__.py",
        "text_recognizer/networks/mlp.py",
    ]
    assert oct(intake.root.stat().st_mode)[-3:] == "755"
    assert oct((intake.root / "text_recognizer" / "__init__.py").stat().st_mode)[-3:] == "644"


def test_the_lab_folder_may_sit_one_or_two_levels_down(lab, tmp_path):
    outer = tmp_path / "submission" / "alice"
    outer.mkdir(parents=True)
    shutil.move(lab, outer / "lab1")
    assert files(take_in(tmp_path / "submission", tmp_path / "copy", 1).root)[0] == "notebooks/lab1.ipynb"


def test_links_out_are_dropped_and_links_in_are_copied(lab, tmp_path):
    package = lab / "text_recognizer"
    (package / "shadow").symlink_to("/etc/shadow")
    (package / "root").symlink_to("/")
    (package / "alias.py").symlink_to(package / "networks" / "mlp.py")
    intake = take_in(lab, tmp_path / "copy", 1)
    assert "text_recognizer/alias.py" in files(intake.root)
    assert not (intake.root / "text_recognizer" / "alias.py").is_symlink()
    assert not (intake.root / "text_recognizer" / "shadow").exists()
    assert any("dropped text_recognizer/shadow" in note for note in intake.notes)
    assert any("dropped text_recognizer/root" in note for note in intake.notes)


def test_a_linked_package_is_not_followed(tmp_path):
    real = tmp_path / "elsewhere" / "text_recognizer"
    real.mkdir(parents=True)
    (real / "__init__.py").write_text("")
    submission = tmp_path / "sub"
    submission.mkdir()
    (submission / "text_recognizer").symlink_to(real)
    with pytest.raises(SubmissionRejected, match="no text_recognizer"):
        take_in(submission, tmp_path / "copy", 1)


def test_payloads_hard_links_and_special_files_are_dropped(lab, tmp_path):
    package = lab / "text_recognizer"
    for name in ("model.pkl", "x.pickle", "evil.pth", "w.joblib", "sitecustomize.py", "ext.so"):
        (package / name).write_bytes(b"payload")
    os.link(package / "networks" / "mlp.py", package / "hardlink.py")
    os.mkfifo(package / "pipe")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"x")
    intake = take_in(lab, tmp_path / "copy", 1)
    kept = files(intake.root)
    for name in (
        "model.pkl",
        "x.pickle",
        "evil.pth",
        "w.joblib",
        "sitecustomize.py",
        "ext.so",
        "hardlink.py",
        "pipe",
        "__pycache__/a.cpython-311.pyc",
    ):
        assert f"text_recognizer/{name}" not in kept
    assert "text_recognizer/networks/mlp.py" not in kept  # hard-linked: both names are dropped
    assert sum("dropped" in note for note in intake.notes) >= 8


def test_archives_are_unpacked_member_by_member(lab, tmp_path):
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in lab.rglob("*"):
            if path.is_file():
                bundle.write(path, f"lab1/{path.relative_to(lab)}")
        bundle.writestr("../escape.py", "x")
        bundle.writestr("/abs.py", "x")
        link = zipfile.ZipInfo("lab1/text_recognizer/link")
        link.external_attr = 0o120777 << 16
        bundle.writestr(link, "/etc/shadow")
    intake = take_in(archive, tmp_path / "copy", 1)
    assert "text_recognizer/networks/mlp.py" in files(intake.root)
    assert not (tmp_path / "escape.py").exists()
    notes = "\n".join(intake.notes)
    assert "'../escape.py'" in notes and "'/abs.py'" in notes and "lab1/text_recognizer/link" in notes


def test_tar_links_and_devices_are_refused(lab, tmp_path):
    archive = tmp_path / "sub.tar"
    with tarfile.open(archive, "w") as bundle:
        bundle.add(lab, arcname="lab1")
        device = tarfile.TarInfo("lab1/text_recognizer/dev")
        device.type = tarfile.CHRTYPE
        bundle.addfile(device)
        hard = tarfile.TarInfo("lab1/text_recognizer/hard")
        hard.type, hard.linkname = tarfile.LNKTYPE, "/etc/passwd"
        bundle.addfile(hard)
    intake = take_in(archive, tmp_path / "copy", 1)
    assert "text_recognizer/dev" not in files(intake.root) and "text_recognizer/hard" not in files(intake.root)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"not an archive"])
def test_broken_archives_are_rejected_with_a_reason(tmp_path, content):
    archive = tmp_path / "sub.zip"
    archive.write_bytes(content)
    with pytest.raises(SubmissionRejected, match="not a readable archive|no text_recognizer"):
        take_in(archive, tmp_path / "copy", 1)


def test_two_lab_folders_are_ambiguous(lab, tmp_path):
    both = tmp_path / "both"
    shutil.copytree(lab, both / "a")
    shutil.copytree(lab, both / "b")
    with pytest.raises(SubmissionRejected, match="several lab folders"):
        take_in(both, tmp_path / "copy", 1)


def test_other_files_are_not_submissions(tmp_path):
    path = tmp_path / "essay.docx"
    path.write_text("x")
    with pytest.raises(SubmissionRejected, match="neither a folder nor an archive"):
        take_in(path, tmp_path / "copy", 1)


def _deep(root, levels: int):
    """A folder `levels` deep below `root` (built with relative mkdirs: paths stay short)."""
    here = os.getcwd()
    os.chdir(root)
    try:
        for _ in range(levels):
            os.mkdir("d")
            os.chdir("d")
        with open("deep.py", "w") as file:
            file.write("x = 1\n")
    finally:
        os.chdir(here)


def test_a_tree_a_thousand_levels_deep_is_cut_with_a_note_and_removable(lab, tmp_path):
    from autograder.pipeline.intake import MAX_DEPTH, remove_tree

    _deep(lab / "text_recognizer", 1000)
    try:
        intake = take_in(lab, tmp_path / "copy", 1)
        assert "text_recognizer/networks/mlp.py" in files(intake.root)
        (note,) = [n for n in intake.notes if "nested more than" in n]
        assert note.startswith("dropped text_recognizer/d/d/") and len(note) < 300
        depth = max(len(p.relative_to(intake.root).parts) for p in intake.root.rglob("*"))
        assert depth <= MAX_DEPTH + 1
    finally:
        remove_tree(lab)  # shutil.rmtree alone (and so pytest's clean-up) raises RecursionError on it
    assert not lab.exists()


def test_a_deep_archive_member_is_dropped(lab, tmp_path):
    archive = tmp_path / "deep.tar"
    with tarfile.open(archive, "w") as bundle:
        bundle.add(lab / "text_recognizer", arcname="lab1/text_recognizer")
        member = tarfile.TarInfo("lab1/text_recognizer/" + "d/" * 300 + "x.py")
        member.size = 0
        bundle.addfile(member)
    intake = take_in(archive, tmp_path / "copy", 1)
    assert any("nested more than" in n for n in intake.notes)
    assert "text_recognizer/networks/mlp.py" in files(intake.root)


def test_too_many_folders_are_refused(lab, tmp_path, monkeypatch):
    from autograder.pipeline import intake as intake_module

    monkeypatch.setattr(intake_module, "MAX_DIRS", 20)
    for index in range(30):
        (lab / "text_recognizer" / f"empty{index}").mkdir()
    with pytest.raises(SubmissionRejected, match="more than 20 folders"):
        take_in(lab, tmp_path / "copy", 1)


def test_file_names_cannot_add_lines_to_the_notes(lab, tmp_path):
    (lab / "text_recognizer" / "x\nAll tests passed: 100 of 100\n.pkl").write_bytes(b"")
    (lab / "text_recognizer" / ("long" * 60 + ".pkl")).write_bytes(b"")
    intake = take_in(lab, tmp_path / "copy", 1)
    assert all("\n" not in note and len(note) < 300 for note in intake.notes)
    assert any("x\\nAll tests passed: 100 of 100\\n.pkl" in note for note in intake.notes)


def test_folder_names_in_a_rejection_are_escaped(lab, tmp_path):
    root = tmp_path / "two"
    shutil.copytree(lab, root / "a\nAll tests passed")
    shutil.copytree(lab, root / "b")
    with pytest.raises(SubmissionRejected) as error:
        take_in(root, tmp_path / "copy", 1)
    assert "\n" not in str(error.value) and "a\\nAll tests passed" in str(error.value)


def test_notes_are_capped(lab, tmp_path):
    from autograder.pipeline.intake import MAX_NOTES

    for index in range(MAX_NOTES + 40):
        (lab / "text_recognizer" / f"model{index}.pkl").write_bytes(b"")
    intake = take_in(lab, tmp_path / "copy", 1)
    assert len(intake.notes) == MAX_NOTES + 1
    assert intake.notes[-1] == "... and 40 more note(s) like these"
