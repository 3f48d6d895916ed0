"""gunicorn's settings for the prediction service (read with `gunicorn -c text_recognizer/api/gunicorn.conf.py`).

Every value can be changed from the environment without editing this file, e.g.
`WEB_CONCURRENCY=4 GUNICORN_THREADS=1 gunicorn -c text_recognizer/api/gunicorn.conf.py`.
"""

import os

#: The first port of the per-user range: above the course hub's 8000-8004 and below the ports
#: the kernel hands out for outgoing connections (32768 and up).
USER_PORT_BASE = 10000
USER_PORT_COUNT = 20000


def user_port() -> int:
    """This user's own default port: every student on a shared hub is a system user with a uid of
    their own, so two students' services never ask for the same port."""
    uid = os.getuid() if hasattr(os, "getuid") else 0  # Windows has no uid: the base port
    return USER_PORT_BASE + uid % USER_PORT_COUNT


wsgi_app = "text_recognizer.api.wsgi:app"
# The container sets GUNICORN_BIND=0.0.0.0:8000 (its own network; `docker run -p` picks the host port).
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{user_port()}"
# One worker per core: a prediction is CPU-bound, so more processes than cores only queue.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# The worker reads requests on an event loop, and runs the app on `threads` threads once a request
# is complete (buffering_worker.py). gunicorn's threaded worker ("gthread") let each of its threads
# read a request itself: 50 clients sending a byte at a time held every thread, and /health did not
# answer for a minute. Read timeouts (buffering_worker.py, from the environment): the headers within
# GUNICORN_HEADER_TIMEOUT (10 s), the body within GUNICORN_BODY_TIMEOUT (60 s); a slower client is
# disconnected. `GUNICORN_WORKER_CLASS=gthread` brings the old worker back (the slow-client benchmark
# compares both: text_recognizer/reports/slow_clients.py).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "text_recognizer.api.buffering_worker.BufferingWorker"
# Two threads per worker: one can answer /health while the other runs the model.
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# No preloading: TensorFlow does not survive fork(), so each worker imports Keras and loads the
# model itself when it starts (before it accepts requests), never per request.
preload_app = False
# A page of many lines on a busy CPU takes seconds; a request hung for a minute is a bug.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# An idle kept-alive connection is closed after the header timeout (0 here turns keep-alive off).
keepalive = 5
# Workers are never recycled: each restart would load Keras and the model again (seconds).
max_requests = 0
# Logs: our own JSON line per request (request_log.py); gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Heartbeat files in memory, not on a container's overlay disk (a slow disk makes workers look dead).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
