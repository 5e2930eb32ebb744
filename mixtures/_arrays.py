"""Small array helpers shared by every folder."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mixtures._row_tasks import BLAS_SINGLE_THREAD, transposed_row_product


def float_array(value: Any) -> NDArray[np.float64]:
    """A float64 ndarray view or copy of ``value`` (converter for attrs fields)."""
    return np.asarray(value, dtype=np.float64)


def log_sum_exp_rows(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log Σ_k exp(values[n, k])`` per row, stable, -inf for rows that are all -inf."""
    top = values.max(axis=1)
    finite_top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(values - finite_top[:, None]).sum(axis=1)) + finite_top


#: A pass over all rows (input checks, data-wide moments, nearest centres) reads them in blocks
#: of about this many bytes, so its temporaries stay bounded whatever N.
BLOCK_BYTES = 8 * 1024**2


def weighted_total(weights: NDArray[np.float64], values: NDArray[np.float64]) -> float:
    """``Σ_n w_n v_n`` of two vectors, without BLAS. OpenBLAS runs a dot product of more than
    10,000 entries on all its threads, which then spin for a while on every core, taking them from
    the E-step's own kernel threads (``mixtures._row_tasks``): that cost a third of a diagonal
    Gaussian's EM iteration. numpy's own summation loop is as fast on one core."""
    return float(np.einsum("n,n->", weights, values))


def weighted_column_sums(weights: NDArray[np.float64], values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``Σ_n w_n v_n`` ``(D,)`` over the rows of ``values`` ``(n, D)``: one matrix-vector product
    per range of rows below ``_row_tasks.BLAS_SINGLE_THREAD``, added in row order on this thread.
    One product over all rows would run on all of BLAS's threads, which then spin into the first
    EM iterations; these products are memory-bound, so more threads would not help them."""
    rows = max(1, BLAS_SINGLE_THREAD // max(1, values.shape[1]))
    total = np.zeros(values.shape[1])
    for start in range(0, values.shape[0], rows):
        total += weights[start : start + rows] @ values[start : start + rows]
    return total


def rows_per_block(n_columns: int) -> int:
    """Rows in one block of ``n_columns`` doubles: about ``BLOCK_BYTES`` (at least 1024 rows)."""
    return max(1024, BLOCK_BYTES // (8 * max(n_columns, 1)))


def row_blocks(n_rows: int, n_columns: int) -> list[slice]:
    """Slices covering ``n_rows`` rows, ``rows_per_block(n_columns)`` rows each."""
    size = rows_per_block(n_columns)
    return [slice(start, start + size) for start in range(0, n_rows, size)]


def _weights_of(x: NDArray[np.float64], weights: Any) -> NDArray[np.float64]:
    return np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)


def weighted_mean(x: Any, weights: Any, shift: Any = None) -> NDArray[np.float64]:
    """``Σ_n w_n (x_n − shift) / Σ_n w_n`` over the rows of ``x`` without a temporary as large
    as ``x``. Anything but an ndarray (e.g. lazy Dask rows) goes through numpy's own dispatch."""
    if not isinstance(x, np.ndarray):
        return np.asarray(np.average(x if shift is None else x - shift, axis=0, weights=weights))
    weights = _weights_of(x, weights)
    if shift is None:  # one pass makes no (N, D) temporary
        return weighted_column_sums(weights, x) / weights.sum()
    total = np.zeros(x.shape[1])
    for rows in row_blocks(*x.shape):
        total += weighted_column_sums(weights[rows], x[rows] - shift)
    return total / weights.sum()


def weighted_covariance(x: Any, weights: Any) -> NDArray[np.float64]:
    """The weighted covariance ``(D, D)`` of the rows about their weighted mean (``np.cov`` with
    ``aweights`` and ``bias=True``), gathered in row blocks."""
    if not isinstance(x, np.ndarray):
        return np.atleast_2d(np.asarray(np.cov(x.T, aweights=weights, bias=True)))
    weights = _weights_of(x, weights)
    mean = weighted_mean(x, weights)
    total = np.zeros((x.shape[1], x.shape[1]))
    for rows in row_blocks(*x.shape):
        deviation = x[rows] - mean
        total += transposed_row_product(deviation * weights[rows, None], deviation)
    return total / weights.sum()


def weighted_variance(x: Any, weights: Any) -> NDArray[np.float64]:
    """The weighted variance ``(D,)`` of each column about its weighted mean, in row blocks."""
    if not isinstance(x, np.ndarray):
        mean = np.average(x, axis=0, weights=weights)
        return np.asarray(np.average((x - mean) ** 2, axis=0, weights=weights))
    weights = _weights_of(x, weights)
    mean = weighted_mean(x, weights)
    total = np.zeros(x.shape[1])
    for rows in row_blocks(*x.shape):
        total += weighted_column_sums(weights[rows], (x[rows] - mean) ** 2)
    return total / weights.sum()


def relative_weights(weights: Any) -> Any:
    """``weights`` divided by their largest value (``None`` stays ``None``; lazy Dask weights
    stay lazy): the same weighted averages, without overflow in ``w · x`` for large weights."""
    return None if weights is None else weights / weights.max()


#: A feature whose spread is at most this fraction of its magnitude is constant up to rounding.
CONSTANT_SPREAD = 1e-12


def feature_spread(x: Any, weights: Any, origin: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each column's weighted standard deviation (``weighted_spread``); a constant column
    (``constant_features``) gets its own magnitude at ``origin`` (or 1 for zeros), so the result
    scales with the data."""
    spread = weighted_spread(x, weights)
    return np.where(constant_features(spread, origin), constant_feature_scale(origin), spread)


def constant_features(spread: NDArray[np.float64], origin: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which columns of standard deviation ``spread`` about ``origin`` are constant up to
    rounding."""
    return ~(spread > CONSTANT_SPREAD * np.abs(origin))


def weighted_spread(x: Any, weights: Any) -> Any:
    """Each column's weighted standard deviation, computed without overflow for data of any
    magnitude."""
    weights = relative_weights(weights)
    with np.errstate(over="ignore", invalid="ignore"):
        variance = weighted_variance(x, weights)
        if np.all(np.isfinite(variance)):
            spread = np.sqrt(variance)
        else:  # squares overflow: work on the data divided by an exact power of two per column
            power = np.exp2(np.ceil(np.log2(np.maximum(column_magnitude(x), np.finfo(float).tiny))))
            spread = np.sqrt(_scaled_variance(x, weights, power)) * power
    return spread  # an ndarray, or lazy Dask rows' reduction


#: A value more than this many standard deviations of its column's bulk from the bulk's mean is an
#: outlier: it does not set the column's scale (``bulk_moments``).
OUTLIER_SPREADS = 10.0
#: Passes of ``bulk_moments`` at most (each one pass over the rows; usually two settle it).
BULK_PASSES = 6


def bulk_moments(x: Any, weights: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each column's weighted mean and standard deviation over its bulk: the values within
    ``OUTLIER_SPREADS`` standard deviations of the mean, found by passes that drop the values
    outside and recompute both until the kept values settle.

    One reading of 1e8 among 2000 values near 0 puts the plain standard deviation at 2e6 (the
    outlier lies 45 of those from the mean); set by it, the relative ridge and the start would
    flatten every component in that feature. A column whose bulk is constant (a rare value among
    many equal ones, as in a sparse 0/1 feature) keeps its plain moments. Overflow-free for data
    of any magnitude, in row blocks (lazy Dask rows: computed reductions, two per pass)."""
    weights = relative_weights(weights)
    mean = np.asarray(weighted_mean(x, weights), dtype=np.float64)
    spread = np.asarray(weighted_spread(x, weights), dtype=np.float64)
    kept_before: NDArray[np.float64] | None = None
    for _ in range(BULK_PASSES):
        varies = np.isfinite(spread) & (spread > 0)
        unit = np.where(varies, spread, 1.0)  # sums of x / unit never overflow
        # the kept values' mean, then their deviation about it (a second reduction: the
        # difference of moments would cancel when the bulk is tight compared with the outlier)
        kept, first = _kept_sums(x, weights, mean, unit, None)
        centre = unit * first / np.where(kept > 0, kept, 1.0)
        _, second = _kept_sums(x, weights, mean, unit, centre)
        deviation = unit * np.sqrt(second / np.where(kept > 0, kept, 1.0))
        bulk = varies & (kept > 0) & ~constant_features(deviation, centre)
        mean = np.where(bulk, centre, mean)  # else the plain moments stand
        spread = np.where(bulk, deviation, spread)
        if kept_before is not None and np.array_equal(kept, kept_before):
            break  # the same values twice: the last update was about their own moments
        kept_before = kept
    return mean, spread


def _kept_sums(
    x: Any, weights: Any, mean: NDArray[np.float64], unit: NDArray[np.float64],
    centre: NDArray[np.float64] | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per column, over the values within ``OUTLIER_SPREADS · unit`` of ``mean``: ``Σ w`` and
    ``Σ w x / unit`` (``centre=None``) or ``Σ w ((x − centre) / unit)²``."""
    if not isinstance(x, np.ndarray):  # lazy rows
        w = (abs(x - mean) <= OUTLIER_SPREADS * unit) * (1.0 if weights is None else weights[:, None])
        summed = w * x / unit if centre is None else w * ((x - centre) / unit) ** 2
        kept_weight, total = (np.asarray(value, dtype=np.float64) for value in (w.sum(0), summed.sum(0)))
        return kept_weight, total
    row_weights = _weights_of(x, weights)
    kept_weight, total = np.zeros(x.shape[1]), np.zeros(x.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite value is never kept
        # blocks an eighth of the usual: each makes about six temporaries of its size
        for rows in row_blocks(x.shape[0], 8 * x.shape[1]):
            w = (np.abs(x[rows] - mean) <= OUTLIER_SPREADS * unit) * row_weights[rows, None]
            values = x[rows] / unit if centre is None else ((x[rows] - centre) / unit) ** 2
            kept_weight += w.sum(0)
            total += (w * np.where(w > 0, values, 0.0)).sum(0)
    return kept_weight, total


def constant_feature_scale(origin: NDArray[np.float64]) -> NDArray[np.float64]:
    """The scale ``feature_spread`` gives a constant feature at ``origin``: its magnitude, or 1 at
    zero, so that it still scales with the data."""
    return np.where(origin != 0, np.abs(origin), 1.0)


def column_magnitude(x: Any) -> NDArray[np.float64]:
    """The largest absolute value of each column, in row blocks."""
    if not isinstance(x, np.ndarray):
        return np.asarray(np.max(np.abs(x), axis=0))
    out = np.zeros(x.shape[1])
    for rows in row_blocks(*x.shape):
        np.maximum(out, np.abs(x[rows]).max(0), out=out)
    return out


def _scaled_variance(x: Any, weights: Any, power: NDArray[np.float64]) -> NDArray[np.float64]:
    """The weighted variance of ``x / power`` per column, block by block (no copy of ``x``)."""
    if not isinstance(x, np.ndarray):
        return np.asarray(weighted_variance(x / power, weights))
    weights = np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    mean = np.zeros(x.shape[1])
    for rows in row_blocks(*x.shape):
        mean += weighted_column_sums(weights[rows], x[rows] / power)
    mean /= weights.sum()
    total = np.zeros(x.shape[1])
    for rows in row_blocks(*x.shape):
        total += weighted_column_sums(weights[rows], (x[rows] / power - mean) ** 2)
    return total / weights.sum()
