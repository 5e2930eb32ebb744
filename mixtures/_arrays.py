"""Small array helpers shared by every folder."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def float_array(value: Any) -> NDArray[np.float64]:
    """A float64 ndarray view or copy of ``value`` (converter for attrs fields)."""
    return np.asarray(value, dtype=np.float64)


def log_sum_exp_rows(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log Σ_k exp(values[n, k])`` per row, stable, -inf for rows that are all -inf."""
    top = values.max(axis=1)
    finite_top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(values - finite_top[:, None]).sum(axis=1)) + finite_top
