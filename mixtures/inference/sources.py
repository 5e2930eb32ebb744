"""The one place where the kind of the user's rows is chosen.

``rows_of(X)`` checks ``X`` once and returns the ``Rows`` that hold it: ``MemoryRows`` for
anything numpy can hold (arrays, memory maps, lists, DataFrames), ``DaskRows`` for a
``dask.array``. Everything after that asks the ``Rows`` value, never the type of ``X``. The
Dask support (``mixtures.distributed``) is imported here, and only when a Dask array comes,
so that ``import mixtures`` does not import dask.
"""

from __future__ import annotations

from typing import Any

from mixtures._validation import as_data_matrix, is_dask_array
from mixtures.inference.missing import filled
from mixtures.inference.rows import MemoryRows, Rows

__all__ = ["rows_of"]


def rows_of(data: Any, name: str = "X", *, missing: bool = False) -> Rows:
    """``data`` checked as a ``(n_samples, n_features)`` matrix of numbers, as ``Rows``.

    Parameters
    ----------
    data : array-like, memory map, DataFrame or dask.array
        The rows. In memory they are read as a finite float64 matrix (no copy when they are
        one already); a ``dask.array`` is checked for shape and type now, and its values
        (NaN, inf, support) block by block on the workers by ``Rows.check``.
    name : str, default "X"
        What error messages call the data.
    missing : bool, default False
        Whether NaN (and pandas' ``NA``) are missing values (``mixtures.inference.missing``)
        rather than errors. On a ``dask.array`` the mask and the placeholders are made where the
        blocks live.

    Returns
    -------
    Rows
        ``MemoryRows`` or ``mixtures.distributed.DaskRows``.

    Raises
    ------
    ValueError
        Naming the problem: not 2-D, empty, not numbers, NaN or inf (in memory), unknown Dask
        block sizes.
    """
    if is_dask_array(data):
        from mixtures.distributed import DaskRows

        return DaskRows.checked(data, name, missing=missing)
    if missing:
        x, mask = filled(as_data_matrix(data, name, missing=True))
        return MemoryRows(x, name, mask)
    return MemoryRows(as_data_matrix(data, name), name)
