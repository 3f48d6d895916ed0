"""Shared set-ups of the API tests, each made once per test session (they are the slow part).

- `app` / `client`: the Flask app with the deployed models, and its test client (no network);
- `server`: gunicorn on a free loopback port with the repository's gunicorn.conf.py (`LocalServer`).

The browser (`browser`) and the folder for screenshots (`artefacts_dir`) are in `tests/conftest.py`,
shared with the other folders that open web pages.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

LAB_DIR = Path(__file__).resolve().parents[2]
SUPPORT_DIR = LAB_DIR / "tests" / "support"
LINES_DIR = SUPPORT_DIR / "emnist_lines"
SERVER_START_SECONDS = 180


def line_labels() -> dict[str, str]:
    """The support lines' file names and texts."""
    return json.loads((LINES_DIR / "labels.json").read_text())


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def photo_of_line(name: str, scale: int = 2, margin: int = 30) -> np.ndarray:
    """A support line as a person would photograph it: dark ink on light paper, bigger, margins."""
    line = np.asarray(Image.open(LINES_DIR / name).convert("L"))
    ink = np.flatnonzero(line.max(axis=0) > 0)
    line = 255 - line[:, : ink[-1] + 8]
    big = Image.fromarray(line).resize((line.shape[1] * scale, line.shape[0] * scale), Image.Resampling.BILINEAR)
    return np.pad(np.asarray(big), margin, constant_values=235)


@pytest.fixture(scope="session")
def app():
    from text_recognizer.environment import configure_environment

    configure_environment()
    from text_recognizer.api.app import create_app

    return create_app()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def server():
    """gunicorn serving the app on 127.0.0.1 (one worker, two threads: CI has two cores)."""
    from text_recognizer.api.local_server import LocalServer, ServerError

    try:
        with LocalServer(workers=1, threads=2, start_timeout=SERVER_START_SECONDS) as running:
            yield running
    except ServerError as error:
        pytest.fail(str(error))
