"""Checks of a ``dask.array`` and its weights: shape and type at once, values where the blocks
live, with messages naming global rows as the in-memory checks do."""

from __future__ import annotations

from typing import Any

import dask
import dask.array as da
import numpy as np
from numpy.typing import NDArray

from mixtures._validation import RowFindings, finite_findings
from mixtures.distributed.blocks import row_blocks_of, tree_sum
from mixtures.families.base import ExponentialFamily
from mixtures.inference.rows import support_findings

__all__ = ["check_dask_rows", "checked_dask_matrix", "checked_dask_weights"]

Array = NDArray[np.float64]


def checked_dask_matrix(data: Any, name: str = "X") -> Any:
    """A ``dask.array`` as float64 ``(n_samples, n_features)`` blocks of whole rows. Shape and
    type are checked now; NaN, inf and the support are checked block by block on the workers
    (``check_dask_rows``)."""
    if data.ndim != 2:
        hint = " (use X.reshape(-1, 1) for a single feature)" if data.ndim == 1 else ""
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features); got {data.ndim}-D "
            f"array of shape {data.shape}{hint}"
        )
    if any(np.isnan(size) for size in data.shape):
        raise ValueError(
            f"{name} is a Dask array with unknown block sizes (shape {data.shape}): compute them "
            f"first, e.g. dataframe.to_dask_array(lengths=True) or X.compute_chunk_sizes()"
        )
    kind = data.dtype.kind
    if kind in "USV":
        raise ValueError(f"{name} must contain numbers, not strings or bytes; got dtype {data.dtype}")
    if kind == "c":
        raise ValueError(f"{name} must be real; got complex dtype {data.dtype}")
    if kind not in "biuf":
        raise ValueError(f"{name} must contain numbers; got dtype {data.dtype}")
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {data.shape}")
    x = data.astype(np.float64)
    if len(x.chunks[1]) > 1:  # each block must hold whole rows
        x = x.rechunk({1: -1})
    return x


def checked_dask_weights(weights: Any, n_samples: int, name: str = "sample_weight") -> Any:
    """Weights given as a ``dask.array``: shape checked now, values (finite, non-negative,
    positive sum that float64 holds) in one computation."""
    if weights.shape != (n_samples,):
        raise ValueError(f"{name} must have shape ({n_samples},) to match X; got {weights.shape}")
    if weights.dtype.kind not in "biuf":
        raise ValueError(f"{name} must contain real numbers; got dtype {weights.dtype}")
    weights = weights.astype(np.float64)
    with np.errstate(over="ignore"):  # an overflowing total is reported below
        finite, negative, total = dask.compute(
            da.isfinite(weights).all(), (weights < 0).any(), weights.sum()
        )
    if not finite:
        raise ValueError(f"{name} contains NaN or inf")
    if negative:
        raise ValueError(f"{name} must be non-negative")
    if np.isinf(total):
        raise ValueError(
            f"{name} sums to more than float64 can hold (overflow); rescale the weights, "
            f"e.g. divide them by their largest value"
        )
    if not total > 0:
        raise ValueError(f"{name} must have a positive sum")
    return weights


def _block_findings(
    family: ExponentialFamily, block: Array, missing: NDArray[np.bool_] | None, first_row: int,
    name: str,
) -> RowFindings:
    x = np.asarray(block, dtype=np.float64)
    # missing entries hold placeholders: only the observed ones can be NaN or inf
    findings = finite_findings(x if missing is None else np.where(missing, 0.0, x), first_row)
    if findings.nan is not None or findings.inf is not None:
        return findings
    return support_findings(family, x, first_row, name)


def check_dask_rows(family: ExponentialFamily, x: Any, name: str = "X", missing: Any = None) -> None:
    """NaN, inf and ``family.validate`` on every block, where the blocks live; the first
    problem (by global row) is raised as a ``ValueError`` naming its row. With ``missing``, the
    lazy mask of missing entries (``x`` holds placeholders there), only observed entries are
    checked for NaN and inf."""
    starts = np.concatenate([[0], np.cumsum(x.chunks[0])])
    blocks = row_blocks_of(x, x.chunks[0])
    masks = [None] * len(blocks) if missing is None else row_blocks_of(missing, x.chunks[0])
    parts = [
        dask.delayed(_block_findings, pure=False)(family, block, mask, int(start), name)
        for block, mask, start, size in zip(blocks, masks, starts, x.chunks[0], strict=False)
        if size > 0
    ]
    findings: RowFindings = tree_sum(parts).compute()
    findings.raise_first(name)
