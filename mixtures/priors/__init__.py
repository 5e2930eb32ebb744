"""Conjugate priors over component parameters, for variational Bayes and MAP-EM.

Each prior module declares its prior the default of the family it is over
(``ExponentialFamily.declare_default_prior``); ``default_prior(family)`` asks the family.
"""

from __future__ import annotations

from mixtures.priors.base import ConjugatePrior, default_prior
from mixtures.priors.independent import IndependentPrior
from mixtures.priors.normal_gamma import NormalGamma, SphericalNormalGamma
from mixtures.priors.normal_wishart import NormalWishart, TiedNormalWishart
from mixtures.priors.single import Beta, Dirichlet, Gamma

__all__ = [
    "Beta",
    "ConjugatePrior",
    "Dirichlet",
    "Gamma",
    "IndependentPrior",
    "NormalGamma",
    "NormalWishart",
    "SphericalNormalGamma",
    "TiedNormalWishart",
    "default_prior",
]
