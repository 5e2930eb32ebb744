"""Where the rows live, and how inference sees them.

Inference never loops over the rows itself. It hands a per-chunk function to the data, which
maps it over its chunks and adds the results with ``+`` (``Data.map_sum``): the statistics of
the E-step, the sums of a k-means pass, a sample of rows. ``ChunkedData`` does this here, in
row chunks of a numpy array (or memory map); ``mixtures.distributed.DaskData`` does it on the
Dask workers that hold the blocks of a ``dask.array``, so that only the summed values travel.
Predictions go the same way with ``map_rows``, which joins per-row results instead of adding.

Each chunk is seen as a ``Chunk``: its rows of ``x`` as the family's E-step reads them
(``ExponentialFamily.row_statistics``: ``T(x)`` and ``log h(x)`` formed once, or for the
Gaussians the rows themselves), their weights, and for an HMM the whole sequences it holds
(``SequenceData`` wraps such data). When what the chunks hold fits in ``cache_bytes`` they are
made once and kept across iterations; otherwise they are made again in every pass, and memory
stays bounded by one chunk.

These objects are made by a ``Rows`` value (``mixtures.inference.rows``), which checks the
input once and knows whether it lives in memory or on Dask.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._row_tasks import ROWS_PER_RANGE, map_row_ranges
from mixtures.families.base import ExponentialFamily
from mixtures.families.checks import check_summed_statistics, checked_output
from mixtures.families.completion import Completion
from mixtures.families.row_statistics import RowStatistics
from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.labels import label_log_prior
from mixtures.inference.missing import MissingRows
from mixtures.inference.sequences import SequenceLayout, Sequences

if TYPE_CHECKING:
    from mixtures.priors.base import ConjugatePrior

__all__ = [
    "DEFAULT_CACHE_BYTES",
    "Chunk",
    "ChunkedData",
    "Data",
    "IndependentRows",
    "RowData",
    "SequenceData",
    "default_chunk_size",
    "make_chunk",
    "statistics_width",
]

Array = NDArray[np.float64]
V = TypeVar("V")

#: The chunks are kept between iterations when what they hold needs at most this many bytes.
DEFAULT_CACHE_BYTES = 2 * 1024**3
#: Target size of what the E-step works through at once in a chunk (rows × numbers per row,
#: ``RowStatistics.numbers_per_row``: ``T(x)`` for most families, ``x`` for the Gaussians).
TARGET_CHUNK_BYTES = 32 * 1024**2


def default_chunk_size(numbers_per_row: int) -> int:
    """Rows per chunk so that a chunk's ``numbers_per_row`` doubles per row take about
    ``TARGET_CHUNK_BYTES``."""
    return max(1024, TARGET_CHUNK_BYTES // (8 * max(numbers_per_row, 1)))


def balanced(size: int, n_rows: int) -> int:
    """Rows per chunk at most ``size`` that cut ``n_rows`` into chunks of nearly equal length:
    a short last chunk would leave the E-step's threads idle for a whole chunk's overhead."""
    n_chunks = -(-n_rows // max(size, 1))
    return max(1, -(-n_rows // max(n_chunks, 1)))


# ----------------------------------------------------------------------------- chunks
def may_hold_nan(values: Array) -> bool:
    """Whether the sum of ``values`` ``(n, K)`` is NaN: always when they hold a NaN, and also
    when they hold ``+inf`` and ``−inf`` together. One sum per range of rows, on the kernels'
    threads, finds that without a mask of every entry."""
    sums = map_row_ranges(lambda start, stop: float(np.sum(values[start:stop])), len(values), ROWS_PER_RANGE)
    return bool(np.isnan(sum(sums)))


@attrs.frozen(eq=False)
class Chunk:
    """Rows ``rows`` (global row numbers) of the data as inference sees them: their
    ``statistics`` as the family reads them (``RowStatistics``: log-densities and weighted
    sums), the row weights, the rows ``x`` themselves and, for sequence data, the whole
    sequences they hold."""

    rows: slice
    statistics: RowStatistics
    weights: Array
    x: Array
    sequences: Sequences | None = None
    labels: NDArray[Any] | None = None
    missing: MissingRows | None = None
    completion: Completion | None = None
    family: ExponentialFamily | None = None

    def completed(self, family: ExponentialFamily, natural: Array) -> Chunk:
        """The chunk with its incomplete rows' ``completion`` under ``natural`` (computed once
        for the E-step's log-likelihoods and statistics); itself when no value is missing."""
        if self.missing is None:
            return self
        x = self.x[self.missing.positions]
        return attrs.evolve(self, completion=family.completion(x, self.missing.mask, natural))

    def label_log_prior(self, n_labels: int) -> Array | None:
        """``log q_n(k)`` ``(n, K)`` of the rows' partial labels (``mixtures.inference.labels``),
        or ``None`` when the data have none."""
        return None if self.labels is None else label_log_prior(self.labels, n_labels)

    @property
    def n_rows(self) -> int:
        return int(self.weights.shape[0])

    def log_likelihood(
        self, family: ExponentialFamily, natural: Array, log_partition: Array | None = None
    ) -> Array:
        """``log p(x_n | η_k)`` ``(n, K)``: ``log h + T ηᵀ − A`` (``log_partition=None`` is
        ``A(η)``; VB passes ``E_q[A(η)]``). A NaN names the family method that produced it."""
        with np.errstate(over="ignore", invalid="ignore"):  # a NaN is reported below, with its cause
            values = self.statistics.log_likelihood(natural, log_partition)
        if self.missing is not None:  # the marginal of the observed entries
            completion = self.completion or self.completed(family, natural).completion
            assert completion is not None
            marginal = completion.log_likelihood
            if log_partition is not None:  # VB: natural is E_q[η]; see docs/missing.md
                marginal = marginal + (family.log_partition(natural) - log_partition)
            values[self.missing.positions] = marginal
        if may_hold_nan(values) and np.isnan(values).any():
            checked_output(family, "log-density (log_likelihood_of_statistics)", values,
                           values.shape, allow_minus_inf=True, data=self.x, first_row=self.rows.start)
        return values

    def softmax_summary(
        self, natural: Array, log_partition: Array | None, shifts: Array
    ) -> tuple[float, SufficientStatistics] | None:
        """``Σ_n w_n log p(x_n)`` and the statistics of the rows' responsibilities (times their
        weights ``w``) when each row's posterior is the softmax of its log-likelihoods plus
        ``shifts`` ``(K,)``, in one pass over the rows (``RowStatistics.softmax_summed``).
        ``None`` when the rows cannot, or when the passes one at a time are needed: to say what
        went wrong (an impossible row, a NaN, sums out of range), for an impossible row of no
        weight (which they leave out), for missing values, and for components that
        ``statistics_of`` would regather (which needs every row's responsibilities)."""
        if self.missing is not None:
            return None
        with np.errstate(over="ignore", invalid="ignore"):  # a NaN means: the passes, one at a time
            found = self.statistics.softmax_summed(natural, log_partition, shifts, self.weights)
        if found is None:
            return None
        log_evidence, statistics = found  # a sum: finite only when every row's term is
        if not (np.isfinite(log_evidence) and np.isfinite(statistics.sums).all()):
            return None
        if self.family is not None and self.family.cancelled_components(statistics).any():
            return None
        return log_evidence, statistics

    def statistics_of(self, weighted_responsibilities: Array) -> SufficientStatistics:
        """``Σ_n r̃_nk`` and ``Σ_n r̃_nk T(x_n)`` for responsibilities already multiplied by the
        rows' weights: ``(n, K)``."""
        complete = weighted_responsibilities
        if self.completion is not None:  # incomplete rows: their expected statistics instead
            assert self.missing is not None
            complete = complete.copy()
            complete[self.missing.positions] = 0.0
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
            statistics = self.statistics.summed(complete)
            incomplete = None
            if self.completion is not None and self.missing is not None:
                rows = weighted_responsibilities[self.missing.positions]
                incomplete = SufficientStatistics(rows.sum(0), self.completion.statistics(rows))
                sums_all = statistics.sums + incomplete.sums
            else:
                sums_all = statistics.sums
        check_summed_statistics(sums_all, weighted_responsibilities, self.x, self.weights, self.rows.start)
        if self.family is not None:  # components that the one product summed imprecisely
            statistics = self.family.regathered(statistics, self.x, complete)
        return statistics if incomplete is None else statistics + incomplete

    def full_weights(self) -> Array:
        """Each row's weight times its sequence's (just the row weights outside sequences)."""
        if self.sequences is None:
            return self.weights
        return self.weights * self.sequences.of_rows()

    def as_independent_rows(self) -> Chunk:
        """The same rows as independent observations, each with its full weight."""
        if self.sequences is None:
            return self
        return attrs.evolve(self, weights=self.full_weights(), sequences=None)


def make_chunk(
    family: ExponentialFamily,
    x: Array,
    weights: Array,
    rows: slice,
    n_statistics: int,
    sequences: Sequences | None = None,
    labels: NDArray[Any] | None = None,
    missing: NDArray[np.bool_] | None = None,
    product_dtype: Any = np.float64,
) -> Chunk:
    """The ``Chunk`` of rows ``x`` (global rows ``rows``): their statistics as the family reads
    them (``row_statistics``, with products in ``product_dtype``), checked for the shapes and
    finiteness the family promised; ``labels``: the rows' partial labels, if any; ``missing``:
    the mask of missing entries, if any (``x`` holds placeholders there,
    ``mixtures.inference.missing``)."""
    statistics = family.row_statistics(x, product_dtype).checked(n_statistics, rows.start)
    return Chunk(
        rows,
        statistics,
        weights,
        x,
        sequences,
        labels,
        MissingRows.of(missing),
        family=family,
    )


def statistics_width(family: ExponentialFamily, one_row: Array) -> int:
    """``S``, the number of sufficient statistics, read from ``T`` of one row."""
    with np.errstate(over="ignore", invalid="ignore"):  # values are checked with every chunk
        probe = np.asarray(family.sufficient_statistics(one_row))
    if probe.ndim != 2 or probe.shape[0] != 1:
        raise ValueError(
            f"{type(family).__name__}.sufficient_statistics must return (N, S); got shape "
            f"{probe.shape} for one row"
        )
    return int(probe.shape[1])


# ----------------------------------------------------------------------------- the data
class Data(Protocol):
    """Rows seen through a family's statistics, wherever they live.

    ``map_sum(function, *row_arrays)`` calls ``function(chunk, *pieces)`` for every chunk, with
    ``pieces`` the chunk's rows of each array in ``row_arrays`` (length ``N``), and returns the
    sum (``+``) of the results. ``function`` must be picklable (a module-level function or a
    ``functools.partial`` of one) so that it can run where the rows are.
    """

    @property
    def family(self) -> ExponentialFamily: ...

    @property
    def n_samples(self) -> int: ...

    @property
    def n_statistics(self) -> int: ...

    @property
    def total_weight(self) -> float: ...

    @property
    def labels(self) -> NDArray[Any] | None:
        """The rows' partial labels (``mixtures.inference.labels``), or ``None``."""

    def map_sum(self, function: Callable[..., V], *row_arrays: Any) -> V: ...



class RowData(Data, Protocol):
    """``Data`` that holds the rows themselves: ``x`` and the row ``weights`` (numpy or Dask
    arrays), the row range of each chunk and, for sequences, their ``layout``.

    ``full_weights`` are each row's weight times its sequence's (the row weights without a
    layout): what ``total_weight`` adds up and what data-wide defaults count.
    ``configured_prior`` fixes a prior's data-dependent settings on these rows and weights;
    ``map_rows`` runs a per-chunk prediction and joins its per-row results in row order.
    """

    x: Any
    weights: Any
    bounds: list[slice]
    layout: SequenceLayout | None

    @property
    def full_weights(self) -> Any: ...

    def configured_prior(self, prior: ConjugatePrior, n_components: int) -> ConjugatePrior: ...

    def map_rows(
        self, function: Callable[..., Any], n_columns: int | None = None, dtype: Any = np.float64,
        *row_arrays: Any,
    ) -> Any: ...


class ChunkedData:
    """Rows of ``x`` (``(N, D)``, validated, in memory or a memory map) with weights, seen
    through ``family``'s statistics in chunks of ``chunk_size`` rows (of whole sequences when
    a ``layout`` is given), with the rows' partial ``labels`` if any."""

    def __init__(
        self,
        family: ExponentialFamily,
        x: Array,
        weights: Array,
        *,
        chunk_size: int | None = None,
        cache_bytes: int | None = None,
        layout: SequenceLayout | None = None,
        labels: NDArray[Any] | None = None,
        missing: NDArray[np.bool_] | None = None,
        product_dtype: Any = np.float64,
    ) -> None:
        self.family = family
        self.x = x
        self.weights = weights
        self.layout = layout
        self.labels = labels
        self.missing = missing
        self.product_dtype = product_dtype
        self.n_statistics = statistics_width(family, x[:1])
        # what a chunk holds and works through, per row (a ValueError for a refused dtype)
        probe = family.row_statistics(x[:1], product_dtype)
        # independent, complete, unlabelled rows: what a mixture's one-pass E-step takes
        one_pass = layout is None and labels is None and missing is None
        per_row = probe.numbers_per_row_in_one_pass if one_pass else probe.numbers_per_row
        size = chunk_size or balanced(default_chunk_size(per_row), x.shape[0])
        self._sequences: list[Sequences] | None = None
        if layout is None:
            starts = range(0, x.shape[0], size)
            self.bounds = [slice(start, min(start + size, x.shape[0])) for start in starts]
        else:
            self.bounds = layout.chunk_bounds(size)
            self._sequences = layout.in_blocks(self.bounds)
        self.total_weight = float(self.full_weights.sum())
        # read at call time, so that the budget can be lowered for a whole session or a test
        budget = DEFAULT_CACHE_BYTES if cache_bytes is None else cache_bytes
        needed = probe.nbytes * x.shape[0]
        self._cache: list[Chunk] | None = None
        if 0 < budget and needed <= budget:  # a budget of 0 keeps nothing
            self._cache = [self._make(i) for i in range(len(self.bounds))]

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[0])

    @functools.cached_property
    def full_weights(self) -> Array:
        """Each row's weight times its sequence's."""
        return self.weights if self.layout is None else self.layout.full_weights(self.weights)

    def _make(self, index: int) -> Chunk:
        rows = self.bounds[index]
        return make_chunk(
            self.family,
            self.x[rows],
            self.weights[rows],
            rows,
            self.n_statistics,
            None if self._sequences is None else self._sequences[index],
            None if self.labels is None else self.labels[rows],
            None if self.missing is None else self.missing[rows],
            self.product_dtype,
        )

    def chunks(self) -> Iterator[Chunk]:
        if self._cache is not None:
            yield from self._cache
        else:
            for index in range(len(self.bounds)):
                yield self._make(index)

    def map_sum(self, function: Callable[..., V], *row_arrays: Any) -> V:
        """``Σ_chunks function(chunk, *(a[chunk.rows] for a in row_arrays))``, in row order."""
        total: Any = None
        for chunk in self.chunks():
            value = function(chunk, *(array[chunk.rows] for array in row_arrays))
            total = value if total is None else total + value
        return total

    def map_rows(
        self, function: Callable[..., Any], n_columns: int | None = None, dtype: Any = np.float64,
        *row_arrays: Any,
    ) -> Array:
        """``function(chunk, *(a[chunk.rows] for a in row_arrays))`` (``(n,)`` or
        ``(n, n_columns)`` values per row) on every chunk, written into one array of all rows:
        ``(N,)`` or ``(N, n_columns)``."""
        shape = (self.n_samples,) if n_columns is None else (self.n_samples, n_columns)
        out = np.empty(shape, dtype=dtype)
        for chunk in self.chunks():
            out[chunk.rows] = function(chunk, *(array[chunk.rows] for array in row_arrays))
        return out

    def configured_prior(self, prior: ConjugatePrior, n_components: int) -> ConjugatePrior:
        """``prior.for_data`` on these rows, counted with their full weights."""
        return prior.for_data(self.family, self.x, self.full_weights, n_components)


class DataView:
    """``Data`` that is another ``Data`` seen differently: it answers with the rows of ``data``
    (subclasses change what their chunks look like or add what they know)."""

    def __init__(self, data: Data) -> None:
        self.data = data

    @property
    def family(self) -> ExponentialFamily:
        return self.data.family

    @property
    def n_samples(self) -> int:
        return self.data.n_samples

    @property
    def n_statistics(self) -> int:
        return self.data.n_statistics

    @property
    def total_weight(self) -> float:
        return self.data.total_weight

    @property
    def labels(self) -> NDArray[Any] | None:
        return self.data.labels

    def map_sum(self, function: Callable[..., V], *row_arrays: Any) -> V:
        return self.data.map_sum(function, *row_arrays)


class IndependentRows(DataView):
    """The rows of sequence data seen as independent observations, each weighted by its row
    weight times its sequence's (what an HMM's initialisation clusters)."""

    def map_sum(self, function: Callable[..., V], *row_arrays: Any) -> V:
        return self.data.map_sum(functools.partial(_on_independent_rows, function), *row_arrays)


def _on_independent_rows(function: Callable[..., V], chunk: Chunk, *pieces: Any) -> V:
    return function(chunk.as_independent_rows(), *pieces)


#: The kind of rows a ``SequenceData`` holds (in memory, or on Dask).
D = TypeVar("D", bound=RowData)


class SequenceData(DataView, Generic[D]):
    """Concatenated sequences in chunks of whole sequences, with per-row and per-sequence weights:
    a ``Data`` whose chunks know the sequences they hold.

    Per-row weights temper each observation's emission density (``p(x_t | z)^{w_t}``) and weight
    its statistics; per-sequence weights count a sequence ``w`` times (exactly like repeating it).
    ``data`` holds the rows (in memory or on Dask) with their ``SequenceLayout``; its chunks know
    the sequences they hold.
    """

    def __init__(self, data: D) -> None:
        if data.layout is None:
            raise ValueError("SequenceData needs rows chunked by whole sequences (a layout)")
        super().__init__(data)
        self.data: D = data
        self.layout: SequenceLayout = data.layout

    @property
    def full_weights(self) -> Any:
        """Each row's weight times its sequence's: what the statistics and defaults count
        (``(N,)``; a ``dask.array`` for Dask data)."""
        return self.data.full_weights

    def independent_rows(self) -> IndependentRows:
        """The rows as independent observations with their full weights (to initialise)."""
        return IndependentRows(self.data)

    def configured_prior(self, prior: ConjugatePrior, n_components: int) -> ConjugatePrior:
        """``prior.for_data`` on the rows, counted with their full weights."""
        return self.data.configured_prior(prior, n_components)
