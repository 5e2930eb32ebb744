"""Row blocks that hold whole sequences, which an HMM on Dask needs."""

from __future__ import annotations

from typing import Any

from mixtures.inference.sequences import SequenceLayout

__all__ = ["rechunk_to_sequences"]


def rechunk_to_sequences(X: Any, lengths: Any, rows_per_block: int | None = None) -> Any:
    """``X`` rechunked so that every row block holds whole sequences.

    Parameters
    ----------
    X : dask.array
        Sequences laid end to end along the rows.
    lengths : array-like of int
        Their lengths, summing to the rows of ``X``.
    rows_per_block : int, optional
        About how many rows a block holds (default: ``X``'s largest block now); a sequence
        longer than that gets a block of its own.

    Returns
    -------
    dask.array
        ``X`` with block edges between sequences only.
    """
    layout = SequenceLayout.checked(lengths, X.shape[0])
    size = int(rows_per_block or max(X.chunks[0]))
    bounds = layout.chunk_bounds(size)
    return X.rechunk({0: tuple(b.stop - b.start for b in bounds)})
