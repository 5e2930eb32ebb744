"""Conjugate priors for variational Bayes and MAP-EM: over the components' parameters, and
(``weights``) over the latent side's distributions on the labels.

Each prior module declares its prior the default of the family it is over
(``ExponentialFamily.declare_default_prior``); ``default_prior(family)`` asks the family.
"""

from __future__ import annotations

from mixtures.priors.base import ConjugatePrior, default_prior
from mixtures.priors.independent import IndependentPrior
from mixtures.priors.normal_gamma import NormalGamma, SphericalNormalGamma
from mixtures.priors.normal_wishart import NormalWishart, TiedNormalWishart
from mixtures.priors.single import Beta, Dirichlet, Gamma
from mixtures.priors.weights import DirichletWeights, StickBreaking, WeightPrior

__all__ = [
    "Beta",
    "ConjugatePrior",
    "Dirichlet",
    "DirichletWeights",
    "Gamma",
    "IndependentPrior",
    "NormalGamma",
    "NormalWishart",
    "SphericalNormalGamma",
    "StickBreaking",
    "TiedNormalWishart",
    "WeightPrior",
    "default_prior",
]
