"""Missing values in the rows: which entries are missing, and where a fit starts them.

Under ``missing="marginalize"`` NaN entries of ``X`` are missing values (missing at random): a
row's likelihood is the marginal of its observed entries, and EM takes the expected statistics
of the missing part given the observed part (``ExponentialFamily.completion``). The rows keep a
mask of the missing entries; the matrix itself holds each missing entry replaced by a typical
observed value of its column, which only a fit's starting point (k-means++ and its first
statistics) and the families' data-dependent settings ever read.
"""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = ["MissingRows", "Nearest", "ObservedSums", "check_observed_columns", "filled"]

Array = NDArray[np.float64]


@attrs.frozen(eq=False)
class MissingRows:
    """The rows of a chunk that miss values: their positions in the chunk ``(m,)`` and which of
    their entries are missing ``(m, D)``."""

    positions: NDArray[np.intp]
    mask: NDArray[np.bool_]

    @classmethod
    def of(cls, missing: NDArray[np.bool_] | None) -> MissingRows | None:
        """From a chunk's ``(n, D)`` mask of missing entries (``None`` or none missing: ``None``)."""
        if missing is None:
            return None
        incomplete = missing.any(1)
        if not incomplete.any():
            return None
        positions = np.flatnonzero(incomplete)
        return cls(positions, missing[positions])


@attrs.frozen
class ObservedSums:
    """Per column, how many entries are observed and their sum ``(D,)``; rows summarised apart
    add up by ``+``."""

    count: Array
    total: Array

    @classmethod
    def of(cls, x: Array, missing: NDArray[np.bool_]) -> ObservedSums:
        return cls((~missing).sum(0).astype(np.float64), np.where(missing, 0.0, x).sum(0))

    def __add__(self, other: ObservedSums) -> ObservedSums:
        return ObservedSums(self.count + other.count, self.total + other.total)

    @property
    def means(self) -> Array:
        """The observed entries' mean per column (0 in a column with none)."""
        return self.total / np.maximum(self.count, 1)


@attrs.frozen
class Nearest:
    """Per column, the observed value nearest a target ``(D,)``, its distance and its row (global
    numbers); rows searched apart combine by ``+`` into the first nearest of them all."""

    distance: Array
    row: NDArray[np.intp]
    value: Array

    @classmethod
    def of(cls, x: Array, missing: NDArray[np.bool_], target: Array, first_row: int = 0) -> Nearest:
        distance = np.where(missing, np.inf, np.abs(x - target))
        row = distance.argmin(0)
        columns = np.arange(x.shape[1])
        return cls(distance[row, columns], row + first_row, x[row, columns])

    def __add__(self, other: Nearest) -> Nearest:
        closer = (other.distance < self.distance) | (
            (other.distance == self.distance) & (other.row < self.row)
        )
        return Nearest(
            np.where(closer, other.distance, self.distance),
            np.where(closer, other.row, self.row),
            np.where(closer, other.value, self.value),
        )

    def placeholders(self, sums: ObservedSums) -> Array:
        """The value a missing entry holds: the column's observed value nearest its mean (a value
        inside any family's support), 0 in a column with none observed."""
        return np.where(sums.count > 0, self.value, 0.0)


def filled(x: Array) -> tuple[Array, NDArray[np.bool_] | None]:
    """``x`` with each NaN replaced by its column's observed value nearest the column's mean
    (``Nearest.placeholders``), and the mask of the NaN entries (``x`` itself and ``None`` when
    none is missing)."""
    missing = np.isnan(x)
    if not missing.any():
        return x, None
    sums = ObservedSums.of(x, missing)
    placeholders = Nearest.of(x, missing, sums.means).placeholders(sums)
    return np.where(missing, placeholders, x), missing


def check_observed_columns(missing: NDArray[np.bool_] | None, name: str = "X") -> None:
    """Refuse rows to fit on whose column has no observed value: nothing about it can be learnt."""
    if missing is None:
        return
    empty = np.flatnonzero(np.asarray(missing.all(0)))  # a lazy mask (rows on Dask) is computed
    if empty.size:
        raise ValueError(f"{name} column {int(empty[0])} has no observed value: every entry is missing")
