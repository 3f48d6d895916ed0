"""Replay a stream of requests through sliding windows, check each for drift, raise alerts.

    python -m text_recognizer.monitoring.monitor --stream blur --length 900 --onset 300
    python -m text_recognizer.monitoring.monitor --stream in_distribution --length 3000 --quick
    python -m text_recognizer.monitoring.monitor --stream blur --metrics-log drift.emf   # + DriftScore as EMF
    python -m text_recognizer.monitoring.monitor --request-log requests.log   # + the users' correction rate

Every `step` requests, the last `window` requests are compared with the deployed model's reference
profile (`drift.detect_drift`); a window whose check finds a drifted feature is an alert. The run
is written as JSON (`reports/monitoring/<stream>.json`): per-request metrics, every window's check,
the summary; and drawn as a dashboard beside it (`<stream>.html`, `dashboard.py`), which the API
serves at `GET /monitoring` (`--dashboard PATH` writes it elsewhere, `--no-dashboard` not at all).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from text_recognizer.monitoring import drift
from text_recognizer.monitoring.features import FEATURES

WINDOW = 100
"""Requests per window: big enough for the KS test to see a shift, small enough to alert soon."""
STEP = 10
"""A window is checked every STEP requests."""
POOL_SIZES = {"in_distribution": 1000, "drifted": 300}
QUICK_POOL_SIZES = {"in_distribution": 150, "drifted": 60}


@dataclass(frozen=True)
class WindowCheck:
    """The drift check of the window of requests `[end - size, end)`."""

    end: int
    report: dict[str, Any]

    @property
    def alert(self) -> bool:
        return bool(self.report["alert"])


def sliding_windows(length: int, window: int = WINDOW, step: int = STEP) -> list[tuple[int, int]]:
    """(start, end) of every window: the first ends at `window`, then one every `step` requests."""
    if window < 1 or step < 1:
        raise ValueError(f"window and step must be at least 1, got window={window}, step={step}")
    return [(end - window, end) for end in range(window, length + 1, step)]


def check_windows(reference: Mapping[str, np.ndarray], columns: Mapping[str, np.ndarray], window: int = WINDOW,
                  step: int = STEP, **options: Any) -> list[WindowCheck]:
    """The drift check of every sliding window of a stream (`columns`: feature -> value per request)."""
    length = len(next(iter(columns.values())))
    checks = []
    for start, end in sliding_windows(length, window, step):
        part = {name: np.asarray(values)[start:end] for name, values in columns.items()}
        checks.append(WindowCheck(end, drift.drift_report_json(reference, part, **options)))
    return checks


def run_summary(name: str, checks: list[WindowCheck], onset: int | None, window: int = WINDOW) -> dict[str, Any]:
    """Alert rate over the windows before the drift (false alarms) and after it, and the requests from
    the drift's onset to the first alert."""
    before = [c for c in checks if onset is None or c.end <= onset]
    after = [c for c in checks if onset is not None and c.end - window >= onset]
    first = next((c.end for c in checks if onset is not None and c.alert and c.end > onset), None)
    return {
        "stream": name, "onset": onset, "windows": len(checks),
        "false_alarm_windows": sum(c.alert for c in before), "windows_before_drift": len(before),
        "false_alarm_rate": sum(c.alert for c in before) / len(before) if before else None,
        "alert_rate_drifted": sum(c.alert for c in after) / len(after) if after else None,
        "windows_fully_drifted": len(after),
        "requests_to_first_alert": None if first is None else first - onset,
    }


def profile_provenance(profile: Mapping[str, Any]) -> dict[str, Any]:
    """What a run record says of the reference profile it was checked against (not its values)."""
    return {key: profile.get(key) for key in ("model", "data", "count", "created")}


def run_record(stream: Any, checks: list[WindowCheck], profile: Mapping[str, Any] | None = None,
               window: int = WINDOW, step: int = STEP, **options: Any) -> dict[str, Any]:
    """A monitor run as JSON: the per-request metrics, every window's check, the summary, the alert
    rule (`options`: those given to `check_windows`) and which reference profile the checks used."""
    return {"summary": run_summary(stream.name, checks, stream.onset, window), "window": window, "step": step,
            "thresholds": {"alpha": options.get("alpha", drift.ALPHA),
                           "psi": options.get("psi_threshold", drift.PSI_THRESHOLD)},
            "profile": profile_provenance(profile or {}),
            "metrics": {name: [round(float(v), 5) for v in stream.columns[name]] for name in FEATURES},
            "checks": [{"end": c.end, **c.report} for c in checks]}


def write_run(record: Mapping[str, Any], output_dir: Path, dashboard: Path | bool = True) -> dict[str, Path]:
    """Write the run record (`<output_dir>/<stream>.json`) and its dashboard (by default beside it,
    `<stream>.html`; a path: there; False: none). Returns the paths written."""
    from text_recognizer.monitoring.dashboard import write_dashboard

    output_dir.mkdir(parents=True, exist_ok=True)
    name = record["summary"]["stream"]
    written = {"record": output_dir / f"{name}.json"}
    written["record"].write_text(json.dumps(record) + "\n")
    if dashboard is not False:
        target = output_dir / f"{name}.html" if dashboard is True else Path(dashboard)
        written["dashboard"] = write_dashboard(record, target)
    return written


def main(
    stream: Annotated[str, typer.Option(help="The stream to replay: in_distribution or a drift (streams.py).")]
    = "blur",
    length: Annotated[int, typer.Option(help="Requests in the stream.")] = 900,
    onset: Annotated[int, typer.Option(help="First drifted request (drifted streams).")] = 300,
    seed: Annotated[int, typer.Option(help="Seed of the pools and the replay.")] = 0,
    quick: Annotated[bool, typer.Option(help="Small pools (a smoke test, not a measurement).")] = False,
    output_dir: Annotated[Path | None, typer.Option(
        help="Where the run record goes (default <course>/reports/monitoring).")] = None,
    dashboard: Annotated[Path | None, typer.Option(
        help="Where to write the dashboard HTML (default <output-dir>/<stream>.html).")] = None,
    no_dashboard: Annotated[bool, typer.Option("--no-dashboard", help="Write the run record only.")] = False,
    metrics_log: Annotated[Path | None, typer.Option(
        help="Also write each window's DriftScore as CloudWatch EMF lines to this file.")] = None,
    request_log: Annotated[Path | None, typer.Option(
        help="The service's request log (JSON lines): report its correction rate beside the drift.")] = None,
) -> None:
    """Replay a stream of requests through sliding windows, check each for drift, raise alerts."""
    from text_recognizer.environment import configure_environment
    from text_recognizer.monitoring import profile, streams
    from text_recognizer.paths import course_root

    if stream not in streams.STREAMS:
        raise typer.BadParameter(f"choose one of {', '.join(streams.STREAMS)}", param_hint="--stream")
    configure_environment()
    sizes = QUICK_POOL_SIZES if quick else POOL_SIZES
    recognizer = streams.line_recognizer()
    deployed = profile.deployed_profile(recognizer)
    reference = profile.reference_columns(deployed)
    pools = {name: streams.pool_features(name, sizes["in_distribution" if name == "in_distribution" else "drifted"],
                                         recognizer=recognizer)
             for name in {"in_distribution", stream}}
    replayed = streams.replay(pools, stream, length, onset, seed)
    record = run_record(replayed, check_windows(reference, replayed.columns), deployed)
    if request_log is not None:
        from text_recognizer.monitoring.corrections import correction_rate

        with request_log.open(encoding="utf-8", errors="replace") as log:
            record["corrections"] = correction_rate(log)
    written = write_run(record, output_dir or course_root() / "reports" / "monitoring",
                        False if no_dashboard else (dashboard or True))
    if metrics_log is not None:
        from text_recognizer.monitoring.cloudwatch_metrics import LAMBDA_SERVICE, write_drift_metrics

        # The deployed function's service dimension: the one serverless.yml's DriftScoreAlarm watches.
        written["metrics"] = write_drift_metrics(record["checks"], metrics_log, LAMBDA_SERVICE)
    print(json.dumps(record["summary"], indent=1))
    if "corrections" in record:
        print(f"corrections: {json.dumps(record['corrections'])}")
    print(f"run record: {written['record']}")
    if "metrics" in written:
        print(f"metrics:    {written['metrics']} (CloudWatch EMF: DriftScore per window)")
    if "dashboard" in written:
        print(f"dashboard:  {written['dashboard']} (the API serves the newest at GET /monitoring)")


if __name__ == "__main__":
    typer.run(main)
