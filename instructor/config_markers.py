"""Exercises in the course's configuration files: YAML (CI, serverless.yml) and Dockerfiles.

The markers are the modules' own (solutions/AUTHORING.md), written as `#` comment lines, which
YAML and Dockerfiles both read as comments:

    jobs:
      # Lint the code, the Dockerfile and this file (the contract, as a docstring would say it).
      lint:
        ### BEGIN SOLUTION lab6
        executor: python
        ...
        ### END SOLUTION

The comment block right above `### BEGIN SOLUTION labK` (or above the key whose value the region
is) is the exercise's docstring: it stays in every lab, and its first sentence is the summary the
README and the stub show. In lab K the region
becomes one comment line at the marker's indentation,

    # Lab K exercise: implement jobs.lint: <summary> See notebooks/labK.ipynb, section "<title>".

so the file lacks the part (`lint:` is then null): the checks that read the file (CircleCI's
schema, hadolint, `osls package`) or the tests fail until the student writes it. The name is
the YAML key the region is the value of, or the Dockerfile stage the region defines; a line
`Notebook: "<heading>"` in the contract names the notebook section, as in a docstring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import yaml

from instructor.errors import CourseError
from instructor.layout import SOLUTIONS_DIR
from instructor.markers import NOTEBOOK_SECTION, Exercise, ParsedModule, parse_regions

YAML_SUFFIXES = (".yml", ".yaml")
_YAML_KEY = re.compile(r"^(?P<indent>[ ]*)(?:- )?(?P<key>[A-Za-z0-9_.-]+):(?:[ ]|$)")
_STAGE = re.compile(r"^\s*FROM\s+\S+\s+AS\s+(?P<name>\S+)", re.IGNORECASE)


def is_config_file(path: str) -> bool:
    """Whether course file `path` is a configuration file that may hold exercises."""
    name = PurePosixPath(path).name
    return name == "Dockerfile" or name.endswith(YAML_SUFFIXES)


@dataclass(frozen=True)
class ConfigExercise(Exercise):
    """A part of a configuration file that students write; its stub is a comment."""

    def stub_line(self) -> str:
        """The comment line that replaces the region (indentation included)."""
        return f"{self.region.indent}# {self.stub_message()}"


def parse_config(path: str, text: str) -> ParsedModule:
    """Parse configuration file `path` (relative to solutions/) and check its markers.

    Raises CourseError listing every problem as `solutions/<path>:<line>: ...; <what to do>`.
    """
    where = f"{SOLUTIONS_DIR}/{path}"
    lines = tuple(text.replace("\r\n", "\n").split("\n"))
    regions, problems = parse_regions(where, lines)
    exercises = []
    for region in sorted(regions, key=lambda r: r.begin):
        at = f"{where}:{region.begin + 1}"
        body = [ln for ln in lines[region.begin + 1 : region.end] if ln.strip() and not ln.strip().startswith("#")]
        if not body:
            problems.append(f"{at}: the solution region holds nothing; put the reference solution in it.")
            continue
        contract = _comment_above(lines, region.begin)
        summary = _first_sentence(contract)
        if not summary:
            problems.append(
                f"{at}: a configuration exercise needs its contract as a comment block right above "
                f"`### BEGIN SOLUTION lab{region.lab}` (its first sentence is the summary students see); write it."
            )
            continue
        section = NOTEBOOK_SECTION.search(contract)
        exercises.append(ConfigExercise(path=path, lab=region.lab, qualname=_name(path, lines, region.begin),
                                        summary=summary, line=region.begin + 1, region=region,
                                        section=section.group("title").strip() if section else ""))
    if problems:
        raise CourseError(problems)
    return ParsedModule(path=path, lines=lines, regions=tuple(sorted(regions, key=lambda r: r.begin)),
                        exercises=tuple(exercises))


def check_rendered_config(path: str, lab: int, text: str) -> None:
    """Raise CourseError when a YAML file rendered for lab `lab` no longer parses."""
    if not path.endswith(YAML_SUFFIXES):
        return
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CourseError(
            f"{SOLUTIONS_DIR}/{path}: the lab{lab} version is not valid YAML ({exc}); put the markers "
            f"around the whole value of one key, indented like that value."
        ) from exc


def _comment_above(lines: tuple[str, ...], begin: int) -> str:
    """The comment block that ends right above line `begin` (or above the `key:` line the marker
    sits under), one line of text per comment line."""
    index = begin - 1
    if index >= 0 and _YAML_KEY.match(lines[index]) and not lines[index].strip().startswith("#"):
        index -= 1  # the region is a key's value: the contract sits above the key
    block = []
    while index >= 0 and lines[index].strip().startswith("#"):
        block.append(lines[index].strip().lstrip("#").strip())
        index -= 1
    block.reverse()
    return "\n".join(block)


def _first_sentence(contract: str) -> str:
    text = " ".join(line.strip() for line in contract.splitlines() if line.strip())
    first, dot, _rest = text.partition(". ")
    return first + "." if dot else text


def _name(path: str, lines: tuple[str, ...], begin: int) -> str:
    """What the region is: the Dockerfile stage it defines, or the YAML key it is the value of."""
    if not path.endswith(YAML_SUFFIXES):
        for line in lines[begin + 1 :]:
            if match := _STAGE.match(line):
                return f"{match.group('name')} stage"
        return PurePosixPath(path).name
    keys: list[str] = []
    depth = len(lines[begin]) - len(lines[begin].lstrip(" "))
    for line in reversed(lines[:begin]):
        match = _YAML_KEY.match(line)
        if match and len(match.group("indent")) < depth:
            keys.append(match.group("key"))
            depth = len(match.group("indent"))
    return ".".join(reversed(keys)) or PurePosixPath(path).name
