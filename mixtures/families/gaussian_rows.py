"""A Gaussian family's rows as the E-step reads them: ``x`` itself, never ``T(x)``.

Both products of the E-step, the log-densities ``T(z) ηᵀ`` and the sums ``rᵀ T(z)``, run in the
compiled kernels of ``mixtures.families.gaussian_kernels`` (a mixture's in one pass with its
softmax, ``softmax_summed``), which form ``T(z)`` from ``x`` a cache-sized block at a time, on
row ranges spread over threads (``mixtures._row_tasks``). A chunk therefore holds nothing but a
view of its rows and one number, the largest ``‖z‖²`` among them, which bounds the rounding of
the product form (``PRODUCT_FORM_TOLERANCE``): a component that would lose too much to it gets
its column in centred form, as in ``log_likelihood_of_statistics``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Self, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import weighted_total
from mixtures._row_tasks import ROWS_PER_RANGE, map_row_ranges
from mixtures.families.checks import checked_output
from mixtures.families.row_statistics import RowStatistics
from mixtures.families.statistics import SufficientStatistics

__all__ = ["GaussianRows", "TiedGaussianRows"]

Array = NDArray[np.float64]
V = TypeVar("V")
#: Log-densities per row counted in a chunk's size besides the row itself: the passes one at a
#: time hand an ``(n, K)`` matrix between their stages (log-densities, posterior, sums), which
#: should stay in the processor's last-level cache, while each chunk also costs a fixed overhead
#: (its log partition, checks, thread hand-offs). 16 gives 160,000 rows at D = 10 and 115,000 at
#: D = 20: measured 15–20% faster at 200,000 × 10 than 48 (72,000 rows), and equal at
#: 1,000,000 × 20.
LOG_DENSITIES_PER_ROW = 16
#: Numbers per row besides the row itself in the one-pass E-step: each row's largest
#: log-density and its softmax total. Nothing ``(n, K)`` exists, so its chunks are larger, and the
#: fixed cost of a chunk comes fewer times: 350,000 rows at D = 10, where 200,000 × 10 × 8 took
#: 9.7 ms per EM iteration in one chunk and 10.2 in two (medians of 28 fits each, alternated).
ONE_PASS_NUMBERS_PER_ROW = 2


@attrs.frozen(eq=False)
class GaussianRows(RowStatistics):
    """Rows ``x`` ``(n, D)`` (C-ordered float64) of a Gaussian ``family``, with ``S`` statistics
    per row and the largest squared norm of their standardised coordinates."""

    family: Any
    x: Array
    n_statistics: int
    largest_squared_norm: float
    #: Bytes of ``x`` held for these rows: 0 when ``x`` is a view of the given rows.
    held_bytes: int = 0
    #: The dtype of the products (float64, or float32 for single precision): ``product_dtype``.
    product_dtype: np.dtype[Any] = attrs.field(default=np.dtype(np.float64), kw_only=True)

    @classmethod
    def of(cls, family: Any, x: Array, **settings: Any) -> Self:
        """The rows ``x`` of ``family`` (``settings``: a subclass's own fields)."""
        from mixtures.compilation import compile_notice
        from mixtures.families.gaussian_kernels import largest_squared_norm

        given = x
        x = np.ascontiguousarray(x, dtype=np.float64)
        n_features = x.shape[1]
        origin, inverse_scale = _coordinates(family, n_features)
        n_statistics = int(np.shape(family.sufficient_statistics(np.zeros((1, n_features))))[1])
        with compile_notice(largest_squared_norm):
            radius = float(largest_squared_norm(x, origin, inverse_scale))
        held = 0 if np.may_share_memory(x, given) else int(x.nbytes)
        return cls(family, x, n_statistics, radius, held, **settings)

    @property
    def n_rows(self) -> int:
        return int(self.x.shape[0])

    @property
    def nbytes(self) -> int:
        return self.held_bytes

    @property
    def numbers_per_row(self) -> int:
        return int(self.x.shape[1]) + LOG_DENSITIES_PER_ROW

    @property
    def numbers_per_row_in_one_pass(self) -> int:
        return int(self.x.shape[1]) + ONE_PASS_NUMBERS_PER_ROW

    def log_likelihood(self, natural: Array, log_partition: Array | None = None) -> Array:
        family = self.family
        out = np.empty((self.n_rows, natural.shape[0]))
        self.write_log_densities(natural, self.coefficients(natural, log_partition), out)
        cancelling = self.cancelling_components(natural)
        if cancelling.size:  # z of every row, only when a component needs it
            z = family.standardised(self.x)
            log_base = family.log_base_constant(self.x.shape[1])
            family.write_centred_columns(out, z, cancelling, log_base, natural, log_partition)
        return out

    def coefficients(self, natural: Array, log_partition: Array | None) -> Array:
        """``(ηᵀ; log h − A)`` ``(S + 1, K)`` in the products' dtype: the log-densities are
        ``(T(z), 1)`` times these (``log_partition=None``: ``A(η)``, checked as every family's is)."""
        family = self.family
        n_components, n_statistics = natural.shape
        partition = log_partition
        if partition is None:
            partition = checked_output(
                family, "log_partition", family.log_partition(natural), (n_components,)
            )
        coefficients = np.empty((n_statistics + 1, n_components), self.product_dtype)
        coefficients[:n_statistics] = natural.T
        log_base = family.log_base_constant(self.x.shape[1])
        coefficients[n_statistics] = log_base - np.asarray(partition, dtype=np.float64)
        return coefficients

    def cancelling_components(self, natural: Array) -> NDArray[np.intp]:
        """The components whose log-densities the product form would round too coarsely for
        these rows (``PRODUCT_FORM_TOLERANCE``): their columns are computed in centred form."""
        return np.asarray(self.family.cancelling_components(
            self.largest_squared_norm, natural, self.product_dtype
        ))

    def write_log_densities(self, natural: Array, coefficients: Array, out: Array) -> None:
        """``out = (T(z), 1) · coefficients`` for every row, ``coefficients`` ``(S + 1, K)``:
        ``(ηᵀ; log h − A)``."""
        n_components, n_statistics = natural.shape
        origin, inverse_scale = _coordinates(self.family, self.x.shape[1])
        from mixtures.families.gaussian_kernels import log_densities

        layout = int(self.family.statistics_layout)
        rows_per_block = _rows_per_block(n_statistics, n_components)

        def run(start: int, stop: int) -> None:
            log_densities(
                layout, self.x, start, stop, origin, inverse_scale, rows_per_block, coefficients, out
            )

        _run_kernel(log_densities, run, self.n_rows, rows_per_block)

    def summed(self, weighted_responsibilities: Array) -> SufficientStatistics:
        family = self.family
        n_features = self.x.shape[1]
        responsibilities = np.ascontiguousarray(weighted_responsibilities, dtype=np.float64)
        n_components = responsibilities.shape[1]
        origin, inverse_scale = _coordinates(family, n_features)
        from mixtures.families.gaussian_kernels import weighted_sums

        layout = int(family.statistics_layout)
        rows_per_block = _rows_per_block(self.n_statistics, n_components)
        width = self.n_statistics + 1  # the statistics, then the counts
        like = np.empty(0, self.product_dtype)

        def run(start: int, stop: int) -> Array:
            sums = np.zeros((n_components, width))
            weighted_sums(
                layout, self.x, start, stop, origin, inverse_scale, rows_per_block,
                responsibilities, sums, like,
            )
            return sums

        return _added(_run_kernel(weighted_sums, run, self.n_rows, rows_per_block), n_components, width)

    def softmax_summed(
        self, natural: Array, log_partition: Array | None, shifts: Array, row_weights: Array
    ) -> tuple[float, SufficientStatistics] | None:
        # one kernel (softmax_sums): T(z) formed once per block, the posterior in the cache
        family = self.family
        if self.cancelling_components(natural).size:
            return None  # those columns need every row's z: the passes one at a time
        from mixtures.families.gaussian_kernels import softmax_sums

        coefficients = self.coefficients(natural, log_partition)
        n_components, n_statistics = natural.shape
        origin, inverse_scale = _coordinates(family, self.x.shape[1])
        layout = int(family.statistics_layout)
        rows_per_block = _rows_per_block(n_statistics, n_components)
        shifts = np.ascontiguousarray(shifts, dtype=np.float64)
        weights = np.ascontiguousarray(row_weights, dtype=np.float64)
        log_evidence, totals = np.empty(self.n_rows), np.empty(self.n_rows)

        def run(start: int, stop: int) -> tuple[Array, float]:
            sums = np.zeros((n_components, n_statistics + 1))
            softmax_sums(
                layout, self.x, start, stop, origin, inverse_scale, rows_per_block,
                coefficients, shifts, weights, log_evidence, totals, sums,
            )
            rows = slice(start, stop)  # log p(x_n) = top + log totals, on this thread
            log_evidence[rows] += np.log(totals[rows])
            return sums, weighted_total(weights[rows], log_evidence[rows])

        parts = _run_kernel(softmax_sums, run, self.n_rows, rows_per_block)
        evidence = float(sum(part[1] for part in parts))  # in row order: the same for any threads
        return evidence, _added([part[0] for part in parts], n_components, n_statistics + 1)


@attrs.frozen(eq=False)
class TiedGaussianRows(GaussianRows):
    """``GaussianRows`` of a ``TiedGaussian``, whose components share their precision within
    groups: the quadratic term ``−½ zᵀΛz`` of a row is the same for every component of a group,
    so the log-densities form it once per group (``tied_log_densities``), which takes
    ``2·(P·G + (D + G + 1)·K)`` operations per row instead of ``2·(S + 1)·K``. Parameters whose
    precisions differ within a group (never after a tied update) take the general kernel."""

    #: Components per group (0: one group of all components).
    group_size: int = 0

    def write_log_densities(self, natural: Array, coefficients: Array, out: Array) -> None:
        from mixtures.families.gaussian_kernels import tied_log_densities

        n_components, n_statistics = natural.shape
        n_features = self.x.shape[1]
        size = self.group_size or n_components
        second = natural[:, n_features:]
        shared = second[::size]
        if not np.array_equal(np.repeat(shared, size, axis=0), second):
            super().write_log_densities(natural, coefficients, out)
            return
        shared = np.ascontiguousarray(shared, dtype=self.product_dtype)
        n_groups = shared.shape[0]
        # (ηᵀ of z; groups; log h − A)
        reduced = np.zeros((n_features + n_groups + 1, n_components), self.product_dtype)
        reduced[:n_features] = coefficients[:n_features]
        reduced[n_features + np.arange(n_components) // size, np.arange(n_components)] = 1.0
        reduced[-1] = coefficients[-1]
        origin, inverse_scale = _coordinates(self.family, n_features)
        rows_per_block = _rows_per_block(n_statistics, n_components)

        def run(start: int, stop: int) -> None:
            tied_log_densities(
                self.x, start, stop, origin, inverse_scale, rows_per_block, shared, reduced, out
            )

        _run_kernel(tied_log_densities, run, self.n_rows, rows_per_block)


def _added(parts: list[Array], n_components: int, width: int) -> SufficientStatistics:
    """The statistics of row ranges' ``(K, S + 1)`` sums (the sums, then the counts), added in
    row order, so that they do not depend on which thread ran which range."""
    total = functools.reduce(np.add, parts, np.zeros((n_components, width)))
    return SufficientStatistics(total[:, -1], np.ascontiguousarray(total[:, :-1]))


def _coordinates(family: Any, n_features: int) -> tuple[Array, Array]:
    """The family's ``origin`` and ``1 / feature_scale``, ``(D,)`` each, contiguous."""
    origin = np.ascontiguousarray(family.origin_for(n_features), dtype=np.float64)
    inverse_scale = np.ascontiguousarray(1.0 / family.scale_for(n_features), dtype=np.float64)
    return origin, inverse_scale


def _rows_per_block(n_statistics: int, n_components: int) -> int:
    from mixtures.families.gaussian_kernels import block_rows

    return block_rows(n_statistics, n_components)


def _run_kernel(
    kernel: Callable[..., None], run: Callable[[int, int], V], n_rows: int, rows_per_block: int
) -> list[V]:
    """``run`` over ranges of a multiple of ``rows_per_block`` rows (about ``ROWS_PER_RANGE``)
    on the kernels' threads, announcing a first compilation of ``kernel``."""
    from mixtures.compilation import compile_notice

    with compile_notice(kernel):
        return map_row_ranges(run, n_rows, rows_per_block * max(1, ROWS_PER_RANGE // rows_per_block))
