"""autograder/README.md cites only files that exist (a renamed or deleted file shows up here)."""

from __future__ import annotations

import re

from autograder.paths import REPO_ROOT

README = REPO_ROOT / "autograder" / "README.md"
#: A backticked file path (`suites/lab1/test_mlp.py`, `suite_run.py`) or repository folder (`suites/lab5/`).
FILE = re.compile(r"`((?:[\w.-]+/)*[\w.-]+\.(?:py|json|md|toml|yml|yaml|ipynb|js|html))`")
FOLDER = re.compile(r"`((?:suites|sandbox|pipeline|records|tests|solutions|hub|setup|autograder)/(?:[\w.-]+/)*)`")
#: Made at run time (state, results, the nbgrader build) or by a grading, not part of the repository.
MADE_LATER = ("autograder/state/", "state/", "build/", "results/", "results.json", "grading_report.json",
              "submission_metadata.json")
#: Where the README's paths are relative to: the repository, the autograder, a lab (= solutions/).
ROOTS = (REPO_ROOT, REPO_ROOT / "autograder", REPO_ROOT / "solutions")


def cited_paths(text: str) -> list[str]:
    """Repository paths quoted in `text`, placeholders (`labN`, `<state>`) and run-time files left out."""
    found = set(FILE.findall(text)) | set(FOLDER.findall(text))
    return sorted(path for path in found
                  if not path.startswith(MADE_LATER) and not re.search(r"lab(N|<N>)\b", path))


def test_every_path_the_readme_cites_exists():
    paths = cited_paths(README.read_text(encoding="utf-8"))
    assert len(paths) > 20, f"expected the README's many citations, found {paths}"
    missing = [path for path in paths if not any((root / path).exists() for root in ROOTS)]
    assert not missing, f"autograder/README.md cites files that do not exist: {missing}"
