"""Mean-field variational Bayes for a mixture of any family with a conjugate prior.

``q(z) q(π) Π_k q(η_k)``. The E-step is EM's, with ``E_q[η_k]``, ``E_q[A(η_k)]`` and
``E_q[log π_k]`` in place of point values; the update is the conjugate posterior of the summed
statistics. The ELBO of ``q`` (with ``q(z)`` optimal for it) is

    Σ_n w_n log Σ_k exp(L_nk) − Σ_k KL(q(η_k) ‖ p(η_k)) − KL(q(π) ‖ p(π)),

``L_nk = E[log π_k] + log h(x_n) + ⟨T(x_n), E[η_k]⟩ − E[A(η_k)]``; it never decreases.
"""

from __future__ import annotations

import attrs
import numpy as np

from mixtures.inference.data import Data
from mixtures.inference.em import EStep, e_step
from mixtures.inference.loop import Trajectory, iterate
from mixtures.latent.weight_priors import WeightPrior
from mixtures.priors.base import ConjugatePrior

__all__ = ["VariationalPosterior", "elbo_terms", "fit_vb", "posterior_from_statistics"]


@attrs.frozen(eq=False)
class VariationalPosterior:
    """``q(η_k)`` for every component and ``q(π)``."""

    components: ConjugatePrior
    weights: WeightPrior


def posterior_from_statistics(
    prior: ConjugatePrior, weight_prior: WeightPrior, result: EStep
) -> VariationalPosterior:
    """The conjugate update: prior plus summed statistics (and counts for the weights)."""
    return VariationalPosterior(
        prior.update(result.statistics), weight_prior.update(result.statistics.counts)
    )


def elbo_terms(
    data: Data, q: VariationalPosterior, prior: ConjugatePrior, weight_prior: WeightPrior
) -> tuple[EStep, float]:
    """The E-step under ``q`` and the total ELBO."""
    result = e_step(
        data,
        q.components.expected_natural(),
        q.weights.expected_log_weights(),
        q.components.expected_log_partition(),
    )
    elbo = (
        result.log_likelihood
        - q.components.kl_divergence(prior)
        - q.weights.kl_divergence(weight_prior)
    )
    return result, elbo


def fit_vb(
    data: Data,
    prior: ConjugatePrior,
    weight_prior: WeightPrior,
    initial: VariationalPosterior,
    *,
    max_iter: int,
    tol: float,
) -> Trajectory[VariationalPosterior]:
    """Coordinate ascent from ``initial`` until the ELBO changes by less than ``tol``.

    Objectives are per unit of sample weight (the ELBO divided by ``Σ w``).
    """

    def evaluate(q: VariationalPosterior) -> tuple[float, EStep]:
        result, elbo = elbo_terms(data, q, prior, weight_prior)
        if not np.isfinite(elbo):
            raise ValueError("the ELBO is not finite; check the prior hyperparameters")
        return elbo / data.total_weight, result

    def update(result: EStep, q: VariationalPosterior) -> VariationalPosterior:
        return posterior_from_statistics(prior, weight_prior, result)

    return iterate(initial, evaluate, update, max_iter=max_iter, tol=tol)
