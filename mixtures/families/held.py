"""Parts of every component held at their starting values while the rest is learnt.

``Mixture(..., fixed=("means",))`` keeps a Gaussian's means and learns its spread. Freezing a part
is not putting the old value back after a free update (that is not a maximiser and can lower the
objective); it is the update under the constraint. For the exponential families here it takes one
form for all three updates: re-express the statistics as those of points with the same spread
about the held part. Maximum likelihood of the re-expressed data statistics is the constrained
M-step; the conjugate posterior re-expressed the same way (its natural hyperparameters are
pseudo-statistics) gives the constrained MAP mode and the constrained variational posterior.
A family says which parts it can hold through ``ExponentialFamily.held_part``.
"""

from __future__ import annotations

import abc
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.statistics import SufficientStatistics

__all__ = ["HeldMeans", "HeldPart"]

Array = NDArray[np.float64]


class HeldPart(abc.ABC):
    """A part of every component that EM, MAP-EM and VB keep at its start (see the module notes).
    Implementations are frozen values: they travel with the fitting problem."""

    @abc.abstractmethod
    def statistics(
        self, family: Any, statistics: SufficientStatistics, previous: Array
    ) -> SufficientStatistics:
        """Statistics whose maximum-likelihood estimate is the constrained one, the part held at
        its value in ``previous`` (natural parameters ``(K, S)``)."""

    @abc.abstractmethod
    def mode_posterior(self, posterior: Any, previous: Array) -> Any:
        """MAP-EM: the conjugate ``posterior`` constrained to the part held at its value in the
        point estimate ``previous`` (natural parameters ``(K, S)``); its mode is the update."""

    @abc.abstractmethod
    def variational_posterior(self, posterior: Any, previous: Any) -> Any:
        """VB: the conjugate ``posterior`` constrained to the part held as in ``previous``, the
        variational posterior it replaces (a distribution of the same kind)."""

    @abc.abstractmethod
    def n_held(self, family: Any, natural: Array) -> int:
        """How many free parameters the held part takes from ``family``'s count (for BIC)."""


@attrs.frozen
class HeldMeans(HeldPart):
    """A Gaussian's means held, its spread learnt: the statistics re-expressed about the held
    means ``μ₀`` (``Gaussian.about_means``), so that the M-step's covariance is the spread about
    ``μ₀``, ``Σ* = Σ̂ + (μ̂ − μ₀)(μ̂ − μ₀)ᵀ`` (and the diagonal, spherical and tied analogues).
    Under a Normal-Wishart or Normal-Gamma prior the posterior's location is held at ``μ₀`` and
    its scale gains ``β (m − μ₀)(m − μ₀)ᵀ``: the mode is the constrained MAP estimate, and the
    variational posterior keeps ``q(μ | Λ)`` centred on ``μ₀`` with the optimal precision scale
    ``β`` and the optimal ``q(Λ)``, so the ELBO still never decreases."""

    def statistics(
        self, family: Any, statistics: SufficientStatistics, previous: Array
    ) -> SufficientStatistics:
        means = family.standard_means(previous)
        if statistics.reference is not None:  # the sums are about these points
            means = means - statistics.reference.points
        held = family.about_means(statistics.sums, statistics.counts[:, None], means)
        return SufficientStatistics(statistics.counts, held, reference=statistics.reference)

    def mode_posterior(self, posterior: Any, previous: Array) -> Any:
        return posterior.with_location(posterior.family.standard_means(previous))

    def variational_posterior(self, posterior: Any, previous: Any) -> Any:
        return posterior.with_location(np.asarray(previous.centred_mean))

    def n_held(self, family: Any, natural: Array) -> int:
        return int(natural.shape[0] * family.n_features_of_natural(natural))
