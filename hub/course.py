"""The course on the hub: nbgrader's exchange and course folder, and releasing a lab to students.

Releasing lab N (`python -m hub release N`):

1. `instructor release N` writes the student bundle and verifies that it holds no solution;
2. its lab folder becomes nbgrader's `source/labN/`, with the lab notebook moved to the top as
   `labN.ipynb` (nbgrader's layout) taken from solutions/ (solution and test regions marked);
3. `nbgrader generate_assignment labN` (solutions removed, graded cells recorded in the course's
   gradebook) and `nbgrader release_assignment labN` (into the exchange), both as the instructor.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from autograder.errors import GraderError
from autograder.paths import REPO_ROOT, SOLUTIONS_DIR
from hub.settings import CONFIG_DIR, HubSettings, Roster

#: The hub's nbgrader configuration (exchange, multiple-classes arrangement), for every user.
JUPYTER_CONFIG_DIR = CONFIG_DIR / "jupyter"
#: The students' JupyterLab, before the above: nbgrader's instructor tools switched off.
STUDENT_CONFIG_DIR = CONFIG_DIR / "jupyter-student"


def lab_environment(repo: Path = REPO_ROOT) -> dict[str, str]:
    """What a lab needs on the hub (text_recognizer/paths.py): the course's offline data packages,
    and the data cache in the user's ~/.cache rather than in the lab folder (never submitted)."""
    return {"TEXT_RECOGNIZER_NODE_MODULES": str(repo / "setup" / "node_modules"),
            "TEXT_RECOGNIZER_DATA_DIR": "~/.cache/text-recognizer/data"}


def nbgrader_env(settings: HubSettings, home: Path | None = None) -> dict[str, str]:
    """The environment nbgrader needs to find the hub's configuration (and the course)."""
    env = {"JUPYTER_CONFIG_PATH": str(JUPYTER_CONFIG_DIR), **settings.env(), **lab_environment(),
           "PATH": f"{settings.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin"}
    if home is not None:
        env["HOME"] = str(home)
    return env


def make_exchange(settings: HubSettings) -> Path:
    """nbgrader's exchange root, writable by all (nbgrader sets the course folders' own modes)."""
    settings.exchange.mkdir(parents=True, exist_ok=True)
    settings.exchange.chmod(0o777)
    for parent in settings.exchange.parents:  # every user must reach it
        if parent == Path("/"):
            break
        mode = parent.stat().st_mode & 0o777
        if not mode & 0o001:
            parent.chmod(mode | 0o001)
    return settings.exchange


def run_as(user: str, command: list[str], settings: HubSettings, cwd: Path | None = None,
           timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `command` as OS user `user` (in their home unless `cwd`), with the hub's nbgrader set-up."""
    home = Path(pwd.getpwnam(user).pw_dir)
    env = nbgrader_env(settings, home)
    return subprocess.run(["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()),
                           *command], cwd=cwd or home, capture_output=True, text=True, timeout=timeout,
                          check=False)


def course_dir(settings: HubSettings) -> Path:
    """The instructor's nbgrader course folder (created with its nbgrader_config.py)."""
    roster = Roster.read(settings.roster_path)
    if not roster.instructors:
        raise GraderError("the roster has no instructor: add one with "
                          "`python -m hub add-users --instructor NAME` first")
    instructor = roster.instructors[0]
    home = Path(pwd.getpwnam(instructor).pw_dir)
    folder = settings.course_dir or home / settings.course
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # the source notebooks (solutions, hidden tests) and the gradebook: the instructor's
    (folder / "nbgrader_config.py").write_text(
        "# The course folder of the hub's course (written by `python -m hub release`).\n"
        f"c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = {settings.course!r}\n"
        f"c.CourseDirectory.root = {str(folder)!r}\n"
    )
    subprocess.run(["chown", "-R", f"{instructor}:", str(folder)], check=True)
    return folder


def return_to_instructor(settings: HubSettings, folder: Path, student: str) -> None:
    """What the grading service (root) wrote into the course folder (the gradebook, the student's
    autograded notebooks) belongs to the instructor again, for formgrader to read and write."""
    roster = Roster.read(settings.roster_path)
    if not roster.instructors:
        return
    paths = [folder / "gradebook.db", folder / "autograded", folder / "autograded" / student]
    for path in [p for p in paths if p.exists()] + list((folder / "autograded" / student).rglob("*")):
        shutil.chown(path, roster.instructors[0], roster.instructors[0])


def file_submission(settings: HubSettings, folder: Path, student: str, lab: int) -> Path | None:
    """Copy a graded submission where `nbgrader collect` would put it, `<course>/submitted/<student>/labN/`
    (formgrader counts and lists submissions there), unless a later one of the student is there
    already; owned by the instructor. Returns where it went (None: not copied)."""
    from hub.inbound import hand_in_time

    roster = Roster.read(settings.roster_path)
    gradebook = settings.gradebook()
    if not roster.instructors or gradebook is None or not gradebook.parent.is_dir():
        return None
    target = gradebook.parent / "submitted" / student / f"lab{lab}"
    mine, theirs = hand_in_time(folder) or 0.0, hand_in_time(target) if target.is_dir() else None
    if theirs is not None and theirs > mine:
        return None
    staging = target.with_name(f".lab{lab}.incoming")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(folder, staging, symlinks=True, ignore=shutil.ignore_patterns("submission_secret.txt"))
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    subprocess.run(["chown", "-R", f"{roster.instructors[0]}:", str(gradebook.parent / "submitted" / student)],
                   check=True)
    return target


def release_lab(settings: HubSettings, lab: int) -> Path:
    """Release lab `lab` to the hub's students (module docstring); returns the exchange's copy."""
    from instructor.release import make_release

    roster = Roster.read(settings.roster_path)
    folder = course_dir(settings)
    instructor = roster.instructors[0]
    name = f"lab{lab}"
    make_exchange(settings)
    with tempfile.TemporaryDirectory(prefix="hub-release-") as bundle:
        make_release(REPO_ROOT, lab, Path(bundle) / "bundle")
        source = folder / "source" / name
        shutil.rmtree(source, ignore_errors=True)
        shutil.copytree(Path(bundle) / "bundle" / name, source)
    released_notebook = source / "notebooks" / f"{name}.ipynb"
    if released_notebook.exists():
        released_notebook.unlink()
        if not any((source / "notebooks").iterdir()):
            (source / "notebooks").rmdir()
    shutil.copyfile(SOLUTIONS_DIR / "notebooks" / f"{name}.ipynb", source / f"{name}.ipynb")
    subprocess.run(["chown", "-R", f"{instructor}:", str(folder)], check=True)
    _nbgrader(settings, instructor, folder, ["generate_assignment", name, "--force"])
    _check_release(folder / "release" / name)
    _nbgrader(settings, instructor, folder, ["release_assignment", name, "--force"])
    return settings.exchange / settings.course / "outbound" / name


def _nbgrader(settings: HubSettings, user: str, folder: Path, arguments: list[str]) -> None:
    done = run_as(user, ["nbgrader", *arguments], settings, cwd=folder)
    if done.returncode != 0:
        raise GraderError(f"`nbgrader {' '.join(arguments)}` failed as {user} in {folder}:\n"
                          f"{done.stdout[-2000:]}{done.stderr[-2000:]}")


def _check_release(release: Path) -> None:
    """The generated assignment holds no solution region and no instructor file."""
    from instructor.release import verify_bundle

    problems = [p for p in verify_bundle(release.parent) if p.startswith(release.name)]
    if problems:
        raise GraderError("\n".join([f"{release} is NOT safe to release; nothing was released:", *problems]))


def owner(path: Path) -> str | None:
    """The account name owning `path` (None when the uid has no account)."""
    try:
        return pwd.getpwuid(os.lstat(path).st_uid).pw_name
    except (KeyError, FileNotFoundError):
        return None
