"""The rows a model is given, checked once, and the data-wide steps that come before the loop.

A ``Rows`` value is a validated ``(N, D)`` matrix that knows where it lives. ``rows_of``
(``mixtures.inference.sources``) makes one from the user's ``X``: ``MemoryRows`` for a numpy
array or memory map, ``mixtures.distributed.DaskRows`` for a ``dask.array``. Everything that
differs between the two is a method here, so no other code asks which kind it holds:

- ``sample_weight``, ``full_weights``: the weights, checked where they live;
- ``check``: every row inside a family's support (and, on Dask, finite), block by block so that
  no ``(N, D)`` temporary is made;
- ``configured_family``, ``configured_prior``: a family's or prior's data-dependent settings;
- ``chunked``: the ``RowData`` view a fit maps over (``ChunkedData`` or ``DaskData``);
- ``map_rows``, ``map_sum``: a per-chunk prediction, joined in row order (numpy, or a lazy Dask
  array) or summed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import row_blocks
from mixtures._validation import RowFindings, as_sample_weight, check_weight_values
from mixtures.families.base import ExponentialFamily
from mixtures.inference.data import Chunk, ChunkedData, RowData
from mixtures.inference.sequences import SequenceLayout
from mixtures.priors.base import ConjugatePrior

__all__ = ["MemoryRows", "Rows", "support_findings"]

Array = NDArray[np.float64]
V = TypeVar("V")


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


class Rows(ABC):
    """A validated float64 ``(N, D)`` matrix ``x``, wherever it lives.

    Parameters
    ----------
    x : array
        The rows, already checked for shape and type (``rows_of`` does that).
    name : str, default "X"
        What messages call the rows.
    """

    def __init__(self, x: Any, name: str = "X", missing: NDArray[np.bool_] | None = None) -> None:
        self.x = x
        self.name = name
        self.missing = missing  # the mask of missing entries (x holds placeholders there), or None

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.x.shape[1])

    @abstractmethod
    def sample_weight(self, sample_weight: Any, name: str = "sample_weight") -> Any:
        """``sample_weight`` checked (finite, non-negative, positive sum, one per row; ``None``
        is ones), held where the rows are."""

    @abstractmethod
    def full_weights(self, row_weights: Any, layout: SequenceLayout) -> Any:
        """Each row's weight times its sequence's, refused when the product overflows."""

    @abstractmethod
    def check(self, family: ExponentialFamily) -> None:
        """Raise a ``ValueError`` naming the first row outside ``family``'s support (or, where
        finiteness is not known yet, the first NaN or inf)."""

    @abstractmethod
    def configured(self, configure: Callable[[Any, Any], V], weights: Any) -> V:
        """``configure(x, weights)`` (a family's or prior's ``for_data``) on these rows; its
        result holds numpy values only."""

    @abstractmethod
    def chunked(
        self,
        family: ExponentialFamily,
        weights: Any = None,
        *,
        chunk_size: int | None = None,
        cache_bytes: int | None = None,
        layout: SequenceLayout | None = None,
        labels: NDArray[Any] | None = None,
        product_dtype: Any = np.float64,
    ) -> RowData:
        """The rows seen through ``family``'s statistics, as a fit maps over them: chunks of
        ``chunk_size`` rows (or the rows' own blocks), of whole sequences with a ``layout``, with
        the rows' partial ``labels`` (``mixtures.inference.labels``), with the E-step's products
        in ``product_dtype`` (float64, or float32 where the family offers it). ``weights=None``
        weighs every row 1."""

    def configured_family(self, family: ExponentialFamily, weights: Any) -> ExponentialFamily:
        """``family.for_data(x, weights)``: the family with its data-dependent settings fixed."""
        return self.configured(family.for_data, weights)

    def configured_prior(
        self, prior: ConjugatePrior, family: ExponentialFamily, weights: Any, n_components: int
    ) -> ConjugatePrior:
        """``prior.for_data(family, x, weights, n_components)``."""
        return self.configured(
            lambda x, w: prior.for_data(family, x, w, n_components), weights
        )

    def map_rows(
        self,
        family: ExponentialFamily,
        function: Callable[..., Any],
        n_columns: int | None = None,
        *,
        dtype: Any = np.float64,
        chunk_size: int | None = None,
        layout: SequenceLayout | None = None,
        row_arrays: tuple[Any, ...] = (),
    ) -> Any:
        """``function(chunk, *pieces)`` (e.g. a fitted model's posterior) on every chunk of
        unit-weight rows, without a statistics cache, joined into ``(N,)`` or ``(N, n_columns)``
        values: numpy for rows in memory, a lazy ``dask.array`` computed where the blocks live for
        Dask rows. ``pieces``: the chunk's rows of each of ``row_arrays`` (numpy or Dask, length
        ``N``). ``function`` must be picklable."""
        data = self.chunked(family, chunk_size=chunk_size, cache_bytes=0, layout=layout)
        return data.map_rows(function, n_columns, dtype, *row_arrays)

    def map_sum(
        self,
        family: ExponentialFamily,
        function: Callable[[Chunk], V],
        *,
        chunk_size: int | None = None,
        layout: SequenceLayout | None = None,
    ) -> V:
        """``Σ_chunks function(chunk)`` over unit-weight rows, without a statistics cache, run
        where the rows live (e.g. a fitted model's total log-likelihood)."""
        data = self.chunked(family, chunk_size=chunk_size, cache_bytes=0, layout=layout)
        return data.map_sum(function)


class MemoryRows(Rows):
    """Rows held as a numpy array or memory map."""

    x: Array

    def sample_weight(self, sample_weight: Any, name: str = "sample_weight") -> Array:
        return as_sample_weight(sample_weight, self.n_samples, name)

    def full_weights(self, row_weights: Array, layout: SequenceLayout) -> Array:
        with np.errstate(over="ignore"):  # an overflow is reported by the check
            full = layout.full_weights(row_weights)
        check_weight_values(full, "sample_weight × sequence_weight")
        return full

    def check(self, family: ExponentialFamily) -> None:
        """Finite already (``as_data_matrix`` checked it); the support in row blocks."""
        for rows in row_blocks(*self.x.shape):
            support_findings(family, self.x[rows], rows.start, self.name).raise_first(self.name)

    def configured(self, configure: Callable[[Any, Any], V], weights: Any) -> V:
        return configure(self.x, weights)

    def chunked(
        self,
        family: ExponentialFamily,
        weights: Any = None,
        *,
        chunk_size: int | None = None,
        cache_bytes: int | None = None,
        layout: SequenceLayout | None = None,
        labels: NDArray[Any] | None = None,
        product_dtype: Any = np.float64,
    ) -> ChunkedData:
        return ChunkedData(
            family,
            self.x,
            np.ones(self.n_samples) if weights is None else weights,
            chunk_size=chunk_size,
            cache_bytes=cache_bytes,
            layout=layout,
            labels=labels,
            missing=self.missing,
            product_dtype=product_dtype,
        )
