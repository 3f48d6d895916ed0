"""Lab 7's alarm exercise: `DriftScoreAlarm` in the student's serverless.yml.

The grader's `package_service` (`sandbox/observers.py`) runs `osls package` offline in a fresh
sandbox runner, before any student module is imported, and reports the CloudWatch alarms of the
CloudFormation template it wrote. Here the drift alarm is replayed (`alarm_replay.py`) on series
of DriftScore values drawn with the secret seed: it must fire on drift and stay quiet otherwise.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.pipeline.marks import graded
from autograder.suites.lab7.alarm_replay import in_alarm

NAMESPACE, DIMENSION, SERVICE, THRESHOLD = "TextRecognizer", "service", "lambda", 0.5
"""The metric the monitor writes (monitoring/cloudwatch_metrics.py) and drift.PSI_THRESHOLD."""
HIDDEN_MESSAGE = "Replayed on hidden series of drift scores: beyond the figures above, no details are shown."


@pytest.fixture(scope="module")
def packaged(sandbox) -> dict:
    """`osls package`'s status and the template's alarms, from a runner that ran no student code."""
    sandbox.close()
    reply = sandbox.call("grader:package_service", timeout=300)
    assert reply.ok and isinstance(reply.value, dict), f"the service could not be packaged: {reply.message()}"
    return reply.value


def drift_alarm(packaged: dict, feedback) -> dict:
    """The properties of the alarm on DriftScore, or {} (with the reason said)."""
    if packaged.get("status") != 0:
        feedback.say(f"`osls package` failed: {str(packaged.get('output', ''))[-600:]}")
        return {}
    alarms = [a.get("Properties", {}) for a in packaged.get("alarms", {}).values() if isinstance(a, dict)]
    found = [p for p in alarms if isinstance(p, dict) and p.get("MetricName") == "DriftScore"]
    feedback.say(f"{len(found)} alarm(s) on DriftScore in the packaged template")
    return found[0] if len(found) == 1 else {}


def series(rng: np.random.Generator, pattern: str, high: tuple[float, float] = (0.6, 2.0),
           low: tuple[float, float] = (0.02, 0.3)) -> list[list[float]]:
    """Five-minute periods, oldest first: `D` one drifted window among fine ones, `N` only fine
    windows, `-` no data (no traffic)."""
    periods = []
    for kind in pattern:
        if kind == "-":
            periods.append([])
            continue
        values = list(rng.uniform(*low, size=int(rng.integers(3, 9))))
        if kind == "D":
            values[int(rng.integers(len(values)))] = float(rng.uniform(*high))
        periods.append(values)
    return periods


def cases(seed: int) -> list[tuple[str, list[list[float]], bool]]:
    """(what, periods, whether the alarm must fire)."""
    rng = np.random.default_rng([seed, 7, 2])
    return [
        ("two of the last three periods each hold one drifted window", series(rng, "NNNDND"), True),
        ("the last three periods drifted", series(rng, "NNDDD"), True),
        ("scores a little above the threshold in two periods", series(rng, "NNDDN", high=(0.52, 0.6)), True),
        ("one drifted period among the last three", series(rng, "NNNDNN"), False),
        ("no drift, scores just under the threshold", series(rng, "NNNNNN", low=(0.4, 0.48)), False),
        ("two drifted periods, then no traffic", series(rng, "NDD---"), False),
        ("one drifted period, then no traffic", series(rng, "NNND--"), False),
    ]


@graded("alarm: fires on drift, quiet otherwise", 10, hidden_message=HIDDEN_MESSAGE)
def test_drift_alarm_replayed(packaged, feedback, seed):
    properties = drift_alarm(packaged, feedback)
    right = 0
    replay = cases(seed)
    for what, periods, expected in replay:
        try:
            fired = in_alarm(properties, periods) if properties.get("Period") == 300 else None
        except (KeyError, TypeError, ValueError):
            fired = None
        right += fired is expected
        feedback.say(f"{'ok  ' if fired is expected else 'FAIL'} {what}: {'alarm' if expected else 'no alarm'} expected")
    feedback.partial(right / len(replay), f"{right} of {len(replay)} series answered as the contract says.")
    assert properties, "no single alarm on DriftScore in the packaged template"
    assert properties.get("Period") == 300, "the contract's periods are five minutes (300 s)"
    assert right == len(replay), "the alarm does not fire exactly on drift"


@graded("alarm: the monitor's metric, the topic notified", 5)
def test_drift_alarm_watches_the_metric(packaged, feedback):
    properties = drift_alarm(packaged, feedback)
    checks = {
        "namespace TextRecognizer": properties.get("Namespace") == NAMESPACE,
        "dimension service=lambda": properties.get("Dimensions") == [{"Name": DIMENSION, "Value": SERVICE}],
        "threshold is the drift check's (0.5)": properties.get("Threshold") == THRESHOLD,
        "it notifies AlertTopic": properties.get("AlarmActions") == [{"Ref": "AlertTopic"}],
    }
    for name, ok in checks.items():
        feedback.say(f"{'ok  ' if ok else 'FAIL'} {name}")
    feedback.partial(sum(checks.values()) / len(checks), "")
    assert all(checks.values()), "the alarm does not watch the monitor's DriftScore or notify AlertTopic"
