"""The multivariate Student-t log-density, which the Gaussian priors' posterior predictives are.

A ``p``-dimensional Student-t with ``ν`` degrees of freedom, location ``μ`` and shape ``Σ`` has

    log t(z) = ln Γ((ν+p)/2) − ln Γ(ν/2) − (p/2) ln(νπ) − ½ ln|Σ| − ((ν+p)/2) ln(1 + q/ν),

with ``q = (z − μ)ᵀ Σ⁻¹ (z − μ)``. Its marginal over a subset of the coordinates is a Student-t
with the same ``ν`` and the sub-blocks of ``μ`` and ``Σ``: so the predictive density of the
observed entries of a row is this formula with ``p`` the number observed and ``q``, ``|Σ|``
those of the observed block (with nothing observed, ``p = 0``: the density is 1).
"""

from __future__ import annotations

import numpy as np
import scipy  # scipy.special loads at first use, not with mixtures
from numpy.typing import NDArray

__all__ = ["log_student_t"]

Array = NDArray[np.float64]


def log_student_t(quadratic: Array, log_det: Array, dimension: Array, dof: Array) -> Array:
    """``log t`` from the quadratic form ``q``, ``ln|Σ|``, the dimension ``p`` and ``ν``
    (arrays that broadcast together)."""
    half = 0.5 * (dof + dimension)
    return (
        scipy.special.gammaln(half)
        - scipy.special.gammaln(0.5 * dof)
        - 0.5 * dimension * np.log(dof * np.pi)
        - 0.5 * log_det
        - half * np.log1p(quadratic / dof)
    )
