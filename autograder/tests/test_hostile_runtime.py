"""Hostile submissions, part 2: loops, sleeps, fork bombs, memory, floods of output, background
processes, crashes. The misbehaving test fails with the reason; the rest is graded as usual."""

from __future__ import annotations

import os
import time

import pytest

from autograder.sandbox.users import processes_of, sandbox_identity
from autograder.tests.conftest import SLOT
from autograder.tests.hostile import MLP_SIGNATURE, PREDICT_SIGNATURE, inside_function, prepend

# The hostile-submission corpus: each test grades a whole submission in the sandbox (`make test-long`).
pytestmark = [pytest.mark.usefixtures("sandbox_ok"), pytest.mark.long]
MLP = "text_recognizer/networks/mlp.py"
MODEL = "text_recognizer/models/character_model.py"


def assert_one_mlp_case_lost(graded, probe: str, status: str, reason: str) -> None:
    """Two of the three argument sets pass every MLP check; the third fails with `reason`."""
    for test in graded.results["tests"]:
        if test["name"].startswith("MLP:"):
            assert test["score"] == pytest.approx(test["max_score"] * 2 / 3, abs=1e-3), test
    assert graded.probe(probe)["status"] == status
    assert reason in graded.probe(probe)["reason"]
    assert graded.group_score("predict_on_image:") == (30, 30)


def no_sandbox_processes_left() -> bool:
    identity = sandbox_identity(SLOT)
    return identity is None or processes_of(identity.uid) == []


def test_infinite_loop_times_out_and_the_rest_is_graded(make_submission, grade_submission):
    submission = make_submission(
        patches={
            MLP: inside_function(
                MLP_SIGNATURE,
                """
        if num_layers == 3:
            while True:
                pass
        """,
            )
        }
    )
    graded = grade_submission(submission, student="loop")
    assert_one_mlp_case_lost(graded, "mlp/B", "timeout", "ran longer than its time limit")
    assert "ran longer than its time limit" in graded.test("MLP: returns")["output"]
    assert graded.report["sandbox"]["starts"] == 2
    assert no_sandbox_processes_left()


def test_sleeping_past_the_limit_times_out(make_submission, grade_submission):
    submission = make_submission(
        patches={
            MODEL: inside_function(
                PREDICT_SIGNATURE,
                """
        if self.mapping[1] != "0":  # only with the grader's shuffled mapping
            import time
            time.sleep(10**6)
        """,
            )
        }
    )
    graded = grade_submission(submission, student="sleep")
    assert graded.group_score("MLP:") == (40, 40)
    for name in ("predict_on_image: returns the most", "predict_on_image: confidence"):
        test = graded.test(name)
        assert test["score"] == pytest.approx(test["max_score"] / 2, abs=1e-3)
    assert graded.probe("predict_on_image/shuffled_mapping")["status"] == "timeout"


@pytest.mark.skipif(
    os.geteuid() != 0,
    reason="containing a fork bomb per sandbox user needs the grader to run as "
    "root (not root, it shares the process limit with the grader's own user)",
)
def test_fork_bomb_is_contained(make_submission, grade_submission):
    submission = make_submission(
        patches={
            MLP: inside_function(
                MLP_SIGNATURE,
                """
        if num_classes == 5:
            import os
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """,
            )
        }
    )
    started = time.monotonic()
    graded = grade_submission(submission, student="fork-bomb")
    assert_one_mlp_case_lost(graded, "mlp/C", "timeout", "ran longer than its time limit")
    assert time.monotonic() - started < 200
    assert no_sandbox_processes_left()
    assert os.fork  # the grader's own process still works: this test is running


def test_unbounded_memory_hits_the_limit(make_submission, grade_submission):
    submission = make_submission(
        patches={
            MLP: inside_function(
                MLP_SIGNATURE,
                """
        if num_classes == 5:
            hoard = []
            while True:
                hoard.append(bytearray(256 * 1024 * 1024))
        """,
            )
        }
    )
    graded = grade_submission(submission, student="memory")
    assert_one_mlp_case_lost(graded, "mlp/C", "error", "MemoryError")
    assert graded.probe("mlp/C")["error"]["type"] == "MemoryError"


def test_printing_gigabytes_keeps_logs_small(make_submission, grade_submission):
    submission = make_submission(
        patches={
            MLP: inside_function(
                MLP_SIGNATURE,
                """
        if num_classes == 5:
            import sys
            chunk = "spam " * 200_000
            while True:
                sys.stdout.write(chunk)
                sys.stderr.write(chunk)
        """,
            )
        }
    )
    graded = grade_submission(submission, student="flood")
    assert_one_mlp_case_lost(graded, "mlp/C", "timeout", "ran longer than its time limit")
    assert graded.report["sandbox"]["stdout_bytes"] > 100 * 2**20
    for log in ("sandbox_stdout.log", "sandbox_stderr.log"):
        assert (graded.out_dir / log).stat().st_size < 1 * 2**20
    assert "bytes not kept" in graded.stdout


def test_background_processes_do_not_survive_grading(make_submission, grade_submission):
    submission = make_submission(
        patches={
            "text_recognizer/__init__.py": prepend("""
        import os as _os, subprocess as _subprocess, time as _time
        _subprocess.Popen(["sleep", "1000"], start_new_session=True)
        if _os.fork() == 0:  # a double-forked daemon that outlives the runner
            _os.setsid()
            if _os.fork() == 0:
                while True:
                    _time.sleep(0.5)
            _os._exit(0)
        """)
        }
    )
    graded = grade_submission(submission, student="daemon")
    assert graded.group_score("MLP:") == (40, 40)
    assert no_sandbox_processes_left()


def test_a_segfault_fails_its_test_and_the_sandbox_restarts(make_submission, grade_submission):
    submission = make_submission(
        patches={
            MLP: inside_function(
                MLP_SIGNATURE,
                """
        if num_classes == 5:
            import ctypes
            ctypes.string_at(0)
        """,
            )
        }
    )
    graded = grade_submission(submission, student="segfault")
    assert_one_mlp_case_lost(graded, "mlp/C", "crashed", "SIGSEGV")
    assert graded.report["sandbox"]["starts"] == 2
