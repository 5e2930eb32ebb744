"""Expected sufficient statistics: the only thing an update ever reads."""

from __future__ import annotations

from typing import Self

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import float_array

__all__ = ["SufficientStatistics"]


def _check_shapes(
    instance: SufficientStatistics, attribute: attrs.Attribute, value: NDArray
) -> None:
    counts, sums = instance.counts, value
    if counts.ndim != 1 or sums.ndim != 2 or sums.shape[0] != counts.shape[0]:
        raise ValueError(
            f"statistics need counts of shape (K,) and sums of shape (K, S); "
            f"got counts {counts.shape} and sums {sums.shape}"
        )


@attrs.frozen(eq=False)
class SufficientStatistics:
    """Weighted sums of sufficient statistics per component.

    ``counts[k] = Σ_n w_n r_nk`` and ``sums[k] = Σ_n w_n r_nk T(x_n)``. Two values add exactly,
    so statistics of chunks, of streams or of cluster partitions combine by ``+``.
    """

    counts: NDArray[np.float64] = attrs.field(converter=float_array)
    sums: NDArray[np.float64] = attrs.field(converter=float_array, validator=_check_shapes)

    @classmethod
    def zeros(cls, n_components: int, n_statistics: int) -> Self:
        return cls(np.zeros(n_components), np.zeros((n_components, n_statistics)))

    @property
    def n_components(self) -> int:
        return int(self.counts.shape[0])

    def __add__(self, other: SufficientStatistics) -> SufficientStatistics:
        if not isinstance(other, SufficientStatistics):
            return NotImplemented
        if other.sums.shape != self.sums.shape:
            raise ValueError(
                f"cannot add statistics of shapes {self.sums.shape} and {other.sums.shape}"
            )
        return SufficientStatistics(self.counts + other.counts, self.sums + other.sums)

    def occupied(self, min_count: float) -> NDArray[np.bool_]:
        """Components whose weighted count exceeds ``min_count``."""
        return self.counts > min_count

    def means(self) -> NDArray[np.float64]:
        """Average statistics ``sums / counts`` (the empirical mean parameters).

        Only meaningful for occupied components; empty rows are returned as zeros.
        """
        safe = np.where(self.counts > 0, self.counts, 1.0)
        return self.sums / safe[:, None]

    def pooled(self) -> SufficientStatistics:
        """All components summed into one."""
        return SufficientStatistics(self.counts.sum(keepdims=True), self.sums.sum(0, keepdims=True))
