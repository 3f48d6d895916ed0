"""Shared set-ups of the API tests, each made once per test session (they are the slow part).

- `app` / `client`: the Flask app with the deployed models, and its test client (no network);
- `server`: gunicorn on a free loopback port with the repository's gunicorn.conf.py (`LocalServer`).

The browser (`browser`) and the folder for screenshots (`artefacts_dir`) are in `tests/conftest.py`,
shared with the other folders that open web pages.
"""

from __future__ import annotations

import pytest

SERVER_START_SECONDS = 180


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from text_recognizer.environment import configure_environment

    configure_environment()
    from text_recognizer.api.app import create_app

    # Corrections posted by the tests go to a temporary store, never the course's data folder.
    return create_app(config={"CORRECTIONS_DIR": str(tmp_path_factory.mktemp("corrections"))})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """gunicorn serving the app on 127.0.0.1 (one worker, two threads: CI has two cores)."""
    from text_recognizer.api.local_server import LocalServer, ServerError

    try:
        with pytest.MonkeyPatch.context() as patch:
            # The server stores corrections (the browser test's, the fuzzer's) in a temporary folder.
            corrections = tmp_path_factory.mktemp("served_corrections")
            patch.setenv("TEXT_RECOGNIZER_CORRECTIONS_DIR", str(corrections))
            # Read timeouts of 5 s, not 10 and 60: the slow-client test waits for them (and 5 s was
            # gthread's keep-alive: clients of the other tests saw idle connections closed as soon).
            with LocalServer(workers=1, threads=2, start_timeout=SERVER_START_SECONDS,
                             environment={"GUNICORN_HEADER_TIMEOUT": "5", "GUNICORN_BODY_TIMEOUT": "5"}) as running:
                running.corrections_dir = corrections
                yield running
    except ServerError as error:
        pytest.fail(str(error))
