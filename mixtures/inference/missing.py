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

__all__ = ["MissingRows", "check_observed_columns", "filled"]

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


def filled(x: Array) -> tuple[Array, NDArray[np.bool_] | None]:
    """``x`` with each NaN replaced by its column's observed value nearest the column's mean
    (a value inside any family's support; 0 in a column with none), and the mask of the NaN
    entries (``x`` itself and ``None`` when none is missing)."""
    missing = np.isnan(x)
    if not missing.any():
        return x, None
    observed = (~missing).sum(0)
    means = np.where(missing, 0.0, x).sum(0) / np.maximum(observed, 1)
    distance = np.where(missing, np.inf, np.abs(x - means))
    nearest = x[distance.argmin(0), np.arange(x.shape[1])]
    return np.where(missing, np.where(observed > 0, nearest, 0.0), x), missing


def check_observed_columns(missing: NDArray[np.bool_] | None, name: str = "X") -> None:
    """Refuse rows to fit on whose column has no observed value: nothing about it can be learnt."""
    if missing is None:
        return
    empty = np.flatnonzero(missing.all(0))
    if empty.size:
        raise ValueError(f"{name} column {int(empty[0])} has no observed value: every entry is missing")
