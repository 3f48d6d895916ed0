"""Hostile submissions, part 4: crashing or overloading the grader itself.

Malformed records on the result channel, a folder tree a thousand levels deep, forged records
of 31 MiB, floods of text for the feedback, hidden inputs raised into exception messages,
filling the sandbox's writable mounts, file names that add lines to the feedback. Each grading
ends graded (never a grader error), with the reason in the instructor report.
"""

from __future__ import annotations

import ast
import os
import re
import tempfile

import pytest

from autograder.pipeline.intake import remove_tree
from autograder.records.results import MAX_RESULTS_BYTES
from autograder.sandbox.limits import MiB
from autograder.sandbox.session import SHOWN_ERROR_BUDGET, SHOWN_ERROR_CHARS
from autograder.tests.conftest import TEST_LIMITS
from autograder.tests.hostile import MLP_SIGNATURE, PREDICT_SIGNATURE, append, inside_function

# The hostile-submission corpus: each test grades a whole submission in the sandbox (`make test-long`).
pytestmark = [pytest.mark.usefixtures("sandbox_ok"), pytest.mark.long]
MLP = "text_recognizer/networks/mlp.py"
MODEL = "text_recognizer/models/character_model.py"

#: Student code that writes records on the grader's result channel as if it were the runner:
#: the channel's descriptor is on the runner's command line, the running call's id in its frame.
FORGE = """
def _forge(*records):
    import os as _os, sys as _sys
    fd = int(_sys.argv[_sys.argv.index("--replies") + 1])
    frame, call = _sys._getframe(), ""
    while frame is not None:
        request = frame.f_locals.get("request")
        if isinstance(request, dict) and "call" in request:
            call = request["call"]
            break
        frame = frame.f_back
    for record in records:
        view = memoryview((record.replace("CALL", call) + "\\n").encode())
        while view:
            view = view[_os.write(fd, view):]
"""


def assert_graded_without_grader_errors(graded) -> None:
    assert graded.outcome.status == "graded", graded.outcome.message
    assert "grader_errors" not in graded.report, graded.report.get("grader_errors")
    assert "error" not in graded.report and "suite_error" not in graded.report
    assert graded.results_path_size < MAX_RESULTS_BYTES


@pytest.fixture
def grade(grade_submission):
    """grade_submission, and the size of the results.json it wrote."""

    def run(submission, **changes):
        graded = grade_submission(submission, **changes)
        graded.results_path_size = (graded.out_dir / "results.json").stat().st_size
        return graded

    return run


def test_malformed_records_on_the_result_channel_are_refused_not_a_grader_error(make_submission, grade):
    deep = '{"event": "reply", "call": "CALL", "ok": true, "value": ' + "[" * 50_000 + "]" * 50_000 + "}"
    wrong_network = ('{"event": "reply", "call": "CALL", "ok": true, "value": {"type": [], "is_keras_model": "yes",'
                     ' "output": 5, "layers": {"a": 1}}, "tampered": 5}')
    code = f"""
    if num_layers == 3:
        _forge('{{"id": [], "ok": "yes", "value": {{"__array__": 5}}}}',
               '{{"event": {{"x": 1}}, "call": "CALL"}}',
               '{{"event": "import_start", "call": "CALL", "module": [1]}}',
               '{{"event": "reply", "call": "CALL", "ok": "yes", "value": {{"__array__": 5}}, "seconds": "x"}}')
    if num_classes == 5:
        _forge({deep!r}, {wrong_network!r})
    """
    submission = make_submission(patches={MLP: lambda old: inside_function(MLP_SIGNATURE, code)(old) + FORGE})
    graded = grade(submission, student="malformed-records")
    assert_graded_without_grader_errors(graded)
    assert graded.probe("mlp/B")["status"] == graded.probe("mlp/C")["status"] == "invalid"
    assert graded.probe("mlp/A")["status"] == "ok"
    notes = graded.report["sandbox"]["notes"]
    assert sum(note.startswith("refused a record") for note in notes) >= 4, notes
    mlp_points, mlp_max = graded.group_score("MLP:")
    assert 0 < mlp_points <= mlp_max / 3 + 1e-3  # only the honest argument set earns
    assert graded.group_score("predict_on_image:") == (30, 30)


def test_a_folder_tree_a_thousand_levels_deep_is_graded_and_leaves_no_job_folder(
        make_submission, grade, monkeypatch):
    submission = make_submission()
    here = os.getcwd()
    os.chdir(submission / "text_recognizer")
    try:
        for _ in range(1000):
            os.mkdir("d")
            os.chdir("d")
        with open("leaf.py", "w") as file:
            file.write("x = 1\n")
    finally:
        os.chdir(here)
    try:
        _grade_deep(submission, grade, monkeypatch)
    finally:
        remove_tree(submission)  # pytest's own clean-up of tmp_path would recurse per level


def _grade_deep(submission, grade, monkeypatch) -> None:
    made: list[str] = []
    mkdtemp = tempfile.mkdtemp

    def recording(*args, **kwargs):
        path = mkdtemp(*args, **kwargs)
        made.append(path)
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", recording)
    graded = grade(submission, student="deep-tree")
    assert_graded_without_grader_errors(graded)
    (note,) = [n for n in graded.report["intake_notes"] if "nested more than" in n]
    assert note in graded.results["output"] and len(note) < 300
    assert graded.group_score("MLP:") == (40, 40)
    jobs = [path for path in made if os.path.basename(path).startswith("autograder-job-")]
    assert jobs and not any(os.path.exists(path) for path in jobs)


def test_forged_records_of_31_mib_cost_the_parent_little(make_submission, grade):
    mib = 1024 * 1024
    # Together under the session's 64 MiB of results (past it, every later call would fail too).
    code = f"""
    if num_classes == 5:
        head = '{{"event": "reply", "call": "CALL", "ok": true, "value": '
        _forge(head.replace("CALL", "forged") + '"' + "x" * (12 * {mib}) + '"}}',  # one long text: parsed, refused
               head + "[" + "{{}}," * (4 * {mib}) + "{{}}]}}",  # 12 MiB of empty objects: refused unparsed
               head + "[" + "0," * (15 * {mib} + {mib} // 2) + "0]}}")  # 31 MiB: over the line cap, ends the call
    """
    submission = make_submission(patches={MLP: lambda old: inside_function(MLP_SIGNATURE, code)(old) + FORGE})
    graded = grade(submission, student="forged-31mib")
    assert_graded_without_grader_errors(graded)
    sandbox = graded.report["sandbox"]
    assert graded.probe("mlp/C")["status"] == "invalid"
    assert any("JSON values" in note for note in sandbox["notes"]), sandbox["notes"]
    assert sandbox["largest_record_bytes"] < 25 * mib
    # The trusted process imports Keras and numpy (about 0.5 GiB); 31 MiB records once took it to 6 GB.
    assert sandbox["parent_max_rss_mib"] < 1500, sandbox["parent_max_rss_mib"]
    assert graded.group_score("predict_on_image:") == (30, 30)


FLOOD = """
class _Loud(Exception):
    pass

_Loud.__name__ = "Loud\\nAll tests passed: 100 of 100"
"""


def test_a_flood_of_text_for_the_feedback_keeps_results_small(make_submission, grade):
    submission = make_submission(
        patches={
            MLP: lambda old: inside_function(
                MLP_SIGNATURE, 'raise _Loud("spam " * 400_000 + "\\nAll tests passed: 100 of 100")\n')(old) + FLOOD,
            MODEL: inside_function(PREDICT_SIGNATURE, 'return "\\n".join(["All tests passed"] * 200), 0.5\n'),
        }
    )
    graded = grade(submission, student="flood-feedback")
    assert_graded_without_grader_errors(graded)
    assert graded.results_path_size < 200 * 1024
    lines = [line for test in graded.results["tests"] for line in test["output"].splitlines()]
    lines += graded.results["output"].splitlines()
    assert not any(line.strip().startswith("All tests passed") for line in lines)
    raised = [line for line in lines if "your code raised Loud" in line]
    assert raised and all(len(line) < SHOWN_ERROR_CHARS + 200 for line in raised)
    assert graded.group_score("MLP:")[0] == 0


STASH = """
_SEEN = []


def _stash(image):
    import base64
    import numpy as _np
    _SEEN.append(base64.b64encode(_np.asarray(image).astype("uint8").tobytes()).decode())
"""


def test_hidden_inputs_raised_into_exception_messages_do_not_leave_in_bulk(make_submission, grade):
    """The predictor keeps every image it is shown (the hidden set included); the MLP raises them."""
    submission = make_submission(
        patches={
            MODEL: lambda old: inside_function(PREDICT_SIGNATURE, "_stash(image)\n")(old) + STASH,
            MLP: inside_function(MLP_SIGNATURE, """
        from text_recognizer.models import character_model as _model
        if _model._SEEN:  # honest while the deployed predictor builds its network
            raise ValueError("".join(_model._SEEN)[:1_000_000])
        """),
        }
    )
    # Time enough for the hidden-set call on a loaded machine: a restart would forget the stash.
    graded = grade(submission, student="hidden-in-exceptions", limits=TEST_LIMITS.scaled(timeout_scale=0.6))
    assert_graded_without_grader_errors(graded)
    texts = [test["output"] for test in graded.results["tests"]] + [graded.results["output"]]
    runs = {run for text in texts for run in re.findall(r"[A-Za-z0-9+/=]{40,}", text)}
    # A runner that served hidden data serves no later test, so the stash usually dies with it and
    # nothing is shown; whatever a stash that survived shows stays within the error budget.
    assert sum(len(run) for run in runs) <= SHOWN_ERROR_BUDGET
    assert max((len(run) for run in runs), default=0) <= SHOWN_ERROR_CHARS


FILL = """
import os as _os
_written = {}
for _mount in ("/", "/etc", "/dev", "/dev/shm", "/tmp", "/submission", "/job"):
    _total, _block = 0, b"\\0" * (1 << 20)
    try:
        for _index in range(400):
            with open(_os.path.join(_mount, f"fill-{_index}"), "wb") as _file:
                for _ in range(8):
                    _file.write(_block)
                    _total += len(_block)
    except OSError as _error:
        _total += 0
    _written[_mount] = _total
    for _index in range(400):
        try:
            _os.remove(_os.path.join(_mount, f"fill-{_index}"))
        except OSError:
            pass
print("FILLED", sorted(_written.items()))
"""


def test_the_sandbox_mounts_take_no_more_memory_than_their_sizes(make_submission, grade):
    limits = TEST_LIMITS.scaled(tmp_bytes=32 * MiB, shm_bytes=16 * MiB)
    submission = make_submission(patches={"text_recognizer/__init__.py": append(FILL)})
    graded = grade(submission, student="fill-mounts", limits=limits)
    assert_graded_without_grader_errors(graded)
    (line,) = [line for line in graded.stdout.splitlines() if line.startswith("FILLED")][:1]
    written = dict(ast.literal_eval(line.removeprefix("FILLED ")))
    for read_only in ("/", "/etc", "/dev", "/submission", "/job"):
        assert written[read_only] == 0, written
    assert 0 < written["/tmp"] <= 32 * MiB and 0 < written["/dev/shm"] <= 16 * MiB, written
    assert graded.group_score("MLP:") == (40, 40)


def test_a_file_name_cannot_add_lines_to_the_feedback(make_submission, grade):
    submission = make_submission()
    (submission / "text_recognizer" / "x\nAll tests passed: 100 of 100\nweights.pkl").write_bytes(b"")
    graded = grade(submission, student="file-name")
    assert_graded_without_grader_errors(graded)
    lines = graded.results["output"].splitlines()
    assert not any(line.startswith("All tests passed") for line in lines)
    assert any("x\\nAll tests passed: 100 of 100\\nweights.pkl" in line for line in lines)
    assert graded.group_score("MLP:") == (40, 40)
