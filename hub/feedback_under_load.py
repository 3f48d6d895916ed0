"""How fast feedback comes under load (`make benchmark-hub`): N students submit Lab 1 within a minute.

A loopback hub (loopback.py) with N student accounts; each logs in through the course's native
authenticator (its password set by the instructor) and fetches Lab 1, then all submit at
random moments of one minute (the lab as released: its grading is the full hidden suite and
notebook, the score 0). Measured: every submission graded exactly once (one finished job per
submission, nothing failed or left), the time from `nbgrader submit` returning to the feedback
being written (p50, p95, max), the hub's API latency while it grades (one request a second),
and the resident memory of the hub, its proxy and the grading service (peak). Written as JSON.

    python -m hub.feedback_under_load --students 20 --output reports/hub_load.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from pathlib import Path

import numpy as np

from hub.loopback import loopback_hub, problem


def _rss_mib(pid: int) -> float:
    """Resident memory of `pid` and its descendants (MiB), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _hub_only_mib(pid: int) -> float:
    try:
        line = next(ln for ln in Path(f"/proc/{pid}/status").read_text().splitlines() if ln.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return 0.0


def run(students: int, window: float, seed: int = 0) -> dict:
    """The benchmark (module docstring); returns the report."""
    names = [f"htr-load{i:02d}" for i in range(1, students + 1)]
    with loopback_hub("htr-loadprof", names) as hub:
        logins: list[float] = []
        for name in names:
            # Each student logs in through the course's authenticator (bcrypt-checked password), as
            # in the browser; to the hub's home page, without starting a JupyterLab server each.
            began = time.monotonic()
            hub.login(name, next_url="/hub/home")
            logins.append(time.monotonic() - began)
            done = hub.run_as(name, "nbgrader", "fetch_assignment", "lab1")
            if done.returncode != 0:
                raise RuntimeError(f"{name} could not fetch lab1: {done.stderr[-1000:]}")
        rng = random.Random(seed)
        offsets = sorted(rng.uniform(0, window) for _ in names)
        submitted: dict[str, float] = {}
        errors: list[str] = []
        start = time.time()

        def submit(name: str, offset: float) -> None:
            time.sleep(max(0.0, start + offset - time.time()))
            done = hub.run_as(name, "nbgrader", "submit", "lab1")
            if done.returncode != 0:
                errors.append(f"{name}: {done.stderr[-300:]}")
            submitted[name] = time.time()

        threads = [threading.Thread(target=submit, args=(n, o)) for n, o in zip(names, offsets)]
        latencies: list[float] = []
        memory: list[tuple[float, float]] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                began = time.monotonic()
                try:
                    hub.api("/")
                    latencies.append(time.monotonic() - began)
                except OSError as error:
                    errors.append(f"hub API: {error}")
                memory.append((_hub_only_mib(hub.process.pid), _rss_mib(hub.process.pid)))
                stop.wait(1.0)

        watcher = threading.Thread(target=watch)
        watcher.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        submit_seconds = max(submitted.values()) - start
        status = hub.wait_graded(names, timeout=3600)
        stop.set()
        watcher.join()
        jobs = [j for j in status["jobs"] if j["student"] in submitted]
        per_student = {n: [j for j in jobs if j["student"] == n] for n in names}
        to_feedback = [j["finished"] - submitted[j["student"]] for j in jobs if j["finished"]]
        report = {
            "students": students,
            "submission_window_s": window,
            "all_submitted_within_s": round(submit_seconds, 1),
            "submissions": len(submitted),
            "graded_jobs": len(jobs),
            "graded_exactly_once": all(len(v) == 1 and v[0]["state"] == "done" and v[0]["attempts"] == 1
                                       for v in per_student.values()),
            "failed_jobs": len([j for j in jobs if j["state"] == "failed"]),
            "retried_jobs": len([j for j in jobs if j["attempts"] > 1]),
            "login_s": {"p50": round(float(np.percentile(logins, 50)), 2), "max": round(max(logins), 2)},
            "lost": [n for n, v in per_student.items() if not v],
            "scores": sorted({j["score"] for j in jobs}),
            "submission_to_feedback_s": {
                "p50": round(float(np.percentile(to_feedback, 50)), 1),
                "p95": round(float(np.percentile(to_feedback, 95)), 1),
                "max": round(max(to_feedback), 1),
            },
            "grading_seconds_per_submission_median": round(float(np.median(
                [j["finished"] - j["started"] for j in jobs])), 1),
            "grading_workers": int(hub.env["HTR_HUB_WORKERS"]),
            "hub_api_latency_ms": {
                "requests": len(latencies),
                "p50": round(float(np.percentile(latencies, 50)) * 1000, 1),
                "p95": round(float(np.percentile(latencies, 95)) * 1000, 1),
                "max": round(max(latencies) * 1000, 1),
            },
            "memory_mib_peak": {
                "jupyterhub": round(max(m[0] for m in memory), 1),
                "jupyterhub_proxy_and_grading_service": round(max(m[1] for m in memory), 1),
            },
            "errors": errors,
        }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.feedback_under_load",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--window", type=float, default=60.0, help="seconds within which all submit")
    parser.add_argument("--output", type=Path, default=Path("reports/hub_load.json"))
    args = parser.parse_args(argv)
    reason = problem()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    report = run(args.students, args.window)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0 if report["graded_exactly_once"] and not report["lost"] else 1


if __name__ == "__main__":
    sys.exit(main())
