"""A family's or a prior's ``for_data`` on Dask rows, unchanged: the rows are handed over as
``LazyRows``, which look like numpy and leave everything but the reductions lazy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import dask.array as da
import numpy as np
from numpy.typing import NDArray

from mixtures.distributed.blocks import aligned_weights

__all__ = ["LazyRows", "configured_on_dask"]

Array = NDArray[np.float64]
V = TypeVar("V")


class LazyRows(np.lib.mixins.NDArrayOperatorsMixin):
    """A Dask array of ``n_rows`` rows that a family's or prior's ``for_data`` can use as if it
    were numpy. Whatever still has an axis of ``n_rows`` (``x − m``, ``x.T``, ``x[:, cols]``)
    stays lazy; anything else (a mean, a covariance, a maximum) is computed on the spot and
    handed back as numpy, so the code after a reduction (``np.linalg.inv``, attrs converters,
    ``float(...)``) runs on small numpy arrays. Only reductions of the data are computed."""

    def __init__(self, array: Any, n_rows: int) -> None:
        self.array = array
        self.n_rows = n_rows

    def _wrap(self, value: Any) -> Any:
        if isinstance(value, da.Array):
            if self.n_rows in value.shape:
                return LazyRows(value, self.n_rows)
            return np.asarray(value.compute())
        if isinstance(value, tuple | list):
            return type(value)(self._wrap(item) for item in value)
        return value

    @classmethod
    def _unwrap(cls, value: Any) -> Any:
        if isinstance(value, LazyRows):
            return value.array
        if isinstance(value, tuple | list):
            return type(value)(cls._unwrap(item) for item in value)
        if isinstance(value, dict):
            return {key: cls._unwrap(item) for key, item in value.items()}
        return value

    def _call(self, function: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        return self._wrap(function(*self._unwrap(args), **self._unwrap(kwargs)))

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return self._call(getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return self._call(func, args, kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Array:
        return np.asarray(self.array.compute(), dtype=dtype)  # the code asked for all the data

    def __getitem__(self, key: Any) -> Any:
        return self._wrap(self.array[self._unwrap(key)])

    def __len__(self) -> int:
        return int(self.array.shape[0])

    def __float__(self) -> float:
        return float(self.array.compute())

    def __int__(self) -> int:
        return int(self.array.compute())

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.array, name)
        if callable(value):
            return lambda *args, **kwargs: self._call(value, args, kwargs)
        return self._wrap(value)


def configured_on_dask(configure: Callable[[Any, Any], V], x: Any, weights: Any) -> V:
    """``configure(x, weights)`` (a family's or prior's ``for_data``) on Dask data, seen as
    ``LazyRows``: its numpy code runs unchanged, Dask computes the reductions of the rows it
    asks for, and the result holds numpy arrays only."""
    rows = x.shape[0]
    return configure(LazyRows(x, rows), LazyRows(aligned_weights(weights, x), rows))
