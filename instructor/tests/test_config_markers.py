"""Exercises in configuration files (YAML, Dockerfiles): parsed, stubbed as comments, solved later."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from instructor.config_markers import check_rendered_config, is_config_file, parse_config
from instructor.errors import CourseError
from instructor.generate import load_course, render_files
from instructor.lab_readme import render_readme

CI = """\
version: 2.1
jobs:
  # The `lint` job: it runs the linters. Each in a step of its own.
  # Notebook: "Continuous integration"
  lint:
    ### BEGIN SOLUTION lab1
    docker:
      - image: python:3.11
    steps:
      - run: ruff check .
    ### END SOLUTION
  test:
    steps:
      - run: pytest
"""

DOCKERFILE = """\
# The packages, installed once.
### BEGIN SOLUTION lab2
FROM python:3.11-slim AS dependencies
RUN pip install --no-cache-dir flask==3.0.0
### END SOLUTION

FROM python:3.11-slim AS service
COPY --from=dependencies /usr/local /usr/local
"""


def test_which_files_are_configuration_files():
    assert is_config_file(".circleci/config.yml") and is_config_file("serverless.yaml")
    assert is_config_file("pkg/api/Dockerfile")
    assert not is_config_file("pkg/model.py") and not is_config_file("README.md")


def test_a_yaml_exercise_is_the_value_of_its_key_and_its_stub_a_comment():
    parsed = parse_config("ci.yml", CI)
    (exercise,) = parsed.exercises
    assert (exercise.qualname, exercise.lab) == ("jobs.lint", 1)
    assert exercise.summary == "The `lint` job: it runs the linters."
    assert exercise.section == "Continuous integration"
    stubbed = parsed.render(1)
    assert ("    # Lab 1 exercise: implement jobs.lint: The `lint` job: it runs the linters. See "
            'notebooks/lab1.ipynb, section "Continuous integration".') in stubbed
    assert "ruff check" not in stubbed and "BEGIN SOLUTION" not in stubbed
    assert yaml.safe_load(stubbed)["jobs"]["lint"] is None  # a schema that wants a job refuses it
    solved = yaml.safe_load(parsed.render(2))
    assert solved["jobs"]["lint"]["steps"] == [{"run": "ruff check ."}]
    assert "### " not in parsed.render(2)


def test_a_dockerfile_exercise_is_named_by_its_stage():
    parsed = parse_config("api/Dockerfile", DOCKERFILE)
    (exercise,) = parsed.exercises
    assert (exercise.qualname, exercise.summary) == ("dependencies stage", "The packages, installed once.")
    stubbed = parsed.render(2)
    assert "FROM python:3.11-slim AS dependencies" not in stubbed
    assert stubbed.splitlines()[1].startswith("# Lab 2 exercise: implement dependencies stage")
    assert "AS dependencies" in parsed.render(3)


def test_a_configuration_exercise_needs_its_contract_above_it():
    bare = CI.replace("  # The `lint` job: it runs the linters. Each in a step of its own.\n", "").replace(
        '  # Notebook: "Continuous integration"\n', "")
    with pytest.raises(CourseError, match="contract as a comment block"):
        parse_config("ci.yml", bare)


def test_unbalanced_markers_are_refused_as_in_modules():
    with pytest.raises(CourseError, match="never closed"):
        parse_config("ci.yml", CI.replace("    ### END SOLUTION\n", ""))


def test_a_stub_that_breaks_the_yaml_is_refused():
    with pytest.raises(CourseError, match="not valid YAML"):
        check_rendered_config("ci.yml", 1, "jobs:\n  lint: [\n")
    check_rendered_config("api/Dockerfile", 1, "FROM x\n  : [\n")  # not YAML: nothing to check


def test_the_course_stubs_a_yaml_exercise_in_its_lab_and_solves_it_after(course_copy: Path):
    solutions = course_copy / "solutions"
    (solutions / "ci.yml").write_text(CI)
    manifest = solutions / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('  "pytest.ini",\n', '  "pytest.ini",\n  "ci.yml",\n', 1))
    course = load_course(course_copy)
    assert [e.qualname for e in course.exercises(1) if e.path == "ci.yml"] == ["jobs.lint"]
    lab1, lab2 = (render_files(course, lab, None)["ci.yml"].data.decode() for lab in (1, 2))
    assert "# Lab 1 exercise: implement jobs.lint" in lab1
    assert lab2 == parse_config("ci.yml", CI).render(2)


def test_lab_readme_says_how_a_configuration_exercise_is_stubbed():
    exercise = parse_config("ci.yml", CI).exercises[0]
    readme = render_readme(1, title=None, exercises=[exercise], later_exercises=[], has_notebook=True)
    assert "`jobs.lint`" in readme and "`# Lab 1 exercise: ...` instead" in readme
