"""Slow clients against the service as deployed (gunicorn, buffering_worker.py): they cannot stall it.

A client that sends its request a byte at a time used to hold one of gunicorn's threads for as
long as it liked. Now an event loop reads requests, and a client too slow with its headers or its
body is disconnected. The figures (50 clients for 60 s, /health's latency, gthread beside this
worker) come from `make benchmark-slow-clients`; these tests only check that it holds at all.
"""

from __future__ import annotations

import select
import socket
import time

import pytest
import requests

from text_recognizer.reports.slow_clients import SLOW_BODY, SLOW_HEADERS, SlowClients

pytestmark = pytest.mark.xdist_group("lab6_server")  # one gunicorn and one browser per test session

CLIENT_TIMEOUT = 15
"""Seconds this test waits for anything: generous, never a latency threshold."""


def test_slow_clients_do_not_keep_health_from_answering(server):
    # 10 slow connections against 1 worker of 2 threads: with gthread, /health waited behind them.
    with SlowClients("127.0.0.1", server.port, count=10, interval=0.2):
        time.sleep(0.5)  # every slow client has sent its first bytes
        assert requests.get(f"{server.url}/health", timeout=CLIENT_TIMEOUT).json()["status"] == "ok"


def closed_by_server(connection: socket.socket) -> bool:
    """Whether the server closed `connection` (with or without an answer) within CLIENT_TIMEOUT,
    while the client sends one more byte every 0.2 s."""
    deadline = time.monotonic() + CLIENT_TIMEOUT
    while time.monotonic() < deadline:
        if select.select([connection], [], [], 0.2)[0]:
            return True  # readable: the end of the stream, or an answer before it
        try:
            connection.send(b"x")
        except OSError:  # reset by the server
            return True
    return False


@pytest.mark.parametrize("sending", ["headers", "body"])
def test_a_client_too_slow_with_its_request_is_disconnected(server, sending):
    with socket.create_connection(("127.0.0.1", server.port), timeout=CLIENT_TIMEOUT) as connection:
        connection.sendall(SLOW_HEADERS if sending == "headers" else SLOW_BODY)
        assert closed_by_server(connection), (
            f"a client still sending its {sending} a byte at a time was not disconnected in {CLIENT_TIMEOUT} s")
    assert requests.get(f"{server.url}/health", timeout=CLIENT_TIMEOUT).json()["status"] == "ok"
