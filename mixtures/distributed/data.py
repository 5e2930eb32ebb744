"""``DaskData``: the chunks of a ``dask.array``, made and kept on the workers that hold its
blocks. Per-chunk functions run there; only their results travel (summed in a tree by
``map_sum``, or joined lazily into a Dask array by ``map_rows``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import dask
import dask.array as da
import numpy as np
from numpy.typing import NDArray

from mixtures.distributed.blocks import (
    Delayed,
    aligned_weights,
    block_bounds,
    row_blocks_of,
    tree_sum,
)
from mixtures.distributed.lazy import configured_on_dask
from mixtures.families.base import ExponentialFamily
from mixtures.inference.data import DEFAULT_CACHE_BYTES, make_chunk, statistics_width
from mixtures.inference.sequences import SequenceLayout, Sequences
from mixtures.priors.base import ConjugatePrior

__all__ = ["DaskData"]

Array = NDArray[np.float64]
V = TypeVar("V")


def _cache_budget() -> int:
    """Bytes of chunk statistics the workers may keep: half the memory limit of all workers of
    the ambient client, or ``DEFAULT_CACHE_BYTES`` on the local scheduler."""
    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):
        return DEFAULT_CACHE_BYTES
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    limits = [int(worker.get("memory_limit") or 0) for worker in workers]
    if limits and all(limits):
        return sum(limits) // 2
    return DEFAULT_CACHE_BYTES * max(len(limits), 1)


class DaskData:
    """Rows of a ``dask.array`` ``x`` (float64 blocks of whole rows, as ``DaskRows`` makes them)
    with weights, seen through ``family``'s statistics: one ``Chunk`` per non-empty block, made
    and kept on the worker that holds the block (while ``cache_bytes`` allows; otherwise remade
    in every pass).

    With ``missing`` (a lazy boolean mask like ``x``) the rows miss values there, and ``x`` holds
    placeholders (``DaskRows.checked``). With a ``layout`` the rows are concatenated sequences,
    and every block must hold whole sequences (``rechunk_to_sequences`` makes such blocks); a
    ``ValueError`` names the first block that cuts one.
    """

    def __init__(
        self,
        family: ExponentialFamily,
        x: Any,
        weights: Any,
        *,
        layout: SequenceLayout | None = None,
        cache_bytes: int | None = None,
        labels: NDArray[Any] | None = None,
        missing: Any = None,
        product_dtype: Any = np.float64,
    ) -> None:
        self.family = family
        self.product_dtype = product_dtype
        self.x = x
        self.missing = missing  # the lazy mask of missing entries (x holds placeholders there)
        self.weights = aligned_weights(weights, x)
        self.layout = layout
        self.labels = labels  # partial labels, in memory: split along the blocks
        self._occupied, self.bounds = block_bounds(x)
        self._sequences: list[Sequences] | None = None
        if layout is not None:
            self._sequences = layout.in_blocks(self.bounds)
        one_row = np.asarray(x[:1].compute(), dtype=np.float64)
        self.n_statistics = statistics_width(family, one_row)
        budget = _cache_budget() if cache_bytes is None else cache_bytes
        # a kept chunk holds its block of x and what the family formed from it
        per_row = family.row_statistics(one_row, product_dtype).nbytes + one_row.nbytes
        self.cached = 0 < budget and per_row * x.shape[0] <= budget
        self._chunks: list[Delayed] | None = None

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[0])

    @functools.cached_property
    def full_weights(self) -> Any:
        """Each row's weight times its sequence's, as a Dask array."""
        return self.weights if self.layout is None else self.layout.full_weights(self.weights)

    @functools.cached_property
    def total_weight(self) -> float:
        return float(self.full_weights.sum().compute())

    def _made_chunks(self) -> list[Delayed]:
        row_chunks = self.x.chunks[0]
        x_blocks = row_blocks_of(self.x, row_chunks)
        w_blocks = row_blocks_of(self.weights, row_chunks)
        m_blocks = None if self.missing is None else row_blocks_of(self.missing, row_chunks)
        return [
            dask.delayed(make_chunk, pure=False)(
                self.family,
                x_blocks[block],
                w_blocks[block],
                rows,
                self.n_statistics,
                None if self._sequences is None else self._sequences[index],
                None if self.labels is None else self.labels[rows],
                None if m_blocks is None else m_blocks[block],
                self.product_dtype,
            )
            for index, (block, rows) in enumerate(zip(self._occupied, self.bounds, strict=True))
        ]

    def chunks(self) -> list[Delayed]:
        """The chunks as delayed values: persisted on the workers at first use when cached."""
        if self._chunks is not None:
            return self._chunks
        chunks = self._made_chunks()
        if self.cached:
            self._chunks = list(dask.persist(*chunks))
            return self._chunks
        return chunks

    def _pieces(self, row_arrays: tuple[Any, ...]) -> list[list[Any]]:
        """Each of ``row_arrays`` (numpy or Dask, length ``N``) split along the chunks."""
        pieces: list[list[Any]] = []
        for array in row_arrays:
            if isinstance(array, da.Array):
                blocks = row_blocks_of(array, self.x.chunks[0])
                pieces.append([blocks[block] for block in self._occupied])
            else:
                pieces.append([array[rows] for rows in self.bounds])
        return pieces

    def map_sum(self, function: Callable[..., V], *row_arrays: Any) -> V:
        """``function(chunk, *pieces)`` on every chunk where it lives, summed in a tree; only
        the per-chunk results travel. ``row_arrays`` (numpy or Dask, length ``N``) are split
        along the blocks and sent with them."""
        pieces = self._pieces(row_arrays)
        parts = [
            dask.delayed(function, pure=False)(chunk, *(piece[index] for piece in pieces))
            for index, chunk in enumerate(self.chunks())
        ]
        return tree_sum(parts).compute()

    def map_rows(
        self, function: Callable[..., Any], n_columns: int | None = None, dtype: Any = np.float64,
        *row_arrays: Any,
    ) -> Any:
        """``function(chunk, *pieces)`` on every chunk where it lives, lazily: a Dask array of
        ``(N,)`` or ``(N, n_columns)`` values, in blocks of the rows' blocks. ``row_arrays`` are
        split and sent as for ``map_sum``."""
        pieces = self._pieces(row_arrays)
        parts = []
        for index, (chunk, rows) in enumerate(zip(self.chunks(), self.bounds, strict=True)):
            n_rows = rows.stop - rows.start
            shape = (n_rows,) if n_columns is None else (n_rows, n_columns)
            result = dask.delayed(function, pure=False)(chunk, *(piece[index] for piece in pieces))
            parts.append(da.from_delayed(result, shape, dtype=dtype))
        return da.concatenate(parts)

    def configured_prior(self, prior: ConjugatePrior, n_components: int) -> ConjugatePrior:
        """``prior.for_data`` on these rows, counted with their full weights (computed by Dask)."""
        return configured_on_dask(
            lambda x, w: prior.for_data(self.family, x, w, n_components), self.x, self.full_weights
        )
