"""Concatenated sequences: their lengths and weights, checked once, and the row ranges that hold
whole sequences.

An HMM's rows are sequences laid end to end. ``SequenceLayout.checked`` turns the user's
``lengths`` (and ``sequence_weight``) into a ``SequenceLayout`` once; the data objects carry it,
cut their chunks along it (``chunk_bounds``) and tell each chunk the whole sequences it holds
(``in_blocks``, a ``Sequences`` per chunk).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._validation import as_float_values, check_weight_values

__all__ = ["SequenceLayout", "Sequences", "check_lengths"]

Array = NDArray[np.float64]


def check_lengths(lengths: Any, n_samples: int) -> NDArray[np.intp]:
    """``lengths`` as positive integers summing to ``n_samples`` (``None``: one sequence).

    Integers of any dtype and whole floats are accepted; every value is checked to lie in
    ``1..n_samples`` before it is converted, so that unsigned or huge values cannot wrap."""
    if lengths is None:
        return np.array([n_samples], dtype=np.intp)
    try:
        values = np.asarray(lengths)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"lengths could not be read as a 1-D array: {error}") from None
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"lengths must be a non-empty 1-D sequence of integers; got shape {values.shape}"
        )
    if values.dtype.kind not in "iuf":
        raise ValueError(
            f"lengths must contain whole numbers; got {lengths!r} (dtype {values.dtype})"
        )
    if values.dtype.kind == "f":
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            index = int(np.argmax(bad))
            raise ValueError(
                f"lengths must contain whole numbers; got {values[index]} at index {index}"
            )
    too_small, too_large = values < 1, values > n_samples
    if too_small.any():
        index = int(np.argmax(too_small))
        raise ValueError(f"lengths must all be >= 1; got {values[index]} at index {index}")
    if too_large.any():
        index = int(np.argmax(too_large))
        raise ValueError(
            f"lengths[{index}] = {values[index]} is more than the {n_samples} rows of X "
            f"(lengths must be between 1 and the number of rows)"
        )
    values = values.astype(np.intp)
    if values.sum() != n_samples:
        raise ValueError(f"lengths sum to {int(values.sum())} but X has {n_samples} rows")
    return values


@attrs.frozen(eq=False)
class Sequences:
    """The whole sequences one chunk holds: the index of the first among all sequences, their
    lengths (summing to the chunk's rows) and their weights."""

    first: int
    lengths: NDArray[np.intp]
    weights: Array

    def of_rows(self) -> Array:
        """Each row's sequence weight: ``(n,)``."""
        return np.repeat(self.weights, self.lengths)


@attrs.frozen(eq=False)
class SequenceLayout:
    """Rows that are sequences laid end to end: each sequence's length and weight.

    Make it with ``SequenceLayout.checked``, which checks the user's values once; the data
    objects carry it from there.

    Attributes
    ----------
    lengths : ndarray of int, shape (n_sequences,)
        Positive lengths, in row order.
    weights : ndarray, shape (n_sequences,)
        How many times each sequence counts (non-negative, positive sum).
    """

    lengths: NDArray[np.intp]
    weights: Array

    @classmethod
    def checked(cls, lengths: Any, n_samples: int, sequence_weight: Any = None) -> SequenceLayout:
        """The layout of ``n_samples`` rows from the user's ``lengths`` (``None``: one sequence)
        and ``sequence_weight`` (``None``: ones), or a ``ValueError`` naming what is wrong."""
        checked_lengths = check_lengths(lengths, n_samples)
        n_sequences = checked_lengths.shape[0]
        if sequence_weight is None:
            return cls(checked_lengths, np.ones(n_sequences))
        weights = as_float_values(sequence_weight, "sequence_weight")
        if weights.shape != (n_sequences,):
            raise ValueError(
                f"sequence_weight must have one entry per sequence ({n_sequences},); got "
                f"{weights.shape}"
            )
        check_weight_values(weights, "sequence_weight")
        return cls(checked_lengths, weights)

    @functools.cached_property
    def ends(self) -> NDArray[np.intp]:
        """The row after each sequence's last."""
        return np.cumsum(self.lengths)

    def full_weights(self, row_weights: Any) -> Any:
        """Each row's weight times its sequence's (``row_weights`` themselves when every
        sequence weighs 1); a ``dask.array`` stays one."""
        if np.all(self.weights == 1.0):
            return row_weights
        return row_weights * np.repeat(self.weights, self.lengths)

    def chunk_bounds(self, rows_per_chunk: int) -> list[slice]:
        """Row slices that hold whole sequences, about ``rows_per_chunk`` rows each (a longer
        sequence gets a chunk of its own)."""
        ends = self.ends
        bounds: list[slice] = []
        start = 0
        while start < ends[-1]:
            # the last sequence end within the budget, but at least one whole sequence
            candidates = ends[(ends > start) & (ends <= start + rows_per_chunk)]
            stop = int(candidates[-1]) if candidates.size else int(ends[ends > start][0])
            bounds.append(slice(start, stop))
            start = stop
        return bounds

    def in_blocks(self, bounds: Sequence[slice]) -> list[Sequences]:
        """The whole sequences in each row range of ``bounds``; a ``ValueError`` names the first
        range whose edge cuts a sequence."""
        ends = self.ends
        starts = ends - self.lengths
        out = []
        for index, rows in enumerate(bounds):
            first = int(np.searchsorted(ends, rows.start, side="right"))
            last = int(np.searchsorted(ends, rows.stop, side="left"))  # the sequence ending at stop
            if starts[first] != rows.start or last >= ends.shape[0] or ends[last] != rows.stop:
                cut = first if starts[first] != rows.start else min(last, ends.shape[0] - 1)
                raise ValueError(
                    f"block {index} of the rows (rows {rows.start} to {rows.stop - 1}) does not "
                    f"hold whole sequences: sequence {cut} spans rows {int(starts[cut])} to "
                    f"{int(ends[cut]) - 1}. Every block must start and end at sequence "
                    f"boundaries; rechunk the rows with "
                    f"mixtures.distributed.rechunk_to_sequences(X, lengths)"
                )
            out.append(
                Sequences(first, self.lengths[first : last + 1], self.weights[first : last + 1])
            )
        return out
