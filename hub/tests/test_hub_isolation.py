"""The wall between students on the hub: one student, as their own account (what their JupyterLab
terminal can do) and logged in over HTTP, tries every read and write of another student's work,
of the grader's files and of the instructor's, and each one fails; the same attempts on their own
things succeed, so a failure means the wall and not a broken test."""

from __future__ import annotations

import json
import pwd
import urllib.error
from pathlib import Path

import pytest

from hub.settings import SERVICE_NAME
from hub.tests.conftest import INSTRUCTOR, STUDENTS, login

pytestmark = pytest.mark.xdist_group("hub")

ANN, BEN = STUDENTS[0], STUDENTS[1]  # Ben tries to get at Ann's things


def _home(user: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir)


def _can(hub, user: str, shell: str) -> bool:
    """Whether `shell` (a sh command) succeeds as `user`."""
    return hub.run_as(user, "sh", "-c", shell).returncode == 0


def _submit(hub, student: str) -> Path:
    """`nbgrader submit lab1` as `student`; the submission folder it made in the inbound."""
    inbound = hub.base / "exchange" / "htr" / "inbound"
    before = set(inbound.iterdir())
    done = hub.run_as(student, "nbgrader", "submit", "lab1")
    assert done.returncode == 0, done.stderr
    (made,) = set(inbound.iterdir()) - before
    return made


def test_a_student_cannot_reach_another_students_work_or_the_graders_files(hub):
    for student in (ANN, BEN):
        if not (_home(student) / "htr" / "lab1").is_dir():
            done = hub.run_as(student, "nbgrader", "fetch_assignment", "lab1")
            assert done.returncode == 0, done.stderr
    ann_lab = _home(ANN) / "htr" / "lab1"
    # Handed in; Ben then tries Ann's submission before the grader takes it (as fast as he can).
    submission = _submit(hub, ANN)
    forbidden_now = {
        "write into her submission": f"touch '{submission}/planted.py'",
        "read her submission secret": f"cat '{submission}/submission_secret.txt'",
        "read her submitted notebook": f"cat '{submission}/lab1.ipynb'",
    }
    allowed = {name: _can(hub, BEN, shell) for name, shell in forbidden_now.items()}
    assert not any(allowed.values()), f"Ben could: {[n for n, ok in allowed.items() if ok]}"
    hub.wait_graded((ANN,))

    state = hub.base / "state"
    results = next((state / "grading" / "results").iterdir())
    course = _home(INSTRUCTOR) / "htr"
    forbidden = {
        "list her home": f"ls '{_home(ANN)}'",
        "read her notebook": f"cat '{ann_lab}/lab1.ipynb'",
        "write into her lab": f"touch '{ann_lab}/planted.py'",
        "read the grading results": f"ls '{results}'",
        "read the grading state": f"ls '{state / 'grading'}'",
        "read the hub's database": f"cat '{state / 'jupyterhub.sqlite'}'",
        "read the roster and queue folder": f"ls '{state}'",
        "read the instructor's source notebook": f"cat '{course}/source/lab1/lab1.ipynb'",
        "read the gradebook": f"cat '{course}/gradebook.db'",
        "list the autograded notebooks": f"ls '{course}/autograded'",
        "write into the graded submission": f"touch '{submission}/planted.py'",
        "list the inbound": f"ls '{hub.base / 'exchange' / 'htr' / 'inbound'}'",
        "list the feedback": f"ls '{hub.base / 'exchange' / 'htr' / 'feedback'}'",
    }
    # The same kinds of things on his own side work: the refusals above are the wall's.
    assert _can(hub, BEN, f"ls ~ && touch '{_home(BEN)}/htr/lab1/mine.py'")
    assert _can(hub, ANN, f"cat '{ann_lab}/lab1.ipynb' > /dev/null")
    assert _can(hub, INSTRUCTOR, f"cat '{course}/source/lab1/lab1.ipynb' > /dev/null && ls '{results}'")
    allowed = {name: _can(hub, BEN, shell) for name, shell in forbidden.items()}
    assert not any(allowed.values()), f"Ben could: {[n for n, ok in allowed.items() if ok]}"
    assert (state / "jupyterhub.sqlite").stat().st_mode & 0o777 == 0o600
    assert _home(ANN).stat().st_mode & 0o777 == 0o700

    # Over HTTP, logged in as Ben: the queue shows his jobs only, and Ann's server and files are closed.
    ben = login(hub, BEN, hub.passwords[BEN])
    status = json.loads(ben.open(f"{hub.url}/services/{SERVICE_NAME}/status.json", timeout=60).read())
    assert status["jobs"] == [] or {j["student"] for j in status["jobs"]} == {BEN}, status
    assert ANN not in json.dumps(status)
    for path in (f"/user/{ANN}/files/htr/lab1/lab1.ipynb", f"/user/{ANN}/api/contents/htr/lab1",
                 f"/hub/api/users/{ANN}", "/services/formgrader-htr/formgrader"):
        try:
            page = ben.open(f"{hub.url}{path}", timeout=60)
            body = page.read().decode(errors="replace")
            assert ANN not in body or "/hub/login" in page.url, f"Ben read {path}"
            assert "lab1.ipynb" not in body, f"Ben read {path}"
        except urllib.error.HTTPError as error:
            assert error.code in (403, 404, 503), f"{path}: {error.code}"
    # The instructor sees everyone's jobs.
    prof = login(hub, INSTRUCTOR, hub.passwords[INSTRUCTOR])
    everyone = json.loads(prof.open(f"{hub.url}/services/{SERVICE_NAME}/status.json", timeout=60).read())
    assert ANN in {j["student"] for j in everyone["jobs"]}


def test_a_submission_leaves_out_caches_and_oversized_runs_with_a_note(hub):
    cat = STUDENTS[2]
    lab = _home(cat) / "htr" / "lab1"
    if not lab.is_dir():
        assert hub.run_as(cat, "nbgrader", "fetch_assignment", "lab1").returncode == 0
    script = (f"mkdir -p '{lab}/data/processed' '{lab}/runs/big' '{lab}/.cache' && "
              f"head -c 3000000 /dev/zero > '{lab}/data/processed/cache.npz' && "
              f"head -c 60000000 /dev/zero > '{lab}/runs/big/weights.h5' && "
              f"echo kept > '{lab}/text_recognizer/kept.txt'")
    assert _can(hub, cat, script)
    submission = _submit(hub, cat)
    names = {p.relative_to(submission).as_posix() for p in submission.rglob("*")}
    assert "text_recognizer/kept.txt" in names
    assert not any(n.startswith(("data", "runs", ".cache")) for n in names), names
    note = (submission / "LEFT_OUT.txt").read_text()
    assert "data/" in note and "runs/" in note and "MB" in note, note
