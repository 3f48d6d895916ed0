"""Feedback never quotes what the student's code saw of hidden data (issue 23, section 2).

A submission counts its calls (in memory and in a /tmp file) and, once it has seen more images
than the open tests send, answers with an exception that quotes the count: a seed search fed by
feedback. The hidden-set test shows only its fixed message, and hidden-data tests run after every
other test (a later one would get a fresh runner: new process, new /tmp), so no feedback quotes
anything the hidden data taught it.
"""

from __future__ import annotations

import pytest

from autograder.tests.conftest import needs_weights
from autograder.tests.hostile import PREDICT_SIGNATURE, inside_function

# The hostile-submission corpus: each test grades a whole submission in the sandbox (`make test-long`).
pytestmark = [pytest.mark.usefixtures("sandbox_ok"), pytest.mark.long]
COUNTER = '''
import pathlib as _pathlib
_mark = _pathlib.Path("/tmp/seen-images")
_count = int(_mark.read_text()) + 1 if _mark.exists() else 1
_mark.write_text(str(_count))
if _count > 100:  # more than the open tests send: it has seen the hidden set
    raise ValueError(f"LEAK {_count} images seen")
'''


@needs_weights
def test_no_later_test_quotes_what_the_code_saw_of_hidden_data(make_submission, grade_submission):
    submission = make_submission(name="counter", patches={
        "text_recognizer/models/character_model.py": inside_function(PREDICT_SIGNATURE, COUNTER)})
    graded = grade_submission(submission, student="counter")
    hidden = graded.test("Deployed predictor: accuracy on the hidden set")
    assert hidden["score"] < hidden["max_score"]  # it did see the hidden set and fail there
    assert not [t["name"] for t in graded.results["tests"] if "LEAK" in t["output"]]
    assert "LEAK" not in graded.results.get("output", "")
    # Hidden-data tests run last: every other test's calls came before the hidden set's (a test
    # after it would get a fresh runner: test_session), so none could quote what it saw.
    calls = graded.report["sandbox"]["calls"]
    first_hidden = min(call["at"] for call in calls if call["test"] == "test_hidden_set_accuracy")
    assert all(call["at"] < first_hidden for call in calls if call["test"] != "test_hidden_set_accuracy")
    assert graded.group_score("predict_on_image:") == (30, 30)
