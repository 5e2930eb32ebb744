"""Gaussian rows with missing entries: the marginal of the observed part and the conditional of
the missing part, for every covariance type.

In standardised coordinates ``z``, with component ``k``'s mean ``μ``, covariance ``Σ`` and
precision ``Λ = Σ⁻¹`` split into observed (``o``) and missing (``m``) blocks:

* ``E[z_m | z_o] = μ_m − Λ_mm⁻¹ Λ_mo (z_o − μ_o)``, ``Cov[z_m | z_o] = Λ_mm⁻¹``
  (equal to ``μ_m + Σ_mo Σ_oo⁻¹ (z_o − μ_o)`` and ``Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om``);
* ``log p(z_o) = log N(z_o | μ_o, Σ_oo)``, where ``Σ_oo⁻¹ = Λ_oo − Λ_om Λ_mm⁻¹ Λ_mo`` (a Schur
  complement) and ``log|Σ_oo| = log|Σ| + log|Λ_mm|``; with ``ẑ`` the row completed by its
  conditional mean, the quadratic form is ``(ẑ − μ)ᵀ Λ (ẑ − μ)`` (and minus
  ``Σ_{d∈o} log scale_d`` in the data's units);
* so ``E[z] = ẑ`` (observed entries as they are) and ``E[z zᵀ] = ẑ ẑᵀ + C`` with ``C = Λ_mm⁻¹`` in
  its ``m × m`` block, which every Gaussian family reads in its own layout of ``z zᵀ``
  (``second_statistics``: packed, its diagonal, or its trace).

Working from the precision, a pattern of missing entries costs one factorisation of the small
``m × m`` block ``Λ_mm`` (a few entries at most when a few values are missing), not of ``Σ_oo``.
The patterns with the same number of missing entries are factorised together, for all components
at once, and the rows are completed by products over all rows: no loop over rows, patterns or
components, however many patterns the rows hold.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.completion import Completion

__all__ = ["GaussianCompletion", "ObservedPart", "PatternGroup", "missing_patterns"]

Array = NDArray[np.float64]
LOG_2PI = float(np.log(2 * np.pi))


def missing_patterns(missing: NDArray[np.bool_]) -> tuple[NDArray[np.bool_], NDArray[np.intp]]:
    """The distinct rows of ``missing`` ``(P, D)`` and each row's pattern ``(n,)``. Rows are
    packed into integers first: sorting ``n`` integers is far faster than sorting rows."""
    packed = np.packbits(missing, axis=1)
    if packed.shape[1] <= 8:
        codes = np.zeros((packed.shape[0], 8), dtype=np.uint8)
        codes[:, : packed.shape[1]] = packed
        _, first, inverse = np.unique(codes.view(np.uint64)[:, 0], return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    return missing[first], inverse.reshape(-1)


@attrs.frozen(eq=False)
class PatternGroup:
    """Incomplete rows with the same number ``c`` of missing entries: each row's pattern
    ``(n_c,)`` among the group's ``P_c`` patterns, the rows' positions ``(n_c,)``, where each
    pattern's ``c × c`` conditional covariance lands in a flattened ``D × D`` matrix
    ``(P_c, c, c)``, and those covariances ``(P_c, K, c, c)``."""

    rows: NDArray[np.intp]
    pattern: NDArray[np.intp]
    targets: NDArray[np.intp]
    covariances: Array

    def spread(self, weighted_responsibilities: Array, n_features: int) -> Array:
        """``Σ_n r̃_nk C_nk`` over the group's rows: ``(K, D, D)``."""
        n_patterns, n_components = self.covariances.shape[:2]
        pattern_weights = np.zeros((n_patterns, n_components))
        np.add.at(pattern_weights, self.pattern, weighted_responsibilities[self.rows])
        values = pattern_weights[:, :, None, None] * self.covariances
        targets = np.broadcast_to(self.targets[:, None], values.shape)
        spread = np.zeros((n_components, n_features**2))
        for k in range(n_components):
            spread[k] = np.bincount(
                targets[:, k].ravel(), weights=values[:, k].ravel(), minlength=n_features**2
            )
        return spread.reshape(n_components, n_features, n_features)


@attrs.frozen(eq=False)
class ObservedPart:
    """Rows ``z`` ``(m, D)`` with missing entries under ``K`` Gaussians given by their means and
    precisions: per row and component the quadratic form ``(z_o − μ_o)ᵀ Σ_oo⁻¹ (z_o − μ_o)`` and
    ``log|Σ_oo|`` ``(m, K)`` of the observed entries' marginal, the rows completed by their
    conditional means ``ẑ`` ``(m, K, D)``, and the conditional covariances by pattern."""

    quadratic: Array
    log_det: Array
    completed: Array
    groups: tuple[PatternGroup, ...]

    @classmethod
    def of(
        cls, z: Array, missing: NDArray[np.bool_], means: Array, precisions: Array,
        log_det_precision: Array,
    ) -> ObservedPart:
        """From ``means`` ``(K, D)``, ``precisions`` ``(K, D, D)`` and their ``log|Λ|`` ``(K,)``."""
        n_rows, n_features = z.shape
        n_components = means.shape[0]
        # δ_k = z_o − μ_k,o (zero where missing) and Λ_k δ_k, for all components in one product
        # with the precisions side by side; Λ_k δ_k holds Λ_mo δ_o in the missing entries
        present = (~missing).astype(np.float64)
        observed_z = np.where(missing, 0.0, z)
        side_by_side = np.swapaxes(precisions, 0, 1).reshape(n_features, -1)
        scaled = np.swapaxes(means[:, :, None] * precisions, 0, 1).reshape(n_features, -1)
        pulled = np.concatenate([observed_z, present], 1) @ np.concatenate([side_by_side, -scaled])
        pulled = pulled.reshape(n_rows, n_components, n_features)
        completed = np.where(missing[:, None, :], means, observed_z[:, None, :])  # μ_m, shifted below
        quadratic = np.einsum("nkd,nkd->nk", completed - means, pulled)
        log_det = np.broadcast_to(-log_det_precision, quadratic.shape).copy()  # log|Σ_oo| below
        shapes, pattern = missing_patterns(missing)
        counts = shapes.sum(1)
        local = np.empty(shapes.shape[0], dtype=np.intp)
        groups = []
        for count in np.unique(counts[counts > 0]):  # at most D groups
            members = np.flatnonzero(counts == count)
            where = np.nonzero(shapes[members])[1].reshape(members.size, count)  # (P_c, c)
            block = np.swapaxes(precisions[:, where[:, :, None], where[:, None, :]], 0, 1)  # Λ_mm
            factor = np.linalg.cholesky(block)  # (P_c, K, c, c)
            inverse_factor = np.linalg.inv(factor)
            covariances = np.matmul(np.swapaxes(inverse_factor, -1, -2), inverse_factor)  # Λ_mm⁻¹
            log_det_block = 2.0 * np.log(np.diagonal(factor, axis1=-2, axis2=-1)).sum(-1)
            local[members] = np.arange(members.size)
            rows = np.flatnonzero(counts[pattern] == count)
            row_pattern = local[pattern[rows]]
            # flat positions of the rows' missing entries in (m, K, D) arrays: (n_c, K, c)
            entries = (
                (rows * (n_components * n_features))[:, None, None]
                + (np.arange(n_components) * n_features)[None, :, None]
                + where[row_pattern][:, None, :]
            )
            towards = pulled.ravel()[entries]  # Λ_mo δ_o
            shift = -np.einsum("nkij,nkj->nki", covariances[row_pattern], towards)
            quadratic[rows] += np.einsum("nki,nki->nk", towards, shift)
            completed.ravel()[entries] += shift
            log_det[rows] += log_det_block[row_pattern]
            targets = where[:, :, None] * n_features + where[:, None, :]
            groups.append(PatternGroup(rows, row_pattern, targets, covariances))
        return cls(quadratic, log_det, completed, tuple(groups))


@attrs.frozen(eq=False)
class GaussianCompletion(Completion):
    """``family``'s completion of rows under its parameters: ``completed`` ``(m, K, D)`` holds
    ``ẑ`` per component; ``groups`` the conditional covariances of the rows' patterns."""

    family: Any
    marginal: Array
    completed: Array
    groups: tuple[PatternGroup, ...]

    @classmethod
    def of(cls, family: Any, x: Array, missing: NDArray[np.bool_], natural: Array) -> GaussianCompletion:
        n_features = x.shape[1]
        unit = np.eye(n_features)
        precisions = np.stack([family.precision_times(natural, unit[d]) for d in range(n_features)], 2)
        _, log_det_precision = family.location_and_log_det(natural)
        part = ObservedPart.of(
            family.standardised(x), missing, family.standard_means(natural), precisions,
            log_det_precision,
        )
        present = (~missing).astype(np.float64)
        log_scale = np.log(family.scale_for(n_features))
        marginal = -0.5 * (part.quadratic + part.log_det + (present.sum(1) * LOG_2PI)[:, None])
        marginal -= (present @ log_scale)[:, None]
        marginal[~present.any(1)] = 0.0  # nothing observed: likelihood 1
        return cls(family, marginal, part.completed, part.groups)

    @property
    def log_likelihood(self) -> Array:
        return self.marginal

    def statistics(self, weighted_responsibilities: Array) -> Array:
        weighted = weighted_responsibilities[:, :, None] * self.completed
        first = weighted.sum(0)
        n_components, n_features = first.shape
        second = np.stack([self.completed[:, k].T @ weighted[:, k] for k in range(n_components)])
        for group in self.groups:
            second += group.spread(weighted_responsibilities, n_features)
        return np.concatenate([first, self.family.second_statistics(second)], axis=1)

    def conditional_means(self) -> Array:
        return self.family.data_location(self.completed)
