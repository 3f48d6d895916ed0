"""Load and validate `solutions/manifest.toml`: which course file enters at which lab.

Format (see solutions/AUTHORING.md)::

    [lab1]
    title = "Character recognition"   # optional: shown in the lab's README heading
    files = ["text_recognizer/__init__.py", "text_recognizer/data/**", ...]
    trained = ["text_recognizer/weights/character_model_mlp.*"]   # optional, see below
    leaderboard = "the deployed model's accuracy on the hidden set"   # optional: what it ranks
    readme = "## Serving ..."   # optional: Markdown added to the lab's README

`trained` lists files of the lab's own `files` that its students produce themselves (the
reference weights of the model the lab's exercise trains): lab N ships without them, its
notebook trains and deploys them, and labs after N ship the reference files as usual.
`leaderboard` says what the lab's leaderboard ranks (the README tells students where to find
it; a lab without the key has none). `readme` is lab-specific Markdown that the lab's README
carries after its exercises (commands the lab teaches, for example).

Globs follow pathlib: `*` and `?` stay within one path segment, `**` as a whole segment matches
any number of segments (so `data/**` is every file below `data/`). Every course file (every
file under solutions/ except the instructor-only files and work folders) must match the globs
of exactly one lab; a glob that matches nothing is an error too, so a typo cannot silently drop
a file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from instructor.errors import CourseError
from instructor.layout import (
    INSTRUCTOR_ONLY_FILES,
    LAB_COUNT,
    LAB_README,
    LABS,
    MANIFEST_NAME,
    SOLUTIONS_DIR,
    list_files,
)

_LAB_TABLE = re.compile(r"^lab(\d+)$")
_LAB_KEYS = frozenset({"files", "title", "trained", "leaderboard", "readme"})


@dataclass(frozen=True)
class Manifest:
    """The validated manifest: for each course file, the lab that introduces it."""

    #: course file (POSIX path relative to solutions/) -> lab that introduces it
    intro_lab: dict[str, int]
    #: optional lab titles from the manifest, by lab number
    titles: dict[int, str]
    #: course files that their own lab's students train (left out of that lab only)
    trained: frozenset[str] = frozenset()
    #: what each lab's leaderboard ranks, for labs that have one
    leaderboards: dict[int, str] = field(default_factory=dict)
    #: lab-specific Markdown for the lab's README, by lab number
    readmes: dict[int, str] = field(default_factory=dict)

    def files_of_lab(self, lab: int, *, with_trained: bool = False) -> list[str]:
        """Sorted course files present in lab `lab` (cumulative: introduced in labs 1..lab).

        The lab's own `trained` files are left out (its students make them), unless `with_trained`
        (the solved form of the lab).
        """
        return sorted(path for path, intro in self.intro_lab.items()
                      if intro < lab or (intro == lab and (with_trained or path not in self.trained)))


def glob_matches(pattern: str, path: str) -> bool:
    """Whether POSIX `path` matches manifest glob `pattern` (pathlib semantics, `**` = any depth)."""
    return _match_parts(tuple(pattern.split("/")), tuple(path.split("/")))


def _match_parts(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_parts(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _match_parts(rest, parts[1:])


def course_files(solutions: Path) -> list[str]:
    """Every course file under `solutions/`: all files but the instructor-only ones and work folders."""
    return [path for path in list_files(solutions) if path not in INSTRUCTOR_ONLY_FILES]


def load_manifest(solutions: Path) -> Manifest:
    """Read and validate `solutions/manifest.toml`; raise CourseError listing every problem."""
    manifest_path = solutions / MANIFEST_NAME
    where = f"{SOLUTIONS_DIR}/{MANIFEST_NAME}"
    if not manifest_path.is_file():
        raise CourseError(
            f"{where} not found under {solutions.parent}: pass --root pointing at the course "
            f"repository, or create the manifest (see {SOLUTIONS_DIR}/AUTHORING.md)."
        )
    try:
        data = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CourseError(
            f"{where} is not valid TOML ({exc}); fix its syntax."
        ) from exc

    problems: list[str] = []
    globs: dict[int, list[str]] = {lab: [] for lab in LABS}
    titles: dict[int, str] = {}
    leaderboards: dict[int, str] = {}
    readmes: dict[int, str] = {}
    trained_of: dict[int, list[str]] = {}
    for key, table in data.items():
        match = _LAB_TABLE.match(key)
        if not match:
            problems.append(
                f"{where}: unknown table [{key}]; tables are [lab1] ... [lab{LAB_COUNT}]."
            )
            continue
        lab = int(match.group(1))
        if lab not in LABS:
            problems.append(
                f"{where}: [{key}] names lab {lab}, outside 1..{LAB_COUNT}; "
                f"move its files to a lab from 1 to {LAB_COUNT}."
            )
            continue
        if not isinstance(table, dict):
            problems.append(
                f'{where}: {key} must be a table, e.g. [{key}] files = ["..."].'
            )
            continue
        for unknown in sorted(set(table) - _LAB_KEYS):
            problems.append(
                f"{where}: [{key}] has unknown key '{unknown}'; allowed keys: {', '.join(sorted(_LAB_KEYS))}."
            )
        for name, found in (("title", titles), ("leaderboard", leaderboards), ("readme", readmes)):
            value = table.get(name)
            if value is None:
                continue
            if isinstance(value, str) and value.strip():
                found[lab] = value.strip()
            else:
                problems.append(f"{where}: [{key}] {name} must be a non-empty string.")
        trained_globs = table.get("trained", [])
        if not isinstance(trained_globs, list) or not all(isinstance(g, str) for g in trained_globs):
            problems.append(f'{where}: [{key}] trained must be a list of glob strings, e.g. ["weights/x.*"].')
        else:
            trained_of[lab] = trained_globs
        files = table.get("files", [])
        if not isinstance(files, list) or not all(isinstance(g, str) for g in files):
            problems.append(
                f'{where}: [{key}] files must be a list of glob strings, e.g. ["a.py"].'
            )
            continue
        for pattern in files:
            problem = _glob_problem(pattern)
            if problem:
                problems.append(f"{where}: [{key}] glob '{pattern}' {problem}.")
            else:
                globs[lab].append(pattern)

    files = course_files(solutions)
    intro_lab: dict[str, int] = {}
    for lab in LABS:
        for pattern in globs[lab]:
            if not any(glob_matches(pattern, path) for path in files):
                problems.append(
                    f"{where}: [lab{lab}] glob '{pattern}' matches no file under "
                    f"{SOLUTIONS_DIR}/; fix the pattern or remove it."
                )
    for path in files:
        labs = [lab for lab in LABS if any(glob_matches(p, path) for p in globs[lab])]
        if not labs:
            problems.append(
                f"{SOLUTIONS_DIR}/{path} matches no lab in {where}; add it to the lab that "
                f"introduces it (or delete it)."
            )
        elif len(labs) > 1:
            names = ", ".join(f"[lab{lab}]" for lab in labs)
            problems.append(
                f"{SOLUTIONS_DIR}/{path} matches several labs in {where} ({names}); "
                f"narrow the globs so that only the lab introducing it lists it."
            )
        else:
            intro_lab[path] = labs[0]
        if path == LAB_README:
            problems.append(
                f"{SOLUTIONS_DIR}/{LAB_README} would overwrite the README that build generates "
                f"for every lab; move its text elsewhere (e.g. notebooks) and delete it."
            )
    trained: set[str] = set()
    for lab, patterns in trained_of.items():
        for pattern in patterns:
            matched = [path for path, intro in intro_lab.items() if glob_matches(pattern, path)]
            if not matched:
                problems.append(f"{where}: [lab{lab}] trained glob '{pattern}' matches no file of its files.")
            for path in matched:
                if intro_lab[path] != lab:
                    problems.append(f"{where}: [lab{lab}] trained glob '{pattern}' matches {path}, which "
                                    f"lab {intro_lab[path]} introduces; list it under that lab's trained.")
                else:
                    trained.add(path)
    if problems:
        raise CourseError(problems)
    return Manifest(intro_lab=intro_lab, titles=titles, trained=frozenset(trained),
                    leaderboards=leaderboards, readmes=readmes)


def _glob_problem(pattern: str) -> str | None:
    """Why `pattern` is not a usable manifest glob, or None when it is fine."""
    if not pattern.strip():
        return "is empty"
    if pattern.startswith("/") or "\\" in pattern:
        return "must be a relative POSIX path (no leading '/', no backslashes)"
    if any(part in ("", ".", "..") for part in pattern.split("/")):
        return "must not contain empty, '.' or '..' segments"
    return None
