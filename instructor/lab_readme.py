"""The README.md generated at the top of every lab: how to start, and what to implement."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from nbformat import NotebookNode

from instructor.layout import lab_notebook
from instructor.markers import Exercise

#: deployed weights' configs carry the report of the run that trained them
WEIGHTS_CONFIG = re.compile(r"^text_recognizer/weights/[^/]+\.json$")
#: the test metric a report's figure is, and how to say it
FIGURES = (("accuracy", "test accuracy"), ("character_error_rate", "test character error rate (CER)"))


def notebook_text(notebook: NotebookNode) -> str:
    """All the text of a notebook's cells, in order (to find where exercises are introduced)."""
    return "\n".join(str(cell.get("source", "")) for cell in notebook.cells)


def reference_reports(read: Callable[[str], bytes], new_files: list[str]) -> dict[str, dict]:
    """Deployed model name -> the report saved with its weights, for the lab's new weights."""
    reports = {}
    for path in new_files:
        if WEIGHTS_CONFIG.match(path):
            report = json.loads(read(path)).get("report")
            if isinstance(report, dict) and isinstance(report.get("test"), dict):
                reports[path.rsplit("/", 1)[1].removesuffix(".json")] = report
    return reports


def notebook_order(exercises: list[Exercise], text: str) -> list[Exercise]:
    """Exercises in the order the notebook first names them (the rest after, by file and line)."""

    def position(exercise: Exercise) -> tuple[int, str, int]:
        name = exercise.qualname.rsplit(".", 1)[-1]
        found = [m.start() for m in re.finditer(rf"\b{re.escape(name)}\b", text)]
        return (found[0] if found else len(text) + 1, exercise.path, exercise.line)

    return sorted(exercises, key=position)


def hand_in_section(lab: int, leaderboard: str | None, first_number: int | None = None) -> list[str]:
    """README lines on how to submit lab `lab` and where its score, feedback and leaderboard are.

    `leaderboard` is what the lab's leaderboard ranks (None: the lab has none); `first_number`
    numbers the two headings (for a README whose sections are numbered).
    """
    name = f"lab{lab}"
    hand_in, results = "## Hand in", "## Score, feedback and leaderboard"
    if first_number is not None:
        hand_in = f"## {first_number}. Hand in"
        results = f"## {first_number + 1}. Score, feedback and leaderboard"
    board = (
        [f"- **Leaderboard**: it ranks {leaderboard}. On the hub it is the page `/services/grader/lab/{lab}`",
         "  (the hub's address followed by that path; the grader's page `/services/grader/` links it too);",
         "  on Gradescope it is the assignment's **Leaderboard**. Your best submission counts; the",
         "  course's reference model earns no entry."]
        if leaderboard
        else [f"- **Leaderboard**: lab {lab} has none (it ranks no model of its own)."]
    )
    return [
        hand_in,
        "",
        "Save the notebook (your written answers are in it) and check that `python -m pytest` passes.",
        "Then hand in the lab folder in one of two ways (your instructor says which):",
        "",
        f"- **On the course hub** (JupyterHub): open JupyterLab's **Assignments** panel, find `{name}`",
        "  under the downloaded assignments and press **Submit**; or, in a terminal, from your home",
        f"  folder: `nbgrader submit {name}`. You may submit again; every submission is graded.",
        "- **On Gradescope**: zip the lab folder without your caches and runs, and upload",
        f"  `{name}-submission.zip` to the course's Lab {lab} assignment. From the folder above `{name}/`:",
        "",
        "  ```bash",
        f"  zip -r {name}-submission.zip {name} -x '{name}/runs/*' '{name}/data/*' '*/__pycache__/*' "
        "'*/.ipynb_checkpoints/*'",
        "  ```",
        "",
        results,
        "",
        "- **Score and feedback**: on the hub, a few minutes after submitting, press **Fetch Feedback**",
        f"  in the Assignments panel (`nbgrader fetch_feedback {name}` in a terminal): the feedback",
        "  page, in the assignment folder's `feedback/`, has your score and every test's message; the grader's page",
        "  `/services/grader/` on the hub lists your submissions. On Gradescope the score and the",
        "  messages appear on the submission's page.",
        *board,
        "- **Written answers** are graded by the course staff; their points are added later.",
    ]


def render_readme(
    lab: int,
    *,
    title: str | None,
    exercises: list[Exercise],
    later_exercises: list[Exercise],
    has_notebook: bool,
    notebook_text: str = "",
    new_files: list[str] | None = None,
    reference_reports: dict[str, dict] | None = None,
    trained: list[str] | None = None,
    leaderboard: str | None = None,
    extra: str | None = None,
) -> str:
    """Markdown for lab `lab`'s README.md (students read it first).

    `leaderboard` is what the lab's leaderboard ranks (None: it has none); `extra` is the lab's
    own Markdown (the manifest's `readme`), placed after the exercises.
    """
    notebook = lab_notebook(lab)
    heading = f"# Lab {lab}: {title}" if title else f"# Lab {lab}"
    if not has_notebook and not exercises and not new_files:
        return "\n".join([
            heading,
            "",
            f"Lab {lab} is not released yet. This folder holds the course's code as it stands after the",
            "previous lab, with every earlier exercise solved; its own instructions, notebook and",
            "exercises come when the lab opens.",
            "",
        ])
    lines = [
        heading,
        "",
        f"Welcome to lab {lab}! This folder holds everything you need for this lab: the",
        "`text_recognizer` package as it stands at this point of the course, the lab notebook and the",
        "visible tests. Exercises from earlier labs are already solved here, so you start from a",
        "working base even if you did not finish them.",
        "",
        "## Getting started",
        "",
        "1. Install the course's dependencies once. From the repository root run `make setup`",
        "   (it runs `setup/install.sh`); in a student bundle without a Makefile, run",
        "   `bash setup/install.sh` from the bundle's top folder.",
    ]
    if has_notebook:
        lines += [
            f"2. Open `{notebook}` in JupyterLab (`jupyter lab {notebook}` from this folder) and",
            "   follow it: it explains each exercise, lets you try your code and asks a few",
            "   questions for you to answer in the notebook itself.",
        ]
    else:
        lines += [
            "2. Read the exercises below and open the files they name in your editor."
        ]
    lines += [
        "3. Run the visible tests from this folder:",
        "",
        "   ```bash",
        "   python -m pytest",
        "   ```",
        "",
        "   They check the basics; the autograder runs further tests when you submit.",
        "",
        "## Your exercises",
        "",
    ]
    if exercises:
        lines += [
            "Each function below raises `NotImplementedError` until you write its body. Keep the",
            "signature and the docstring, replace the `raise` line with your code.",
            *([
                "In a configuration file (YAML, Dockerfile) the part you write is a comment",
                f"`# Lab {lab} exercise: ...` instead: replace that line with the part, and keep the comment",
                "above it, which says what the part must do.",
            ] if any(not e.path.endswith(".py") for e in exercises) else []),
            "",
            "| File | Function | What it should do |",
            "| --- | --- | --- |",
        ]
        for exercise in notebook_order(exercises, notebook_text):
            summary = exercise.summary.replace("|", "\\|") or "See the notebook."
            lines.append(f"| `{exercise.path}` | `{exercise.qualname}` | {summary} |")
    else:
        where = f"`{notebook}`" if has_notebook else "the lab's instructions"
        lines.append(
            f"This lab has no functions to fill in: all the work is in {where}."
        )
    if later_exercises:
        lines += [
            "",
            "A few other functions raise `NotImplementedError` because they belong to a later lab",
            "(their message says which one). Leave them as they are for now.",
        ]
    if extra:
        lines += ["", extra]
    # The package and the configs; tests and notebooks have their own sections above.
    shown = [path for path in new_files or []
             if path.startswith(("text_recognizer/", "experiments/")) and not path.endswith(".h5")]
    if shown:
        lines += ["", "## New in this lab", ""]
        lines += [f"- `{path}`" for path in shown]
    if trained:
        lines += [
            "",
            "## The model you train",
            "",
            "This lab ships without the deployed weights of the model its exercise trains:",
            "",
            *[f"- `{path}`" for path in trained],
            "",
            "The notebook trains your model and deploys it there (`run_experiment ... --deploy`); the",
            "predictor's tests and the autograder's leaderboard use what you deployed. The course's",
            "reference weights earn no leaderboard entry.",
        ]
    if reference_reports:
        lines += [
            "",
            "## Figures to expect",
            "",
            "What the course's reference runs reached (trained with the lab's full experiment configs;",
            "their deployed weights are in `text_recognizer/weights/` from the next lab on, or from",
            "this one when it does not train them). Shorter runs, as in the notebook, land lower.",
            "",
        ]
        for name, report in sorted(reference_reports.items()):
            test = report["test"]
            figures = [f"{label} {float(test[key]):.3f}" for key, label in FIGURES if key in test]
            if figures:
                source = report.get("data_source", "")
                lines.append(f"- `{name}`: {', '.join(figures)}" + (f" on {source}" if source else ""))
    lines += ["", *hand_in_section(lab, leaderboard)]
    lines += [
        "",
        "## Good to know",
        "",
        "- Datasets are downloaded once into the shared `data/` folder at the top of the course,",
        "  next to `setup/` (or where `TEXT_RECOGNIZER_DATA_DIR` points), so every lab reuses them.",
        "- Stuck on a test? Run just that test with `python -m pytest -k <name> -x` and read its",
        "  message: it says what was expected.",
        "",
    ]
    return "\n".join(lines)
