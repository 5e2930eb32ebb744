"""Checks on user input: every failure is a ValueError that names the problem."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "as_data_matrix",
    "as_sample_weight",
    "check_int",
    "check_real",
    "optional_finite",
    "optional_positive",
]

Array = NDArray[np.float64]


class NonNumericDataError(ValueError, TypeError):
    """Data with entries that are not numbers: a ``ValueError`` like every bad input here, and a
    ``TypeError`` as numpy's own conversion raises."""


def _first_position(mask: NDArray[np.bool_]) -> str:
    row, col = np.argwhere(mask)[0]
    return f"row {int(row)}, column {int(col)}"


def as_data_matrix(data: Any, name: str = "X") -> Array:
    """``data`` (array, list, DataFrame) as a finite float64 ``(n_samples, n_features)`` matrix."""
    if hasattr(data, "tocsr") or type(data).__module__.startswith("scipy.sparse"):
        raise TypeError(
            f"{name} is a sparse matrix; sparse input is not supported: pass a dense array "
            f"(e.g. {name}.toarray())"
        )
    if hasattr(data, "to_numpy") and hasattr(data, "columns"):  # pandas DataFrame
        data = data.to_numpy()
    try:
        array = np.asarray(data)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} could not be read as a 2-D array: {error}") from None
    if array.dtype == object:  # e.g. a DataFrame of mixed column types
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise NonNumericDataError(
                f"{name} must contain numbers; got dtype {array.dtype} ({error})"
            ) from None
    if array.dtype.kind in "USV":
        raise ValueError(f"{name} must contain numbers, not strings or bytes; got dtype {array.dtype}")
    if array.dtype.kind == "c":
        raise ValueError(f"{name} must be real. Complex data not supported (dtype {array.dtype})")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must contain numbers; got dtype {array.dtype}")
    if array.ndim != 2:
        hint = (
            f". Reshape your data with {name}.reshape(-1, 1) for a single feature or "
            f"{name}.reshape(1, -1) for a single sample" if array.ndim == 1 else ""
        )
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features); got {array.ndim}-D "
            f"array of shape {array.shape}{hint}"
        )
    for axis, what in ((0, "sample"), (1, "feature")):
        if array.shape[axis] == 0:
            raise ValueError(
                f"{name} is empty: found array with 0 {what}(s) (shape={array.shape}) while a "
                f"minimum of 1 is required."
            )
    array = np.asarray(array, dtype=np.float64)
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN (first at {_first_position(np.isnan(array))})")
    if np.isinf(array).any():
        raise ValueError(f"{name} contains inf (first at {_first_position(np.isinf(array))})")
    return array


def as_sample_weight(sample_weight: Any, n_samples: int) -> Array:
    """Non-negative finite weights of shape ``(n_samples,)`` with a positive sum (default: ones)."""
    if sample_weight is None:
        return np.ones(n_samples)
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.ndim == 0:
        weights = np.full(n_samples, float(weights))
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X; got {weights.shape}"
        )
    if not np.all(np.isfinite(weights)):
        raise ValueError("sample_weight contains NaN or inf")
    if np.any(weights < 0):
        raise ValueError("sample_weight must be non-negative")
    if not weights.sum() > 0:
        raise ValueError("sample_weight must have a positive sum; every weight is zero")
    return weights


def check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_real(value: Any, name: str, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number >= {minimum}; got {value!r}")
    number = float(value)
    if not np.isfinite(number) or number < minimum:
        raise ValueError(f"{name} must be a finite number >= {minimum}; got {value!r}")
    return number


def optional_positive(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: ``None`` (a data-derived default) or finite values all > 0."""
    if value is None:
        return
    array = np.asarray(value, dtype=np.float64)
    if not (np.all(np.isfinite(array)) and np.all(array > 0)):
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be positive; got {value!r}")


def optional_finite(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: ``None`` (a data-derived default) or finite values."""
    if value is not None and not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be finite; got {value!r}")
