"""The service's gunicorn worker: an event loop reads each request whole; only then a thread runs the app.

gunicorn's threaded worker (`gthread`) gives each connection to one of its few threads, and that
thread reads the request itself. A client that sends its headers or its body a byte at a time
holds the thread for as long as it likes: 50 such clients kept `/health` from answering for a
minute. This worker puts Tornado's event loop in front (as gunicorn's own `tornado` worker does):
the loop reads the headers and bodies of any number of connections side by side, closes those
that take too long, and hands only complete requests to the app, which runs on a pool of
`threads` threads (a prediction is CPU-bound: run on the loop, it would stall every connection).

    gunicorn -c text_recognizer/api/gunicorn.conf.py      # gunicorn.conf.py names this worker

Read limits, from the environment when a worker starts (defaults in brackets):
- `GUNICORN_HEADER_TIMEOUT` [10 s]: the request line and headers must arrive within this, from
  the connection's opening or from the previous answer on a kept-alive connection;
- `GUNICORN_BODY_TIMEOUT` [60 s]: then the whole body (a 10 MiB photo at 2 Mbit/s takes 40 s);
- the largest body read is twice the app's `MAX_CONTENT_LENGTH`: up to there, Flask answers a
  body over its limit with its JSON 413; beyond, the worker answers a bare 400 and closes the
  connection without reading the body.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from gunicorn.workers.gtornado import TornadoWorker
from tornado.httpserver import HTTPServer
from tornado.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
)
from tornado.ioloop import IOLoop, PeriodicCallback
from tornado.wsgi import WSGIContainer

DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024
"""The largest body when the app does not say its own `MAX_CONTENT_LENGTH`."""


@dataclass(frozen=True)
class ReadLimits:
    """How long a client may take to send a request, and how large its body may be."""

    header_seconds: float = 10.0
    body_seconds: float = 60.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @classmethod
    def for_app(cls, app: Any, environ: dict[str, str] | None = None) -> ReadLimits:
        """The limits for `app` (a Flask app, or any WSGI callable), timeouts from the environment."""
        environ = os.environ if environ is None else environ
        max_content = getattr(app, "config", {}).get("MAX_CONTENT_LENGTH")
        return cls(header_seconds=float(environ.get("GUNICORN_HEADER_TIMEOUT", cls.header_seconds)),
                   body_seconds=float(environ.get("GUNICORN_BODY_TIMEOUT", cls.body_seconds)),
                   max_body_bytes=2 * max_content if max_content else DEFAULT_MAX_BODY_BYTES)


class WholeRequest(HTTPMessageDelegate):
    """One request as it arrives: its headers, then its body in pieces; once complete, the app's.

    Tornado's default for a plain callable also parses form bodies, and answers a malformed one
    with a bare 400 before the app can answer it in JSON: here the app alone parses the body.
    """

    def __init__(self, app: BufferedWSGIContainer, connection: HTTPConnection) -> None:
        self.app, self.connection = app, connection
        self.request: HTTPServerRequest | None = None
        self.body = bytearray()

    def headers_received(self, start_line: Any, headers: HTTPHeaders) -> None:
        self.request = HTTPServerRequest(connection=self.connection, start_line=start_line, headers=headers)

    def data_received(self, chunk: bytes) -> None:
        self.body += chunk

    def finish(self) -> None:
        self.request.body = bytes(self.body)
        self.app(self.request)

    def on_connection_close(self) -> None:
        self.body = bytearray()


class BufferedWSGIContainer(WSGIContainer, HTTPServerConnectionDelegate):
    """Tornado's WSGI adapter for requests read whole (`WholeRequest`): the app is told the body's length.

    A chunked upload has no Content-Length header; without one, Flask would read an empty body.
    """

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> WholeRequest:
        return WholeRequest(self, request_conn)

    def environ(self, request: HTTPServerRequest) -> dict[str, Any]:
        environ = super().environ(request)
        environ["CONTENT_LENGTH"] = str(len(request.body))
        environ["wsgi.input_terminated"] = True
        return environ


class BufferingWorker(TornadoWorker):
    """gunicorn's Tornado worker with read timeouts, and the WSGI app on `threads` threads.

    gunicorn's settings it follows: `threads` (the app's threads), `keepalive` (0 turns keep-alive
    off; an idle kept-alive connection is closed after the header timeout), `timeout` (the
    arbiter restarts a worker whose loop stops answering). Its requests are logged by the app
    (request_log.py), so Tornado's access log is off.
    """

    def run(self) -> None:
        limits = ReadLimits.for_app(self.wsgi)
        logging.getLogger("tornado.access").disabled = True
        self.log.info("Reading requests on an event loop: headers within %.0f s, bodies within %.0f s and "
                      "%d MiB; the app on %d threads", limits.header_seconds, limits.body_seconds,
                      limits.max_body_bytes // 2**20, self.cfg.threads)
        self.ioloop = IOLoop.current()
        self.alive, self.server_alive = True, False
        # TornadoWorker's own checks, each second: tell the arbiter we live; stop when asked to.
        self.callbacks = [PeriodicCallback(self.watchdog, 1000), PeriodicCallback(self.heartbeat, 1000)]
        for callback in self.callbacks:
            callback.start()
        app = BufferedWSGIContainer(self.wsgi, executor=ThreadPoolExecutor(self.cfg.threads, thread_name_prefix="app"))
        self.server = HTTPServer(app, no_keep_alive=self.cfg.keepalive <= 0,
                                 idle_connection_timeout=limits.header_seconds, body_timeout=limits.body_seconds,
                                 max_body_size=limits.max_body_bytes)
        self.server_alive = True
        for listener in self.sockets:
            listener.setblocking(False)
            self.server.add_socket(listener)
        self.ioloop.start()
