"""Observations split into row chunks, with each chunk's ``T(x)`` and ``log h(x)``.

Inference never touches ``x`` directly: it reads the statistics of one chunk at a time. When all
chunks' statistics fit in ``cache_bytes`` they are formed once and kept across iterations;
otherwise they are recomputed per pass and memory stays bounded by one chunk.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.base import ExponentialFamily
from mixtures.families.checks import checked_output
from mixtures.families.statistics import SufficientStatistics

__all__ = ["DEFAULT_CACHE_BYTES", "Chunk", "ChunkedData", "default_chunk_size"]

Array = NDArray[np.float64]

#: Statistics of all chunks are kept between iterations when they need at most this many bytes.
DEFAULT_CACHE_BYTES = 2 * 1024**3
#: Target size of one chunk's statistics matrix (rows × S doubles).
TARGET_CHUNK_BYTES = 32 * 1024**2


def default_chunk_size(n_statistics: int) -> int:
    """Rows per chunk so that one chunk's ``T(x)`` takes about ``TARGET_CHUNK_BYTES``."""
    return max(1024, TARGET_CHUNK_BYTES // (8 * max(n_statistics, 1)))


@attrs.frozen(eq=False)
class Chunk:
    """Rows ``rows`` of the data as the E-step sees them: ``T(x)``, ``log h(x)`` and row weights."""

    rows: slice
    statistics: Array
    log_base: Array
    weights: Array

    def log_likelihood(
        self, family: ExponentialFamily, natural: Array, log_partition: Array | None = None
    ) -> Array:
        """``log p(x_n | η_k)`` ``(n, K)``: one product (``log_partition=None`` is ``A(η)``; VB
        passes ``E_q[A(η)]``). A NaN names the family method that produced it."""
        if log_partition is None:
            log_partition = checked_output(
                family, "log_partition", family.log_partition(natural), (natural.shape[0],)
            )
        values = family.log_likelihood_of_statistics(
            self.statistics, self.log_base, natural, log_partition
        )
        if np.isnan(values).any():
            checked_output(family, "log-density (log_likelihood_of_statistics)", values,
                           values.shape, allow_minus_inf=True)
        return values

    def statistics_of(self, weighted_responsibilities: Array) -> SufficientStatistics:
        """``Σ_n r̃_nk`` and ``Σ_n r̃_nk T(x_n)`` for responsibilities already multiplied by the
        rows' weights: ``(n, K)``."""
        return SufficientStatistics(
            weighted_responsibilities.sum(0), weighted_responsibilities.T @ self.statistics
        )


class ChunkedData:
    """Rows of ``x`` (``(N, D)``, validated) with weights, seen through ``family``'s statistics."""

    def __init__(
        self,
        family: ExponentialFamily,
        x: Array,
        weights: Array,
        *,
        chunk_size: int | None = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        lengths: NDArray[np.intp] | None = None,
    ) -> None:
        self.family = family
        self.x = x
        self.weights = weights
        probe = np.asarray(family.sufficient_statistics(x[:1]))
        if probe.ndim != 2 or probe.shape[0] != 1:
            raise ValueError(
                f"{type(family).__name__}.sufficient_statistics must return (N, S); got shape "
                f"{probe.shape} for one row"
            )
        self.n_statistics = int(probe.shape[1])
        size = chunk_size or default_chunk_size(self.n_statistics)
        if lengths is None:
            starts = range(0, x.shape[0], size)
            self.bounds = [slice(start, min(start + size, x.shape[0])) for start in starts]
        else:
            self.bounds = _sequence_bounds(lengths, size)
        self.total_weight = float(weights.sum())
        needed = 8 * x.shape[0] * (self.n_statistics + 1)
        self._cache: list[Chunk] | None = None
        if needed <= cache_bytes:
            self._cache = [self._make(rows) for rows in self.bounds]

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[0])

    def _make(self, rows: slice) -> Chunk:
        x = self.x[rows]
        n_rows = x.shape[0]
        return Chunk(
            rows,
            checked_output(
                self.family, "sufficient_statistics", self.family.sufficient_statistics(x),
                (n_rows, self.n_statistics),
            ),
            checked_output(
                self.family, "log_base_measure", self.family.log_base_measure(x), (n_rows,),
                allow_minus_inf=True,
            ),
            self.weights[rows],
        )

    def chunks(self) -> Iterator[Chunk]:
        if self._cache is not None:
            yield from self._cache
        else:
            for rows in self.bounds:
                yield self._make(rows)


def _sequence_bounds(lengths: NDArray[np.intp], rows_per_chunk: int) -> list[slice]:
    """Row slices that hold whole sequences, about ``rows_per_chunk`` rows each (a longer
    sequence gets a chunk of its own)."""
    ends = np.cumsum(lengths)
    bounds: list[slice] = []
    start = 0
    while start < ends[-1]:
        # the last sequence end within the budget, but at least one whole sequence
        candidates = ends[(ends > start) & (ends <= start + rows_per_chunk)]
        stop = int(candidates[-1]) if candidates.size else int(ends[ends > start][0])
        bounds.append(slice(start, stop))
        start = stop
    return bounds
