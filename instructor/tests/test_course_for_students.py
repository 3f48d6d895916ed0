"""What the committed course promises every student, read from the real files (fast: no build).

- every autograded test cell says what it expected when it fails, and prints a line when it passes;
- a later lab never hands out an earlier lab's written answers;
- every lab README says how to hand in and where the score, feedback and leaderboard are.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from instructor.layout import LABS
from instructor.markers import significant_lines
from instructor.notebooks import feedback_problems, is_written_answer, written_answer_lines

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "solutions" / "notebooks").glob("lab*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_test_cell_says_what_it_expected_and_prints_when_it_passes(path: Path) -> None:
    problems = feedback_problems(nbformat.read(path, as_version=4), path.name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_later_labs_carry_no_written_answer_of_this_notebook(path: Path) -> None:
    source = nbformat.read(path, as_version=4)
    own_lab = int(path.stem.removeprefix("lab"))
    answers = set(significant_lines(written_answer_lines(source)))
    assert answers, f"{path.name} has no written answer to look for"
    for lab in LABS[own_lab:]:
        shipped = nbformat.read(ROOT / f"lab{lab}" / "notebooks" / path.name, as_version=4)
        cells = [cell for cell in shipped.cells if is_written_answer(cell)]
        assert len(cells) == sum(is_written_answer(cell) for cell in source.cells), (
            f"lab{lab}/notebooks/{path.name} lost or gained written-answer cells; run `make labs`"
        )
        leaked = sorted(answers & {line.strip() for cell in cells for line in cell.source.split("\n")})
        assert not leaked, f"lab{lab}/notebooks/{path.name} carries written answers: {leaked[:2]}"


@pytest.mark.parametrize("lab", LABS)
def test_every_lab_readme_says_how_to_hand_in_and_where_results_are(lab: int) -> None:
    readme = (ROOT / f"lab{lab}" / "README.md").read_text(encoding="utf-8")
    for text in ("## Hand in", "**Assignments** panel", f"nbgrader submit lab{lab}",
                 f"zip -r lab{lab}-submission.zip lab{lab}", "## Score, feedback and leaderboard",
                 "Fetch Feedback", "**Leaderboard**"):
        assert text in readme, f"lab{lab}/README.md does not say `{text}`; run `make labs`"


def test_lab6_readme_serves_with_gunicorn_and_docker_away_from_the_hubs_port() -> None:
    readme = (ROOT / "lab6" / "README.md").read_text(encoding="utf-8")
    for text in ("gunicorn -c text_recognizer/api/gunicorn.conf.py", "GUNICORN_BIND=",
                 "docker build -f text_recognizer/api/Dockerfile", "docker run --rm -p 127.0.0.1:$PORT:8000"):
        assert text in readme, f"lab6/README.md does not say `{text}`"
