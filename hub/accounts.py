"""System accounts for the hub's users, and the course roster.

nbgrader names a submission after the operating-system user who made it, so every student has
an account of their own (created here with `useradd`, run as root); JupyterHub's local process
spawner starts each user's JupyterLab as that account. Each home is private (0700): one student
never reads another's work. Instructors are also in the course's instructors group, which alone
(with root) reads the grading results, logs and queue (lifecycle.py).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

from autograder.errors import GraderError
from hub.settings import HubSettings, Roster

#: What a course account name may be (useradd's rules, and nbgrader forbids '+' and '*').
VALID_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def ensure_system_user(name: str) -> bool:
    """Create account `name` with a home folder when it does not exist; True when created."""
    if not VALID_NAME.match(name):
        raise GraderError(f"{name!r} cannot be an account name: use 1-32 lower-case letters, digits, '-' or '_', "
                          "starting with a letter")
    try:
        pwd.getpwnam(name)
        return False
    except KeyError:
        pass
    done = subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--user-group", "-K", "HOME_MODE=0700",
                           name], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise GraderError(f"useradd {name} failed ({done.stderr.strip()}); run the hub set-up as root")
    return True


def prepare_account(name: str, python: Path) -> bool:
    """The account exists, its home is private, and it can run the course's Python; True when
    the account was created now."""
    created = ensure_system_user(name)
    Path(pwd.getpwnam(name).pw_dir).chmod(0o700)  # also an account made before the hub (useradd's 0755)
    grant_search(name, Path(os.path.realpath(python)))
    return created


def instructors_group(settings: HubSettings) -> str:
    """The system group of the course's instructors (created when missing)."""
    group = f"{settings.course}-instructors"
    try:
        grp.getgrnam(group)
    except KeyError:
        subprocess.run(["groupadd", "--system", group], check=True, capture_output=True)
    return group


def grant_search(name: str, path: Path) -> list[Path]:
    """Let `name` reach `path` when a folder above it is private (pyenv's Python under /root, 0700):
    an ACL entry giving that account search permission (x) on that folder only, nothing else.
    Returns the folders changed."""
    changed = []
    for folder in reversed(path.parents):
        if os.stat(folder).st_mode & 0o001:
            continue
        if shutil.which("setfacl") is None:
            raise GraderError(f"{folder} is private and the course's Python ({path}) lies below it: install `acl` "
                              "(apt-get install acl) or install Python 3.11 outside private folders")
        subprocess.run(["setfacl", "-m", f"u:{name}:x", str(folder)], check=True, capture_output=True)
        changed.append(folder)
    return changed


def revoke_search(name: str, path: Path) -> None:
    """Take back what `grant_search` gave `name` (before the account is removed: an ACL entry
    left behind would pass to the next account given the same uid)."""
    if shutil.which("setfacl") is None:
        return
    for folder in reversed(path.parents):
        if not os.stat(folder).st_mode & 0o001:
            subprocess.run(["setfacl", "-x", f"u:{name}", str(folder)], capture_output=True, check=False)


def add_users(settings: HubSettings, names: list[str], *, instructor: bool = False,
              gpu: str | None = None) -> list[str]:
    """Create the accounts and record them in the roster; returns the names newly created.

    The hub reads the roster when it starts (groups, roles); a running hub lets an added
    student log in once restarted (`make hub` again), or at once with the native authenticator's
    sign-up, whose spawner also creates the account.
    """
    roster = Roster.read(settings.roster_path)
    created = [name for name in names if prepare_account(name, settings.venv / "bin" / "python")]
    if instructor:
        group = instructors_group(settings)
        for name in names:
            subprocess.run(["usermod", "--append", "--groups", group, name], check=True, capture_output=True)
    for name in names:
        group = roster.instructors if instructor else roster.students
        if name not in group:
            group.append(name)
        if gpu is not None:
            roster.gpus[name] = gpu
    roster.write(settings.roster_path)
    return created


def remove_users(settings: HubSettings, names: list[str], *, keep_home: bool = False) -> None:
    """Take `names` off the roster, remove their hub passwords, ACL entries and accounts (with their
    homes unless `keep_home`). Their graded results, gradebook rows and leaderboard entries stay."""
    roster = Roster.read(settings.roster_path)
    unknown = [name for name in names if name not in roster.instructors + roster.students]
    if unknown:
        raise GraderError(f"{', '.join(unknown)} not on the roster ({settings.roster_path}): nothing was removed")
    for name in names:
        for group in (roster.instructors, roster.students):
            if name in group:
                group.remove(name)
        roster.gpus.pop(name, None)
    roster.write(settings.roster_path)
    database = settings.state / "jupyterhub.sqlite"
    if database.is_file():
        from hub.auth import remove_passwords

        remove_passwords(database, names)
    python = Path(os.path.realpath(settings.venv / "bin" / "python"))
    for name in names:
        done = remove_account(name, python, keep_home=keep_home)
        if done is not None and done.returncode not in (0, 12):  # 12: the home was already gone
            raise GraderError(f"userdel {name} failed ({done.stderr.strip()}): stop their server "
                              "(python -m hub stop) and run remove-users again")


def remove_account(name: str, python: Path, *, keep_home: bool = False) -> subprocess.CompletedProcess[str] | None:
    """Take back the ACL entries of `name`, then `userdel` it (None: there was no such account)."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return None
    revoke_search(name, python)
    return subprocess.run(["userdel", *([] if keep_home else ["--remove"]), name], capture_output=True, text=True,
                          check=False)
