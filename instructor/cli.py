"""Command line of the instructor tools: `python -m instructor build|check|diff|release`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from instructor.errors import CourseError
from instructor.layout import LAB_COUNT, LABS, SOLUTIONS_DIR, default_root, lab_dir_name

app = typer.Typer(
    help=(
        f"Generate, check, diff and release the course's labs. {SOLUTIONS_DIR}/ is the one "
        f"source; lab1..lab{LAB_COUNT} are generated from it. See {SOLUTIONS_DIR}/AUTHORING.md."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Root = Annotated[
    Path,
    typer.Option(
        "--root",
        help="Course repository holding solutions/ and the lab folders.",
        file_okay=False,
        resolve_path=True,
    ),
]
LabNumber = Annotated[
    int, typer.Argument(min=1, max=LAB_COUNT, help=f"Lab number, 1 to {LAB_COUNT}.")
]
T = TypeVar("T")
DEFAULT_ROOT = default_root()


def _run(action: Callable[[], T]) -> T:
    """Run a command body; report a CourseError as readable lines and exit 1 (no traceback)."""
    try:
        return action()
    except CourseError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1) from None


@app.command()
def build(
    lab: Annotated[
        list[int] | None,
        typer.Option(
            "--lab",
            min=1,
            max=LAB_COUNT,
            help="Lab to build (repeatable); default: all.",
        ),
    ] = None,
    root: Root = DEFAULT_ROOT,
) -> None:
    """Regenerate lab folders from solutions/ (keeps data/, runs/ and other work folders)."""
    from instructor.generate import build as build_labs

    labs = sorted(set(lab)) if lab else list(LABS)
    start = time.perf_counter()
    rendered = _run(lambda: build_labs(root, labs))
    for number, files in rendered.items():
        typer.echo(f"{lab_dir_name(number)}: {len(files)} files")
    names = ", ".join(lab_dir_name(n) for n in labs)
    typer.echo(
        f"Built {names} from {SOLUTIONS_DIR}/ in {time.perf_counter() - start:.1f} s."
    )


@app.command()
def check(root: Root = DEFAULT_ROOT) -> None:
    """Fail (naming each file) when a committed lab differs from a fresh build or leaks a solution."""
    from instructor.check import run_check

    start = time.perf_counter()
    result = _run(lambda: run_check(root))
    if not result.ok:
        for problem in result.problems:
            typer.echo(problem)
        typer.echo(
            f"check failed: {len(result.problems)} problem(s) in lab1..lab{LAB_COUNT}; "
            f"fix {SOLUTIONS_DIR}/ if needed, then run `make labs`.",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(
        f"OK: lab1..lab{LAB_COUNT} match {SOLUTIONS_DIR}/ ({result.files} files, "
        f"{result.exercises} exercises); no markers, stubs or hidden tests leaked "
        f"({time.perf_counter() - start:.1f} s)."
    )


@app.command()
def diff(lab: LabNumber, root: Root = DEFAULT_ROOT) -> None:
    """Show lab N's exercises: a unified diff of lab N against its solved form."""
    from instructor.labdiff import lab_diff

    text = _run(lambda: lab_diff(root, lab))
    if text:
        typer.echo(text, nl=False)
    else:
        typer.echo(
            f"{lab_dir_name(lab)} has no exercises of its own: it equals its solved form."
        )


@app.command()
def release(
    lab: LabNumber,
    to: Annotated[
        Path,
        typer.Option("--to", help="Folder to write the bundle into (new or empty)."),
    ],
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace the contents of a non-empty --to folder."
        ),
    ] = False,
    root: Root = DEFAULT_ROOT,
) -> None:
    """Write a student bundle for lab N (the lab, setup/ and a README) and verify it leaks nothing."""
    from instructor.release import make_release

    result = _run(lambda: make_release(root, lab, to, force=force))
    typer.echo(
        f"Released {lab_dir_name(lab)} to {result.path} ({result.files} files); verified: no "
        f"solutions, hidden tests or instructor files."
    )


def main() -> None:
    """Run the CLI (entry point of `python -m instructor`)."""
    app(prog_name=f"{Path(sys.executable).name} -m instructor")
