"""Lab 5's fixtures: the hidden pages."""

from __future__ import annotations

import pytest

from autograder.pipeline.lab_suites import prepare
from autograder.suites.lab5 import hidden_set as hidden_sets


@pytest.fixture(scope="session")
def hidden(grading, state_dir, seed) -> hidden_sets.HiddenPages:
    """The hidden pages (built once per installation; their texts never enter the sandbox)."""
    prepare(5, state_dir)
    return hidden_sets.load_or_build(state_dir, seed)
