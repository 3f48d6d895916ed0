"""Lab 3's fixtures: the hidden lines."""

from __future__ import annotations

import pytest

from autograder.pipeline.lab_suites import prepare
from autograder.suites.lab3 import hidden_set as hidden_sets


@pytest.fixture(scope="session")
def hidden(grading, state_dir, seed) -> hidden_sets.HiddenLines:
    """The hidden lines (built once per installation; their texts never enter the sandbox)."""
    prepare(3, state_dir)
    return hidden_sets.load_or_build(state_dir, seed)
