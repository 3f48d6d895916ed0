"""The rendering pool starts clean from a process whose other threads hold locks (a notebook's
kernel, TensorFlow, Ray, W&B): a forked worker would inherit the lock held and wait for ever."""

from __future__ import annotations

import threading

from text_recognizer.data.process_pool import process_pool

HELD = threading.Lock()


def _square_under_the_lock(x: int) -> int:
    with HELD:  # in a worker: this module imported afresh, the lock free
        return x * x


def test_workers_start_clean_while_another_thread_holds_a_lock():
    HELD.acquire()  # as another thread of the process would, at the moment the pool starts
    try:
        with process_pool(2) as pool:
            squares = pool.map_async(_square_under_the_lock, range(6))
            assert squares.get(timeout=60) == [0, 1, 4, 9, 16, 25], "the pool's workers never finished"
    finally:
        HELD.release()
