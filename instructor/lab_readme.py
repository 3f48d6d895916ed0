"""The README.md generated at the top of every lab: how to start, and what to implement."""

from __future__ import annotations

from instructor.layout import lab_notebook
from instructor.markers import Exercise


def render_readme(
    lab: int,
    *,
    title: str | None,
    exercises: list[Exercise],
    later_exercises: list[Exercise],
    has_notebook: bool,
) -> str:
    """Markdown for lab `lab`'s README.md (students read it first)."""
    notebook = lab_notebook(lab)
    heading = f"# Lab {lab}: {title}" if title else f"# Lab {lab}"
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
            "",
            "| File | Function | What it should do |",
            "| --- | --- | --- |",
        ]
        for exercise in sorted(exercises, key=lambda e: (e.path, e.line)):
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
