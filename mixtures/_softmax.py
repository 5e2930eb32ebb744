"""The softmax of an ``(n, K)`` matrix over its rows, compiled (numba; imported at first use).

Three passes: subtract each row's largest value (``shift_rows``), ``exp``, divide by each row's
sum (``normalise_rows``). numpy runs the middle one fast (vectorised ``exp``) but the per-row
maxima and sums of a matrix with few columns slowly, so those two passes are loops here. The
mixture's posterior (``latent.mixture.mixture_posterior``) runs ``np.exp`` between them, on
ranges of rows that fit in the cache. Compiled kernels that hold a block of log-densities in
the cache (the Gaussians' one-pass E-step) run all three here, with ``exp_of_nonpositive``,
an ``exp`` that the compiler vectorises (``math.exp`` is a call per entry: about five times
slower).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir as llvm_ir
from numba import types
from numba.extending import intrinsic
from numpy.typing import NDArray

__all__ = ["exp_of_nonpositive", "normalise_rows", "shift_rows"]

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


# exp(v) = 2^k · exp(r), k = round(v / ln 2), r = v − k ln 2 in [−ln2/2, ln2/2] (ln 2 split in two
# parts so that k ln 2 is exact), exp(r) by its Taylor series to r¹³/13! (error below 1e-17).
LOG2_E = 1.4426950408889634
LN2_HIGH = 0.693145751953125
LN2_LOW = 1.42860682030941723212e-6
ROUNDING = 6755399441055744.0  # 1.5 · 2⁵²: adding and subtracting it rounds to an integer
#: log of float64's smallest normal number, 2⁻¹⁰²²: exp below it is set to 0. Subnormal numbers
#: make every product that reads them many times slower (measured: the weighted sums of a
#: well-separated mixture 40% slower), and each weighs less than 1e-307.
UNDERFLOW = -708.3964185322641
TAYLOR = tuple(1.0 / math.factorial(i) for i in range(14))
T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13 = TAYLOR[2:]


@intrinsic
def _float_with_bits(typingctx, bits):
    """The float64 whose bits are the int64 ``bits`` (a bit cast, which vectorises): ``2^k`` is
    ``(k + 1023) << 52`` for ``k >= −1022``, a normal number."""
    signature = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvm_ir.DoubleType())

    return signature, codegen


@numba.njit(cache=True, nogil=True, fastmath={"contract"})
def exp_of_nonpositive(values: Array) -> None:
    """``values = exp(values)`` in place for entries at most 0 (the shifted rows of a softmax),
    within 3e-16 of ``np.exp`` (relative); below ``UNDERFLOW`` (and for ``−inf``) exactly 0, and
    NaN stays NaN. ``values`` is 1-D. One loop without calls or branches, which the compiler
    turns into vector instructions (``2^k`` from its exponent bits, by a bit cast)."""
    for i in range(values.shape[0]):
        v = values[i]
        w = UNDERFLOW if v < UNDERFLOW else v  # NaN stays NaN
        k = (w * LOG2_E + ROUNDING) - ROUNDING
        r = (w - k * LN2_HIGH) - k * LN2_LOW
        p = T13 * r + T12
        p = p * r + T11
        p = p * r + T10
        p = p * r + T9
        p = p * r + T8
        p = p * r + T7
        p = p * r + T6
        p = p * r + T5
        p = p * r + T4
        p = p * r + T3
        p = p * r + T2
        p = p * r + 1.0
        p = p * r + 1.0
        power: float = _float_with_bits((np.int64(k) + 1023) << 52)  # type: ignore[call-arg]
        values[i] = 0.0 if v < UNDERFLOW else p * power
