"""The i.i.d. mixture as pure functions of the (N, K) component log-likelihood matrix."""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import float_array
from mixtures._row_tasks import ROWS_PER_RANGE, map_row_ranges

__all__ = ["MixturePosterior", "log_mixture_weights", "mixture_posterior", "mixture_weights"]

Array = NDArray[np.float64]


@attrs.frozen(eq=False)
class MixturePosterior:
    """Posterior over the latent component of each observation.

    ``responsibilities[n, k] = p(z_n = k | x_n)`` and ``log_evidence[n] = log p(x_n)``.
    """

    responsibilities: Array = attrs.field(converter=float_array)
    log_evidence: Array = attrs.field(converter=float_array)


def mixture_posterior(
    log_likelihood: Array,
    log_weights: Array,
    *,
    overwrite: bool = False,
    row_weights: Array | None = None,
) -> MixturePosterior:
    """Softmax of ``log_likelihood + log_weights`` over components, and its log-normaliser.

    ``log_likelihood`` is ``(N, K)``, ``log_weights`` ``(K,)`` (``E_q[log π]`` under VB). With
    ``overwrite`` the input matrix is reused as the responsibilities' storage when it is
    C-ordered. ``row_weights`` ``(N,)``, if given, multiply each row's responsibilities (the
    weighted responsibilities the statistics sum). Rows that are impossible under every
    component get ``log_evidence = −inf`` and uniform responsibilities.
    """
    from mixtures._softmax import normalise_rows, shift_rows
    from mixtures.compilation import compile_notice

    given = np.asarray(log_likelihood, dtype=np.float64)
    joint = np.ascontiguousarray(given) if overwrite else np.array(given, order="C", copy=True)
    n_rows = joint.shape[0]
    weights = np.ones(n_rows) if row_weights is None else np.ascontiguousarray(row_weights, dtype=np.float64)
    shifts = np.ascontiguousarray(log_weights, dtype=np.float64)
    top = np.empty(n_rows)
    log_evidence = np.empty(n_rows)

    def softmax(start: int, stop: int) -> None:
        rows = slice(start, stop)
        shift_rows(joint, start, stop, shifts, top)
        np.exp(joint[rows], out=joint[rows])
        normalise_rows(joint, start, stop, weights, log_evidence, top)  # the sums, first
        np.log(log_evidence[rows], out=log_evidence[rows])
        log_evidence[rows] += top[rows]  # −inf for an impossible row

    with compile_notice(shift_rows), compile_notice(normalise_rows):
        map_row_ranges(softmax, n_rows, ROWS_PER_RANGE)
    return MixturePosterior(joint, log_evidence)


def log_mixture_weights(weights: Array) -> Array:
    """``log π`` with ``log 0 = −inf`` (an emptied component simply drops out)."""
    with np.errstate(divide="ignore"):
        return np.log(weights)


def mixture_weights(counts: Array) -> Array:
    """The M-step for the weights: expected counts normalised to sum to one."""
    return counts / counts.sum()
