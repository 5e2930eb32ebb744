"""Checks on user input: every failure is a ValueError that names the problem."""

from __future__ import annotations

import numbers
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import row_blocks

__all__ = [
    "RowFindings",
    "as_data_matrix",
    "as_sample_weight",
    "check_finite",
    "check_int",
    "check_real",
    "finite_findings",
    "is_dask_array",
    "optional_finite",
    "optional_positive",
]

Array = NDArray[np.float64]


def is_dask_array(value: Any) -> bool:
    """Whether ``value`` is a ``dask.array.Array`` (decided without importing dask)."""
    return type(value).__module__.split(".")[0] == "dask" and hasattr(value, "__dask_graph__")


def _first_position(mask: NDArray[np.bool_]) -> tuple[int, int]:
    row, col = np.argwhere(mask)[0]
    return int(row), int(col)


@attrs.frozen
class RowFindings:
    """The first NaN, the first infinity and the first value outside the support found in some
    rows (global positions), so that blocks checked apart combine by ``+`` into what one check
    of all rows would report."""

    nan: tuple[int, int] | None = None
    inf: tuple[int, int] | None = None
    support: tuple[int, str] | None = None

    def __add__(self, other: RowFindings) -> RowFindings:
        def first(a: Any, b: Any) -> Any:
            return b if a is None or (b is not None and b[0] < a[0]) else a

        return RowFindings(
            first(self.nan, other.nan), first(self.inf, other.inf), first(self.support, other.support)
        )

    def raise_first(self, name: str = "X") -> None:
        """Raise the ``ValueError`` a check of all rows raises: NaN first, then inf, then support."""
        if self.nan is not None:
            raise ValueError(f"{name} contains NaN (first at row {self.nan[0]}, column {self.nan[1]})")
        if self.inf is not None:
            raise ValueError(f"{name} contains inf (first at row {self.inf[0]}, column {self.inf[1]})")
        if self.support is not None:
            raise ValueError(self.support[1])


def finite_findings(x: Array, first_row: int) -> RowFindings:
    """Where rows ``x`` (global rows from ``first_row``) first hold NaN and inf."""
    if np.isfinite(x).all():
        return RowFindings()
    nan, inf = np.isnan(x), np.isinf(x)
    positions: list[tuple[int, int] | None] = []
    for mask in (nan, inf):
        if mask.any():
            row, col = _first_position(mask)
            positions.append((first_row + row, col))
        else:
            positions.append(None)
    return RowFindings(positions[0], positions[1])


def check_finite(x: Array, name: str = "X") -> None:
    """Raise a ``ValueError`` naming the first NaN (or else the first inf) of ``x``, checked in
    row blocks so that no temporary of the size of ``x`` is made."""
    findings = RowFindings()
    for rows in row_blocks(*x.shape):
        findings = findings + finite_findings(x[rows], rows.start)
        if findings.nan is not None:
            break
    findings.raise_first(name)


class NonNumericDataError(ValueError, TypeError):
    """Data with entries that are not numbers: a ``ValueError`` like every bad input here, and a
    ``TypeError`` as numpy's own conversion raises."""


def as_data_matrix(data: Any, name: str = "X") -> Array:
    """``data`` (array, memory map, list, DataFrame) as a finite float64 ``(n_samples,
    n_features)`` matrix, without a copy when it is one already. The finiteness check runs in
    row blocks (no temporary of the size of ``data``). A ``dask.array`` is returned as a Dask
    array of float64 row blocks; its values are checked block by block when fitting."""
    if is_dask_array(data):
        from mixtures.distributed import checked_dask_matrix

        return checked_dask_matrix(data, name)
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
    check_finite(array, name)
    return array


def as_sample_weight(sample_weight: Any, n_samples: int) -> Array:
    """Non-negative finite weights of shape ``(n_samples,)`` with a positive sum (default: ones)."""
    if sample_weight is None:
        return np.ones(n_samples)
    if is_dask_array(sample_weight):
        from mixtures.distributed import checked_dask_weights

        return checked_dask_weights(sample_weight, n_samples)
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
