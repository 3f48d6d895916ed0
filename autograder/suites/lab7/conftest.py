"""Lab 7's fixtures: the hidden inputs (`hidden_set.py`), built once per installation."""

from __future__ import annotations

import pytest

from autograder.pipeline.lab_suites import prepare
from autograder.suites.lab7 import hidden_set


@pytest.fixture(scope="session")
def hidden(grading, state_dir, seed) -> hidden_set.HiddenInputs:
    """Hidden lines for the handler's events (their texts never enter the sandbox) and the
    reference profile the drift windows are drawn from."""
    prepare(7, state_dir)
    return hidden_set.load_or_build(state_dir, seed)
