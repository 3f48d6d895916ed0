"""The CLI runs as `python -m instructor` and explains itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import invoke

REPO = Path(__file__).resolve().parents[2]


def test_python_m_instructor_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "instructor", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for command in ("build", "check", "diff", "release"):
        assert command in result.stdout


def test_missing_solutions_says_what_to_do(tmp_path: Path) -> None:
    result = invoke("check", "--root", tmp_path)
    assert result.exit_code == 1
    assert "no solutions/ folder under" in result.output and "--root" in result.output


def test_build_rejects_lab_outside_range(tmp_path: Path) -> None:
    assert invoke("build", "--lab", "8", "--root", tmp_path).exit_code == 2
