"""The parent's side of the sandbox protocol, driven by scripted fake runners (no bwrap, fast).

A fake runner says hello, then for its n-th request plays the n-th list of actions. `{call}`
in an emitted record stands for the id of the request being answered.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from autograder.sandbox.launch import Launch
from autograder.sandbox.limits import Limits
from autograder.sandbox.session import SandboxFile, SandboxSession, StudentCodeFailed

LIMITS = Limits(startup_seconds=10, import_seconds=10, idle_seconds=5, total_seconds=60, max_restarts=3)

FAKE_RUNNER = r"""
import json, os, sys, time
requests, replies = int(sys.argv[1]), int(sys.argv[2])
script = json.loads(sys.argv[3])
def emit(record, call):
    os.write(replies, (json.dumps(record).replace("{call}", call) + "\n").encode())
for action in script["before"]:
    if action[0] == "exit": os._exit(action[1])
    if action[0] == "raw": os.write(replies, action[1].encode())
emit({"event": "hello"}, "")
buffer = b""
def next_request():
    global buffer
    while b"\n" not in buffer:
        chunk = os.read(requests, 1 << 20)
        if not chunk: os._exit(0)
        buffer += chunk
    line, _, buffer = buffer.partition(b"\n")
    request = json.loads(line)
    if request.get("event") == "close": os._exit(0)
    return request
for plan in script["calls"]:
    request = next_request()
    call = request["call"]
    for action, *args in plan:
        if action == "reply": emit({"event": "reply", "call": "{call}", "ok": True, "value": args[0]}, call)
        elif action == "echo": emit({"event": "reply", "call": "{call}", "ok": True, "value": request}, call)
        elif action == "echo_each": emit({"event": "reply", "call": "{call}", "ok": True,
                                          "value": [{"ok": True, "value": request}] * len(request["args"][0])}, call)
        elif action == "error": emit({"event": "reply", "call": "{call}", "ok": False, "error": args[0]}, call)
        elif action == "emit": emit(args[0], call)
        elif action == "raw": os.write(replies, args[0].encode())
        elif action == "repeat":  # head + unit * count + tail, written as one record
            os.write(replies, (args[0].replace("{call}", call) + args[1] * args[2] + args[3]).encode())
        elif action == "import": emit({"event": "import_start", "call": "{call}", "module": args[0]}, call)
        elif action == "imported": emit({"event": "import_done", "call": "{call}", "module": args[0], "ok": True}, call)
        elif action == "sleep": time.sleep(args[0])
        elif action == "exit": os._exit(args[0])
        elif action == "close": os.close(replies)
        elif action == "print": sys.stdout.write("x" * args[0]); sys.stdout.flush()
while True:
    next_request()
"""


def scripted(*starts: dict):
    """A `start` function whose n-th start plays the n-th script."""
    count = {"starts": 0}

    def start(request_fd: int, reply_fd: int) -> Launch:
        script = starts[min(count["starts"], len(starts) - 1)]
        count["starts"] += 1
        script = {"before": script.get("before", []), "calls": script.get("calls", [])}
        argv = [sys.executable, "-c", FAKE_RUNNER, str(request_fd), str(reply_fd), json.dumps(script)]
        return Launch(argv, {}, "", "", "")

    return start


def session(*starts: dict, limits: Limits = LIMITS) -> SandboxSession:
    return SandboxSession(scripted(*starts), limits)


def test_each_call_gets_its_own_reply_from_one_runner():
    with session({"calls": [[("reply", 1)], [("reply", "two")], [("reply", [3])]]}) as sandbox:
        replies = [sandbox.call("m:f", imports=()) for _ in range(3)]
    assert [r.value for r in replies] == [1, "two", [3]]
    assert sandbox.starts == 1 and sandbox.notes == []


def test_arrays_and_files_reach_the_runner_as_plain_data():
    with session({"calls": [[("echo_each",)]]}) as sandbox:
        reply = sandbox.call("m:f", [np.arange(3, dtype=np.int32)], SandboxFile("a.png", b"\x89PNG"),
                             each=True, imports=("m",), key="value")
    request = reply.value[0]["value"]
    assert request["target"] == "m:f" and request["observe"] == "value" and request["each"] is True
    assert np.array_equal(request["args"][0][0], np.arange(3)) and request["kwargs"] == {"key": "value"}
    (name, data), = request["files"].items()
    assert request["args"][1] == {"__file__": name} and bytes(data) == b"\x89PNG"


def test_a_reply_that_does_not_answer_the_running_call_is_refused():
    forged = {"event": "reply", "call": "0000", "ok": True, "value": "forged"}
    with session({"calls": [[("emit", forged), ("reply", "real")]]}) as sandbox:
        reply = sandbox.call("m:f", imports=())
    assert reply.value == "real"
    assert any("does not answer the running call" in note for note in sandbox.notes)


def test_records_written_between_calls_are_refused_before_the_next_request():
    early = {"event": "reply", "call": "guess", "ok": True, "value": "early"}
    with session({"calls": [[("reply", 1), ("emit", early)], [("reply", 2)]]}) as sandbox:
        first = sandbox.call("m:f", imports=())
        import time

        time.sleep(0.3)
        second = sandbox.call("m:f", imports=())
    assert (first.value, second.value) == (1, 2)
    assert any("between calls" in note for note in sandbox.notes)


def test_a_student_exception_is_an_error_reply_with_its_message():
    error = {"type": "ValueError", "message": "bad shape", "traceback": ""}
    with session({"calls": [[("error", error)]]}) as sandbox:
        reply = sandbox.call("m:f", imports=())
    assert reply.status == "error" and "ValueError: bad shape" in reply.message()
    assert "bad shape" not in reply.message(student_visible=False)


def test_a_hanging_call_times_out_and_the_next_call_restarts_the_runner():
    with session({"calls": [[("sleep", 60)]]}, {"calls": [[("reply", "ok")]]},
                 limits=LIMITS.scaled(timeout_scale=0.5)) as sandbox:
        hung = sandbox.call("m:f", imports=(), timeout=2.0)
        after = sandbox.call("m:f", imports=())
    assert hung.status == "timeout" and "time limit (1 s)" in hung.reason
    assert after.value == "ok" and sandbox.starts == 2


def test_dying_during_an_import_fails_every_later_call_that_needs_the_module():
    with session({"calls": [[("import", "m"), ("exit", 0)]]}, {"calls": [[("reply", "other")]]}) as sandbox:
        first = sandbox.call("m:f", imports=("m",))
        again = sandbox.call("m:g", imports=("m",))
        other = sandbox.call("n:f", imports=("n",))
    assert first.status == again.status == "crashed"
    assert "importing m ended the sandbox" in again.reason
    assert other.value == "other" and sandbox.starts == 2  # the failed module cost no third start


def test_a_slow_import_has_the_import_limit_not_the_call_limit():
    plan = [("import", "m"), ("sleep", 1.5), ("imported", "m"), ("reply", "ok")]
    with session({"calls": [plan]}) as sandbox:
        reply = sandbox.call("m:f", imports=("m",), timeout=1.0)
    assert reply.value == "ok"


def test_malformed_lines_are_refused_not_trusted():
    pickled = ('{"event": "reply", "call": "{call}", "ok": true, '
               '"value": {"__ndarray__": {"dtype": "|O", "shape": [1], "data": ""}}}\n')
    with session({"calls": [[("raw", "{not json\n"), ("raw", pickled), ("reply", "ok")]]}) as sandbox:
        reply = sandbox.call("m:f", imports=())
    assert reply.value == "ok"
    assert sum("refused" in note for note in sandbox.notes) == 2


def test_closing_the_result_channel_fails_the_running_call():
    with session({"calls": [[("close",), ("sleep", 30)]]}) as sandbox:
        reply = sandbox.call("m:f", imports=())
    assert reply.status == "crashed" and "closed the grader's result channel" in reply.reason


def test_a_runner_that_never_starts_fails_every_call_without_restarting():
    with session({"before": [("exit", 3)]}) as sandbox:
        replies = [sandbox.call("m:f", imports=()) for _ in range(3)]
    assert sandbox.starts == 1
    assert all(r.status == "not_run" and "could not start" in r.reason for r in replies)


def test_restarts_are_bounded():
    crash = {"calls": [[("exit", 1)]]}
    with session(crash, limits=LIMITS.scaled(max_restarts=1)) as sandbox:
        replies = [sandbox.call("m:f", imports=()) for _ in range(3)]
    assert sandbox.starts == 2
    assert replies[2].status == "not_run" and "restarted" in replies[2].reason


def test_output_is_captured_but_capped():
    with session({"calls": [[("print", 500_000), ("reply", 1)]]}, limits=LIMITS.scaled(log_bytes=1000)) as sandbox:
        sandbox.call("m:f", imports=())
    assert sandbox.stdout.total > 500_000
    assert len(sandbox.stdout.text()) < 3000 and "bytes not kept" in sandbox.stdout.text()


def test_a_reply_flagged_as_tampered_is_invalid():
    record = {"event": "reply", "call": "{call}", "ok": True, "value": 1, "tampered": ["grader_observers.network"]}
    with session({"calls": [[("emit", record)]]}) as sandbox:
        reply = sandbox.call("m:f", imports=())
    assert reply.status == "invalid" and "replaced the grader's code" in reply.reason


def test_the_time_budget_stops_further_calls():
    with session({"calls": [[("reply", 1)]] * 3}, limits=LIMITS.scaled(total_seconds=0.5)) as sandbox:
        sandbox.call("m:f", imports=())
        import time

        time.sleep(0.6)
        late = sandbox.call("m:f", imports=())
    assert late.status == "not_run" and "time budget" in late.reason


def test_records_of_the_wrong_types_are_refused_with_a_note_never_a_grader_error():
    """Valid JSON, wrong types: each call fails as invalid (or goes on to the real reply); no exception."""
    calls = [
        [("raw", '{"id": [], "ok": "yes", "value": {"__array__": 5}}\n'), ("reply", "real")],
        [("emit", {"event": "reply", "call": "{call}", "ok": "yes", "value": {"__array__": 5}})],
        [("emit", {"event": "reply", "call": "{call}", "ok": True, "value": 1, "tampered": 5, "seconds": "x"})],
        [("emit", {"event": [], "call": "{call}"}), ("emit", {"event": "import_start", "call": "{call}",
                                                             "module": {"a": 1}}), ("reply", "after")],
        [("emit", {"event": "reply", "call": "{call}", "ok": False, "error": ["not", "a", "dict"]})],
        [("emit", {"event": "reply", "call": "{call}", "ok": True, "value": [1, "two"]})],
        [("emit", {"event": "reply", "call": "{call}", "ok": True, "value": {"container": "tuple", "text": []}})],
        [("emit", {"event": "reply", "call": "{call}", "ok": True, "value": {"__ndarray__": 5}}), ("reply", "x")],
    ]
    with session({"calls": calls}) as sandbox:
        wrong_id = sandbox.call("m:f", imports=())
        yes = sandbox.call("m:f", imports=())
        tampered = sandbox.call("m:f", imports=())
        odd_events = sandbox.call("m:f", imports=())
        error_list = sandbox.call("m:f", imports=())
        each = sandbox.call("m:f", [1, 2], each=True, imports=())
        prediction = sandbox.call("m:f", observe="prediction", imports=())
        bad_array = sandbox.call("m:f", imports=())
    assert wrong_id.value == "real" and odd_events.value == "after" and bad_array.value == "x"
    assert tampered.status == "invalid" and "(5)" in tampered.reason
    for reply in (yes, error_list, each, prediction):
        assert reply.status == "invalid" and "malformed" in reply.message(), reply
        with pytest.raises(StudentCodeFailed):
            reply.unwrap()
    assert "2 answers" not in each.reason and "answer 0" in each.reason
    assert "text" in prediction.reason
    refused = [note for note in sandbox.notes if note.startswith("refused a record")]
    assert len(refused) >= 7, sandbox.notes


def test_an_each_reply_must_answer_every_input():
    reply_of = [{"ok": True, "value": 1}]
    with session({"calls": [[("reply", reply_of)], [("reply", reply_of * 2)]]}) as sandbox:
        short = sandbox.call("m:f", [1, 2], each=True, imports=())
        full = sandbox.call("m:f", [1, 2], each=True, imports=())
    assert short.status == "invalid" and "1 answers for 2 inputs" in short.reason
    assert full.ok and [item["value"] for item in full.value] == [1, 1]


def test_deep_or_dense_records_are_refused_before_they_cost_memory():
    head = '{"event": "reply", "call": "{call}", "ok": true, "value": '
    plan = [("repeat", head, "[", 100_000, "]" * 100_000 + "}\n"), ("repeat", head + "[", "{},", 300_000, "{}]}\n"),
            ("reply", "ok")]
    with session({"calls": [plan]}) as sandbox:
        reply = sandbox.call("m:f", imports=())
    assert reply.value == "ok"
    assert any("recursion" in note or "nested" in note for note in sandbox.notes), sandbox.notes
    assert any("JSON values" in note for note in sandbox.notes)


def test_a_record_over_the_line_cap_ends_the_call(monkeypatch):
    from autograder.sandbox import session as session_module

    monkeypatch.setattr(session_module, "MAX_LINE", 1 << 20)
    huge = ("repeat", '{"event": "reply", "call": "{call}", "ok": true, "value": "', "x", 3 << 20, '"}\n')
    with session({"calls": [[huge]]}, {"calls": [[("reply", "next")]]}) as sandbox:
        first = sandbox.call("m:f", imports=())
        second = sandbox.call("m:f", imports=())
    assert first.status == "invalid" and "longer than 1,048,576 bytes" in first.reason
    assert second.value == "next" and sandbox.largest_record < 2 << 20


def test_exception_text_shown_to_students_is_one_short_line_within_a_budget():
    long = {"type": "Boom\nAll tests passed", "message": "first line " + "A" * 5000 + "\nsecond line",
            "traceback": ""}
    calls = [[("error", long)] for _ in range(20)]
    with session({"calls": calls}) as sandbox:
        replies = [sandbox.call("m:f", imports=()) for _ in range(20)]
    first = replies[0].message()
    assert first.startswith("your code raised Boom: first line AAA") and "\n" not in first
    assert "passed" not in first and "second line" not in first and len(first) < 300
    assert replies[0].message() == first  # shown twice, paid once
    shown = sum(len(r.message()) - len("your code raised Boom: ") for r in replies if ": " in r.message())
    assert 1000 < shown <= 2000
    assert replies[-1].message() == "your code raised Boom"
    assert len(sandbox.calls[0]["error"]["message"]) <= 300  # the instructor's copy is short too


def test_a_runner_that_saw_hidden_data_serves_no_later_test_without_the_mark():
    with session({"calls": [[("reply", 1)], [("reply", 2)]]}, {"calls": [[("reply", 3)]]}) as sandbox:
        sandbox.hidden = True
        first, second = sandbox.call("m:f", imports=()), sandbox.call("m:f", imports=())
        sandbox.hidden = False
        third = sandbox.call("m:f", imports=())  # a new runner: the second script
    assert [first.value, second.value, third.value] == [1, 2, 3]
    assert sandbox.starts == 1 and sandbox.fresh_starts == 1


def test_only_calls_into_the_submission_mark_the_runner_as_having_run_its_code():
    with session({"calls": [[("reply", True)], [("reply", 1)]]}, {"calls": []}) as sandbox:
        sandbox.call("grader:ready")
        assert not sandbox.ran_submission_code  # the grader's own function, no student import
        sandbox.call("text_recognizer.networks.mlp:mlp")
        assert sandbox.ran_submission_code
        sandbox.close()
        sandbox.spawn()  # a new runner has run nothing yet
        assert not sandbox.ran_submission_code
