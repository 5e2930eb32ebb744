"""Products over all rows in ranges small enough for BLAS's calling thread (``_row_tasks``): the
same results as one product, whatever the number of threads."""

from __future__ import annotations

import numpy as np
import pytest

import mixtures._row_tasks as row_tasks
from mixtures._row_tasks import BLAS_SINGLE_THREAD, row_product, transposed_row_product


@pytest.mark.parametrize("n_rows", [0, 1, 63, 70_001])
def test_row_products_equal_one_product(n_rows: int) -> None:
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(n_rows, 10)), rng.normal(size=(10, 8)), rng.normal(size=(n_rows, 8))
    np.testing.assert_allclose(row_product(a, b), a @ b, rtol=1e-13, atol=1e-13)
    assert row_product(a, b).shape == (n_rows, 8)
    np.testing.assert_allclose(transposed_row_product(a, c), a.T @ c, rtol=1e-12, atol=1e-10)
    assert transposed_row_product(a, c).shape == (10, 8)


def test_each_range_stays_below_blas_threads_and_threads_do_not_change_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(1)
    a, c = rng.normal(size=(200_003, 10)), rng.normal(size=(200_003, 8))
    ranges: list[tuple[int, int]] = []
    original = row_tasks.map_row_ranges

    def recorded(function, n_rows, rows_per_range):  # type: ignore[no-untyped-def]
        ranges.extend(row_tasks.row_ranges(n_rows, rows_per_range))
        return original(function, n_rows, rows_per_range)

    monkeypatch.setattr(row_tasks, "map_row_ranges", recorded)
    results = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(row_tasks, "thread_count", lambda threads=threads: threads)
        results.append(transposed_row_product(a, c))
    assert len(ranges) > 3 and all((stop - start) * 10 * 8 <= BLAS_SINGLE_THREAD for start, stop in ranges)
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])
