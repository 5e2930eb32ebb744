"""Rows of data as the E-step reads them through a family.

The E-step needs two things of a chunk's rows: their log-densities under ``K`` components,
``log h(x) + T(x) ηᵀ − A(η)`` ``(n, K)``, and their statistics summed with weighted
responsibilities, ``Σ_n r_nk`` and ``Σ_n r_nk T(x_n)`` (``SufficientStatistics``).
``ExponentialFamily.row_statistics(x)`` says how. By default it is ``StatisticsMatrix``, which
forms ``T(x)`` and ``log h(x)`` once and answers both with one matrix product each (any family
of your own works this way). A family that can answer without holding ``T(x)`` returns its own
``RowStatistics``: the Gaussians read ``x`` itself and form the statistics block by block inside
compiled kernels (``mixtures.families.gaussian_rows``), which keeps their memory at the data's
and their products in the cache.
"""

from __future__ import annotations

import abc
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.checks import checked_output
from mixtures.families.statistics import SufficientStatistics

__all__ = ["RowStatistics", "StatisticsMatrix"]

Array = NDArray[np.float64]


class RowStatistics(abc.ABC):
    """A chunk's rows as a family's E-step reads them (see the module notes)."""

    @property
    @abc.abstractmethod
    def n_rows(self) -> int:
        """The number of rows."""

    @property
    @abc.abstractmethod
    def nbytes(self) -> int:
        """Memory held for these rows beyond the rows themselves (what caching them costs)."""

    @property
    @abc.abstractmethod
    def numbers_per_row(self) -> int:
        """How many numbers per row the E-step works through at once: what sizes a chunk."""

    @property
    def numbers_per_row_in_one_pass(self) -> int:
        """``numbers_per_row`` for the one-pass E-step (``softmax_summed``), which sizes the
        chunks of independent, complete, unlabelled rows. Default: the same."""
        return self.numbers_per_row

    @abc.abstractmethod
    def log_likelihood(self, natural: Array, log_partition: Array | None = None) -> Array:
        """``log h(x) + T(x) ηᵀ − A(η)`` for every row and component: ``(n, K)``.

        ``log_partition=None`` means ``A(η)`` itself; the variational E-step passes
        ``E_q[A(η)]`` with ``E_q[η]`` as ``natural``."""

    @abc.abstractmethod
    def summed(self, weighted_responsibilities: Array) -> SufficientStatistics:
        """``Σ_n r_nk`` and ``Σ_n r_nk T(x_n)`` for responsibilities already multiplied by the
        rows' weights ``(n, K)`` (about the family's coordinates)."""

    def softmax_summed(
        self, natural: Array, log_partition: Array | None, shifts: Array, row_weights: Array
    ) -> tuple[float, SufficientStatistics] | None:
        """The E-step of independent rows in one pass, for rows whose posterior is the softmax
        of their log-likelihoods plus ``shifts`` ``(K,)`` (a mixture's log-weights): the weighted
        log evidence ``Σ_n w_n log p(x_n)`` (not finite when a row is impossible under every
        component) and the statistics summed with the softmax times ``row_weights`` ``w``
        ``(n,)``, the same as ``log_likelihood``, the softmax and ``summed`` give, without the
        ``(n, K)`` matrices between them.

        ``None`` when these rows cannot (the default, and whenever a result would need the
        passes one at a time): the E-step then takes them one at a time."""
        return None

    def checked(self, n_statistics: int, first_row: int) -> RowStatistics:
        """These rows after checking what the family formed for them (global rows from
        ``first_row``): a ``ValueError`` names the family's method when it has the wrong shape
        or is not finite. Default: nothing was formed, nothing to check."""
        return self


@attrs.frozen(eq=False)
class StatisticsMatrix(RowStatistics):
    """``T(x)`` ``(n, S)`` and ``log h(x)`` ``(n,)`` of rows ``x``, formed once by ``family``."""

    family: Any
    x: Array
    statistics: Array
    log_base: Array

    @classmethod
    def of(cls, family: Any, x: Array) -> StatisticsMatrix:
        with np.errstate(over="ignore", invalid="ignore"):  # non-finite results: see checked
            return cls(family, x, family.sufficient_statistics(x), family.log_base_measure(x))

    @property
    def n_rows(self) -> int:
        return int(self.x.shape[0])

    @property
    def nbytes(self) -> int:
        return int(np.asarray(self.statistics).nbytes + np.asarray(self.log_base).nbytes)

    @property
    def numbers_per_row(self) -> int:
        return int(np.shape(self.statistics)[1]) + 1

    def checked(self, n_statistics: int, first_row: int) -> StatisticsMatrix:
        n_rows = self.n_rows
        statistics = checked_output(
            self.family, "sufficient_statistics", self.statistics, (n_rows, n_statistics),
            data=self.x, first_row=first_row,
        )
        log_base = checked_output(
            self.family, "log_base_measure", self.log_base, (n_rows,), allow_minus_inf=True,
            data=self.x, first_row=first_row,
        )
        return attrs.evolve(self, statistics=statistics, log_base=log_base)

    def log_likelihood(self, natural: Array, log_partition: Array | None = None) -> Array:
        if log_partition is None:  # checked here, but the family forms A(η) itself: a Gaussian
            # avoids it where it would cancel (tight components far from the origin)
            checked_output(
                self.family, "log_partition", self.family.log_partition(natural), (natural.shape[0],)
            )
        return np.asarray(
            self.family.log_likelihood_of_statistics(
                self.statistics, self.log_base, natural, log_partition
            )
        )

    def summed(self, weighted_responsibilities: Array) -> SufficientStatistics:
        # Tᵀ r̃ (S, n)·(n, K), transposed: BLAS runs this shape many times faster than r̃ᵀ T
        sums = np.ascontiguousarray((self.statistics.T @ weighted_responsibilities).T)
        return SufficientStatistics(weighted_responsibilities.sum(0), sums)
