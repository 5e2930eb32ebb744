"""Numerical inversion of ``∇A(η) = μ``, the default ``ExponentialFamily.mean_to_natural``.

A damped Newton method on the convex ``A(η) − ⟨μ, η⟩``, all rows at once, for families without a
closed-form inverse. It reads the family only through its primitives (``log_partition``,
``natural_to_mean``, ``initial_natural``, ``fisher_information``), so it lives apart from the
interface that calls it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["InvertibleFamily", "finite_difference_hessian", "newton_mean_to_natural"]

Array = NDArray[np.float64]


class InvertibleFamily(Protocol):
    """What the solver reads of a family (an ``ExponentialFamily`` has all of it)."""

    @property
    def name(self) -> str: ...

    def log_partition(self, natural: Array) -> Array: ...

    def natural_to_mean(self, natural: Array) -> Array: ...

    def initial_natural(self, mean: Array) -> Array: ...

    def fisher_information(self, natural: Array) -> Array: ...

#: Newton's method for ``mean_to_natural``: iteration cap, step tolerance (relative to
#: ``1 + |η|``), line-search halvings, eigenvalues of the scaled Hessian treated as zero, and
#: the largest ``|∇A(η) − μ|`` (in standard deviations of ``T``) accepted at convergence.
_MAX_ITER = 100
_STEP_TOL = 1e-10
_MAX_HALVINGS = 60
_RCOND = 1e-9
_RESIDUAL_TOL = 1e-6


def finite_difference_hessian(family: InvertibleFamily, natural: Array) -> Array:
    """``∇²A(η)`` by central differences of ``natural_to_mean``, one coordinate at a time for
    all rows.

    Where a step leaves the natural domain (``A`` or the mean not finite), that row's step is
    shrunk.

    Parameters
    ----------
    family
        The family whose ``natural_to_mean`` and ``log_partition`` are differenced.
    natural
        Natural parameters, shape ``(K, S)``.

    Returns
    -------
    ndarray
        The symmetrised Hessians, shape ``(K, S, S)``.
    """
    n_rows, n_statistics = natural.shape
    hessian = np.empty((n_rows, n_statistics, n_statistics))
    base_step = 6e-6 * np.maximum(np.abs(natural), 1.0)
    with np.errstate(all="ignore"):
        for s in range(n_statistics):
            step = base_step[:, s].copy()
            rows = np.arange(n_rows)
            for _ in range(4):
                shift = np.zeros((rows.size, n_statistics))
                shift[:, s] = step[rows]
                upper, lower = natural[rows] + shift, natural[rows] - shift
                difference = family.natural_to_mean(upper) - family.natural_to_mean(lower)
                hessian[rows, :, s] = difference / (2.0 * step[rows, None])
                outside = family.log_partition(upper) + family.log_partition(lower)
                bad = ~(np.isfinite(outside) & np.all(np.isfinite(hessian[rows, :, s]), axis=1))
                if not bad.any():
                    break
                rows = rows[bad]
                step[rows] *= 1e-3
    return 0.5 * (hessian + hessian.transpose(0, 2, 1))


def _newton_direction(hessian: Array, gradient: Array) -> tuple[Array, Array]:
    """``−H⁺ g`` for each row, with ``H`` scaled to unit diagonal first (so that statistics of
    very different scales converge alike) and near-null directions (an over-complete family)
    dropped; and the largest gradient entry in units of the standard deviation of ``T``."""
    diagonal = np.einsum("kss->ks", hessian)
    scale = 1.0 / np.sqrt(np.where(diagonal > 0, diagonal, 1.0))
    scaled = hessian * scale[:, :, None] * scale[:, None, :]
    values, vectors = np.linalg.eigh(scaled)
    keep = values > _RCOND * np.max(np.abs(values), axis=1, keepdims=True)
    inverse_values = np.where(keep, 1.0 / np.where(keep, values, 1.0), 0.0)
    projected = np.einsum("kst,ks->kt", vectors, scale * gradient) * inverse_values
    direction = -scale * np.einsum("kst,kt->ks", vectors, projected)
    return direction, np.max(scale * np.abs(gradient), axis=1)


def _objective(family: InvertibleFamily, natural: Array, mean: Array) -> tuple[Array, Array]:
    """``A(η) − ⟨μ, η⟩`` and a rounding allowance for comparing two values of it."""
    log_partition = family.log_partition(natural)
    inner = np.einsum("ks,ks->k", mean, natural)
    allowance = 64 * np.finfo(np.float64).eps * (1.0 + np.abs(log_partition) + np.abs(inner))
    return log_partition - inner, allowance


def _newton_failure(
    family: InvertibleFamily, mean: Array, rows: NDArray[np.intp], why: str, hint: str | None = None
) -> ValueError:
    row = int(rows[0])
    if hint is None:
        hint = (
            f"mean parameters {mean[row].tolist()} (row {row}) may lie outside the interior of "
            f"the mean space: keep them inside (regularize_mean), give a better start "
            f"(initial_natural) or implement mean_to_natural in closed form"
        )
    return ValueError(
        f"{family.name}.mean_to_natural: Newton's method could not solve ∇A(η) = μ for "
        f"row(s) {rows.tolist()} ({why}); {hint}"
    )


def newton_mean_to_natural(family: InvertibleFamily, mean: Array) -> Array:
    """Solve ``∇A(η) = μ`` for each row of ``mean`` by damped Newton.

    Newton steps on the convex ``A(η) − ⟨μ, η⟩`` with the Hessian ``family.fisher_information``
    scaled to unit diagonal, and a backtracking (Armijo) line search, from
    ``family.initial_natural(mean)``.

    Parameters
    ----------
    family
        A family whose ``log_partition`` is infinite or NaN outside the natural domain.
    mean
        Mean parameters, shape ``(K, S)``.

    Returns
    -------
    ndarray
        Natural parameters, shape ``(K, S)``.

    Raises
    ------
    ValueError
        When a row of ``mean`` is not finite or the method does not converge (a mean outside
        the interior of the mean space), naming the rows and a remedy.
    """
    if mean.ndim != 2:
        raise ValueError(
            f"{family.name}.mean_to_natural needs mean parameters of shape (K, S); got {mean.shape}"
        )
    not_finite = ~np.all(np.isfinite(mean), axis=1)
    if not_finite.any():
        raise _newton_failure(family, mean, np.flatnonzero(not_finite), "NaN or inf in the mean")
    natural = np.array(family.initial_natural(mean), dtype=np.float64, copy=True)
    with np.errstate(all="ignore"):
        current = family.natural_to_mean(natural)
        value, _ = _objective(family, natural, mean)
    bad_start = ~(np.isfinite(value) & np.all(np.isfinite(current), axis=1))
    if bad_start.any():
        why, hint = "A(η) is not finite at the start", "override initial_natural(mean)"
        raise _newton_failure(family, mean, np.flatnonzero(bad_start), why, hint)
    active = np.ones(mean.shape[0], dtype=bool)
    for _ in range(_MAX_ITER):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            return natural
        gradient = current[rows] - mean[rows]
        hessian = family.fisher_information(natural[rows])
        broken = ~np.all(np.isfinite(hessian), axis=(1, 2))
        if broken.any():
            raise _newton_failure(family, mean, rows[broken], "the Hessian of A(η) is not finite")
        direction, residual = _newton_direction(hessian, gradient)
        slope = np.einsum("ks,ks->k", gradient, direction)
        # done when the step is negligible or ∇A(η) = μ to rounding (μ is known no better) ...
        rounding = 4 * np.finfo(np.float64).eps * (np.abs(mean[rows]) + np.abs(current[rows]))
        exact = np.all(np.abs(gradient) <= rounding, axis=1)
        small = exact | np.all(np.abs(direction) <= _STEP_TOL * (1.0 + np.abs(natural[rows])), axis=1)
        # ... but not where Cov[T] is singular (the boundary) or no step is left while ∇A(η) ≠ μ
        singular = small & ~np.all(np.einsum("kss->ks", hessian) > 0, axis=1)
        if singular.any():
            raise _newton_failure(family, mean, rows[singular], "Cov[T(x)] is singular there")
        stuck = small & ~exact & (residual > _RESIDUAL_TOL)
        if stuck.any():
            raise _newton_failure(family, mean, rows[stuck], "the Newton step vanishes while ∇A(η) ≠ μ")
        # backtracking (Armijo) line search, all pending rows together
        step = np.ones(rows.size)
        pending = np.ones(rows.size, dtype=bool)
        for _ in range(_MAX_HALVINGS):
            p = np.flatnonzero(pending)
            trial = natural[rows[p]] + step[p, None] * direction[p]
            with np.errstate(all="ignore"):
                trial_value, allowance = _objective(family, trial, mean[rows[p]])
                trial_mean = family.natural_to_mean(trial)
            accept = (
                np.isfinite(trial_value)
                & np.all(np.isfinite(trial_mean), axis=1)
                & (trial_value <= value[rows[p]] + 1e-4 * step[p] * slope[p] + allowance)
            )
            done = rows[p[accept]]
            natural[done], current[done], value[done] = trial[accept], trial_mean[accept], trial_value[accept]
            pending[p[accept]] = False
            if not pending.any():
                break
            step[p[~accept]] *= 0.5
        stalled = pending & ~small
        if stalled.any():
            raise _newton_failure(family, mean, rows[stalled], "no step decreases A(η) − ⟨μ, η⟩")
        active[rows[small]] = False
    if active.any():
        raise _newton_failure(
            family, mean, np.flatnonzero(active), f"no convergence in {_MAX_ITER} iterations"
        )
    return natural
