"""Parts of one computation run on several threads: the caller's and a few helpers.

The compiled kernels of the E-step release the GIL, so its parts can run on several cores at
once: ranges of rows (the Gaussians' products, the mixture's softmax, ``map_row_ranges``) or runs
of whole sequences (forward–backward, ``map_shared``). One pool of helpers serves them all. The
caller never waits for a helper to start: it takes ranges itself, one after the
other, and helpers that get a core take the next ones. On a machine busy with other work a
helper that is not scheduled costs nothing (the caller does its share), where a fixed split
would wait for it. Ranges are fixed by the number of rows alone, so a result that adds the
ranges' values in row order does not depend on the number of threads or on who ran what.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["map_row_ranges", "map_shared", "row_ranges", "thread_count"]

T = TypeVar("T")
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


class _Parts:
    """Parts handed out one at a time to whichever thread asks next."""

    def __init__(self, function: Callable[[T], V], parts: Sequence[T]) -> None:
        self.function = function
        self.parts = parts
        self.results: list[V | None] = [None] * len(parts)
        self.taken = 0
        self.done = 0
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self.finished = threading.Event()

    def work(self) -> None:
        while True:
            with self.lock:
                if self.error is not None or self.taken == len(self.parts):
                    return
                index = self.taken
                self.taken += 1
            try:
                self.results[index] = self.function(self.parts[index])
            except BaseException as error:  # re-raised by the caller
                with self.lock:
                    self.error = self.error or error
            finally:
                with self.lock:
                    self.done += 1
                    no_more = self.error is not None or self.taken == len(self.parts)
                    if no_more and self.done == self.taken:
                        self.finished.set()


def map_shared(function: Callable[[T], V], parts: Sequence[T], threads: int | None = None) -> list[V]:
    """``[function(part) for part in parts]``, run on the caller's thread and up to ``threads − 1``
    helpers (default ``thread_count()``), each taking the next part when done with one; results
    in the parts' order. The caller never waits for a helper that found nothing left (on a busy
    machine it may not have started yet).

    ``function`` must release the GIL for the threads to help (numba ``nogil`` kernels, large
    numpy operations) and must write only to its own part. An exception in any part is raised
    here, after the parts already taken have finished; no part starts after it."""
    helpers = min(thread_count() if threads is None else threads, len(parts)) - 1
    if helpers <= 0:
        return [function(part) for part in parts]
    shared = _Parts(function, parts)
    pool = _Helpers.get(helpers)
    for _ in range(helpers):
        pool.submit(shared.work)
    shared.work()
    shared.finished.wait()  # for the parts that helpers took
    if shared.error is not None:
        raise shared.error
    return shared.results  # type: ignore[return-value]


def map_row_ranges(
    function: Callable[[int, int], V], n_rows: int, rows_per_range: int
) -> list[V]:
    """``[function(start, stop) for each range]`` over ``row_ranges(n_rows, rows_per_range)``, on
    the threads of ``map_shared``."""
    return map_shared(lambda bounds: function(*bounds), row_ranges(n_rows, rows_per_range))
