"""Checks of single fields read from a model file; each failure is a ``ModelFileError`` naming
the field. The checks shared with the values themselves (a prior checks its own fields) are those
of ``mixtures._fields``, raising ``ModelFileError`` here in place of ``FieldError``."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import numpy as np
from numpy.typing import NDArray

import mixtures._fields as fields
from mixtures.exceptions import FieldError
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
Arguments = ParamSpec("Arguments")
Result = TypeVar("Result")


def model_file_check(check: Callable[Arguments, Result]) -> Callable[Arguments, Result]:
    """``check`` (a field check raising ``FieldError``) raising ``ModelFileError`` instead."""

    @functools.wraps(check)
    def checked(*args: Arguments.args, **kwargs: Arguments.kwargs) -> Result:
        try:
            return check(*args, **kwargs)
        except FieldError as error:
            raise ModelFileError(error.field, error.problem) from None

    return checked


real_array = model_file_check(fields.real_array)
positive = model_file_check(fields.positive)
finite_real = model_file_check(fields.finite_real)
stochastic_rows = model_file_check(fields.stochastic_rows)
symmetric_positive_definite = model_file_check(fields.symmetric_positive_definite)


def boolean_array(value: Any, path: str, shape: tuple[int, ...]) -> NDArray[np.bool_]:
    if not isinstance(value, np.ndarray) or value.dtype != np.bool_:
        raise ModelFileError(path, f"must be a boolean array; got {fields.describe(value)}")
    if value.shape != shape:
        raise ModelFileError(path, f"must have shape {shape}; got {value.shape}")
    return value


def integer(value: Any, path: str, minimum: int) -> int:
    """An integer (Python or numpy, not a bool) >= ``minimum``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ModelFileError(path, f"must be an integer; got {fields.describe(value)}")
    if value < minimum:
        raise ModelFileError(path, f"must be >= {minimum}; got {value}")
    return int(value)


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ModelFileError(path, f"must be true or false; got {fields.describe(value)}")
    return bool(value)


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


