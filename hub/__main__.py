"""`python -m hub`: set up and start the course hub (run as root).

    python -m hub add-users --instructor --password-file prof.txt   # lines name:password
    python -m hub add-users alice bob carol [--gpu 1] [--password-file students.txt]
    python -m hub remove-users carol   # out of the roster, account and home removed
    python -m hub release 1            # instructor release + nbgrader generate/release
    python -m hub start                # JupyterHub with its proxy and the grading service
    python -m hub stop                 # stop it (servers, services, proxy) within 10 s
    python -m hub status               # the grading queue
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from autograder.errors import GraderError
from autograder.paths import REPO_ROOT
from hub import settings as hub_settings

CONFIG = hub_settings.CONFIG_DIR / "jupyterhub_config.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-users", help="create system accounts and put them in the course roster")
    add.add_argument("names", nargs="*", help="account names (those of --password-file when none are given)")
    add.add_argument("--instructor", action="store_true", help="instructors: hub admins, nbgrader graders")
    add.add_argument("--gpu", help="the GPUs these users' servers see (\"0\", \"0,1\", \"\" for none)")
    add.add_argument("--password-file", type=Path,
                     help="set these users' hub passwords from `name:password` lines (without it, each "
                          "user chooses one at /hub/signup)")
    remove = commands.add_parser("remove-users", help="take users off the roster and remove their accounts and homes")
    remove.add_argument("names", nargs="+")
    remove.add_argument("--keep-home", action="store_true", help="keep their home folders (work, feedback)")
    release = commands.add_parser("release", help="release lab N to the students (nbgrader exchange)")
    release.add_argument("lab", type=int)
    commands.add_parser("start", help="start JupyterHub (proxy, grading service) in the foreground")
    commands.add_parser("stop", help="stop the running hub (its servers, services and proxy)")
    commands.add_parser("status", help="the grading service's queue, as JSON")
    args = parser.parse_args(argv)
    settings = hub_settings.load()
    try:
        if os.geteuid() != 0 and args.command != "status":
            raise GraderError("the hub is set up and run as root (it creates accounts and spawns servers as them)")
        if args.command == "add-users":
            _add_users(settings, args)
        elif args.command == "remove-users":
            from hub.accounts import remove_users

            remove_users(settings, args.names, keep_home=args.keep_home)
            print(f"roster {settings.roster_path}: {', '.join(args.names)} removed; restart the hub to apply")
        elif args.command == "release":
            from hub.course import release_lab

            print(f"lab {args.lab} released: {release_lab(settings, args.lab)}")
        elif args.command == "start":
            from hub.course import course_dir, make_exchange
            from hub.lifecycle import prepare_state

            hub_settings.check_ports(settings)
            make_exchange(settings)
            if hub_settings.Roster.read(settings.roster_path).instructors:
                course_dir(settings)  # formgrader's working folder
            prepare_state(settings)
            os.chdir(REPO_ROOT)  # python -m finds the course's packages here
            python = str(settings.venv / "bin" / "python")
            os.execv(python, [python, "-m", "hub.app", "-f", str(CONFIG)])
        elif args.command == "stop":
            from hub.lifecycle import stop

            print(stop(settings))
        elif args.command == "status":
            from hub.jobs import JobQueue

            jobs = JobQueue(settings.grading_dir / "queue.sqlite").jobs()
            print(json.dumps([job.__dict__ for job in jobs], indent=2))
    except GraderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _add_users(settings: hub_settings.HubSettings, args: argparse.Namespace) -> None:
    from hub.accounts import add_users
    from hub.auth import read_password_file, set_passwords

    passwords = read_password_file(args.password_file) if args.password_file else {}
    names = args.names or list(passwords)
    if not names:
        raise GraderError("name the users to add, or give --password-file with their `name:password` lines")
    unknown = sorted(set(passwords) - set(names))
    if unknown:
        raise GraderError(f"{args.password_file} has passwords for {', '.join(unknown)}, not among the names given")
    created = add_users(settings, names, instructor=args.instructor, gpu=args.gpu)
    if passwords:
        set_passwords(settings.state / "jupyterhub.sqlite", passwords, hub_settings.MINIMUM_PASSWORD_LENGTH)
    print(f"roster {settings.roster_path}: {', '.join(names)} added"
          f"{' (new accounts: ' + ', '.join(created) + ')' if created else ''}"
          f"{'; passwords set for ' + ', '.join(passwords) if passwords else '; each signs up at /hub/signup'}"
          "; restart the hub to apply")


if __name__ == "__main__":
    sys.exit(main())
