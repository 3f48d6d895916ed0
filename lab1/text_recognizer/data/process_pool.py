"""The process pool that renders synthetic data on every core.

Started with "forkserver", never "fork": the process asking for the pool may already run threads
(TensorFlow, Ray, W&B, a notebook's kernel), and a child forked from such a process can inherit a
lock another thread held, or a signal handler that needs one, and hang for ever at start or at
shutdown. The fork server is a fresh process, so its workers start clean; they import the module of
the function they run, so that function must live in a module (not in a notebook cell).
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable
from multiprocessing.pool import Pool
from typing import Any


def process_pool(workers: int, initializer: Callable[..., Any] | None = None, initargs: tuple = ()) -> Pool:
    """A `multiprocessing.Pool` of `workers` processes safe to start from a threaded process."""
    method = "forkserver" if sys.platform == "linux" else None
    return multiprocessing.get_context(method).Pool(workers, initializer, initargs)
