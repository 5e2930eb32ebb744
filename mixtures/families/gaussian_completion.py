"""Gaussian rows with missing entries: the marginal of the observed part and the conditional of
the missing part, for every covariance type.

In standardised coordinates ``z``, with component ``k``'s mean ``μ`` and covariance ``Σ`` split
into observed (``o``) and missing (``m``) blocks:

* ``log p(z_o) = log N(z_o | μ_o, Σ_oo)`` (and minus ``Σ_{d∈o} log scale_d`` in the data's units);
* ``E[z_m | z_o] = μ_m + Σ_mo Σ_oo⁻¹ (z_o − μ_o)``, ``Cov[z_m | z_o] = Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om``;
* so ``E[z] = ẑ`` (observed entries as they are) and ``E[z zᵀ] = ẑ ẑᵀ + C`` with ``C`` the
  conditional covariance in its ``m × m`` block, which every Gaussian family reads in its own
  layout of ``z zᵀ`` (``second_statistics``: packed, its diagonal, or its trace).

Rows are grouped by their pattern of missing entries, and each pattern is one Cholesky factor and
a few matrix products per component: no loop over rows.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from mixtures.families.completion import Completion

__all__ = ["GaussianCompletion"]

Array = NDArray[np.float64]
LOG_2PI = float(np.log(2 * np.pi))


@attrs.frozen(eq=False)
class GaussianCompletion(Completion):
    """``family``'s completion of rows under its parameters: ``completed`` ``(m, K, D)`` holds
    ``ẑ`` per component; ``patterns`` the rows of each missing-value pattern with ``C`` ``(K, D,
    D)`` of that pattern."""

    family: Any
    marginal: Array
    completed: Array
    patterns: tuple[tuple[NDArray[np.intp], Array], ...]

    @classmethod
    def of(cls, family: Any, x: Array, missing: NDArray[np.bool_], natural: Array) -> GaussianCompletion:
        z = family.standardised(x)
        n_rows, n_features = z.shape
        means = family.standard_means(natural)
        covariances = family.standard_covariances(natural)
        log_scale = np.log(family.scale_for(n_features))
        n_components = means.shape[0]
        marginal = np.zeros((n_rows, n_components))
        completed = np.empty((n_rows, n_components, n_features))
        shapes, inverse = np.unique(missing, axis=0, return_inverse=True)
        patterns = []
        for index, absent in enumerate(shapes):  # loop over patterns and components, never rows
            rows = np.flatnonzero(inverse.reshape(-1) == index)
            present = ~absent
            observed = z[np.ix_(rows, present)]
            spread = np.zeros((n_components, n_features, n_features))
            for k in range(n_components):
                covariance = covariances[k]
                conditional_mean = np.broadcast_to(means[k, absent], (rows.size, int(absent.sum())))
                conditional_covariance = covariance[np.ix_(absent, absent)]
                if present.any():
                    factor = scipy.linalg.cho_factor(covariance[np.ix_(present, present)], lower=True)
                    offsets = observed - means[k, present]
                    whitened = scipy.linalg.solve_triangular(factor[0], offsets.T, lower=True)
                    log_det = 2.0 * np.log(np.diag(factor[0])).sum()
                    marginal[rows, k] = -0.5 * (
                        np.einsum("dn,dn->n", whitened, whitened) + log_det + present.sum() * LOG_2PI
                    ) - log_scale[present].sum()
                    if absent.any():
                        cross = covariance[np.ix_(present, absent)]
                        gain = scipy.linalg.cho_solve(factor, cross).T  # Σ_mo Σ_oo⁻¹
                        conditional_mean = means[k, absent] + offsets @ gain.T
                        conditional_covariance = conditional_covariance - gain @ cross
                completed[rows[:, None], k, np.flatnonzero(present)] = observed
                completed[rows[:, None], k, np.flatnonzero(absent)] = conditional_mean
                spread[k][np.ix_(absent, absent)] = conditional_covariance
            patterns.append((rows, spread))
        return cls(family, marginal, completed, tuple(patterns))

    @property
    def log_likelihood(self) -> Array:
        return self.marginal

    def statistics(self, weighted_responsibilities: Array) -> Array:
        r = weighted_responsibilities
        first = np.einsum("nk,nkd->kd", r, self.completed)
        second = np.einsum("nk,nki,nkj->kij", r, self.completed, self.completed)
        for rows, spread in self.patterns:
            second += r[rows].sum(0)[:, None, None] * spread
        return np.concatenate([first, self.family.second_statistics(second)], axis=1)

    def conditional_means(self) -> Array:
        return self.family.data_location(self.completed)
