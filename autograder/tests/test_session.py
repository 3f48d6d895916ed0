"""The parent's side of the sandbox protocol, driven by scripted fake runners (no bwrap, fast)."""

from __future__ import annotations

import json
import sys

import pytest

from autograder.sandbox.launch import Launch
from autograder.sandbox.limits import Limits
from autograder.sandbox.session import ProbeSpec, run_session

NEWLINE = b"\n"
LIMITS = Limits(startup_seconds=10, import_seconds=10, idle_seconds=5, total_seconds=60, max_restarts=3)


def scripted(*starts: list[tuple]):
    """A `start` function whose n-th start runs the n-th list of actions."""
    calls: list[list[str]] = []

    def start(only: list[str], fd: int) -> Launch:
        actions = starts[min(len(calls), len(starts) - 1)]
        calls.append(only)
        lines = ["import os, sys, time", f"fd = {fd}"]
        for action, *args in actions:
            if action == "emit":
                line = json.dumps(args[0]).encode() + NEWLINE
                lines.append(f"os.write(fd, {line!r})")
            elif action == "raw":
                lines.append(f"os.write(fd, {args[0]!r})")
            elif action == "sleep":
                lines.append(f"time.sleep({args[0]})")
            elif action == "exit":
                lines.append(f"os._exit({args[0]})")
            elif action == "close":
                lines.append("os.close(fd)")
            elif action == "print":
                lines.append(f"sys.stdout.write('x' * {args[0]}); sys.stdout.flush()")
        return Launch([sys.executable, "-c", "\n".join(lines)], {}, "", "", "")

    start.calls = calls  # type: ignore[attr-defined]
    return start


def hello():
    return ("emit", {"event": "hello"})


def begin(probe):
    return ("emit", {"event": "probe_start", "probe": probe})


def done(probe, ok=True, **result):
    return ("emit", {"event": "probe_done", "probe": probe, "ok": ok, "result": result or {"x": 1}})


def bye():
    return ("emit", {"event": "bye"})


SPECS = [ProbeSpec("a", ("m",), 2.0), ProbeSpec("b", ("m",), 2.0), ProbeSpec("c", ("other",), 2.0)]


def test_a_clean_run_reports_every_probe():
    start = scripted([hello(), begin("a"), done("a"), begin("b"), done("b"), begin("c"), done("c"), bye()])
    report = run_session(SPECS, start, LIMITS)
    assert {p: o.status for p, o in report.outcomes.items()} == {"a": "ok", "b": "ok", "c": "ok"}
    assert report.starts == 1 and report.notes == []


def test_a_second_report_of_a_probe_makes_it_invalid():
    start = scripted([hello(), begin("a"), done("a"), done("a"), begin("b"), done("b"), begin("c"), done("c"), bye()])
    report = run_session(SPECS, start, LIMITS)
    assert report.outcomes["a"].status == "invalid"
    assert "reported twice" in report.outcomes["a"].reason
    assert report.outcomes["b"].ok


def test_a_forged_report_for_a_probe_that_is_not_running_is_refused():
    start = scripted(
        [
            hello(),
            done("b"),
            ("emit", {"event": "bye"}),
            begin("a"),
            done("a"),
            begin("b"),
            done("b"),
            begin("c"),
            done("c"),
            bye(),
        ]
    )
    report = run_session(SPECS, start, LIMITS)
    assert all(o.ok for o in report.outcomes.values())
    assert sum("refused a record" in note for note in report.notes) >= 1


def test_a_forged_report_during_an_import_is_refused():
    start = scripted(
        [
            hello(),
            begin("a"),
            ("emit", {"event": "import_start", "probe": "a", "module": "m"}),
            done("a"),
            ("emit", {"event": "import_done", "probe": "a", "module": "m", "ok": True}),
            done("a"),
            begin("b"),
            done("b"),
            begin("c"),
            done("c"),
            bye(),
        ]
    )
    report = run_session(SPECS, start, LIMITS)
    assert report.outcomes["a"].ok  # only the runner's own report was taken
    assert any("probe_done for 'a' while import" in note for note in report.notes)
    assert report.outcomes["b"].ok and report.outcomes["c"].ok


def test_a_hanging_probe_times_out_and_the_rest_run_after_a_restart():
    start = scripted(
        [hello(), begin("a"), ("sleep", 60)], [hello(), begin("b"), done("b"), begin("c"), done("c"), bye()]
    )
    report = run_session(SPECS, start, LIMITS.scaled(timeout_scale=0.5))
    assert report.outcomes["a"].status == "timeout"
    assert "time limit (1 s)" in report.outcomes["a"].reason
    assert report.outcomes["b"].ok and report.outcomes["c"].ok
    assert report.starts == 2 and start.calls[1] == ["b", "c"]


def test_dying_during_an_import_fails_every_probe_that_needs_the_module():
    start = scripted(
        [hello(), begin("a"), ("emit", {"event": "import_start", "probe": "a", "module": "m"}), ("exit", 0)],
        [hello(), begin("c"), done("c"), bye()],
    )
    report = run_session(SPECS, start, LIMITS)
    assert report.outcomes["a"].status == report.outcomes["b"].status == "crashed"
    assert "importing m ended the sandbox" in report.outcomes["b"].reason
    assert report.outcomes["c"].ok and start.calls[1] == ["c"]


def test_malformed_lines_are_refused_not_trusted():
    start = scripted(
        [
            hello(),
            ("raw", b"{not json\n"),
            (
                "raw",
                b'{"event": "probe_done", "probe": "a", "ok": true, '
                b'"result": {"__ndarray__": {"dtype": "|O", "shape": [1], "data": ""}}}\n',
            ),
            begin("a"),
            done("a"),
            begin("b"),
            done("b"),
            begin("c"),
            done("c"),
            bye(),
        ]
    )
    report = run_session(SPECS, start, LIMITS)
    assert all(o.ok for o in report.outcomes.values())
    assert sum("refused" in note for note in report.notes) == 2


def test_closing_the_result_channel_fails_the_running_probe():
    start = scripted(
        [hello(), begin("a"), ("close",), ("sleep", 30)],
        [hello(), begin("b"), done("b"), begin("c"), done("c"), bye()],
    )
    report = run_session(SPECS, start, LIMITS)
    assert report.outcomes["a"].status == "crashed"
    assert "closed the grader's result channel" in report.outcomes["a"].reason


def test_a_runner_that_never_starts_fails_everything_once():
    start = scripted([("exit", 3)])
    report = run_session(SPECS, start, LIMITS)
    assert report.starts == 1
    assert all(o.status == "not_run" and "could not start" in o.reason for o in report.outcomes.values())


def test_restarts_are_bounded():
    start = scripted(
        [hello(), begin("a"), ("exit", 1)],
        [hello(), begin("b"), ("exit", 1)],
        [hello(), begin("c"), ("exit", 1)],
    )
    report = run_session(SPECS, start, LIMITS.scaled(max_restarts=1))
    assert report.starts == 2
    assert report.outcomes["c"].status == "not_run" and "restarted" in report.outcomes["c"].reason


def test_output_is_captured_but_capped():
    start = scripted(
        [
            hello(),
            ("print", 500_000),
            begin("a"),
            done("a"),
            begin("b"),
            done("b"),
            begin("c"),
            done("c"),
            bye(),
        ]
    )
    report = run_session(SPECS, start, LIMITS.scaled(log_bytes=1000))
    assert report.stdout.total > 500_000
    assert len(report.stdout.text()) < 3000 and "bytes not kept" in report.stdout.text()


@pytest.mark.parametrize("flag", ["tampered"])
def test_a_report_flagged_as_tampered_is_invalid(flag):
    start = scripted(
        [
            hello(),
            begin("a"),
            (
                "emit",
                {"event": "probe_done", "probe": "a", "ok": True, "result": {}, flag: ["grader_probes.mlp"]},
            ),
            begin("b"),
            done("b"),
            begin("c"),
            done("c"),
            bye(),
        ]
    )
    report = run_session(SPECS, start, LIMITS)
    assert report.outcomes["a"].status == "invalid" and "replaced the grader's code" in report.outcomes["a"].reason
