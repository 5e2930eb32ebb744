"""The row blocks of a ``dask.array``: one delayed block per row block, weights laid out like
the rows, and a sum of per-block results in a tree."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import dask
import dask.array as da
import numpy as np

__all__ = ["Delayed", "aligned_weights", "block_bounds", "row_blocks_of", "tree_sum"]

#: A ``dask.delayed`` value.
Delayed = Any


def block_bounds(x: Any) -> tuple[list[int], list[slice]]:
    """The indices of the non-empty row blocks of ``x`` and their global row ranges."""
    sizes = x.chunks[0]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    occupied = [i for i, size in enumerate(sizes) if size > 0]
    return occupied, [slice(int(starts[i]), int(starts[i + 1])) for i in occupied]


def aligned_weights(weights: Any, x: Any) -> Any:
    """Weights as a Dask array with the row blocks of ``x``; uniform weights cost no data."""
    row_chunks = x.chunks[0]
    if weights is None:
        return da.ones(x.shape[0], chunks=(row_chunks,))
    if isinstance(weights, da.Array):
        return weights.astype(np.float64).rechunk((row_chunks,))
    values = np.asarray(weights, dtype=np.float64)
    if np.all(values == 1.0):
        return da.ones(x.shape[0], chunks=(row_chunks,))
    return da.from_array(values, chunks=(row_chunks,))


def row_blocks_of(array: Any, row_chunks: tuple[int, ...]) -> list[Delayed]:
    """One delayed block per row block of ``row_chunks`` (all columns in one block)."""
    if array.ndim > 1:
        array = array.rechunk({0: row_chunks, **{axis: -1 for axis in range(1, array.ndim)}})
    else:
        array = array.rechunk((row_chunks,))
    return list(array.to_delayed().reshape(-1))


def tree_sum(parts: Sequence[Delayed]) -> Delayed:
    """Pairwise sums of ``parts`` in rounds: a tree that keeps the row order of each ``+``."""
    level = list(parts)
    while len(level) > 1:
        paired = [
            dask.delayed(operator.add, pure=False)(level[i], level[i + 1])
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]
