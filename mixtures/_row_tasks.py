"""Row ranges of one array run on several threads: the caller's and a few helpers.

The compiled kernels of the E-step release the GIL, so ranges of rows can run on several cores
at once. The caller never waits for a helper to start: it takes ranges itself, one after the
other, and helpers that get a core take the next ones. On a machine busy with other work a
helper that is not scheduled costs nothing (the caller does its share), where a fixed split
would wait for it. Ranges are fixed by the number of rows alone, so a result that adds the
ranges' values in row order does not depend on the number of threads or on who ran what.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["map_row_ranges", "row_ranges", "thread_count"]

V = TypeVar("V")


def thread_count() -> int:
    """Threads the kernels may use: numba's setting (``NUMBA_NUM_THREADS``, by default the
    number of cores), read without starting numba's own thread pool."""
    from numba import config

    return max(1, int(config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]


def row_ranges(n_rows: int, rows_per_range: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of consecutive ranges of ``rows_per_range`` rows covering ``n_rows``."""
    return [(start, min(start + rows_per_range, n_rows)) for start in range(0, n_rows, rows_per_range)]


class _Helpers:
    """The helper threads of this process (made again after a fork, whose child has none)."""

    pool: ThreadPoolExecutor | None = None
    size = 0
    owner = -1
    lock = threading.Lock()

    @classmethod
    def get(cls, size: int) -> ThreadPoolExecutor:
        with cls.lock:
            if cls.pool is None or cls.owner != os.getpid() or cls.size < size:
                if cls.pool is not None and cls.owner == os.getpid():
                    cls.pool.shutdown(wait=False)
                cls.pool = ThreadPoolExecutor(size, thread_name_prefix="mixtures-rows")
                cls.size, cls.owner = size, os.getpid()
            return cls.pool


class _Ranges:
    """Ranges handed out one at a time to whichever thread asks next."""

    def __init__(self, function: Callable[[int, int], V], ranges: list[tuple[int, int]]) -> None:
        self.function = function
        self.ranges = ranges
        self.results: list[V | None] = [None] * len(ranges)
        self.taken = 0
        self.done = 0
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self.finished = threading.Event()

    def work(self) -> None:
        while True:
            with self.lock:
                if self.error is not None or self.taken == len(self.ranges):
                    return
                index = self.taken
                self.taken += 1
            try:
                self.results[index] = self.function(*self.ranges[index])
            except BaseException as error:  # re-raised by the caller
                with self.lock:
                    self.error = self.error or error
            finally:
                with self.lock:
                    self.done += 1
                    no_more = self.error is not None or self.taken == len(self.ranges)
                    if no_more and self.done == self.taken:
                        self.finished.set()


def map_row_ranges(
    function: Callable[[int, int], V], n_rows: int, rows_per_range: int
) -> list[V]:
    """``[function(start, stop) for each range]`` over ``row_ranges(n_rows, rows_per_range)``,
    run on the caller's thread and up to ``thread_count() − 1`` helpers; results in row order.

    ``function`` must release the GIL for the threads to help (numba ``nogil`` kernels, large
    numpy operations) and must write only to its own rows. An exception in any range is raised
    here, after the ranges already taken have finished."""
    ranges = row_ranges(n_rows, rows_per_range)
    helpers = min(thread_count(), len(ranges)) - 1
    if helpers <= 0:
        return [function(start, stop) for start, stop in ranges]
    shared = _Ranges(function, ranges)
    pool = _Helpers.get(helpers)
    for _ in range(helpers):
        pool.submit(shared.work)
    shared.work()
    shared.finished.wait()  # for the ranges that helpers took
    if shared.error is not None:
        raise shared.error
    return shared.results  # type: ignore[return-value]
