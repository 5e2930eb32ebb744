"""Checks on what a family's primitives return, so a mistake in a user's family is reported by
name (family and method) where it happens, not as a NaN three calls later.

A NaN or infinity can also come from the data rather than from the family: finite values large
enough that the statistics formed from them leave float64's range (about 1.8e308; the square of
1.4e154 already does). When the rows a method ran on are known, such a result on data holding
values beyond ``LARGE_MAGNITUDE`` is reported as the data's scale (naming X, its largest absolute
value and where it is, and advising to rescale); otherwise the family method is named.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["LARGE_MAGNITUDE", "check_summed_statistics", "checked_output"]

#: Finite data beyond this magnitude can overflow the statistics a family forms from it (their
#: squares, products, sums or factorials), so a non-finite result on such data blames the data.
LARGE_MAGNITUDE = 1e100


def _largest(x: NDArray[np.float64], first_row: int) -> tuple[float, int, int]:
    """X's largest absolute value in rows ``x`` and its global row and column."""
    magnitude = np.abs(x)
    row, column = np.unravel_index(int(np.argmax(magnitude)), x.shape)
    return float(magnitude[row, column]), first_row + int(row), int(column)


def _rescale_advice(largest: float, row: int, column: int, name: str) -> str:
    return (
        f"{name}'s largest absolute value is {largest:.3g}, at row {row}, column {column}. "
        f"Rescale {name} (change its units, or divide each feature by its spread) so that its "
        f"values stay well below {LARGE_MAGNITUDE:.0e}"
    )


def checked_output(
    family: Any,
    method: str,
    value: Any,
    shape: tuple[int, ...],
    *,
    allow_minus_inf: bool = False,
    data: NDArray[np.float64] | None = None,
    first_row: int = 0,
    data_name: str = "X",
) -> NDArray[np.float64]:
    """``value`` as a float array of ``shape``; a ``ValueError`` naming ``family.method`` when the
    shape is wrong or a value is NaN or infinite (−inf allowed where a density may be zero).

    ``data``: the (finite) rows the method ran on, ``first_row`` the global number of the first;
    the output's first axis runs over them. Given them, a bad value on data beyond
    ``LARGE_MAGNITUDE`` (including a −inf where one is allowed) is blamed on the data's scale."""
    name = f"{type(family).__name__}.{method}"
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} returned {type(value).__name__}, not a numeric array") from None
    if array.shape != shape:
        raise ValueError(f"{name} returned an array of shape {array.shape}; expected {shape}")
    bad = np.isnan(array) | (np.isposinf(array) if allow_minus_inf else ~np.isfinite(array))
    if data is not None and data.size and (bad.any() or (allow_minus_inf and np.isneginf(array).any())):
        _blame_the_scale(name, array, bad, allow_minus_inf, data, first_row, data_name)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        context = ""
        if data is not None and array.ndim >= 1 and where[0] < data.shape[0]:
            context = (
                f" (for row {first_row + where[0]} of {data_name}, finite, largest absolute value "
                f"{float(np.abs(data[where[0]]).max()):.3g})"
            )
        raise ValueError(f"{name} returned {float(array[where])} at index {where}{context}")
    return array


def _blame_the_scale(
    name: str,
    array: NDArray[np.float64],
    bad: NDArray[np.bool_],
    allow_minus_inf: bool,
    data: NDArray[np.float64],
    first_row: int,
    data_name: str,
) -> None:
    """Raise the data-scale error for a bad value (anywhere, when the data hold a value beyond
    ``LARGE_MAGNITUDE``: e.g. a centring point dragged far by one huge row) or for an allowed
    −inf on a row that itself holds such a value (e.g. log x! of a count of 1e308)."""
    suspect = bad.copy()
    if allow_minus_inf and array.ndim == 1 and array.shape[0] == data.shape[0]:
        minus_inf = np.isneginf(array)
        if minus_inf.any():
            suspect |= minus_inf & (np.abs(data).max(axis=1) > LARGE_MAGNITUDE)
    if not suspect.any():
        return
    largest, row, column = _largest(data, first_row)
    if largest <= LARGE_MAGNITUDE:
        return
    where = tuple(int(i) for i in np.argwhere(suspect)[0])
    raise ValueError(
        f"{data_name}'s scale overflows float64 in {name}: it returned {float(array[where])} "
        f"for row {first_row + where[0]} of {data_name} (finite data). "
        + _rescale_advice(largest, row, column, data_name)
    )


def check_summed_statistics(
    sums: NDArray[np.float64],
    weighted_responsibilities: NDArray[np.float64],
    data: NDArray[np.float64],
    weights: NDArray[np.float64],
    first_row: int,
    data_name: str = "X",
) -> None:
    """Finite (checked) statistics summed with finite responsibilities can only leave float64's
    range by overflow: a ``ValueError`` names the data's and the weights' scale."""
    if np.isfinite(sums).all() or not np.isfinite(weighted_responsibilities).all():
        return  # fine, or a non-finite posterior, which the E-step's own checks report
    largest, row, column = _largest(data, first_row)
    heaviest = float(np.max(weights)) if weights.size else 0.0
    raise ValueError(
        f"the weighted sums of the sufficient statistics over rows "
        f"{first_row} to {first_row + data.shape[0] - 1} of {data_name} overflow float64 (the "
        f"statistics of each row are finite; the largest sample weight there is {heaviest:.3g}). "
        + _rescale_advice(largest, row, column, data_name)
        + " (or the weights)"
    )
