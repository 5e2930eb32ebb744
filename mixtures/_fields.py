"""Checks of single fields of a value (a prior's hyperparameters, a model file's arrays); each
failure is a ``FieldError`` naming the field."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mixtures.exceptions import FieldError

__all__ = [
    "describe",
    "finite_real",
    "positive",
    "real_array",
    "stochastic_rows",
    "symmetric_positive_definite",
]

Array = NDArray[np.float64]
#: How far a probability vector's sum may stray from 1 (the library's own tolerance).
SUM_TOLERANCE = 1e-8
#: Relative asymmetry tolerated in a stored symmetric matrix (an inverse is symmetric to rounding).
SYMMETRY_TOLERANCE = 1e-10


def real_array(
    value: Any,
    field: str,
    *,
    shape: tuple[int, ...] | None = None,
    ndim: int | None = None,
    float64: bool = True,
) -> Array:
    """``value`` as a finite real array: float64 (or, with ``float64=False``, any integer or float
    dtype) of the given ``shape`` or number of dimensions."""
    if not isinstance(value, np.ndarray):
        raise FieldError(field, f"must be an array; got {type(value).__name__}")
    if float64 and value.dtype != np.float64:
        raise FieldError(field, f"must be a float64 array; got dtype {value.dtype}")
    if not float64 and value.dtype.kind not in "iuf":
        raise FieldError(field, f"must be a real (integer or float) array; got dtype {value.dtype}")
    if shape is not None and value.shape != shape:
        raise FieldError(field, f"must have shape {shape}; got {value.shape}")
    if ndim is not None and value.ndim != ndim:
        raise FieldError(field, f"must be a {ndim}-D array; got shape {value.shape}")
    if not np.all(np.isfinite(value)):
        raise FieldError(field, "contains NaN or inf")
    return value


def positive(value: Any, field: str, *, shape: tuple[int, ...] | None = None) -> Array:
    """A finite real array (or number) of ``shape`` whose entries are all > 0."""
    if isinstance(value, np.ndarray):
        array = real_array(value, field, shape=shape, float64=False)
    else:
        array = np.asarray(finite_real(value, field))
        if shape is not None and shape != ():
            raise FieldError(field, f"must be an array of shape {shape}; got a number")
    if not np.all(array > 0):
        raise FieldError(field, f"must be positive; got minimum {array.min():g}")
    return array


def stochastic_rows(value: Any, field: str, shape: tuple[int, ...]) -> Array:
    """A float64 array of ``shape`` whose last axis holds probabilities summing to one."""
    array = real_array(value, field, shape=shape)
    if np.any(array < 0) or np.any(array > 1):
        raise FieldError(
            field, f"probabilities must lie in [0, 1]; got values from {array.min():g} to {array.max():g}"
        )
    sums = np.atleast_1d(array.sum(-1)).ravel()
    worst = int(np.argmax(np.abs(sums - 1.0)))
    if abs(sums[worst] - 1.0) > SUM_TOLERANCE:
        where = "" if array.ndim == 1 else f" (row {worst})"
        raise FieldError(field, f"probabilities must sum to 1; got {float(sums[worst])!r}{where}")
    return array


def symmetric_positive_definite(value: Any, field: str, shape: tuple[int, ...]) -> Array:
    """A stack of symmetric positive-definite matrices of ``shape`` (``(..., D, D)``)."""
    matrices = real_array(value, field, shape=shape, float64=False)
    scale = np.abs(np.diagonal(matrices, axis1=-2, axis2=-1)).max(initial=0.0)
    asymmetry = np.abs(matrices - np.swapaxes(matrices, -1, -2)).max(initial=0.0)
    if asymmetry > SYMMETRY_TOLERANCE * scale:
        raise FieldError(
            field, f"must be symmetric; entries differ from their transposes by up to {asymmetry:g}"
        )
    try:
        np.linalg.cholesky(matrices)
    except np.linalg.LinAlgError:
        raise FieldError(field, "must be positive definite (its Cholesky factorisation fails)") from None
    return matrices


def finite_real(value: Any, field: str) -> float:
    """A finite real number (Python or numpy float or integer, not a bool)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        raise FieldError(field, f"must be a number; got {describe(value)}")
    if not np.isfinite(value):
        raise FieldError(field, f"must be finite; got {value}")
    return float(value)


def describe(value: Any) -> str:
    """A value's type and contents (an array's dtype and shape), for a message."""
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"{type(value).__name__} {value!r}"
