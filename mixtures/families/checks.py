"""Checks on what a family's primitives return, so a mistake in a user's family is reported by
name (family and method) where it happens, not as a NaN three calls later."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["checked_output"]


def checked_output(
    family: Any,
    method: str,
    value: Any,
    shape: tuple[int, ...],
    *,
    allow_minus_inf: bool = False,
) -> NDArray[np.float64]:
    """``value`` as a float array of ``shape``; a ``ValueError`` naming ``family.method`` when the
    shape is wrong or a value is NaN or infinite (−inf allowed where a density may be zero)."""
    name = f"{type(family).__name__}.{method}"
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} returned {type(value).__name__}, not a numeric array") from None
    if array.shape != shape:
        raise ValueError(f"{name} returned an array of shape {array.shape}; expected {shape}")
    bad = np.isnan(array) | (np.isposinf(array) if allow_minus_inf else ~np.isfinite(array))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} returned {float(array[where])} at index {where}")
    return array
