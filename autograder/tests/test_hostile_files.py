"""Hostile submissions, part 3: links out of the submission, pickles and .pth payloads, objects
that claim to equal anything, unsafe archives."""

from __future__ import annotations

import os
import pickle
import tarfile
import zipfile
from pathlib import Path

import pytest

from autograder.suites.lab1 import hidden_set
from autograder.tests.hostile import MLP_SIGNATURE, PREDICT_SIGNATURE, append, inside_function

# The hostile-submission corpus: each test grades a whole submission in the sandbox (`make test-long`).
pytestmark = [pytest.mark.usefixtures("sandbox_ok"), pytest.mark.long]
EXERCISES = ("MLP:", "predict_on_image:")


def test_symlinks_out_of_the_submission_are_dropped(make_submission, grade_submission, state_dir):
    submission = make_submission(
        patches={
            "text_recognizer/__init__.py": append("""
        import os
        for _name in ("secret.txt", "hidden.npz", "state/secret_seed", "everything/etc/hostname",
                      "inside.py"):
            _path = os.path.join(os.path.dirname(__file__), _name)
            try:
                open(_path, "rb").read(1)
                print("READ", _name)
            except OSError:
                print("BLOCKED", _name)
        """)
        }
    )
    package = submission / "text_recognizer"
    (package / "secret.txt").symlink_to("/etc/shadow")
    (package / "hidden.npz").symlink_to(hidden_set.hidden_set_path(state_dir))
    (package / "state").symlink_to(state_dir)
    (package / "everything").symlink_to("/")
    (package / "inside.py").symlink_to(package / "networks" / "mlp.py")  # inside: kept as a copy
    graded = grade_submission(submission, student="symlinks")
    output = graded.results["output"]
    for name in ("secret.txt", "hidden.npz", "state", "everything"):
        assert f"dropped text_recognizer/{name}" in output
        assert f"BLOCKED {name}" in graded.stdout
    assert "READ inside.py" in graded.stdout
    assert graded.group_score("MLP:") == (40, 40)


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickles_and_pth_payloads_never_run(make_submission, grade_submission, tmp_path):
    marker = tmp_path / "PWNED"
    submission = make_submission(
        patches={
            "text_recognizer/__init__.py": append("""
        import os, pickle
        _weights = os.path.join(os.path.dirname(__file__), "weights")
        for _name in os.listdir(_weights):
            if _name.endswith(".pkl"):
                pickle.load(open(os.path.join(_weights, _name), "rb"))
                print("UNPICKLED", _name)
        """)
        }
    )
    (submission / "text_recognizer" / "weights" / "model.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    (submission / "text_recognizer" / "evil.pth").write_text(f"import os; os.system('touch {marker}')\n")
    (submission / "text_recognizer" / "sitecustomize.py").write_text(f"import os; os.system('touch {marker}')\n")
    (submission / "text_recognizer" / "networks" / "__pycache__").mkdir(exist_ok=True)
    (submission / "text_recognizer" / "networks" / "__pycache__" / "mlp.cpython-311.pyc").write_bytes(b"junk")
    graded = grade_submission(submission, student="pickles")
    output = graded.results["output"]
    for name in ("weights/model.pkl", "evil.pth", "sitecustomize.py"):
        assert f"dropped text_recognizer/{name}" in output
    assert "UNPICKLED" not in graded.stdout
    assert not marker.exists()
    assert graded.group_score("MLP:") == (40, 40)


ALWAYS_EQUAL = """
class _Yes:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = object.__hash__
    def __getattr__(self, name):
        return _Yes()
    def __call__(self, *args, **kwargs):
        return _Yes()
    def __iter__(self):
        return iter([_Yes(), _Yes()])
    def __len__(self):
        return 2

class _YesStr(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__

class _YesFloat(float):
    def __eq__(self, other):
        return True
    def __sub__(self, other):
        return 0.0
    def __rsub__(self, other):
        return 0.0
    def __abs__(self):
        return 0.0
    def __float__(self):
        return 0.25
    __hash__ = float.__hash__
"""


def test_objects_that_equal_everything_score_nothing(make_submission, grade_submission):
    submission = make_submission(
        "stub",
        patches={
            "text_recognizer/networks/mlp.py": lambda old: (
                inside_function(MLP_SIGNATURE, "return _Yes()\n")(old) + ALWAYS_EQUAL
            ),
            "text_recognizer/models/character_model.py": lambda old: (
                inside_function(PREDICT_SIGNATURE, "return _YesStr('?'), _YesFloat(0.5)\n")(old) + ALWAYS_EQUAL
            ),
        },
    )
    graded = grade_submission(submission, student="always-equal")
    points = sum(t["score"] for t in graded.results["tests"] if t["name"].startswith(EXERCISES))
    assert points == 0
    assert graded.results["score"] == 0
    assert "got '?'" in graded.test("predict_on_image: returns the most")["output"]


def test_archive_with_escaping_paths_and_links_is_refused_member_by_member(grade_submission, lab1_sources, tmp_path):
    archive = tmp_path / "evil.tar.gz"
    outside = tmp_path / "outside-marker"
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(lab1_sources["stub"] / "text_recognizer", arcname="lab1/text_recognizer")
        escape = tarfile.TarInfo("../outside-marker")
        escape.size = 0
        bundle.addfile(escape)
        link = tarfile.TarInfo("lab1/text_recognizer/shadow")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        bundle.addfile(link)
    graded = grade_submission(archive, student="evil-archive")
    assert not outside.exists()
    assert "refused archive member '../outside-marker'" in graded.results["output"]
    assert "dropped lab1/text_recognizer/shadow" in graded.results["output"]
    assert graded.results["score"] == 0


@pytest.mark.parametrize("lying_header", [False, True])
def test_zip_bomb_is_cut_off(grade_submission, tmp_path, monkeypatch, lying_header):
    from autograder.pipeline import intake

    monkeypatch.setattr(intake, "MAX_TOTAL_BYTES", 4 * 2**20)  # the cap, scaled down for speed
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("lab1/text_recognizer/__init__.py", "")
        bundle.writestr("lab1/text_recognizer/huge.bin", b"\0" * (64 * 2**20))
    if lying_header:  # the central directory claims 1 KiB; only the streaming budget can tell
        data = bytearray(archive.read_bytes())
        record = data.rindex(b"PK\x01\x02")
        data[record + 24 : record + 28] = (1024).to_bytes(4, "little")
        archive.write_bytes(bytes(data))
    graded = grade_submission(archive, student="zip-bomb")
    assert graded.outcome.status == "rejected"
    assert "not a readable archive" in graded.results["output"] or "unpacks to more than" in graded.results["output"]
