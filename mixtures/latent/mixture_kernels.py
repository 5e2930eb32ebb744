"""The compiled passes of the mixture's softmax (numba; imported at first use).

The softmax of an ``(n, K)`` matrix over its rows is three passes: subtract each row's maximum,
``exp``, divide by each row's sum. numpy runs the middle one fast (vectorised ``exp``) but the
per-row maxima and sums of a matrix with few columns slowly, so those two passes are loops here,
and ``mixture.mixture_posterior`` runs ``np.exp`` between them, on ranges of rows that fit in
the cache.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["normalise_rows", "shift_rows"]

Array = NDArray[np.float64]


@numba.njit(cache=True, nogil=True)
def shift_rows(joint: Array, start: int, stop: int, log_weights: Array, top: Array) -> None:
    """Rows ``start:stop`` of ``joint`` ``(n, K)``: add ``log_weights``, then subtract the row's
    largest value, kept in ``top``. A row without a finite largest value (every entry ``−inf``,
    a NaN or a ``+inf``) comes out holding a NaN, which ``normalise_rows`` finds in its sum: the
    largest is found first, in a loop of its own without a branch (measured twice as fast as
    one loop that also tests every entry)."""
    n_columns = joint.shape[1]
    for i in range(start, stop):
        largest = -np.inf
        for k in range(n_columns):
            largest = max(largest, joint[i, k] + log_weights[k])
        for k in range(n_columns):
            joint[i, k] = (joint[i, k] + log_weights[k]) - largest
        top[i] = largest


@numba.njit(cache=True, nogil=True)
def normalise_rows(
    probabilities: Array, start: int, stop: int, row_weights: Array, totals: Array, top: Array
) -> None:
    """Rows ``start:stop`` of ``probabilities`` ``(n, K)`` (the ``exp`` of the shifted rows):
    divided by their sum, kept in ``totals``, and multiplied by ``row_weights``. A row whose sum
    is not finite is impossible (see ``shift_rows``): uniform, with sum 1 and ``top = −inf``."""
    n_columns = probabilities.shape[1]
    for i in range(start, stop):
        total = 0.0
        for k in range(n_columns):
            total += probabilities[i, k]
        if math.isfinite(total):
            factor = row_weights[i] / total
            for k in range(n_columns):
                probabilities[i, k] *= factor
            totals[i] = total
        else:
            for k in range(n_columns):
                probabilities[i, k] = row_weights[i] / n_columns
            totals[i] = 1.0
            top[i] = -np.inf
