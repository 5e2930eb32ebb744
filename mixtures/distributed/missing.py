"""Missing values in a ``dask.array``: the mask of its NaN entries and the placeholders a fit
starts them at, computed where the blocks live with the in-memory rule
(``mixtures.inference.missing``): per column, the observed value nearest the observed mean."""

from __future__ import annotations

from typing import Any

import dask
import dask.array as da
import numpy as np
from numpy.typing import NDArray

from mixtures.distributed.blocks import block_bounds, row_blocks_of, tree_sum
from mixtures.inference.missing import Nearest, ObservedSums

__all__ = ["with_placeholders"]

Array = NDArray[np.float64]


def _observed_sums(block: Array) -> ObservedSums:
    return ObservedSums.of(block, np.isnan(block))


def _nearest(block: Array, target: Array, first_row: int) -> Nearest:
    return Nearest.of(block, np.isnan(block), target, first_row)


def with_placeholders(x: Any) -> tuple[Any, Any | None]:
    """``x`` (float64 blocks of whole rows) with each NaN replaced by its column's placeholder,
    and the lazy mask of the NaN entries; ``x`` itself and ``None`` when none is missing. Two
    passes over the blocks (the observed means, then the observed values nearest them), of which
    only ``(D,)`` summaries travel."""
    occupied, bounds = block_bounds(x)
    all_blocks = row_blocks_of(x, x.chunks[0])
    blocks = [all_blocks[index] for index in occupied]
    sums: ObservedSums = tree_sum(
        [dask.delayed(_observed_sums, pure=True)(block) for block in blocks]
    ).compute()
    if np.all(sums.count == x.shape[0]):
        return x, None
    nearest: Nearest = tree_sum([
        dask.delayed(_nearest, pure=True)(block, sums.means, rows.start)
        for block, rows in zip(blocks, bounds, strict=True)
    ]).compute()
    missing = da.isnan(x)
    return da.where(missing, nearest.placeholders(sums), x), missing
