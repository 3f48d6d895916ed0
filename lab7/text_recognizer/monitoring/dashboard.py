"""Draw a monitor run as a dashboard: one self-contained HTML page (inline SVG plots, no scripts).

    html = dashboard_html(record)                  # record: monitor.run_record(...) or its JSON file
    write_dashboard(record, "reports/monitoring/blur.html")

The page shows, over the requests of the stream:

- the metrics of every window (the same windows the drift check saw): mean latency and its p95,
  mean confidence, mean brightness and contrast, mean text length, failed requests;
- the drift scores of every feature: the PSI (log scale, with the threshold) and the KS statistic;
- the alerts: a red mark on every plot where a window alerted, a dashed line where the drift began,
  and a table of the alerting windows with the features that drifted.

The API serves the newest one at `GET /monitoring` (see `latest_dashboard`).
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ALERT_COLOUR = "#c62828"
ONSET_COLOUR = "#37474f"
METRIC_PANELS = (
    # (title, y label, [(metric, statistic, legend label)])
    ("Latency", "ms", [("latency_ms", "mean", "mean"), ("latency_ms", "p95", "p95")]),
    ("Confidence", "mean of the window", [("confidence", "mean", "confidence")]),
    ("Image", "grey level (0..1)", [("brightness", "mean", "brightness"), ("contrast", "mean", "contrast")]),
    ("Text length", "characters", [("text_length", "mean", "text length")]),
)
PSI_SHOWN_FROM = 0.01
"""The PSI plot's floor: smaller values (a feature that never changes has PSI 0) sit on it."""
ALERT_ROWS_SHOWN = 50
"""The alert table lists at most this many windows (a long drift alerts on every window)."""


def load_record(record: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """A run record: as given, or read from the JSON file the monitor wrote."""
    if isinstance(record, Mapping):
        return dict(record)
    path = Path(record)
    if not path.is_file():
        raise FileNotFoundError(f"No monitor run record at {path}: make one with "
                                "`python -m text_recognizer.monitoring.monitor --stream blur`.")
    return json.loads(path.read_text())


def window_statistics(values: Sequence[float], ends: Sequence[int], window: int) -> dict[str, np.ndarray]:
    """Mean, p95 and count of missing values (NaN: a failed request) of each window `[end - window, end)`."""
    values = np.asarray(values, np.float64)
    means, p95s, missing = [], [], []
    for end in ends:
        part = values[max(0, end - window):end]
        answered = part[~np.isnan(part)]
        means.append(answered.mean() if answered.size else np.nan)
        p95s.append(np.percentile(answered, 95) if answered.size else np.nan)
        missing.append(part.size - answered.size)
    return {"mean": np.array(means), "p95": np.array(p95s), "missing": np.array(missing, np.float64)}


def _mark_alerts(axis: Any, alert_ends: list[int], onset: int | None, step: int) -> None:
    """Red bands where windows alerted and a dashed line at the drift's onset; ids for the page's tests."""
    for end in alert_ends:
        axis.axvspan(end - step, end, color=ALERT_COLOUR, alpha=0.18, linewidth=0, gid="alert-mark")
    if onset is not None:
        axis.axvline(onset, color=ONSET_COLOUR, linestyle="--", linewidth=1.2, gid="drift-onset")


def figure_svg(record: Mapping[str, Any]) -> str:
    """The dashboard's plots as one SVG document (text kept as text, so the page stays searchable)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: the figure only becomes an SVG string
    import matplotlib.pyplot as plt

    checks, window, step = record["checks"], int(record["window"]), int(record["step"])
    summary, metrics = record["summary"], record["metrics"]
    ends = [int(check["end"]) for check in checks]
    alert_ends = [int(check["end"]) for check in checks if check["alert"]]
    features = list(checks[0]["features"]) if checks else []
    colours = {name: plt.get_cmap("tab10")(i % 10) for i, name in enumerate(features)}

    panels = len(METRIC_PANELS) + 3
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "text-recognizer-dashboard",
                         "font.size": 10, "axes.titlesize": 11, "axes.titleweight": "bold"}):
        figure, axes = plt.subplots(panels, 1, figsize=(11, 2.1 * panels + 0.6), sharex=True,
                                    constrained_layout=True)
        for axis, (title, unit, series) in zip(axes, METRIC_PANELS, strict=False):
            for metric, statistic, label in series:
                if metric in metrics:
                    values = window_statistics(metrics[metric], ends, window)[statistic]
                    axis.plot(ends, values, linewidth=1.5, label=label)
            axis.set_title(title, loc="left")
            axis.set_ylabel(unit)
            if len(series) > 1:
                axis.legend(loc="upper left", fontsize=8, frameon=False, ncols=len(series))
        errors_axis, psi_axis, ks_axis = axes[len(METRIC_PANELS):]
        failed = (window_statistics(metrics["confidence"], ends, window)["missing"] if "confidence" in metrics
                  else np.zeros(len(ends)))
        errors_axis.step(ends, failed, where="post", color="#6d4c41", linewidth=1.5)
        errors_axis.set_ylim(bottom=0, top=max(1.0, float(failed.max()) * 1.2 if len(failed) else 1.0))
        errors_axis.set_title("Errors: failed requests per window (no answer, no confidence)", loc="left")
        errors_axis.set_ylabel("requests")

        threshold = record.get("thresholds", {}).get("psi")
        for name in features:
            psi = [max(check["features"][name]["psi"], PSI_SHOWN_FROM) for check in checks]
            ks = [check["features"][name]["statistic"] for check in checks]
            psi_axis.plot(ends, psi, color=colours[name], linewidth=1.3, label=name)
            ks_axis.plot(ends, ks, color=colours[name], linewidth=1.3, label=name)
        psi_axis.set_yscale("log")
        psi_axis.set_ylim(bottom=PSI_SHOWN_FROM * 0.8)
        if threshold:
            psi_axis.axhline(threshold, color=ALERT_COLOUR, linestyle=":", linewidth=1.2)
            psi_axis.annotate(f"alert threshold {threshold:g}", (0.995, threshold), xycoords=("axes fraction", "data"),
                              ha="right", va="bottom", color=ALERT_COLOUR, fontsize=8)
        psi_axis.set_title("Drift score: population-stability index per feature", loc="left")
        psi_axis.set_ylabel("PSI (log)")
        ks_axis.set_title("Drift test: Kolmogorov-Smirnov statistic per feature", loc="left")
        ks_axis.set_ylabel("KS statistic")
        ks_axis.set_ylim(0, 1)
        ks_axis.set_xlabel(f"requests (each point: the window of the last {window} requests, every {step})")
        if features:
            psi_axis.legend(loc="upper left", fontsize=8, frameon=False, ncols=min(4, len(features)))
        for axis in axes:
            _mark_alerts(axis, alert_ends, summary.get("onset"), step)
            axis.grid(alpha=0.25)
        if alert_ends:
            top = psi_axis.get_ylim()[1]
            psi_axis.scatter(alert_ends, [top] * len(alert_ends), marker="v", color=ALERT_COLOUR, s=22,
                             clip_on=False, zorder=5, gid="alert-markers")
        axes[0].set_xlim(0, max(ends[-1] if ends else window, window))
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
        plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]  # drop the XML prologue and doctype: it sits inside the HTML page


def _summary_rows(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    summary = record["summary"]
    profile = record.get("profile") or {}
    model = (profile.get("model") or {}).get("name") or "unknown model"

    def rate(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    first = summary.get("requests_to_first_alert")
    rows = [("stream", str(summary["stream"])),
            ("requests", str(len(next(iter(record["metrics"].values()), [])))),
            ("drift begins at request", "no drift (in-distribution)" if summary.get("onset") is None
             else str(summary["onset"])),
            ("windows checked", f"{summary['windows']} (last {record['window']} requests, every {record['step']})"),
            ("alerting windows", str(sum(bool(check["alert"]) for check in record["checks"]))),
            ("false alarms before the drift", f"{summary['false_alarm_windows']} of {summary['windows_before_drift']} "
                                              f"windows ({rate(summary['false_alarm_rate'])})"),
            ("alert rate once fully drifted", rate(summary.get("alert_rate_drifted"))),
            ("requests from the drift to the first alert", "-" if first is None else str(first)),
            ("reference profile", f"{model}: {profile.get('data', 'no profile recorded')}")]
    thresholds = record.get("thresholds")
    if thresholds:
        rows.append(("alert rule", f"KS p-value < {thresholds['alpha']:g} / features and PSI >= {thresholds['psi']:g}"))
    corrections = record.get("corrections")
    if corrections:  # from the service's request log (monitor --request-log)
        rows.append(("correction rate (users' corrections per line read)",
                     f"{rate(corrections['correction_rate'])}: {corrections['corrections']} of "
                     f"{corrections['lines_read']} lines"))
    return rows


def _alert_table(record: Mapping[str, Any]) -> str:
    alerts = [check for check in record["checks"] if check["alert"]]
    if not alerts:
        return '<p id="alerts" data-alerts="0">No window alerted.</p>'
    rows = "".join(
        f"<tr><td>{check['end'] - record['window']}..{check['end']}</td>"
        f"<td>{html.escape(', '.join(check['drifted']))}</td><td>{check['score']:.2f}</td></tr>"
        for check in alerts[:ALERT_ROWS_SHOWN])
    more = (f"<p>... and {len(alerts) - ALERT_ROWS_SHOWN} more alerting windows.</p>"
            if len(alerts) > ALERT_ROWS_SHOWN else "")
    return (f'<table id="alerts" data-alerts="{len(alerts)}"><thead><tr><th>window (requests)</th>'
            f"<th>drifted features</th><th>drift score (max PSI)</th></tr></thead><tbody>{rows}</tbody></table>{more}")


VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
"""Phones lay the page out at their own width (without it, at 980 px, shrunk)."""
PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; padding: 0 0.75rem; max-width: 72rem;
  color: #212121; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; }
.subtitle { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { padding: 0.2rem 0.8rem; text-align: left; }
#summary td:first-child { color: #555; } #alerts th, #alerts td { border-bottom: 1px solid #ddd; }
.status { display: inline-block; padding: 0.2rem 0.7rem; border-radius: 1rem; color: white; font-weight: bold; }
.status.alert { background: #c62828; } .status.ok { background: #2e7d32; }
.legend span { margin-right: 1.4rem; } .swatch { display: inline-block; width: 1rem; height: 0.8rem;
  vertical-align: middle; margin-right: 0.3rem; }
figure { margin: 0; } figure svg { width: 100%; height: auto; }
#alerts { display: block; overflow-x: auto; max-width: 100%; }  /* a phone scrolls the table, not the page */
@media (max-width: 600px) { td, th { padding: 0.2rem 0.4rem; } h1 { font-size: 1.25rem; } }
"""


def dashboard_html(record: Mapping[str, Any] | str | Path) -> str:
    """The dashboard of a monitor run record (a dict or its JSON file) as a self-contained HTML page."""
    record = load_record(record)
    if not record.get("checks"):
        raise ValueError(f"The run of stream {record['summary']['stream']!r} has no window to draw: replay at "
                         f"least {record['window']} requests (the window size).")
    stream = html.escape(str(record["summary"]["stream"]))
    alerts = sum(bool(check["alert"]) for check in record["checks"])
    status = (f'<span class="status alert">{alerts} alerting windows</span>' if alerts
              else '<span class="status ok">no alert</span>')
    summary = "".join(f"<tr><td>{html.escape(key)}</td><td>{html.escape(value)}</td></tr>"
                      for key, value in _summary_rows(record))
    legend = (f'<p class="legend"><span><i class="swatch" style="background:{ALERT_COLOUR};opacity:0.35"></i>'
              "a window that alerted (it ends here)</span>"
              f'<span><i class="swatch" style="border-top:2px dashed {ONSET_COLOUR};height:0"></i>'
              "the drift begins</span><span>Every point is one window: its metrics' mean (latency also its p95) "
              "and each feature's drift check against the reference profile.</span></p>")
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8">{VIEWPORT}<title>Monitoring: {stream}</title><style>{PAGE_STYLE}</style></head>
<body data-stream="{stream}" data-alerts="{alerts}">
<h1>Monitoring the text recognizer: stream <code>{stream}</code> {status}</h1>
<p class="subtitle">Requests replayed through sliding windows; each window is checked for drift against the deployed
model's reference profile (<code>python -m text_recognizer.monitoring.monitor</code>).</p>
<table id="summary">{summary}</table>
<h2>Metrics, drift scores and alerts over the stream</h2>
{legend}
<figure id="plots">{figure_svg(record)}</figure>
<h2>Alerting windows</h2>
{_alert_table(record)}
</body>
</html>
"""


def write_dashboard(record: Mapping[str, Any] | str | Path, path: str | Path) -> Path:
    """Write the dashboard of `record` to `path` (an .html file); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dashboard_html(record))
    return path


def latest_dashboard(location: str | Path) -> Path | None:
    """The dashboard to show: `location` itself if it is a file, else the newest `*.html` in the folder
    `location`; None when there is none."""
    location = Path(location)
    if location.is_file():
        return location
    pages = sorted(location.glob("*.html"), key=lambda page: page.stat().st_mtime) if location.is_dir() else []
    return pages[-1] if pages else None


_HTML = {"text/html": {"schema": {"type": "string"}}}
MONITORING_OPERATION = {
    "operationId": "monitoring",
    "summary": "The newest monitoring dashboard: drift checks, alerts, correction rate",
    "responses": {"200": {"description": "The dashboard (HTML)", "content": _HTML},
                  "404": {"description": "No dashboard yet: a page saying how to make one", "content": _HTML}}}
"""`GET /monitoring` in the API's OpenAPI description (the route comes with Lab 7)."""


def default_dashboard_location() -> Path:
    """Where the API looks for dashboards: `TEXT_RECOGNIZER_MONITORING_DASHBOARD` (a file or a folder)
    or the monitor's default output folder, `<course root>/reports/monitoring`."""
    import os

    from text_recognizer.paths import course_root

    override = os.environ.get("TEXT_RECOGNIZER_MONITORING_DASHBOARD")
    return Path(override).expanduser() if override else course_root() / "reports" / "monitoring"


def missing_dashboard_html(location: str | Path) -> str:
    """The page `GET /monitoring` shows before any dashboard exists: what to run to make one."""
    where = html.escape(str(location))
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8">{VIEWPORT}<title>Monitoring: no dashboard yet</title><style>{PAGE_STYLE}</style></head>
<body data-alerts="none">
<h1>No monitoring dashboard yet</h1>
<p>The service shows the newest dashboard in <code>{where}</code>, and there is none. Replay a stream of
requests through the monitor to draw one, then reload this page:</p>
<pre>cd solutions
python -m text_recognizer.monitoring.monitor --stream blur --output-dir {where}</pre>
<p>Another folder or file: start the service with <code>TEXT_RECOGNIZER_MONITORING_DASHBOARD=PATH</code>
(or the Flask setting <code>MONITORING_DASHBOARD</code>).</p>
</body>
</html>
"""
