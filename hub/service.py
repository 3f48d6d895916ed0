"""The grading service: a JupyterHub managed service that grades what students submit.

    python -m hub.service        # started by the hub (hub/config/jupyterhub_config.py)

- A collector looks at the exchange's `<course>/inbound/` every HTR_HUB_POLL seconds and queues
  each new submission folder once (jobs.py: the queue is on disk and survives restarts). A
  folder whose owner is not the student it is named after is refused: a student cannot submit,
  or take points, in another's name.
- Workers (HTR_HUB_WORKERS, each its own sandbox slot, and its own GPU where there are GPUs)
  grade each job with the autograder (`grading.grade`: the hidden suite, student code in its
  bubblewrap sandbox), then write the results once: the leaderboard, the course's nbgrader
  gradebook (notebook cells, and the submission itself), and the feedback page the student
  fetches from JupyterLab's Assignments panel (nbgrader's `fetch_feedback`).
- When it dies, the hub starts it again (JupyterHub restarts managed services); it then ends what
  the dead one left running (leftovers.py) and takes the queue up again.
- With HTR_HUB_RAY_ADDRESS, the workers send each job to a Ray cluster instead (ray_grading.py);
  the queue, the gradebook, the leaderboard and the feedback stay here, written once per job.
- Its pages, behind the hub's login (HubOAuth): `/services/grader/` (your submissions),
  `/services/grader/lab/<N>` (the leaderboard), `/services/grader/status.json` (the queue).
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import signal
import sqlite3
import threading
import time
from pathlib import Path

from autograder.paths import default_state_dir
from autograder.pipeline.grading import GradeOptions, grade, notebook_cells, record_on_leaderboard
from autograder.pipeline.lab_suites import available_labs
from autograder.records.leaderboard import Leaderboard, render_html
from hub import course, inbound
from hub.exchange import LEFT_OUT
from hub.gpus import list_gpus
from hub.jobs import MAX_ATTEMPTS, Job, JobQueue
from hub.leftovers import end_previous_group
from hub.ray_grading import RayGrader, RayGradingLost
from hub.settings import SERVICE_NAME, HubSettings, Roster, load

log = logging.getLogger("hub.service")

#: nbgrader's inbound folder names: student+assignment+timestamp+random.
_INBOUND = re.compile(r"^(?P<student>[^+]+)\+(?P<assignment>lab(?P<lab>\d+))\+(?P<time>[^+]+)\+[^+]+$")
#: The first sandbox slot of the service (other graders on the machine take the slots below).
FIRST_SLOT = 4
#: Outcomes of `grading.grade` that are the grader's failures, never the submission's: the suite
#: process crashed, timed out or collected nothing (`error`), or no sandbox (`refused`).
GRADER_FAILURES = ("error", "refused")


class GradingFailed(Exception):
    """A grading that failed on the grader's side: the job is retried, not scored."""


class GradingService:
    """Collect, grade, write back (module docstring)."""

    def __init__(self, settings: HubSettings) -> None:
        self.settings = settings
        self.queue = JobQueue(settings.grading_dir / "queue.sqlite")
        self.leaderboard_db = settings.grading_dir / "leaderboard.sqlite"
        self.results_dir = settings.grading_dir / "results"
        self.inbound = settings.exchange / settings.course / "inbound"
        self.feedback_dir = settings.exchange / settings.course / "feedback"
        self.refused: dict[str, str] = {}
        self.stopping = threading.Event()
        self.ray = RayGrader(settings.ray_address) if settings.ray_address else None

    # --- collecting ---------------------------------------------------------------------------
    def scan(self) -> int:
        """Queue and take every new submission folder of the inbound; returns how many were queued."""
        if not self.inbound.is_dir():
            return 0
        added = 0
        labs = set(available_labs())
        known = self.queue.keys()
        for entry in sorted(self.inbound.iterdir()):
            match = _INBOUND.match(entry.name)
            if match is None or entry.name in known or entry.name in self.refused or not entry.is_dir() or \
                    entry.is_symlink():
                continue
            student, lab = match["student"], int(match["lab"])
            owner = course.owner(entry)
            if owner == student and inbound.still_arriving(entry):
                continue
            problem = f"owned by {owner}, not by {student} (a submission in another's name)" if owner != student \
                else inbound.changed_after_hand_in(entry)
            if problem:
                self.refused[entry.name] = problem
                log.warning("refused %s: %s", entry.name, problem)
                continue
            if lab not in labs:
                continue
            if self.queue.add(entry.name, student, lab, _iso(match["time"]), str(entry)):
                added += 1
                inbound.take(entry)
        return added

    # --- grading -----------------------------------------------------------------------------
    def grade_job(self, job: Job, slot: int, gpu: str | None) -> None:
        """Grade one claimed job and write its results once (module docstring)."""
        out = self.results_dir / job.key
        results = out / "results.json"
        # A retry after a crash: whatever the stopped attempt recorded is taken back first.
        self._forget(str(results))
        gradebook = self.settings.gradebook()
        options = GradeOptions(
            lab=job.lab, student=job.student, out_dir=out, state_dir=default_state_dir(), slot=slot, gpu=gpu,
            leaderboard_db=self.leaderboard_db, submitted_at=job.submitted_at,
            gradebook=gradebook if gradebook is not None and gradebook.is_file() else None,
        )
        cells: dict[str, tuple[float, float]] = {}
        notebook = None
        if self.ray is None:
            outcome = grade(Path(job.path), options)
            if outcome.status in GRADER_FAILURES:
                raise GradingFailed(f"{outcome.status}: {outcome.message}")
        else:
            # Graded on the cluster; the leaderboard and the notebook's gradebook cells are written here.
            outcome = self.ray.grade(Path(job.path), job.lab, job.student, job.submitted_at, out)
            if outcome.status in GRADER_FAILURES:
                raise GradingFailed(f"{outcome.status}: {outcome.message}")
            record_on_leaderboard(self.leaderboard_db, outcome, job.submitted_at)
            if outcome.status == "graded":
                cells = notebook_cells(json.loads(results.read_text()).get("tests", []))
                notebook = out / f"lab{job.lab}.ipynb" if (out / f"lab{job.lab}.ipynb").is_file() else None
        if options.gradebook is not None:
            from autograder.records.gradebook import record_autograded

            # Every submission in the gradebook, also one without notebook scores (crashed, rejected).
            record_autograded(options.gradebook, job.lab, job.student, cells, submitted_at=job.submitted_at,
                              notebook=notebook)
        if gradebook is not None:
            course.file_submission(self.settings, Path(job.path), job.student, job.lab)
            course.return_to_instructor(self.settings, gradebook.parent, job.student)
        data = json.loads(results.read_text())
        self.write_feedback(job, data)
        self.queue.finish(job.key, "done", outcome.score, outcome.max_score, str(results), outcome.status)

    def _forget(self, results_path: str) -> None:
        if self.leaderboard_db.is_file():
            with sqlite3.connect(self.leaderboard_db, timeout=30) as db:
                db.execute("DELETE FROM submissions WHERE results_path = ?", (results_path,))

    def write_feedback(self, job: Job, results: dict) -> list[Path]:
        """The feedback page, where nbgrader's fetch_feedback finds it for each submitted notebook."""
        from nbgrader.utils import notebook_hash

        folder = Path(job.path)
        secret_path = folder / "submission_secret.txt"
        if not secret_path.is_file() or secret_path.is_symlink():
            log.warning("%s has no submission_secret.txt: its feedback cannot be fetched", job.key)
            return []
        secret = secret_path.read_text()[:4096]
        self.feedback_dir.mkdir(parents=True, exist_ok=True)
        self.feedback_dir.chmod(0o711)  # students read their own page by its hash, list nothing
        left_out = folder / LEFT_OUT
        note = left_out.read_text(errors="replace")[:4000] if left_out.is_file() and not left_out.is_symlink() else ""
        page = feedback_html(job, results, self.leaderboard_place(job), note)
        written = []
        for notebook in sorted(folder.glob("*.ipynb")):
            target = self.feedback_dir / f"{notebook_hash(secret=secret, notebook_id=notebook.stem)}.html"
            temporary = target.with_suffix(".tmp")
            temporary.write_text(page, encoding="utf-8")
            temporary.chmod(0o644)
            os.replace(temporary, target)
            written.append(target)
        return written

    def leaderboard_place(self, job: Job) -> str:
        """The student's place on the lab's public leaderboard, in words."""
        if not self.leaderboard_db.is_file():
            return "no leaderboard yet"
        board = Leaderboard(self.leaderboard_db)
        rows = board.table(job.lab, "public")
        for row in rows:
            if row.student == job.student and row.value is not None:
                return f"{row.rank} of {len(rows)} ({board.metric(job.lab)[0]} {row.value:.4f})"
        return "not on the leaderboard (this lab ranks the models students train)"

    def work(self, slot: int, gpu: str | None) -> None:
        """A worker: claim, grade, repeat, until the service stops."""
        while not self.stopping.is_set():
            job = self.queue.claim()
            if job is None:
                self.stopping.wait(0.5)
                continue
            log.info("grading %s (attempt %d, slot %d)", job.key, job.attempts, slot)
            try:
                self.grade_job(job, slot, gpu)
            except (GradingFailed, RayGradingLost) as error:
                # The grader's failure, not the submission's: no score is kept; graded again later.
                self._forget(str(self.results_dir / job.key / "results.json"))
                state = self.queue.requeue(job.key, str(error), self.settings.retry_seconds)
                log.warning("%s: grading failed (%s); the job is %s", job.key, error, state)
                self.write_feedback(job, _failed_results(job) if state == "failed" else _retry_results(job))
            except Exception:  # noqa: BLE001 - one broken write-back never stops the service
                log.exception("writing back %s failed; it is marked failed (resubmit, or see this log)", job.key)
                self.queue.finish(job.key, "failed", None, None, None, "write-back failed (see the service log)")

    def collect(self) -> None:
        """The collector: scan the inbound every poll interval."""
        while not self.stopping.is_set():
            try:
                self.scan()
            except Exception:  # noqa: BLE001 - a vanished folder mid-scan: next time
                log.exception("scanning %s failed", self.inbound)
            self.stopping.wait(self.settings.poll_seconds)

    def start(self) -> list[threading.Thread]:
        """End what a crashed predecessor left running, recover the queue, then start the
        collector and the workers (daemon threads)."""
        ended = end_previous_group(self.settings.grading_dir / "service.pgid")
        if ended:
            log.warning("ended %d processes the previous grading service left running: %s", len(ended), ended)
        for job in self.queue.recover():
            self.write_feedback(job, _failed_results(job))
        # On Ray each worker thread is one job in flight on the cluster (Ray gives it its GPU).
        gpus = list_gpus() if self.ray is None else []
        workers = max(1, self.settings.workers if not gpus else min(self.settings.workers, len(gpus)))
        threads = [threading.Thread(target=self.collect, name="collector", daemon=True)]
        for index in range(workers):
            gpu = gpus[index] if gpus else None
            threads.append(threading.Thread(target=self.work, args=(FIRST_SLOT + index, gpu), name=f"worker-{index}",
                                            daemon=True))
        for thread in threads:
            thread.start()
        return threads

    def status(self, student: str | None = None) -> dict:
        """The queue as JSON: every job, or `student`'s only (what a student may see)."""
        jobs = [job for job in self.queue.jobs() if student is None or job.student == student]
        counts: dict[str, int] = {}
        for job in jobs:
            counts[job.state] = counts.get(job.state, 0) + 1
        refused = self.refused if student is None else {k: v for k, v in self.refused.items()
                                                        if k.startswith(f"{student}+")}
        return {"counts": counts, "refused": refused,
                "jobs": [{"key": j.key, "student": j.student, "lab": j.lab, "state": j.state, "attempts": j.attempts,
                          "score": j.score, "max_score": j.max_score, "received": j.received,
                          "started": j.started, "finished": j.finished} for j in jobs]}


def _state_in_words(job: Job) -> str:
    """A job's state as its student reads it on /services/grader/."""
    if job.state == "queued" and job.attempts:
        return f"grading failed on the grader's side, we will retry (attempt {job.attempts + 1} of {MAX_ATTEMPTS})"
    if job.state == "failed":
        return "grading failed; your instructor was told and will grade it"
    return job.state


def _iso(nbgrader_time: str) -> str:
    """nbgrader's timestamp ("2026-12-02 20:30:00.123456 UTC") as ISO 8601."""
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(nbgrader_time).isoformat(timespec="seconds") + "+00:00"
    except Exception:  # noqa: BLE001 - a malformed name: the time the grader saw it
        return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def _failed_results(job: Job) -> dict:
    return {"score": None, "tests": [], "output": (
        f"Grading failed {MAX_ATTEMPTS} times on the grader's side (not because of your work); your instructor "
        "was told and will grade it. You may also submit again.")}


def _retry_results(job: Job) -> dict:
    return {"score": None, "tests": [], "output": (
        "Grading failed on the grader's side (not because of your work): we will retry. Fetch the feedback "
        "again in a few minutes.")}


def feedback_html(job: Job, results: dict, place: str, left_out: str = "") -> str:
    """The student's feedback page: score, each visible test with its feedback, leaderboard place,
    and what the submission left out (caches, oversized files)."""
    tests = [t for t in results.get("tests", []) if t.get("visibility", "visible") != "hidden"]
    total = sum(float(t.get("max_score", 0)) for t in results.get("tests", []))
    rows = "".join(
        f"<tr><td>{html.escape(str(t.get('name', '')))}</td><td>{float(t.get('score', 0)):g} / "
        f"{float(t.get('max_score', 0)):g}</td><td><pre>{html.escape(str(t.get('output', '')))}</pre></td></tr>"
        for t in tests)
    score = "not graded yet" if results.get("score") is None else f"{float(results['score']):g} / {total:g}"
    board = "".join(f"<li>{html.escape(str(e.get('name')))}: {e.get('value')}</li>"
                    for e in results.get("leaderboard", []))
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Lab {job.lab} feedback</title><style>body{{font-family:sans-serif;margin:2em}}"
        "td,th{border:1px solid #ccc;padding:4px;vertical-align:top}pre{white-space:pre-wrap;margin:0}</style>"
        f"</head><body><h1>Lab {job.lab}: your feedback</h1>"
        f"<p>Submitted at {html.escape(job.submitted_at)} by {html.escape(job.student)}.</p>"
        f"<p id='score'><b>Score: {score}</b></p>"
        f"<p id='leaderboard'>Leaderboard: {html.escape(place)}</p><ul>{board}</ul>"
        + (f"<pre id='left-out'>{html.escape(left_out)}</pre>" if left_out else "") +
        f"<pre>{html.escape(str(results.get('output', '')))}</pre>"
        f"<table><tr><th>test</th><th>points</th><th>feedback</th></tr>{rows}</table></body></html>\n"
    )


# --- the web pages (tornado, behind the hub's OAuth) -------------------------------------------
def make_app(service: GradingService):
    """The service's tornado application."""
    from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
    from tornado.web import Application, RequestHandler, authenticated

    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{SERVICE_NAME}/")

    class Page(HubOAuthenticated, RequestHandler):
        def board(self) -> Leaderboard | None:
            return Leaderboard(service.leaderboard_db) if service.leaderboard_db.is_file() else None

    class Index(Page):
        @authenticated
        def get(self) -> None:
            user = self.get_current_user()["name"]
            board = self.board()
            labs = board.labs() if board else []
            mine = [j for j in service.queue.jobs() if j.student == user]
            items = "".join(
                f"<li>Lab {j.lab}, {html.escape(j.submitted_at)}: {_state_in_words(j)}"
                + (f", {j.score:g} / {j.max_score:g}" if j.score is not None else "") + "</li>" for j in mine)
            links = "".join(f"<li><a href='{prefix}lab/{lab}'>Lab {lab}</a></li>" for lab in labs)
            self.write(f"<!doctype html><html><head><meta charset='utf-8'><title>Grader</title></head><body>"
                       f"<h1>Leaderboards</h1><ul>{links or '<li>No submissions graded yet.</li>'}</ul>"
                       f"<h2>Your submissions ({html.escape(user)})</h2><ul>{items or '<li>None yet.</li>'}</ul>"
                       "</body></html>")

    class Lab(Page):
        @authenticated
        def get(self, lab: str) -> None:
            board = self.board()
            if board is None:
                self.write("<p>No submissions graded yet.</p>")
                return
            metric, _ = board.metric(int(lab))
            self.write(render_html(int(lab), board.table(int(lab), "public"), metric, "public"))

    class Status(Page):
        @authenticated
        def get(self) -> None:
            # The whole queue for instructors and the hub's services (scripts); a student's own jobs otherwise.
            user = self.get_current_user()
            instructors = Roster.read(service.settings.roster_path).instructors
            sees_all = user.get("kind") == "service" or user["name"] in instructors
            self.set_header("Content-Type", "application/json")
            self.write(json.dumps(service.status(None if sees_all else user["name"])))

    hub_auth = HubOAuth(api_token=os.environ.get("JUPYTERHUB_API_TOKEN", ""), cache_max_age=60)
    return Application(
        [(prefix, Index), (prefix + r"lab/(\d+)", Lab), (prefix + "status.json", Status),
         (prefix + "oauth_callback", HubOAuthCallbackHandler)],
        hub_auth=hub_auth, cookie_secret=os.urandom(32), login_url=hub_auth.login_url,
    )


def _stop_now(signum: int, _frame) -> None:
    """Stop at once, with the gradings in progress: their jobs stay `running` in the queue and are
    graded again at the next start (jobs.py). As leader of its process group (started by the hub),
    the service ends its gradings' processes with it."""
    log.info("stopping (signal %d); the gradings in progress are graded again at the next start", signum)
    logging.shutdown()
    if os.getpgid(0) == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(0)


def main() -> None:
    """Run the service (as the hub starts it)."""
    from urllib.parse import urlparse

    from tornado.ioloop import IOLoop

    logging.basicConfig(level=logging.INFO, format="[grader %(asctime)s %(levelname)s] %(message)s")
    signal.signal(signal.SIGINT, _stop_now)  # JupyterHub stops a managed service with SIGINT, then SIGTERM
    signal.signal(signal.SIGTERM, _stop_now)
    settings = load()
    service = GradingService(settings)
    service.start()
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", f"http://127.0.0.1:{settings.service_port}"))
    make_app(service).listen(url.port or settings.service_port, url.hostname or "127.0.0.1")
    log.info("grading service for course %s on %s, exchange %s", settings.course, url.geturl(), settings.exchange)
    IOLoop.current().start()


if __name__ == "__main__":
    main()
