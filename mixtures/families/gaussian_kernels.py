"""The compiled loops behind the Gaussian families' E-step (numba; imported at first use).

The E-step reads the statistics ``T(z)`` of every row in the log-densities ``T(z) ηᵀ`` and in
the weighted sums ``rᵀ T(z)``: in one pass for a mixture (``softmax_sums``, whose softmax between
them also runs on the block), in two otherwise (``log_densities``, ``weighted_sums``). Formed
for all rows, ``T(z)`` of a full Gaussian takes ``S/D = (D + 3)/2`` times the data's memory (11.5
times at ``D = 20``), and each product then streams it from main memory. These kernels form it
instead from the rows ``x`` themselves, a block of a few hundred rows at a time: the block,
standardised and expanded into the family's statistics (one contiguous run per statistic), stays
in the core's cache while one small matrix product (BLAS, through numba's ``np.dot``) consumes it.
A block holds at most ``BLAS_SINGLE_THREAD`` multiply-adds (``mixtures._row_tasks``), the size
below which BLAS runs a product on the calling thread, so that row ranges can run on several
threads at once.

Every kernel takes the rows ``x`` ``(n, D)``, a range ``start:stop`` of them, the family's
``origin`` and ``1/feature_scale`` ``(D,)``, and the rows per block (the weighted sums also an
array ``like`` of the products' dtype); the statistics' layouts are
those of ``sufficient_statistics`` (``z`` first; then the packed upper triangle of ``z zᵀ`` row
by row, ``z²``, or ``‖z‖²``), followed by a statistic that is 1 for every row: the
log-densities' coefficients end with the constant ``log h − A(η)`` of each component, and the
weighted sums end with the counts ``Σ_n r_nk``, so that neither needs a pass of its own.

The products run in the coefficients' dtype: float64, or float32 when a fit asks for single
precision (``product_dtype``). The rows are standardised in float64 either way, and what the
products return is written to float64 (log-densities) or added into float64 (the sums, block by
block), through a block-sized scratch of the product's dtype.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.extending import overload
from numpy.typing import NDArray

from mixtures._row_tasks import BLAS_SINGLE_THREAD
from mixtures._softmax import exp_of_nonpositive, normalise_rows, shift_rows
from mixtures.compilation import inner_kernel
from mixtures.families.gaussian_layout import StatisticsLayout

__all__ = [
    "block_rows",
    "largest_squared_norm",
    "log_densities",
    "softmax_sums",
    "tied_log_densities",
    "weighted_sums",
]

Array = NDArray[np.float64]

#: Bounds on the rows of a block: enough for an efficient product, few enough for the cache.
FEWEST_BLOCK_ROWS, MOST_BLOCK_ROWS = 32, 2048
#: A block takes at most this many bytes (a share of a core's L2 cache).
BLOCK_BYTES = 256 * 1024


def block_rows(n_statistics: int, n_components: int) -> int:
    """Rows per block: a multiple of 8 within ``FEWEST_BLOCK_ROWS``–``MOST_BLOCK_ROWS`` whose
    ``S + 1`` statistics fit ``BLOCK_BYTES`` and whose product with ``n_components`` stays
    below ``BLAS_SINGLE_THREAD`` multiply-adds."""
    width = n_statistics + 1
    rows = min(BLAS_SINGLE_THREAD // max(1, width * n_components), BLOCK_BYTES // (8 * width))
    return int(min(MOST_BLOCK_ROWS, max(FEWEST_BLOCK_ROWS, rows // 8 * 8)))


# ---------------------------------------------------------------------------------- blocks
# Loops are explicit: numba compiles them fastest, and each array expression would cost it a
# compilation of its own (a user's first fit waits for them; the disk cache serves later ones).
@inner_kernel
def _new_block(n_statistics: int, rows_per_block: int, like: Array) -> Array:
    """An empty block of ``S + 1`` rows of ``rows_per_block`` columns in the dtype of ``like``,
    its last row all ones."""
    block = np.empty((n_statistics + 1, rows_per_block), like.dtype)
    for j in range(rows_per_block):
        block[n_statistics, j] = 1.0
    return block


#: Rows transposed together into the block: a tile of 8 rows, written as one run of 8 per
#: feature, took 0.7 ms per 200,000 rows at D = 10 where one row at a time took 1.15.
TRANSPOSED_TOGETHER = 8


# Each fills block[:S, :m] with T(z) of rows first:first+m, one column per row.
@inner_kernel
def _standardised_block(
    x: Array, first: int, m: int, origin: Array, inverse_scale: Array, block: Array
) -> None:
    n_features = x.shape[1]
    tiled = m - m % TRANSPOSED_TOGETHER
    for j in range(0, tiled, TRANSPOSED_TOGETHER):
        rows = x[first + j : first + j + TRANSPOSED_TOGETHER]
        for d in range(n_features):
            centre, inverse = origin[d], inverse_scale[d]
            for r in range(TRANSPOSED_TOGETHER):
                block[d, j + r] = (rows[r, d] - centre) * inverse
    for j in range(tiled, m):
        for d in range(n_features):
            block[d, j] = (x[first + j, d] - origin[d]) * inverse_scale[d]


@inner_kernel
def _full_block(x: Array, first: int, m: int, origin: Array, inverse_scale: Array, block: Array) -> None:
    _standardised_block(x, first, m, origin, inverse_scale, block)
    n_features = x.shape[1]
    row = n_features
    for a in range(n_features):  # row a of the upper triangle: z_a z_b for b >= a
        for b in range(a, n_features):
            for j in range(m):
                block[row, j] = block[a, j] * block[b, j]
            row += 1


@inner_kernel
def _diagonal_block(
    x: Array, first: int, m: int, origin: Array, inverse_scale: Array, block: Array
) -> None:
    _standardised_block(x, first, m, origin, inverse_scale, block)
    n_features = x.shape[1]
    for d in range(n_features):
        for j in range(m):
            block[n_features + d, j] = block[d, j] * block[d, j]


@inner_kernel
def _spherical_block(
    x: Array, first: int, m: int, origin: Array, inverse_scale: Array, block: Array
) -> None:
    _standardised_block(x, first, m, origin, inverse_scale, block)
    n_features = x.shape[1]
    for j in range(m):
        block[n_features, j] = 0.0
    for d in range(n_features):
        for j in range(m):
            block[n_features, j] += block[d, j] * block[d, j]


# ---------------------------------------------------------------------------------- products
@inner_kernel
def _used(block: Array, m: int) -> Array:
    """The block's first ``m`` columns as a contiguous matrix (itself when it is full)."""
    return block if m == block.shape[1] else np.ascontiguousarray(block[:, :m])


def _product_into(a: Array, b: Array, out: Array, scratch: Array) -> None:
    """``out[:] = a · b``; when ``out`` is float64 and the product float32, through ``scratch``
    (at least ``out``'s rows, and its columns). Compiled per dtype (``_product_into_kernel``)."""
    raise NotImplementedError("called from compiled kernels only")


@overload(_product_into)
def _product_into_kernel(a, b, out, scratch):
    if a.dtype == out.dtype:

        def direct(a, b, out, scratch):
            np.dot(a, b, out)

        return direct

    def through_scratch(a, b, out, scratch):
        rows, columns = out.shape
        product = scratch[:rows]  # a contiguous view (numba's product needs one)
        np.dot(a, b, product)
        for i in range(rows):
            for j in range(columns):
                out[i, j] = product[i, j]

    return through_scratch


def _rows_as(values: Array, first: int, m: int, scratch: Array) -> tuple[Array, float]:
    """Rows ``first:first+m`` of ``values`` in ``scratch``'s dtype and the factor that restores
    them: a view and 1 when the dtype is theirs. Else they are divided by their largest entry
    and copied into ``scratch``, entries below ``SINGLE_SMALLEST`` of it set to zero, with that
    entry as the factor. Compiled per dtype (``_rows_as_kernel``)."""
    raise NotImplementedError("called from compiled kernels only")


#: A float32 responsibility below this fraction of its block's largest is zero: smaller ones
#: would be subnormal numbers, which slow a product many times over, and together they add
#: less than 1e-14 of the total weight (at most ``MOST_BLOCK_ROWS`` of them per block).
SINGLE_SMALLEST = 2.0**-60


@overload(_rows_as)
def _rows_as_kernel(values, first, m, scratch):
    if values.dtype == scratch.dtype:

        def view(values, first, m, scratch):
            return values[first : first + m], 1.0

        return view

    def scaled_copy(values, first, m, scratch):
        n_columns = values.shape[1]
        largest = 0.0
        for i in range(first, first + m):
            for k in range(n_columns):
                largest = max(largest, values[i, k])
        rows = scratch[:m]
        inverse = 1.0 / largest if largest > 0.0 else 0.0
        for i in range(m):
            for k in range(n_columns):
                value = values[first + i, k] * inverse
                rows[i, k] = value if value >= SINGLE_SMALLEST else 0.0
        return rows, largest

    return scaled_copy


@inner_kernel
def _write_log_densities(
    block: Array, m: int, coefficients: Array, out: Array, first: int, scratch: Array
) -> None:
    """out[first:first+m] = (T_j, 1) · coefficients for the block's m rows: ``(m, K)``."""
    _product_into(_used(block, m).T, coefficients, out[first : first + m], scratch)


@inner_kernel
def _add_weighted_sums(
    block: Array, m: int, responsibilities: Array, first: int, scratch: Array, product: Array,
    sums: Array,
) -> None:
    """sums[k] += Σ_j r[first + j, k] (T_j, 1) over the block's m rows (``scratch``: room for
    one block's responsibilities, ``product``: for one block's ``(S + 1, K)``, both in the
    block's dtype). The product is ``(T, 1)ᵀ r``, which BLAS runs 3–5% faster than ``rᵀ (T, 1)``."""
    rows, factor = _rows_as(responsibilities, first, m, scratch)
    np.dot(_used(block, m), rows, product)
    for s in range(product.shape[0]):
        for k in range(product.shape[1]):
            sums[k, s] += factor * product[s, k]


# ---------------------------------------------------------------------------------- kernels
# The statistics' layouts (``gaussian_layout.StatisticsLayout``), as the kernels compare them.
FULL, DIAGONAL, SPHERICAL = (int(layout) for layout in StatisticsLayout)


@inner_kernel
def _statistics_block(
    layout: int, x: Array, first: int, m: int, origin: Array, inverse_scale: Array, block: Array
) -> None:
    """block[:S, :m] = T(z) of rows first:first+m in ``layout``, one column per row."""
    if layout == FULL:
        _full_block(x, first, m, origin, inverse_scale, block)
    elif layout == DIAGONAL:
        _diagonal_block(x, first, m, origin, inverse_scale, block)
    else:
        _spherical_block(x, first, m, origin, inverse_scale, block)


@numba.njit(cache=True, nogil=True)
def log_densities(
    layout: int, x: Array, start: int, stop: int, origin: Array, inverse_scale: Array,
    rows_per_block: int, coefficients: Array, out: Array,
) -> None:
    """``out[n] = (T(z_n), 1) · coefficients`` for rows ``start:stop`` in ``layout``, with
    ``coefficients = (ηᵀ; log h − A)`` ``(S + 1, K)``."""
    block = _new_block(coefficients.shape[0] - 1, rows_per_block, coefficients)
    scratch = np.empty((rows_per_block, coefficients.shape[1]), coefficients.dtype)
    for first in range(start, stop, rows_per_block):
        m = min(stop - first, rows_per_block)
        _statistics_block(layout, x, first, m, origin, inverse_scale, block)
        _write_log_densities(block, m, coefficients, out, first, scratch)


@numba.njit(cache=True, nogil=True)
def weighted_sums(
    layout: int, x: Array, start: int, stop: int, origin: Array, inverse_scale: Array,
    rows_per_block: int, responsibilities: Array, sums: Array, like: Array,
) -> None:
    """``sums += Σ_n r_n (T(z_n), 1)`` over rows ``start:stop`` in ``layout``: ``sums``
    ``(K, S + 1)`` holds the sums, then the counts."""
    block = _new_block(sums.shape[1] - 1, rows_per_block, like)
    scratch = np.empty((rows_per_block, sums.shape[0]), like.dtype)
    product = np.empty((sums.shape[1], sums.shape[0]), like.dtype)
    for first in range(start, stop, rows_per_block):
        m = min(stop - first, rows_per_block)
        _statistics_block(layout, x, first, m, origin, inverse_scale, block)
        _add_weighted_sums(block, m, responsibilities, first, scratch, product, sums)


@numba.njit(cache=True, nogil=True)
def softmax_sums(
    layout: int, x: Array, start: int, stop: int, origin: Array, inverse_scale: Array,
    rows_per_block: int, coefficients: Array, shifts: Array, row_weights: Array, top: Array,
    totals: Array, sums: Array,
) -> None:
    """The E-step of independent rows ``start:stop`` in one pass, a block at a time: the block's
    log-densities ``(T(z), 1) · coefficients`` (as ``log_densities``), their softmax after adding
    ``shifts`` ``(K,)`` (times ``row_weights``: the weighted responsibilities), and the sums of
    the block's statistics with them (into ``sums``, as ``weighted_sums``). ``T(z)`` is formed once
    and the ``(rows, K)`` log-densities never leave the cache. ``top`` and ``totals`` ``(n,)``
    take each row's largest shifted log-density and the sum of the exps (``log p(x_n) = top +
    log totals``); an impossible row (see ``_softmax``) gets ``top = −inf``."""
    n_components = coefficients.shape[1]
    block = _new_block(coefficients.shape[0] - 1, rows_per_block, coefficients)
    posterior = np.empty((rows_per_block, n_components))
    entries = posterior.reshape(rows_per_block * n_components)  # a view: exp runs on it flat
    scratch = np.empty((rows_per_block, n_components), coefficients.dtype)
    product = np.empty((sums.shape[1], sums.shape[0]), coefficients.dtype)
    for first in range(start, stop, rows_per_block):
        m = min(stop - first, rows_per_block)
        rows = slice(first, first + m)
        _statistics_block(layout, x, first, m, origin, inverse_scale, block)
        _write_log_densities(block, m, coefficients, posterior, 0, scratch)
        shift_rows(posterior, 0, m, shifts, top[rows])
        exp_of_nonpositive(entries[: m * n_components])
        normalise_rows(posterior, 0, m, row_weights[rows], totals[rows], top[rows])
        _add_weighted_sums(block, m, posterior, 0, scratch, product, sums)


@numba.njit(cache=True, nogil=True)
def tied_log_densities(
    x: Array, start: int, stop: int, origin: Array, inverse_scale: Array, rows_per_block: int,
    shared: Array, coefficients: Array, out: Array,
) -> None:
    """Log-densities of rows ``start:stop`` for components that share their precision within
    groups: the quadratic term ``−½ zᵀΛ_g z`` once per group (``shared``: the second half of each
    group's natural parameters, ``(G, P)``), then ``(z, q_1 … q_G, 1) · coefficients`` with
    ``coefficients`` ``(D + G + 1, K)``: ``Λμ_k``, 1 in its group's row, ``log h − A``."""
    n_features = x.shape[1]
    n_groups, n_second = shared.shape
    block = _new_block(n_features + n_second, rows_per_block, coefficients)
    reduced = _new_block(n_features + n_groups, rows_per_block, coefficients)
    quadratic = np.empty((n_groups, rows_per_block), coefficients.dtype)
    scratch = np.empty((rows_per_block, coefficients.shape[1]), coefficients.dtype)
    for first in range(start, stop, rows_per_block):
        m = min(stop - first, rows_per_block)
        _full_block(x, first, m, origin, inverse_scale, block)
        np.dot(shared, block[n_features : n_features + n_second], quadratic)
        for j in range(m):
            for d in range(n_features):
                reduced[d, j] = block[d, j]
            for g in range(n_groups):
                reduced[n_features + g, j] = quadratic[g, j]
        _write_log_densities(reduced, m, coefficients, out, first, scratch)


@numba.njit(cache=True, nogil=True)
def largest_squared_norm(x: Array, origin: Array, inverse_scale: Array) -> float:
    """``max_n ‖z_n‖²`` of the rows (0 for none): the size of the product form's terms."""
    largest = 0.0
    for i in range(x.shape[0]):
        total = 0.0
        for d in range(x.shape[1]):
            value = (x[i, d] - origin[d]) * inverse_scale[d]
            total += value * value
        largest = max(largest, total)
    return largest
