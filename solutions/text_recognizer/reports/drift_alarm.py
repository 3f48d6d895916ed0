"""Evaluate the drift alarm: false alarms on normal traffic, and how soon each kind of drift is caught.

    python -m text_recognizer.reports.drift_alarm --output ../reports/lab7_drift.json
    python -m text_recognizer.reports.drift_alarm --dashboards ../reports/monitoring   # also draw them

The deployed line model reads fresh pools of requests (`streams.pool_features`, seed
`EVALUATION_SEED`: other lines than the reference profile's and than the monitor's default
streams), then the monitor's check (`drift.detect_drift` against the deployed reference profile,
windows of `monitor.WINDOW` requests every `monitor.STEP`) runs over replayed streams:

- **in-distribution**: one long stream of `--normal-length` requests; every alerting window is a
  false alarm. Target: at most 1 window in 100.
- **each drifted stream**: `--replays` streams, normal for `--onset` requests, then drifted; the
  requests from the drift's onset to the first alert (detection delay; a window every STEP
  requests, so it is a multiple of STEP), the alert rate of the windows before the drift and of
  those fully inside it. Target: every replay detected within 200 requests.

Prints a table and writes the figures as JSON. The requests are the offline EMNIST-lines
substitute and its transformations (`streams.py`), and the report says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from text_recognizer.monitoring import drift, monitor, streams
from text_recognizer.reports import write_report

EVALUATION_SEED = 2026
"""Seed of the evaluation's pools and replays: fresh requests, not those the thresholds were chosen on."""
POOL_SIZES = {"in_distribution": 2000, "drifted": 400}
NORMAL_LENGTH = 10_000
"""Requests of the in-distribution stream: 991 sliding windows (about 100 that do not overlap)."""
ONSET = 300
DRIFTED_LENGTH = 900
REPLAYS = 20
TARGETS = {"max_false_alarm_rate": 0.01, "max_requests_to_first_alert": 200}


def alert_rate(checks: list[monitor.WindowCheck]) -> float | None:
    """The share of windows that alerted (None without windows)."""
    return sum(check.alert for check in checks) / len(checks) if checks else None


def drifted_features(checks: list[monitor.WindowCheck]) -> dict[str, int]:
    """How many alerting windows named each feature, most frequent first."""
    counts = Counter(name for check in checks for name in check.report["drifted"])
    return dict(counts.most_common())


def evaluate_normal(reference: Mapping[str, np.ndarray], pools: Mapping[str, Mapping[str, np.ndarray]],
                    length: int, seed: int) -> tuple[dict[str, Any], streams.Stream, list[monitor.WindowCheck]]:
    """The in-distribution stream: every window's alert is a false alarm."""
    stream = streams.replay(pools, "in_distribution", length, seed=seed)
    checks = monitor.check_windows(reference, stream.columns)
    rate = alert_rate(checks)
    return ({"requests": length, "windows": len(checks), "non_overlapping_windows": length // monitor.WINDOW,
             "alerting_windows": sum(c.alert for c in checks),
             "alert_rate": rate, "false_alarm_rate": rate, "drifted_features": drifted_features(checks),
             "max_score": max((c.report["score"] for c in checks), default=None),
             "meets_target": rate is not None and rate <= TARGETS["max_false_alarm_rate"]},
            stream, checks)


def evaluate_drifted(reference: Mapping[str, np.ndarray], pools: Mapping[str, Mapping[str, np.ndarray]],
                     name: str, length: int, onset: int, replays: int, seed: int
                     ) -> tuple[dict[str, Any], streams.Stream, list[monitor.WindowCheck]]:
    """`replays` streams of `name` drifting at `onset`: detection delay, and alert rates before and during."""
    delays, before, during, first_run = [], [], [], None
    for replay in range(replays):
        stream = streams.replay(pools, name, length, onset, seed + replay)
        checks = monitor.check_windows(reference, stream.columns)
        summary = monitor.run_summary(name, checks, onset)
        delays.append(summary["requests_to_first_alert"])
        before += [c for c in checks if c.end <= onset]
        during += [c for c in checks if c.end - monitor.WINDOW >= onset]
        first_run = first_run or (stream, checks)
    detected = [delay for delay in delays if delay is not None]
    in_time = sum(delay <= TARGETS["max_requests_to_first_alert"] for delay in detected)
    return ({"requests": length, "onset": onset, "replays": replays,
             "windows": len(before) + len(during), "windows_before_drift": len(before),
             "false_alarm_rate": alert_rate(before), "windows_fully_drifted": len(during),
             "alert_rate": alert_rate(during), "detected_replays": len(detected),
             "detected_within_target": in_time,
             "requests_to_first_alert": {
                 "median": float(np.median(detected)) if detected else None,
                 "max": max(detected) if len(detected) == replays else None, "per_replay": delays},
             "drifted_features": drifted_features(during),
             "meets_target": in_time == replays},
            *first_run)


def evaluate(reference: Mapping[str, np.ndarray], pools: Mapping[str, Mapping[str, np.ndarray]],
             normal_length: int = NORMAL_LENGTH, drifted_length: int = DRIFTED_LENGTH, onset: int = ONSET,
             replays: int = REPLAYS, seed: int = EVALUATION_SEED, dashboards: Path | None = None,
             profile: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every stream of `pools` (which needs "in_distribution"), checked against `reference`; with
    `dashboards`, each stream's first replay is also written there as a run record and dashboard."""
    results: dict[str, Any] = {}
    for name in pools:
        if name == "in_distribution":
            result, stream, checks = evaluate_normal(reference, pools, normal_length, seed)
        else:
            result, stream, checks = evaluate_drifted(reference, pools, name, drifted_length, onset, replays, seed)
        results[name] = result
        if dashboards is not None:
            monitor.write_run(monitor.run_record(stream, checks, profile), dashboards)
    drifted = [result for name, result in results.items() if name != "in_distribution"]
    return {"streams": results,
            "targets": TARGETS,
            "targets_met": {"false_alarms": results["in_distribution"]["meets_target"],
                            "detection": all(result["meets_target"] for result in drifted)}}


def table(report: Mapping[str, Any]) -> str:
    """The report's streams as a plain-text table."""
    def share(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    lines = [f"{'stream':<16} {'windows':>8} {'alert rate':>11} {'false alarms':>13} "
             f"{'first alert (requests): median / max':>38} {'detected':>9}"]
    for name, result in report["streams"].items():
        if name == "in_distribution":
            delays, detected = "- (no drift)", "-"
        else:
            first = result["requests_to_first_alert"]
            if first["max"] is not None:
                delays = f"{first['median']:.0f} / {first['max']}"
            else:
                delays = "never" if first["median"] is None else f"{first['median']:.0f} / not every replay"
            detected = f"{result['detected_within_target']}/{result['replays']}"
        lines.append(f"{name:<16} {result['windows']:>8} {share(result['alert_rate']):>11} "
                     f"{share(result['false_alarm_rate']):>13} {delays:>38} {detected:>9}")
    lines.append("windows: in-distribution, every sliding window; drifted, those wholly before or wholly after the "
                 "onset, over all replays. alert rate: of the drifted windows (in-distribution: of all).")
    met = report["targets_met"]
    lines.append(f"targets: false alarms <= {TARGETS['max_false_alarm_rate']:.0%} of in-distribution windows: "
                 f"{'met' if met['false_alarms'] else 'MISSED'}; every drifted replay alerted within "
                 f"{TARGETS['max_requests_to_first_alert']} requests: {'met' if met['detection'] else 'MISSED'}")
    return "\n".join(lines)


def main(
    output: Annotated[Path | None, typer.Option(help="The report JSON (default <course>/reports/lab7_drift.json).")]
    = None,
    dashboards: Annotated[Path | None, typer.Option(
        help="Also write each stream's run record and dashboard into this folder.")] = None,
    normal_length: Annotated[int, typer.Option(help="Requests of each in-distribution replay.")] = NORMAL_LENGTH,
    replays: Annotated[int, typer.Option(help="Replays per stream.")] = REPLAYS,
    seed: Annotated[int, typer.Option(help="Seed of the pools and the replays.")] = EVALUATION_SEED,
) -> None:
    """How well does Lab 7's drift alarm work? False alarms in-distribution, detection delay per drift."""
    from text_recognizer.environment import configure_environment
    from text_recognizer.monitoring import profile
    from text_recognizer.paths import course_root

    configure_environment()
    recognizer = streams.line_recognizer()
    deployed = profile.deployed_profile(recognizer)
    reference = profile.reference_columns(deployed)
    pools = {name: streams.pool_features(name, POOL_SIZES["in_distribution" if name == "in_distribution"
                                                          else "drifted"], seed, recognizer)
             for name in streams.STREAMS}
    report = evaluate(reference, pools, normal_length, DRIFTED_LENGTH, ONSET, replays, seed, dashboards, deployed)
    report = {"what": "Lab 7's drift alarm on replayed request streams: false alarms in-distribution, "
                      "requests from a drift's onset to the first alert",
              "data_source": "offline substitute: EMNIST-lines substitute lines (validation characters, Brown "
                             "corpus text) and their drifted forms (streams.py), read by the deployed line model",
              "profile": monitor.profile_provenance(deployed),
              "alert_rule": {"window": monitor.WINDOW, "step": monitor.STEP, "alpha": drift.ALPHA,
                             "psi_threshold": drift.PSI_THRESHOLD, "features": list(reference)},
              "pools": {"seed": seed, **POOL_SIZES},
              "thresholds_note": "ALPHA and PSI_THRESHOLD are drift.py's, set before this evaluation; they were "
                                 f"not tuned on its pools or replays (seed {seed})",
              **report}
    written = write_report(report, output or course_root() / "reports" / "lab7_drift.json")
    print(table(report))
    print(f"report: {written}")


if __name__ == "__main__":
    typer.run(main)
