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
    "as_float_values",
    "as_sample_weight",
    "check_finite",
    "check_int",
    "check_random_state",
    "check_real",
    "check_weight_values",
    "column_names",
    "columns_in_fit_order",
    "finite_findings",
    "is_dask_array",
    "is_real_number",
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
            raise ValueError(
                f"{name} contains NaN (first at row {self.nan[0]}, column {self.nan[1]}); to treat "
                f"NaN as missing values, marginalised out of the fit, pass missing='marginalize'"
            )
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


def check_no_infinity(x: Array, name: str = "X") -> None:
    """Raise a ``ValueError`` naming the first infinity of ``x`` (NaN allowed: missing values),
    checked in row blocks."""
    for rows in row_blocks(*x.shape):
        infinite = np.isinf(x[rows])
        if infinite.any():
            row, column = np.argwhere(infinite)[0]
            raise ValueError(f"{name} contains inf (first at row {rows.start + row}, column {column})")


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


def as_data_matrix(data: Any, name: str = "X", *, missing: bool = False) -> Array:
    """``data`` (array, memory map, list, DataFrame) as a finite float64 ``(n_samples,
    n_features)`` matrix, without a copy when it is one already. The finiteness check runs in
    row blocks (no temporary of the size of ``data``). With ``missing``, NaN (and pandas'
    ``NA`` in nullable columns) are missing values and stay NaN; infinities are refused either
    way. Data that may live on Dask go through ``mixtures.inference.sources.rows_of`` instead."""
    if hasattr(data, "tocsr") or type(data).__module__.startswith("scipy.sparse"):
        raise TypeError(
            f"{name} is a sparse matrix; sparse input is not supported: pass a dense array "
            f"(e.g. {name}.toarray())"
        )
    labels = None
    if hasattr(data, "to_numpy") and hasattr(data, "columns"):  # pandas DataFrame
        labels = list(data.columns)
        if missing:  # nullable columns' NA become NaN
            data = data.astype("float64", errors="ignore")
        else:
            _check_frame_missing(data, name)
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
                f"{name} must contain numbers; {_first_non_number(array, labels, error)}"
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
    if missing:
        check_no_infinity(array, name)
    else:
        check_finite(array, name)
    return array


def _missing_kind(value: Any) -> str | None:
    """How a missing entry of an object array shows (``pd.NA``, ``None``...), else ``None``."""
    if value is None:
        return "None"
    kind = type(value).__name__
    if kind in ("NAType", "NaTType"):  # pandas' missing markers, named without importing pandas
        return f"pd.{kind[:-4]}"
    if isinstance(value, float) and value != value:
        return "NaN"
    return None


def _check_frame_missing(frame: Any, name: str) -> None:
    """A missing value in a DataFrame column of a nullable (``Int64``, ``Float64``,
    ``boolean``) or object dtype, named with its row and column as NaN is."""
    if not hasattr(frame, "iloc") or not hasattr(frame, "dtypes"):
        return
    for position, dtype in enumerate(frame.dtypes):
        if isinstance(dtype, np.dtype) and dtype.kind != "O":
            continue  # numpy columns hold no pd.NA; their NaN is found by check_finite
        column = frame.iloc[:, position]
        missing = np.asarray(column.isna(), dtype=bool)
        if missing.any():
            row = int(np.argmax(missing))
            shown = _missing_kind(column.iloc[row]) or "NaN"
            raise ValueError(
                f"{name} contains a missing value ({shown}) at row {row}, column {position} "
                f"({frame.columns[position]!r}); missing values are not supported: drop or "
                f"impute them first"
            )


def _first_non_number(array: NDArray[Any], labels: list[Any] | None, error: Exception) -> str:
    """What makes an object array non-numeric: its first missing marker (``pd.NA``, ``None``)
    or non-number, by position (a float NaN converts, and is reported as NaN later)."""
    flat = array.reshape(-1)
    for index, value in enumerate(flat):
        missing = None if isinstance(value, float) else _missing_kind(value)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = None
        if missing is None and number is not None:
            continue
        if array.ndim == 2:
            row, column = divmod(index, array.shape[1])
            label = f" ({labels[column]!r})" if labels is not None else ""
            where = f"row {row}, column {column}{label}"
        else:
            where = f"index {index}"
        if missing is not None:
            return f"it contains a missing value ({missing}) at {where}; drop or impute it first"
        return f"{value!r} at {where} is not a number ({error})"
    return f"got dtype {array.dtype} ({error})"


def as_float_values(value: Any, name: str) -> Array:
    """``value`` (array-like of numbers) as float64, or a ``ValueError`` naming ``name`` and its
    first entry that is not a real number. Strings are refused even when they look numeric:
    nothing is silently coerced."""
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} could not be read as an array: {error}") from None
    kind = array.dtype.kind
    if kind in "USV":
        raise ValueError(f"{name} must contain numbers, not strings or bytes; got dtype {array.dtype}")
    if kind == "c":
        raise ValueError(f"{name} must be real; got complex dtype {array.dtype}")
    if kind == "O":
        try:
            return array.astype(np.float64)
        except (TypeError, ValueError) as error:
            problem = _first_non_number(array, None, error)
            raise ValueError(f"{name} must contain numbers; {problem}") from None
    if kind not in "biuf":
        raise ValueError(f"{name} must contain numbers; got dtype {array.dtype}")
    return np.asarray(array, dtype=np.float64)


def as_sample_weight(sample_weight: Any, n_samples: int, name: str = "sample_weight") -> Array:
    """Non-negative finite weights of shape ``(n_samples,)`` with a positive, finite sum
    (default: ones)."""
    if sample_weight is None:
        return np.ones(n_samples)
    weights = as_float_values(sample_weight, name)
    if weights.ndim == 0:
        weights = np.full(n_samples, float(weights))
    if weights.shape != (n_samples,):
        raise ValueError(
            f"{name} must have shape ({n_samples},) to match X; got {weights.shape}"
        )
    check_weight_values(weights, name)
    return weights


def check_weight_values(weights: Array, name: str) -> None:
    """Finite, non-negative, with a positive sum that does not overflow float64."""
    if not np.all(np.isfinite(weights)):
        index = int(np.argmax(~np.isfinite(weights)))
        raise ValueError(f"{name} contains NaN or inf (first at index {index}: {weights[index]})")
    if np.any(weights < 0):
        index = int(np.argmax(weights < 0))
        raise ValueError(f"{name} must be non-negative; got {weights[index]} at index {index}")
    with np.errstate(over="ignore"):
        total = weights.sum()
    if np.isinf(total):
        raise ValueError(
            f"{name} sums to more than float64 can hold (overflow: largest weight "
            f"{weights.max():.3g}, {weights.shape[0]} weights); rescale the weights, e.g. divide "
            f"them by their largest value"
        )
    if not total > 0:
        raise ValueError(f"{name} must have a positive sum; every weight is zero")


def check_random_state(value: Any, name: str = "random_state") -> np.random.Generator:
    """The numpy ``Generator`` for a ``random_state`` setting: ``None`` (fresh entropy), a
    non-negative integer (numpy integers too), a ``numpy.random.Generator`` (used as is) or a
    ``numpy.random.RandomState`` (its bit generator is shared, as scikit-learn would use it)."""
    if value is None or isinstance(value, np.random.Generator | np.random.RandomState):
        return np.random.default_rng(value)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_):
        if int(value) >= 0:
            return np.random.default_rng(int(value))
    raise ValueError(
        f"{name} must be None, a non-negative integer, a numpy.random.Generator or a "
        f"numpy.random.RandomState; got {value!r}"
    )


def column_names(data: Any, name: str = "X") -> NDArray[np.object_] | None:
    """The column names of a DataFrame ``data`` as strings (``None`` for other data), refusing
    names that repeat: a fitted model finds its features by name."""
    if not hasattr(data, "columns"):
        return None
    names = [str(column) for column in data.columns]
    seen: dict[str, int] = {}
    for position, label in enumerate(names):
        if label in seen:
            raise ValueError(
                f"{name} has two columns named {label!r} (columns {seen[label]} and {position}); "
                f"column names identify the features, so they must be unique"
            )
        seen[label] = position
    return np.asarray(names, dtype=object)


def columns_in_fit_order(data: Any, fitted: NDArray[np.object_] | None, name: str = "X") -> Any:
    """``data`` with its columns in the order of the names seen at fit (``fitted``): a
    DataFrame whose columns are those names in another order is reordered; one with names
    the fit did not see, or without some of them, is refused naming them. Data without column
    names (arrays) are read by position, as is any data when the fit saw no names."""
    names = column_names(data, name)
    if names is None or fitted is None:
        return data
    expected = [str(label) for label in fitted]
    given = list(names)
    unseen = [label for label in given if label not in expected]
    missing = [label for label in expected if label not in given]
    if unseen or missing:
        problems = []
        if unseen:
            problems.append(f"names unseen at fit: {', '.join(map(repr, unseen))}")
        if missing:
            problems.append(f"names seen at fit, now missing: {', '.join(map(repr, missing))}")
        raise ValueError(
            f"{name}'s column names do not match those seen at fit (feature_names_in_ = "
            f"{expected}): {'; '.join(problems)}. Pass a DataFrame with those columns (in any "
            f"order) or an array whose columns are in that order"
        )
    if given == expected:
        return data
    order = [given.index(label) for label in expected]
    if hasattr(data, "iloc"):
        return data.iloc[:, order]
    return as_data_matrix(data, name)[:, order]


def check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_product_dtype(value: Any, name: str = "product_dtype") -> np.dtype[Any]:
    """``value`` as the dtype of the E-step's products: float64 or float32, given as a numpy
    type, dtype or name; anything else raises a ``ValueError`` naming ``name``."""
    try:  # np.dtype(None) is float64, and a dtype compares equal to None: both kept out
        dtype = None if value is None else np.dtype(value)
    except TypeError:
        dtype = None
    if dtype is None or dtype.name not in ("float64", "float32"):
        raise ValueError(
            f"{name} must be float64 or float32 (np.float64, np.float32 or their names); got {value!r}"
        )
    return dtype


def is_real_number(value: Any) -> bool:
    """A finite real number, not a bool (``True`` is an int to Python, never a setting here)."""
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and bool(np.isfinite(float(value)))


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
    array = as_float_values(value, f"{type(instance).__name__}.{attribute.name}")
    if not (np.all(np.isfinite(array)) and np.all(array > 0)):
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be positive; got {value!r}")


def optional_finite(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: ``None`` (a data-derived default) or finite values."""
    name = f"{type(instance).__name__}.{attribute.name}"
    if value is not None and not np.all(np.isfinite(as_float_values(value, name))):
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be finite; got {value!r}")
