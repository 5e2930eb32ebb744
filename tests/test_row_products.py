"""Products over all rows in ranges small enough for BLAS's calling thread (``_row_tasks``): the
same results as one product, whatever the number of threads."""

from __future__ import annotations

from typing import ClassVar

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


class _RecordedProducts(np.ndarray):
    """An array that records the sizes of the matrix products it takes part in."""

    sizes: ClassVar[list[tuple[tuple[int, ...], tuple[int, ...]]]] = []

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):  # type: ignore[no-untyped-def]
        def plain_of(value):  # type: ignore[no-untyped-def]
            return value.view(np.ndarray) if isinstance(value, _RecordedProducts) else value

        plain = [plain_of(value) for value in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(plain_of(value) for value in kwargs["out"])
        if ufunc is np.matmul:
            _RecordedProducts.sizes.append((np.shape(plain[0]), np.shape(plain[1])))
        result = getattr(ufunc, method)(*plain, **kwargs)
        return result.view(_RecordedProducts) if isinstance(result, np.ndarray) else result


def _multiply_adds(left: tuple[int, ...], right: tuple[int, ...]) -> int:
    return int(np.prod(left)) * (right[-1] if len(right) > 1 else 1)


@pytest.mark.parametrize("n_features", [1, 10, 300])
def test_data_wide_moments_stay_below_blas_threads(n_features: int) -> None:
    """The moments a fit starts from (mean, variance, covariance, the bulk's moments) read every
    row; each of their BLAS products must stay small enough for BLAS's calling thread."""
    from mixtures._arrays import (
        bulk_moments,
        weighted_column_sums,
        weighted_covariance,
        weighted_mean,
        weighted_variance,
    )

    rng = np.random.default_rng(2)
    n_rows = 2 * BLAS_SINGLE_THREAD // n_features + 11  # one product over all of them would be too large
    x = rng.normal(size=(n_rows, n_features)) * 3.0 + 100.0
    weights = rng.uniform(0.5, 2.0, size=x.shape[0])
    np.testing.assert_allclose(weighted_column_sums(weights, x), weights @ x, rtol=1e-12)
    np.testing.assert_allclose(weighted_mean(x, weights), np.average(x, axis=0, weights=weights), rtol=1e-12)
    np.testing.assert_allclose(
        weighted_variance(x, weights), np.average((x - np.average(x, axis=0, weights=weights)) ** 2,
                                                  axis=0, weights=weights), rtol=1e-10,
    )
    _RecordedProducts.sizes = []
    recorded = x.view(_RecordedProducts)
    weighted_mean(recorded, weights)
    weighted_variance(recorded, weights)
    bulk_moments(recorded, weights)
    if n_features <= 10:
        weighted_covariance(recorded, weights)
    assert _RecordedProducts.sizes
    for left, right in _RecordedProducts.sizes:
        assert _multiply_adds(left, right) <= BLAS_SINGLE_THREAD, (left, right)
