"""Partial labels: the label of some rows observed, exactly or as prior probabilities.

A fit given labels (``fit(X, labels=...)``) is semi-supervised. The labels are either

* hard labels, ``(N,)`` integers: the component (mixture) or state (HMM) of each row, ``−1``
  where it is unknown; or
* soft labels, ``(N, K)`` prior probabilities of each row's label (a row of ``1/K`` says nothing).

A row's labels enter its likelihood as a factor ``q_n(z)`` beside the emission density: the
E-step adds ``log q_n(k)`` to the row's emission log-likelihoods, so a known label clamps the row's
responsibilities (every other label gets probability 0) and soft labels multiply them. The
objective is then the log-likelihood of the data *and* the labels, ``Σ_n log Σ_k π_k q_n(k)
p(x_n | k)`` for a mixture (``log π_y p(x_n | y)`` for a labelled row), and EM and VB stay
monotone in it. Labels travel with the rows, chunk by chunk (``Chunk.labels``), so the same holds
for chunked, online and Dask fits and for every latent structure.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["UNKNOWN", "checked_labels", "covers", "label_log_prior", "label_shares"]

Array = NDArray[np.float64]
#: The hard label of a row whose label is not known.
UNKNOWN = -1
#: Soft labels must sum to one within this tolerance in every row.
SUM_TOLERANCE = 1e-6


def checked_labels(
    labels: Any, n_samples: int, n_labels: int, unit: str = "component"
) -> NDArray[Any] | None:
    """``labels`` (partial labels) of ``n_samples`` rows over ``n_labels`` labels: ``None`` (no
    labels), an ``(N,)`` integer array (``−1``: unknown) or an ``(N, K)`` float array of
    probabilities. A ``ValueError`` names ``labels``, the problem and the first offending row."""
    if labels is None:
        return None
    try:
        values = np.asarray(labels)
    except (TypeError, ValueError) as error:
        raise ValueError(f"labels could not be read as an array: {error}") from None
    if values.ndim == 1:
        return _hard(values, n_samples, n_labels, unit)
    if values.ndim == 2:
        return _soft(values, n_samples, n_labels, unit)
    raise ValueError(
        f"labels must be ({n_samples},) {unit} indices with -1 for unknown, or "
        f"({n_samples}, {n_labels}) probabilities; got shape {values.shape}"
    )


def _hard(values: NDArray[Any], n_samples: int, n_labels: int, unit: str) -> NDArray[np.intp]:
    if values.shape != (n_samples,):
        raise ValueError(
            f"labels must have one entry per row, ({n_samples},); got {values.shape}"
        )
    if values.dtype.kind == "f":
        whole = np.isfinite(values) & (values == np.round(values))
        if not whole.all():
            row = int(np.argmin(whole))
            raise ValueError(f"labels must hold whole numbers; row {row} is {values[row]}")
    elif values.dtype.kind not in "iub":
        raise ValueError(f"labels must hold {unit} indices; got dtype {values.dtype}")
    bad = (values < UNKNOWN) | (values >= n_labels)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"labels holds {unit} indices from 0 to {n_labels - 1}, or -1 for unknown; "
            f"row {row} is {values[row]}"
        )
    return values.astype(np.intp)


def _soft(values: NDArray[Any], n_samples: int, n_labels: int, unit: str) -> Array:
    if values.shape != (n_samples, n_labels):
        raise ValueError(
            f"soft labels must be ({n_samples}, {n_labels}): one probability per row and {unit}; "
            f"got {values.shape}"
        )
    if values.dtype.kind not in "iuf":
        raise ValueError(f"soft labels must be numbers; got dtype {values.dtype}")
    probabilities = values.astype(np.float64)
    bad = ~np.isfinite(probabilities).all(1) | (probabilities < 0).any(1)
    bad |= np.abs(probabilities.sum(1) - 1.0) > SUM_TOLERANCE
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"soft labels must be finite, non-negative and sum to 1 in every row; row {row} is "
            f"{probabilities[row]}"
        )
    return probabilities


def label_log_prior(labels: NDArray[Any], n_labels: int) -> Array:
    """``log q_n(k)`` ``(n, K)`` of some rows' labels (as ``checked_labels`` gives them): 0 and
    ``−inf`` for a known label, 0 everywhere for an unknown one, the logs of soft labels."""
    if labels.ndim == 2:
        with np.errstate(divide="ignore"):
            return np.log(labels)
    out = np.zeros((labels.shape[0], n_labels))
    known = np.flatnonzero(labels >= 0)
    out[known] = -np.inf
    out[known, labels[known]] = 0.0
    return out


def covers(labels: NDArray[Any] | None, n_labels: int) -> bool:
    """Whether hard labels know each of the ``n_labels`` labels for at least one row (then they
    can seed a start). Soft labels never do: they may say little or nothing."""
    if labels is None or labels.ndim == 2:
        return False
    return bool(np.all(np.bincount(labels[labels >= 0], minlength=n_labels)[:n_labels] > 0))



def label_shares(labels: NDArray[Any], n_labels: int) -> Array:
    """Each row's share in each label ``(n, K)``: one for a known label, soft labels as they are,
    and zeros for a row whose label is unknown (it says nothing)."""
    if labels.ndim == 2:
        return np.asarray(labels, dtype=np.float64)
    out = np.zeros((labels.shape[0], n_labels))
    known = np.flatnonzero(labels >= 0)
    out[known, labels[known]] = 1.0
    return out
