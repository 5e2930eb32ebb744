"""Small array helpers shared by every folder."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def float_array(value: Any) -> NDArray[np.float64]:
    """A float64 ndarray view or copy of ``value`` (converter for attrs fields)."""
    return np.asarray(value, dtype=np.float64)


def log_sum_exp_rows(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log Σ_k exp(values[n, k])`` per row, stable, -inf for rows that are all -inf."""
    top = values.max(axis=1)
    finite_top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(values - finite_top[:, None]).sum(axis=1)) + finite_top


#: Rows per block when data-wide moments are gathered: temporaries stay bounded whatever N.
MOMENT_BLOCK_ROWS = 65536


def _blocks(n_rows: int) -> range:
    return range(0, n_rows, MOMENT_BLOCK_ROWS)


def _weights_of(x: NDArray[np.float64], weights: Any) -> NDArray[np.float64]:
    return np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)


def weighted_mean(x: Any, weights: Any, shift: Any = None) -> NDArray[np.float64]:
    """``Σ_n w_n (x_n − shift) / Σ_n w_n`` over the rows of ``x`` without a temporary as large
    as ``x``. Anything but an ndarray (e.g. lazy Dask rows) goes through numpy's own dispatch."""
    if not isinstance(x, np.ndarray):
        return np.asarray(np.average(x if shift is None else x - shift, axis=0, weights=weights))
    weights = _weights_of(x, weights)
    if shift is None:
        return np.asarray((weights @ x) / weights.sum())
    total = sum(
        (weights[start : start + MOMENT_BLOCK_ROWS] @ (x[start : start + MOMENT_BLOCK_ROWS] - shift)
         for start in _blocks(x.shape[0])),
        np.zeros(x.shape[1]),
    )
    return np.asarray(total / weights.sum())


def weighted_covariance(x: Any, weights: Any) -> NDArray[np.float64]:
    """The weighted covariance ``(D, D)`` of the rows about their weighted mean (``np.cov`` with
    ``aweights`` and ``bias=True``), gathered in row blocks."""
    if not isinstance(x, np.ndarray):
        return np.atleast_2d(np.asarray(np.cov(x.T, aweights=weights, bias=True)))
    weights = _weights_of(x, weights)
    mean = weighted_mean(x, weights)
    total = np.zeros((x.shape[1], x.shape[1]))
    for start in _blocks(x.shape[0]):
        deviation = x[start : start + MOMENT_BLOCK_ROWS] - mean
        total += (deviation * weights[start : start + MOMENT_BLOCK_ROWS, None]).T @ deviation
    return total / weights.sum()


def weighted_variance(x: Any, weights: Any) -> NDArray[np.float64]:
    """The weighted variance ``(D,)`` of each column about its weighted mean, in row blocks."""
    if not isinstance(x, np.ndarray):
        mean = np.average(x, axis=0, weights=weights)
        return np.asarray(np.average((x - mean) ** 2, axis=0, weights=weights))
    weights = _weights_of(x, weights)
    mean = weighted_mean(x, weights)
    total = sum(
        (weights[start : start + MOMENT_BLOCK_ROWS] @ (x[start : start + MOMENT_BLOCK_ROWS] - mean) ** 2
         for start in _blocks(x.shape[0])),
        np.zeros(x.shape[1]),
    )
    return np.asarray(total / weights.sum())
