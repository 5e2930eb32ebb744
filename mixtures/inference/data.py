"""Where the rows live, and how inference sees them.

Inference never loops over the rows itself. It hands a per-chunk function to the data, which
maps it over its chunks and adds the results with ``+`` (``Data.map_sum``): the statistics of
the E-step, the sums of a k-means pass, a sample of rows. ``ChunkedData`` does this here, in
row chunks of a numpy array (or memory map); ``mixtures.distributed.DaskData`` does it on the
Dask workers that hold the blocks of a ``dask.array``, so that only the summed values travel.

Each chunk is seen as a ``Chunk``: its rows of ``x`` with their ``T(x)``, ``log h(x)`` and
weights, and for an HMM the whole sequences it holds. When the statistics of all chunks fit in
``cache_bytes`` they are formed once and kept across iterations; otherwise they are formed again
in every pass, and memory stays bounded by one chunk.

The module also holds the data-wide steps that come before the loop, for both kinds of data:
checking the rows (finite, inside the family's support) block by block so that no ``(N, D)``
temporary is made, and fixing a family's or a prior's data-dependent settings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import row_blocks
from mixtures._validation import RowFindings, is_dask_array
from mixtures.families.base import ExponentialFamily
from mixtures.families.checks import check_summed_statistics, checked_output
from mixtures.families.statistics import SufficientStatistics

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
    "Sequences",
    "check_rows",
    "chunked_data",
    "configured_family",
    "configured_prior",
    "default_chunk_size",
    "make_chunk",
    "sequence_bounds",
]

Array = NDArray[np.float64]
V = TypeVar("V")

#: Statistics of all chunks are kept between iterations when they need at most this many bytes.
DEFAULT_CACHE_BYTES = 2 * 1024**3
#: Target size of one chunk's statistics matrix (rows × S doubles).
TARGET_CHUNK_BYTES = 32 * 1024**2


def default_chunk_size(n_statistics: int) -> int:
    """Rows per chunk so that one chunk's ``T(x)`` takes about ``TARGET_CHUNK_BYTES``."""
    return max(1024, TARGET_CHUNK_BYTES // (8 * max(n_statistics, 1)))


# ----------------------------------------------------------------------------- chunks
@attrs.frozen(eq=False)
class Sequences:
    """The whole sequences one chunk holds: the index of the first among all sequences, their
    lengths (summing to the chunk's rows) and their weights."""

    first: int
    lengths: NDArray[np.intp]
    weights: Array

    @property
    def indices(self) -> slice:
        """Their indices among all sequences."""
        return slice(self.first, self.first + int(self.lengths.shape[0]))

    def of_rows(self) -> Array:
        """Each row's sequence weight: ``(n,)``."""
        return np.repeat(self.weights, self.lengths)


@attrs.frozen(eq=False)
class Chunk:
    """Rows ``rows`` (global row numbers) of the data as inference sees them: ``T(x)``,
    ``log h(x)``, the row weights, the rows ``x`` themselves and, for sequence data, the whole
    sequences they hold."""

    rows: slice
    statistics: Array
    log_base: Array
    weights: Array
    x: Array
    sequences: Sequences | None = None

    @property
    def n_rows(self) -> int:
        return int(self.statistics.shape[0])

    def log_likelihood(
        self, family: ExponentialFamily, natural: Array, log_partition: Array | None = None
    ) -> Array:
        """``log p(x_n | η_k)`` ``(n, K)``: one product (``log_partition=None`` is ``A(η)``; VB
        passes ``E_q[A(η)]``). A NaN names the family method that produced it."""
        if log_partition is None:
            log_partition = checked_output(
                family, "log_partition", family.log_partition(natural), (natural.shape[0],)
            )
        with np.errstate(over="ignore", invalid="ignore"):  # a NaN is reported below, with its cause
            values = family.log_likelihood_of_statistics(
                self.statistics, self.log_base, natural, log_partition
            )
        if np.isnan(values).any():
            checked_output(family, "log-density (log_likelihood_of_statistics)", values,
                           values.shape, allow_minus_inf=True, data=self.x, first_row=self.rows.start)
        return values

    def statistics_of(self, weighted_responsibilities: Array) -> SufficientStatistics:
        """``Σ_n r̃_nk`` and ``Σ_n r̃_nk T(x_n)`` for responsibilities already multiplied by the
        rows' weights: ``(n, K)``."""
        # Tᵀ r̃ (S, n)·(n, K), transposed: BLAS runs this shape many times faster than r̃ᵀ T
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
            sums = np.ascontiguousarray((self.statistics.T @ weighted_responsibilities).T)
        check_summed_statistics(sums, weighted_responsibilities, self.x, self.weights, self.rows.start)
        return SufficientStatistics(weighted_responsibilities.sum(0), sums)

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
) -> Chunk:
    """The ``Chunk`` of rows ``x`` (global rows ``rows``): ``T(x)`` and ``log h(x)`` computed
    now, checked for the shapes and finiteness the family promised."""
    n_rows = x.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite results are reported below
        statistics, log_base = family.sufficient_statistics(x), family.log_base_measure(x)
    return Chunk(
        rows,
        checked_output(
            family, "sufficient_statistics", statistics, (n_rows, n_statistics),
            data=x, first_row=rows.start,
        ),
        checked_output(
            family, "log_base_measure", log_base, (n_rows,), allow_minus_inf=True,
            data=x, first_row=rows.start,
        ),
        weights,
        x,
        sequences,
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


def sequences_in(
    bounds: Sequence[slice], lengths: NDArray[np.intp], sequence_weights: Array
) -> list[Sequences]:
    """The whole sequences in each row range of ``bounds``; a ``ValueError`` names the first
    range whose edge cuts a sequence."""
    ends = np.cumsum(lengths)
    starts = ends - lengths
    out = []
    for index, rows in enumerate(bounds):
        first = int(np.searchsorted(ends, rows.start, side="right"))
        last = int(np.searchsorted(ends, rows.stop, side="left"))  # the sequence ending at stop
        if starts[first] != rows.start or last >= ends.shape[0] or ends[last] != rows.stop:
            cut = first if starts[first] != rows.start else min(last, ends.shape[0] - 1)
            raise ValueError(
                f"block {index} of the rows (rows {rows.start} to {rows.stop - 1}) does not hold "
                f"whole sequences: sequence {cut} spans rows {int(starts[cut])} to "
                f"{int(ends[cut]) - 1}. Every block must start and end at sequence boundaries; "
                f"rechunk the rows with mixtures.distributed.rechunk_to_sequences(X, lengths)"
            )
        out.append(Sequences(first, lengths[first : last + 1], sequence_weights[first : last + 1]))
    return out


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

    def map_sum(self, function: Callable[..., V], *row_arrays: Any) -> V: ...


class RowData(Data, Protocol):
    """``Data`` that holds the rows themselves: ``x`` and ``weights`` (numpy or Dask arrays,
    for data-wide settings such as a prior's defaults), the row range of each chunk, and a view
    as concatenated sequences."""

    x: Any
    weights: Any
    bounds: list[slice]

    def with_sequences(self, lengths: NDArray[np.intp], sequence_weights: Array) -> Self: ...


class ChunkedData:
    """Rows of ``x`` (``(N, D)``, validated, in memory or a memory map) with weights, seen
    through ``family``'s statistics in chunks of ``chunk_size`` rows (of whole sequences when
    ``lengths`` is given)."""

    def __init__(
        self,
        family: ExponentialFamily,
        x: Array,
        weights: Array,
        *,
        chunk_size: int | None = None,
        cache_bytes: int | None = None,
        lengths: NDArray[np.intp] | None = None,
        sequence_weights: Array | None = None,
    ) -> None:
        self.family = family
        self.x = x
        self.weights = weights
        self.chunk_size = chunk_size
        self.n_statistics = statistics_width(family, x[:1])
        size = chunk_size or default_chunk_size(self.n_statistics)
        if lengths is None:
            starts = range(0, x.shape[0], size)
            self.bounds = [slice(start, min(start + size, x.shape[0])) for start in starts]
            self._sequences: list[Sequences] | None = None
        else:
            self.bounds = sequence_bounds(lengths, size)
            if sequence_weights is None:
                sequence_weights = np.ones(lengths.shape[0])
            self._sequences = sequences_in(self.bounds, lengths, sequence_weights)
        self.total_weight = float(weights.sum())
        # read at call time, so that the budget can be lowered for a whole session or a test
        budget = DEFAULT_CACHE_BYTES if cache_bytes is None else cache_bytes
        self._cache_bytes = budget
        needed = 8 * x.shape[0] * (self.n_statistics + 1)
        self._cache: list[Chunk] | None = None
        if needed <= budget:
            self._cache = [self._make(i) for i in range(len(self.bounds))]

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[0])

    def _make(self, index: int) -> Chunk:
        rows = self.bounds[index]
        return make_chunk(
            self.family,
            self.x[rows],
            self.weights[rows],
            rows,
            self.n_statistics,
            None if self._sequences is None else self._sequences[index],
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

    def with_sequences(self, lengths: NDArray[np.intp], sequence_weights: Array) -> ChunkedData:
        """These rows as concatenated sequences: every chunk holds whole sequences and knows
        them. Cached statistics are reused when the chunks already end at sequence ends."""
        try:
            sequences = sequences_in(self.bounds, lengths, sequence_weights)
        except ValueError:  # chunked without regard to the sequences: chunk again
            return ChunkedData(
                self.family, self.x, self.weights, chunk_size=self.chunk_size,
                cache_bytes=self._cache_bytes, lengths=lengths, sequence_weights=sequence_weights,
            )
        out = object.__new__(ChunkedData)
        out.__dict__.update(self.__dict__)
        out._sequences = sequences
        if self._cache is not None:
            out._cache = [
                attrs.evolve(chunk, sequences=s) for chunk, s in zip(self._cache, sequences, strict=True)
            ]
        return out


class IndependentRows:
    """The rows of sequence data seen as independent observations, each weighted by its row
    weight times its sequence's (what an HMM's initialisation clusters)."""

    def __init__(self, data: Data, total_weight: float) -> None:
        self.data = data
        self.family = data.family
        self._total_weight = total_weight

    @property
    def n_samples(self) -> int:
        return self.data.n_samples

    @property
    def n_statistics(self) -> int:
        return self.data.n_statistics

    @property
    def total_weight(self) -> float:
        return self._total_weight

    def map_sum(self, function: Callable[..., V], *row_arrays: Any) -> V:
        return self.data.map_sum(functools.partial(_on_independent_rows, function), *row_arrays)


#: The kind of rows a ``SequenceData`` holds (in memory, or on Dask).
D = TypeVar("D", bound=RowData)


class SequenceData(Generic[D]):
    """Concatenated sequences in chunks of whole sequences, with per-row and per-sequence weights:
    a ``Data`` whose chunks know the sequences they hold.

    Per-row weights temper each observation's emission density (``p(x_t | z)^{w_t}``) and weight
    its statistics; per-sequence weights count a sequence ``w`` times (exactly like repeating it).
    ``data`` holds the rows (in memory or on Dask). ``total_weight`` counts every row with its
    full weight (row × sequence).
    """

    def __init__(self, data: D, lengths: NDArray[np.intp], sequence_weights: Array) -> None:
        self.data: D = data.with_sequences(lengths, sequence_weights)
        self.lengths = lengths
        self.sequence_weights = sequence_weights
        ends = np.cumsum(lengths)
        self.first_sequence = {
            int(b.start): int(np.searchsorted(ends, b.start, side="right")) for b in self.data.bounds
        }
        self.total_weight = float(self.full_weights.sum())

    @property
    def family(self) -> ExponentialFamily:
        return self.data.family

    @property
    def n_samples(self) -> int:
        return self.data.n_samples

    @property
    def n_statistics(self) -> int:
        return self.data.n_statistics

    def map_sum(self, function: Callable[..., V], *row_arrays: Any) -> V:
        return self.data.map_sum(function, *row_arrays)

    @functools.cached_property
    def full_weights(self) -> Any:
        """Each row's weight times its sequence's: what the statistics and defaults count
        (``(N,)``; a ``dask.array`` for Dask data)."""
        row_weights = self.data.weights
        if np.all(self.sequence_weights == 1.0):
            return row_weights
        return row_weights * np.repeat(self.sequence_weights, self.lengths)

    def independent_rows(self) -> IndependentRows:
        """The rows as independent observations with their full weights (to initialise)."""
        return IndependentRows(self.data, self.total_weight)

    def sequences_of(self, rows: slice) -> slice:
        first = self.first_sequence[int(rows.start)]
        count = int(
            np.searchsorted(np.cumsum(self.lengths[first:]), rows.stop - rows.start, side="right")
        )
        return slice(first, first + count)


def _on_independent_rows(function: Callable[..., V], chunk: Chunk, *pieces: Any) -> V:
    return function(chunk.as_independent_rows(), *pieces)


def chunked_data(
    family: ExponentialFamily,
    x: Any,
    weights: Any,
    *,
    chunk_size: int | None = None,
    lengths: NDArray[np.intp] | None = None,
) -> RowData:
    """The data object for ``x``: ``ChunkedData`` for an array in memory (or a memory map),
    ``DaskData`` (chunks where the blocks live, ``chunk_size`` ignored) for a ``dask.array``."""
    if is_dask_array(x):
        from mixtures.distributed import DaskData

        return DaskData(family, x, weights, lengths=lengths)
    return ChunkedData(family, x, weights, chunk_size=chunk_size, lengths=lengths)


def sequence_bounds(lengths: NDArray[np.intp], rows_per_chunk: int) -> list[slice]:
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


# ----------------------------------------------------------------------------- checks before the loop
def support_findings(
    family: ExponentialFamily, x: Array, first_row: int, name: str = "X"
) -> RowFindings:
    """``family.validate`` on finite rows ``x`` (global rows from ``first_row``). Its message
    counts rows from the block's first; past the first block it is followed by the global
    number of the first offending row (found by bisection on prefixes of the block)."""
    try:
        family.validate(x)
    except ValueError as error:
        low, high = 0, x.shape[0] - 1  # the first row whose prefix fails lies in [low, high]
        while low < high:
            middle = (low + high) // 2
            try:
                family.validate(x[: middle + 1])
                low = middle + 1
            except ValueError:
                high = middle
        message = str(error)
        if first_row > 0:
            message = (
                f"{message} (row numbers in this message count from row {first_row} of {name}: "
                f"the first offending row is row {first_row + low} of {name})"
            )
        return RowFindings(support=(first_row + low, message))
    return RowFindings()


def check_rows(family: ExponentialFamily, x: Any, name: str = "X") -> None:
    """Raise a ``ValueError`` for the first row of ``x`` outside ``family``'s support (and, for
    Dask data, the first NaN or inf): block by block, on the workers for a ``dask.array``."""
    if is_dask_array(x):
        from mixtures.distributed import check_dask_rows

        check_dask_rows(family, x, name)
        return
    for rows in row_blocks(*x.shape):
        support_findings(family, x[rows], rows.start, name).raise_first(name)


def configured_family(family: ExponentialFamily, x: Any, weights: Any) -> ExponentialFamily:
    """``family.for_data(x, weights)``; for a ``dask.array`` the family's numpy reductions run
    on Dask and their (small) results are computed into the returned family."""
    if is_dask_array(x):
        from mixtures.distributed import configured_on_dask

        return configured_on_dask(lambda xs, ws: family.for_data(xs, ws), x, weights)
    return family.for_data(x, weights)


def configured_prior(
    prior: ConjugatePrior, family: ExponentialFamily, x: Any, weights: Any, n_components: int
) -> ConjugatePrior:
    """``prior.for_data(family, x, weights, n_components)``, for Dask data as
    ``configured_family``."""
    if is_dask_array(x):
        from mixtures.distributed import configured_on_dask

        return configured_on_dask(
            lambda xs, ws: prior.for_data(family, xs, ws, n_components), x, weights
        )
    return prior.for_data(family, x, weights, n_components)
