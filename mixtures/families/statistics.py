"""Expected sufficient statistics: the only thing an update ever reads."""

from __future__ import annotations

from typing import Protocol, Self

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import float_array

__all__ = ["ReferencePoints", "SufficientStatistics"]

Array = NDArray[np.float64]


class ShiftsStatistics(Protocol):
    """A family whose statistics can be gathered about per-component points (the Gaussians)."""

    def shifted_statistics(self, counts: Array, sums: Array, shift: Array) -> Array:
        """Sums ``(K, S)`` of points gathered about some points, re-expressed about those points
        moved by ``shift`` ``(K, D)`` (exact algebra)."""

    def shifted_natural(self, natural: Array, points: Array) -> Array:
        """Natural parameters ``(K, S)`` of components stated about ``points`` ``(K, D)``, in the
        family's own coordinates."""


@attrs.frozen(eq=False)
class ReferencePoints:
    """The point about which each component's statistics were gathered, ``(K, D)`` in the
    family's coordinates (a row of zeros: its coordinates themselves).

    Second moments summed about a point far from a component's data lose the component's spread
    to cancellation; gathered about a point among its data they keep it
    (``ExponentialFamily.regathered``)."""

    family: ShiftsStatistics
    points: Array = attrs.field(converter=float_array)


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

    ``counts[k] = Σ_n w_n r_nk`` and ``sums[k] = Σ_n w_n r_nk T(x_n)``, with ``T`` taken about the
    component's ``reference`` point when there is one (``T(x − c_k)``; ``None``: about the
    family's coordinates). Two values add exactly, so statistics of chunks, of streams or of
    cluster partitions combine by ``+``; values gathered about different points are first
    re-expressed about common ones, the points of the heavier side (an exact shift).
    """

    counts: NDArray[np.float64] = attrs.field(converter=float_array)
    sums: NDArray[np.float64] = attrs.field(converter=float_array, validator=_check_shapes)
    reference: ReferencePoints | None = attrs.field(default=None, kw_only=True)

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
        known = self.reference or other.reference
        if known is None:
            return SufficientStatistics(self.counts + other.counts, self.sums + other.sums)
        heavier = (self.counts >= other.counts)[:, None]
        points = np.where(heavier, self._points_like(known), other._points_like(known))
        mine, theirs = self.about(points, known.family), other.about(points, known.family)
        return SufficientStatistics(
            self.counts + other.counts, mine.sums + theirs.sums, reference=mine.reference
        )

    def scaled(self, factor: float) -> SufficientStatistics:
        """``factor`` times the counts and the sums, about the same points."""
        return SufficientStatistics(
            factor * self.counts, factor * self.sums, reference=self.reference
        )

    def _points_like(self, known: ReferencePoints) -> Array:
        return known.points * 0.0 if self.reference is None else self.reference.points

    def about(
        self, points: Array | None, family: ShiftsStatistics | None = None
    ) -> SufficientStatistics:
        """The same statistics gathered about ``points`` ``(K, D)`` (``None`` or zeros: the
        family's coordinates), by an exact shift (``family`` does it when these statistics have
        no reference points yet). Moving far from a component's data loses its spread to
        cancellation: only priors and pooled fallbacks, which tolerate it, ask for ``None``."""
        reference = self.reference
        if reference is not None:
            shifter, current = reference.family, reference.points
        elif points is None or not np.any(points):
            return self
        elif family is None:
            raise ValueError(
                "statistics gathered about the family's coordinates need their family to be "
                "moved to reference points"
            )
        else:
            shifter, current = family, np.zeros(np.shape(points))
        target = np.zeros_like(current) if points is None else np.asarray(points, dtype=np.float64)
        shift = target - current
        sums = self.sums if not shift.any() else shifter.shifted_statistics(self.counts, self.sums, shift)
        moved = ReferencePoints(shifter, target) if target.any() else None
        return SufficientStatistics(self.counts, sums, reference=moved)

    def placed(self, natural: Array, components: NDArray[np.bool_] | None = None) -> Array:
        """Natural parameters estimated from ``means()`` (about the reference points) of the
        ``components`` (a mask; default all), restated in the family's coordinates."""
        if self.reference is None:
            return natural
        points = self.reference.points if components is None else self.reference.points[components]
        return self.reference.family.shifted_natural(natural, points) if points.any() else natural

    def occupied(self, min_count: float) -> NDArray[np.bool_]:
        """Components whose weighted count exceeds ``min_count``."""
        return self.counts > min_count

    def means(self) -> NDArray[np.float64]:
        """Average statistics ``sums / counts`` (the empirical mean parameters, about the
        reference points when there are any).

        Only meaningful for occupied components; empty rows are returned as zeros.
        """
        safe = np.where(self.counts > 0, self.counts, 1.0)
        return self.sums / safe[:, None]

    def pooled(self) -> SufficientStatistics:
        """All components summed into one (about the family's coordinates)."""
        own = self.about(None)
        return SufficientStatistics(own.counts.sum(keepdims=True), own.sums.sum(0, keepdims=True))
