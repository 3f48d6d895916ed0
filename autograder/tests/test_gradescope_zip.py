"""export-gradescope grades its own zip in a Gradescope-like layout before keeping it (issue 23,
section 7): the Lab 6 zip, which imports Lab 3's suite and hidden lines, gives the solution full
marks there; a zip without them is refused and deleted, not written to grade every student zero."""

from __future__ import annotations

import zipfile

import pytest

from autograder import gradescope
from autograder.errors import GraderError


def test_each_suite_names_the_suites_it_imports():
    assert gradescope.suite_dependencies(6) == {3}
    assert gradescope.suite_dependencies(5) == {3}
    assert gradescope.suite_dependencies(1) == set()


@pytest.mark.long
@pytest.mark.usefixtures("sandbox_ok")
def test_the_lab6_zip_gives_the_solution_full_marks_where_gradescope_unzips_it(tmp_path, state_dir):
    path, _ = gradescope.export(6, tmp_path / "lab6.zip", state_dir)
    with zipfile.ZipFile(path) as bundle:
        names = set(bundle.namelist())
    assert {"autograder/suites/lab3/hidden_set.py", "autograder/state/lab3/hidden_lines.npz"} <= names
    assert not any(name.startswith("autograder/suites/lab7/") for name in names)


@pytest.mark.long
@pytest.mark.usefixtures("sandbox_ok")
def test_a_zip_without_the_suite_it_imports_is_refused(tmp_path, state_dir, monkeypatch):
    monkeypatch.setattr(gradescope, "suite_dependencies", lambda lab: set())  # the zip as it was
    target = tmp_path / "lab6.zip"
    with pytest.raises(GraderError, match="does not get full marks"):
        gradescope.export(6, target, state_dir)
    assert not target.exists()
