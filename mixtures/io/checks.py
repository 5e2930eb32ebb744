"""Checks of single fields read from a model file; each failure is a ``ModelFileError`` naming
the field."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mixtures.families.base import ExponentialFamily
from mixtures.io.errors import ModelFileError, reading

__all__ = [
    "boolean",
    "boolean_array",
    "check_natural",
    "finite_real",
    "integer",
    "positive",
    "real_array",
    "statistics_width",
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
    path: str,
    *,
    shape: tuple[int, ...] | None = None,
    ndim: int | None = None,
    float64: bool = True,
) -> Array:
    """``value`` as a finite real array: float64 (or, with ``float64=False``, any integer or float
    dtype) of the given ``shape`` or number of dimensions."""
    if not isinstance(value, np.ndarray):
        raise ModelFileError(path, f"must be an array; got {type(value).__name__}")
    if float64 and value.dtype != np.float64:
        raise ModelFileError(path, f"must be a float64 array; got dtype {value.dtype}")
    if not float64 and value.dtype.kind not in "iuf":
        raise ModelFileError(path, f"must be a real (integer or float) array; got dtype {value.dtype}")
    if shape is not None and value.shape != shape:
        raise ModelFileError(path, f"must have shape {shape}; got {value.shape}")
    if ndim is not None and value.ndim != ndim:
        raise ModelFileError(path, f"must be a {ndim}-D array; got shape {value.shape}")
    if not np.all(np.isfinite(value)):
        raise ModelFileError(path, "contains NaN or inf")
    return value


def positive(value: Any, path: str, *, shape: tuple[int, ...] | None = None) -> Array:
    """A finite real array (or number) of ``shape`` whose entries are all > 0."""
    if isinstance(value, np.ndarray):
        array = real_array(value, path, shape=shape, float64=False)
    else:
        array = np.asarray(finite_real(value, path))
        if shape is not None and shape != ():
            raise ModelFileError(path, f"must be an array of shape {shape}; got a number")
    if not np.all(array > 0):
        raise ModelFileError(path, f"must be positive; got minimum {array.min():g}")
    return array


def stochastic_rows(value: Any, path: str, shape: tuple[int, ...]) -> Array:
    """A float64 array of ``shape`` whose last axis holds probabilities summing to one."""
    array = real_array(value, path, shape=shape)
    if np.any(array < 0) or np.any(array > 1):
        raise ModelFileError(
            path, f"probabilities must lie in [0, 1]; got values from {array.min():g} to {array.max():g}"
        )
    sums = np.atleast_1d(array.sum(-1)).ravel()
    worst = int(np.argmax(np.abs(sums - 1.0)))
    if abs(sums[worst] - 1.0) > SUM_TOLERANCE:
        where = "" if array.ndim == 1 else f" (row {worst})"
        raise ModelFileError(path, f"probabilities must sum to 1; got {float(sums[worst])!r}{where}")
    return array


def symmetric_positive_definite(value: Any, path: str, shape: tuple[int, ...]) -> Array:
    """A stack of symmetric positive-definite matrices of ``shape`` (``(..., D, D)``)."""
    matrices = real_array(value, path, shape=shape, float64=False)
    scale = np.abs(np.diagonal(matrices, axis1=-2, axis2=-1)).max(initial=0.0)
    asymmetry = np.abs(matrices - np.swapaxes(matrices, -1, -2)).max(initial=0.0)
    if asymmetry > SYMMETRY_TOLERANCE * scale:
        raise ModelFileError(
            path, f"must be symmetric; entries differ from their transposes by up to {asymmetry:g}"
        )
    try:
        np.linalg.cholesky(matrices)
    except np.linalg.LinAlgError:
        raise ModelFileError(path, "must be positive definite (its Cholesky factorisation fails)") from None
    return matrices


def boolean_array(value: Any, path: str, shape: tuple[int, ...]) -> NDArray[np.bool_]:
    if not isinstance(value, np.ndarray) or value.dtype != np.bool_:
        raise ModelFileError(path, f"must be a boolean array; got {_describe(value)}")
    if value.shape != shape:
        raise ModelFileError(path, f"must have shape {shape}; got {value.shape}")
    return value


def integer(value: Any, path: str, minimum: int) -> int:
    """An integer (Python or numpy, not a bool) >= ``minimum``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ModelFileError(path, f"must be an integer; got {_describe(value)}")
    if value < minimum:
        raise ModelFileError(path, f"must be >= {minimum}; got {value}")
    return int(value)


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ModelFileError(path, f"must be true or false; got {_describe(value)}")
    return bool(value)


def finite_real(value: Any, path: str) -> float:
    """A finite real number (Python or numpy float or integer, not a bool)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        raise ModelFileError(path, f"must be a number; got {_describe(value)}")
    if not np.isfinite(value):
        raise ModelFileError(path, f"must be finite; got {value}")
    return float(value)


def check_natural(family: ExponentialFamily, natural: Any, path: str, n_features: int | None = None) -> Array:
    """Natural parameters ``(K, S)`` of ``family``: finite float64, as many statistics as the
    family has on ``n_features`` columns (when given), and inside the natural domain, where the
    log-partition and the mean parameters are finite (for a Gaussian: positive-definite
    precisions)."""
    natural = real_array(natural, path, ndim=2)
    n_components, n_statistics = natural.shape
    if n_components < 1 or n_statistics < 1:
        raise ModelFileError(
            path, f"must have at least one component and one statistic; got shape {natural.shape}"
        )
    if n_features is not None:
        width = statistics_width(family, n_features, path)
        if width != n_statistics:
            raise ModelFileError(
                path,
                f"{family.name} on {n_features} features has {width} statistics per row, but the "
                f"natural parameters have {n_statistics} per component",
            )
    with reading(path), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log_partition = np.asarray(family.log_partition(natural), dtype=np.float64)
        mean = np.asarray(family.natural_to_mean(natural), dtype=np.float64)
    if log_partition.shape != (n_components,) or mean.shape != natural.shape:
        raise ModelFileError(
            path, f"{family.name} cannot evaluate natural parameters of shape {natural.shape}"
        )
    outside = ~(np.isfinite(log_partition) & np.all(np.isfinite(mean), axis=1))
    if outside.any():
        raise ModelFileError(
            path,
            f"component {int(np.argmax(outside))} lies outside {family.name}'s parameter space "
            f"(its log-partition or mean parameters are not finite)",
        )
    return natural


def statistics_width(family: ExponentialFamily, n_features: int, path: str) -> int:
    """How many statistics ``family`` has per row of ``n_features`` columns, read off a row of
    zeros (errors, such as a centring origin of another length, name ``path``)."""
    with reading(path), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shape = np.shape(family.sufficient_statistics(np.zeros((1, n_features))))
    if len(shape) != 2 or shape[0] != 1:
        raise ModelFileError(path, f"{family.name}.sufficient_statistics of one row has shape {shape}")
    return int(shape[1])


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"{type(value).__name__} {value!r}"
