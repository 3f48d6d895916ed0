"""`python -m autograder.hub`: set up and start the course hub (run as root).

    python -m autograder.hub add-users --instructor prof
    python -m autograder.hub add-users alice bob carol [--gpu 1]
    python -m autograder.hub release 1            # instructor release + nbgrader generate/release
    python -m autograder.hub start                # JupyterHub with its proxy and the grading service
    python -m autograder.hub status               # the grading queue
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from autograder.errors import GraderError
from autograder.hub import settings as hub_settings
from autograder.paths import REPO_ROOT

CONFIG = REPO_ROOT / "setup" / "hub" / "jupyterhub_config.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.hub", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-users", help="create system accounts and put them in the course roster")
    add.add_argument("names", nargs="+")
    add.add_argument("--instructor", action="store_true", help="instructors: hub admins, nbgrader graders")
    add.add_argument("--gpu", help="the GPUs these users' servers see (\"0\", \"0,1\", \"\" for none)")
    release = commands.add_parser("release", help="release lab N to the students (nbgrader exchange)")
    release.add_argument("lab", type=int)
    commands.add_parser("start", help="start JupyterHub (proxy, grading service) in the foreground")
    commands.add_parser("status", help="the grading service's queue, as JSON")
    args = parser.parse_args(argv)
    settings = hub_settings.load()
    try:
        if os.geteuid() != 0 and args.command != "status":
            raise GraderError("the hub is set up and run as root (it creates accounts and spawns servers as them)")
        if args.command == "add-users":
            from autograder.hub.accounts import add_users

            created = add_users(settings, args.names, instructor=args.instructor, gpu=args.gpu)
            print(f"roster {settings.roster_path}: {', '.join(args.names)} added"
                  f"{' (new accounts: ' + ', '.join(created) + ')' if created else ''}; restart the hub to apply")
        elif args.command == "release":
            from autograder.hub.course import release_lab

            print(f"lab {args.lab} released: {release_lab(settings, args.lab)}")
        elif args.command == "start":
            from autograder.hub.course import make_exchange

            make_exchange(settings)
            settings.state.mkdir(parents=True, exist_ok=True)
            os.chdir(settings.state)
            hub = str(settings.venv / "bin" / "jupyterhub")
            os.execv(hub, [hub, "-f", str(CONFIG)])
        elif args.command == "status":
            from autograder.hub.jobs import JobQueue

            jobs = JobQueue(settings.grading_dir / "queue.sqlite").jobs()
            print(json.dumps([job.__dict__ for job in jobs], indent=2))
    except GraderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
