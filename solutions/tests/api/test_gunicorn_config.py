"""gunicorn's default address: never the hub's port, never another student's."""

from __future__ import annotations

import os
import runpy

from text_recognizer.api.local_server import GUNICORN_CONFIG


def settings(monkeypatch, uid: int, bind: str | None = None) -> dict:
    """The config file's values as gunicorn reads them, for a user `uid` (and GUNICORN_BIND)."""
    monkeypatch.setattr(os, "getuid", lambda: uid, raising=False)
    if bind is None:
        monkeypatch.delenv("GUNICORN_BIND", raising=False)
    else:
        monkeypatch.setenv("GUNICORN_BIND", bind)
    return runpy.run_path(str(GUNICORN_CONFIG))


def test_each_user_gets_a_loopback_port_of_their_own_away_from_the_hub(monkeypatch):
    binds = {uid: settings(monkeypatch, uid)["bind"] for uid in (0, 1000, 1001, 1002, 59999)}
    assert all(bind.startswith("127.0.0.1:") for bind in binds.values()), binds
    ports = [int(bind.rsplit(":", 1)[1]) for bind in binds.values()]
    assert len(set(ports)) == len(ports), f"two users share a port: {binds}"
    assert all(1024 < port < 32768 for port in ports), f"expected unprivileged ports below the ephemeral range: {binds}"
    assert not any(8000 <= port <= 8004 for port in ports), f"a user got one of the hub's ports: {binds}"


def test_gunicorn_bind_chooses_the_address(monkeypatch):
    assert settings(monkeypatch, 1000, bind="0.0.0.0:8000")["bind"] == "0.0.0.0:8000"
