"""The i.i.d. mixture as pure functions of the (N, K) component log-likelihood matrix."""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import float_array

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
    log_likelihood: Array, log_weights: Array, *, overwrite: bool = False
) -> MixturePosterior:
    """Softmax of ``log_likelihood + log_weights`` over components, and its log-normaliser.

    ``log_likelihood`` is ``(N, K)``, ``log_weights`` ``(K,)`` (``E_q[log π]`` under VB). With
    ``overwrite`` the input matrix is reused as the responsibilities' storage. Rows that are
    impossible under every component get ``log_evidence = −inf`` and uniform responsibilities.
    """
    joint = log_likelihood if overwrite else log_likelihood.copy()
    joint += log_weights[None, :]
    top = joint.max(axis=1)
    impossible = ~np.isfinite(top)
    if impossible.any():
        joint[impossible] = 0.0
        top[impossible] = 0.0
    joint -= top[:, None]
    np.exp(joint, out=joint)
    total = joint.sum(axis=1)
    joint /= total[:, None]
    log_evidence = np.log(total) + top
    log_evidence[impossible] = -np.inf
    return MixturePosterior(joint, log_evidence)


def log_mixture_weights(weights: Array) -> Array:
    """``log π`` with ``log 0 = −inf`` (an emptied component simply drops out)."""
    with np.errstate(divide="ignore"):
        return np.log(weights)


def mixture_weights(counts: Array) -> Array:
    """The M-step for the weights: expected counts normalised to sum to one."""
    return counts / counts.sum()
