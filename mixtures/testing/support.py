"""Where a family's observations live, as the property checks need it: the interval (continuous)
or the integers (discrete) over which a density must integrate or sum to one.

A family can say so in three ways, used in this order:

1. a ``support_bounds = (low, high)`` attribute (continuous families whose ``h(x)`` does not
   vanish outside the support, e.g. ``h = 1`` for the exponential distribution);
2. its ``data_support()`` (``non_negative``, ``integer``);
3. its ``validate(x)``: the bounds are found by probing it with values below and above the data,
   and a family whose ``validate`` refuses fractions is discrete.

Only when none of these says anything does the data decide (integers only: treated as discrete).
"""

from __future__ import annotations

import math

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.base import ExponentialFamily

__all__ = ["Support", "support_of"]

Array = NDArray[np.float64]

#: Probes reach this many powers of ten of the data's spread beyond the data before a side is
#: taken to be unbounded.
_PROBE_DECADES = 15


@attrs.frozen
class Support:
    """One feature's support: ``[low, high]`` (``±inf`` when unbounded), whether it is the
    integers in that interval, and where each part of that came from (for messages)."""

    low: float
    high: float
    integer: bool
    source: str

    def describe(self) -> str:
        if self.integer:
            low = "-inf" if math.isinf(self.low) else f"{self.low:g}"
            high = "inf" if math.isinf(self.high) else f"{self.high:g}"
            return f"the integers in [{low}, {high}] ({self.source})"
        left = "(-inf" if math.isinf(self.low) else f"[{self.low:.6g}"
        right = "inf)" if math.isinf(self.high) else f"{self.high:.6g}]"
        return f"{left}, {right} ({self.source})"


def _accepts(family: ExponentialFamily, row: Array, feature: int, value: float) -> bool:
    probe = row.copy()
    probe[feature] = value
    try:
        family.validate(probe[None, :])
    except ValueError:
        return False
    return True


def _has_validate(family: ExponentialFamily) -> bool:
    return type(family).validate is not ExponentialFamily.validate


def _edge(
    family: ExponentialFamily, row: Array, feature: int, inside: float, direction: int,
    scale: float, integer: bool,
) -> float:
    """The last value ``validate`` accepts going from ``inside`` in ``direction`` (±1): an
    exponential search for a refused value, then bisection; ``±inf`` if none is refused."""
    accepted = inside
    refused = None
    for decade in range(_PROBE_DECADES + 1):
        value = inside + direction * scale * 10.0**decade
        if integer:
            value = float(math.floor(value) if direction < 0 else math.ceil(value))
        if _accepts(family, row, feature, value):
            accepted = value
        else:
            refused = value
            break
    if refused is None:
        return direction * math.inf
    while abs(refused - accepted) > (1.0 if integer else 1e-13 * scale):
        middle = 0.5 * (accepted + refused)
        if integer:
            middle = float(math.floor(middle))  # strictly between two integers at least 2 apart
        elif middle in (accepted, refused):
            break  # adjacent floats: far from the data, float spacing exceeds the tolerance
        if _accepts(family, row, feature, middle):
            accepted = middle
        else:
            refused = middle
    if not integer and min(accepted, refused) <= 0.0 <= max(accepted, refused):
        return 0.0  # bisection closes in on a boundary at zero without ever reaching it
    return accepted


def _refuses_fractions(family: ExponentialFamily, row: Array, feature: int, column: Array) -> bool:
    low, high = float(column.min()), float(column.max())
    middle = math.floor(0.5 * (low + high)) + 0.5
    candidates = [middle] if low < middle < high else [low + 0.5, low - 0.5, high + 0.5]
    return not any(_accepts(family, row, feature, value) for value in candidates)


def support_of(
    family: ExponentialFamily, x: Array, feature: int = 0,
    bounds: tuple[float, float] | None = None,
) -> Support:
    """The support of feature ``feature`` of ``family``, given example data ``x`` from it.

    ``x`` is an ``(N, D)`` array that ``family.validate`` accepts; other features are held at
    the values of one of its rows while ``validate`` is probed. ``bounds``, if given, overrides
    whatever the family says about the interval (e.g. one period for angles).
    """
    x = np.asarray(x, dtype=np.float64)
    column = x[:, feature]
    row = x[int(np.argsort(column)[len(column) // 2])].copy()
    declared = family.data_support()
    sources = []
    if declared.integer:
        integer = True
        sources.append("integer from data_support()")
    elif _has_validate(family):
        integer = _refuses_fractions(family, row, feature, column)
        if integer:
            sources.append("integer because validate refuses fractions")
    else:
        integer = bool(np.all(column == np.round(column)))
        if integer:
            sources.append("integer because the data are integers and the family declares nothing")

    if bounds is not None:
        sources.append("bounds given to check_family")
    else:
        bounds = getattr(family, "support_bounds", None)
        if bounds is not None:
            sources.append("bounds from support_bounds")
    if bounds is not None:
        return Support(float(bounds[0]), float(bounds[1]), integer, "; ".join(sources))

    spread = float(column.max() - column.min())
    scale = max(spread, float(np.abs(column).max()), 1.0)
    inside = float(row[feature])
    if declared.non_negative:
        low, low_source = 0.0, "lower bound from data_support()"
        if _has_validate(family) and not _accepts(family, row, feature, 0.0):
            low_source += " (0 itself refused by validate)"
    elif _has_validate(family):
        low = _edge(family, row, feature, inside, -1, scale, integer)
        low_source = "lower bound from validate" if math.isfinite(low) else "no lower bound"
    else:
        low, low_source = -math.inf, "no lower bound declared"
    if _has_validate(family):
        high = _edge(family, row, feature, inside, 1, scale, integer)
        high_source = "upper bound from validate" if math.isfinite(high) else "no upper bound"
    else:
        high, high_source = math.inf, "no upper bound declared"
    sources += [low_source, high_source]
    return Support(low, high, integer, "; ".join(sources))
