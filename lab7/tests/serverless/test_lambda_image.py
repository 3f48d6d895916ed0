"""The Lambda container image (text_recognizer/serverless/Dockerfile), checked without a Docker engine:
hadolint passes it, it starts from AWS's Lambda Python base image and runs the handler that
serverless.yml names, and every file it copies exists and reaches the build context."""

from __future__ import annotations

import importlib

import yaml
from container_lint import copied_sources, dockerignore_patterns, ignored, instructions, run_hadolint
from lab_folders import LAB_DIR

DOCKERFILE = LAB_DIR / "text_recognizer" / "serverless" / "Dockerfile"


def test_hadolint_passes_the_lambda_dockerfile():
    assert run_hadolint(DOCKERFILE) == ""


def test_the_image_is_awss_lambda_python_and_runs_the_packaged_handler():
    steps = instructions(DOCKERFILE)
    assert steps[0] == ("FROM", "public.ecr.aws/lambda/python:3.11")
    cmd = yaml.safe_load(dict(steps)["CMD"])  # the exec form is a JSON (and so YAML) list
    handler_string = yaml.safe_load((LAB_DIR / "serverless.yml").read_text())["functions"]["predict"]["handler"]
    assert cmd == [handler_string]
    module, _, function = handler_string.rpartition(".")
    assert callable(getattr(importlib.import_module(module), function))
    # The image serves the Keras models: the compiled ones are the zip's.
    assert not any(kind == "ENV" and "TEXT_RECOGNIZER_COMPILED_DIR" in args for kind, args in steps)


def test_every_copied_file_exists_and_reaches_the_build_context():
    patterns = dockerignore_patterns(LAB_DIR / ".dockerignore")
    sources = copied_sources(DOCKERFILE)
    assert "text_recognizer" in sources and "text_recognizer/api/requirements.txt" in sources
    for source in sources:
        assert (LAB_DIR / source).exists(), f"COPY {source}: no such file in {LAB_DIR}"
        assert not ignored(source, patterns), f"COPY {source}: .dockerignore leaves it out of the context"
