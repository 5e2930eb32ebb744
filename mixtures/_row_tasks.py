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

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BLAS_SINGLE_THREAD",
    "ROWS_PER_RANGE",
    "map_row_ranges",
    "map_shared",
    "row_product",
    "row_ranges",
    "thread_count",
    "transposed_row_product",
]

T = TypeVar("T")
V = TypeVar("V")
Array = NDArray[np.float64]

#: Multiply-adds of one matrix product below which OpenBLAS runs it on the calling thread. The
#: bundled OpenBLAS (0.3.31) was measured to run ``(n, 10)·(10, 8)`` on all its threads from about
#: 1,000,000 and a matrix-vector product from 460,800; 4 · 65536, its source's smallest
#: threshold, stays below both. A larger product runs on all of BLAS's threads, which then spin
#: on every core for tens of milliseconds: after a k-means start that took a core from the
#: kernels' helpers for the first five EM iterations (17 ms each instead of 9 at 200,000 ×
#: 10 × 8). Products over all rows therefore go through ``row_product`` and
#: ``transposed_row_product`` (a weighted sum of rows: ``_arrays.weighted_column_sums``).
BLAS_SINGLE_THREAD = 262_144
#: Rows per range that a pass over an ``(n, K)`` matrix or over rows hands to a thread: enough to
#: make a range's fixed cost small, few enough that its share of the matrix stays in a core's
#: L2 cache (16,384 × 8 doubles = 1 MiB).
ROWS_PER_RANGE = 16_384


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


def _rows_below_blas_threads(n_multiply_adds_per_row: int) -> int:
    """Rows per range whose product stays below ``BLAS_SINGLE_THREAD`` (at least 64)."""
    return max(64, BLAS_SINGLE_THREAD // max(1, n_multiply_adds_per_row))


def row_product(a: Array, b: Array) -> Array:
    """``a @ b`` for ``a`` ``(n, p)`` with many rows and a small ``b`` ``(p, q)``: one product per
    range of rows, each small enough for BLAS to run on its calling thread, the ranges on the
    kernels' threads (see ``BLAS_SINGLE_THREAD``)."""
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))

    def fill(start: int, stop: int) -> None:
        np.matmul(a[start:stop], b, out=out[start:stop])

    map_row_ranges(fill, a.shape[0], _rows_below_blas_threads(b.shape[0] * b.shape[1]))
    return out


def transposed_row_product(a: Array, b: Array) -> Array:
    """``aᵀ @ b`` for ``a`` ``(n, p)`` and ``b`` ``(n, q)`` with many rows: the ranges' products
    (each small enough for BLAS's calling thread, on the kernels' threads) added in row order."""
    parts = map_row_ranges(
        lambda start, stop: a[start:stop].T @ b[start:stop],
        a.shape[0], _rows_below_blas_threads(a.shape[1] * b.shape[1]),
    )
    total = np.zeros((a.shape[1], b.shape[1]), dtype=np.result_type(a, b))
    for part in parts:
        total += part
    return total
