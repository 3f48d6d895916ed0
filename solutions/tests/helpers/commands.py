"""Run a typer command function as its `python -m` command line would, for the tests.

    result = run_command(emnist.main, "--download")
    assert result.exit_code == 1 and "offline substitute" in result.output

`result.output` holds what the command printed, and the message of a `SystemExit("...")`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from click.testing import Result
from typer.testing import CliRunner


def run_command(command: Callable[..., Any], *args: object) -> Result:
    """Call `command` (a typer `main`) on the command-line arguments `args`; its exit code and output."""
    app = typer.Typer()
    app.command()(command)
    return CliRunner().invoke(app, [str(arg) for arg in args])
