"""Conjugate priors over component parameters, for variational Bayes and MAP-EM."""

from __future__ import annotations

from mixtures.families import (
    Bernoulli,
    Categorical,
    DiagonalGaussian,
    Gaussian,
    Poisson,
    SphericalGaussian,
    TiedGaussian,
)
from mixtures.families.base import ExponentialFamily
from mixtures.families.independent import Independent
from mixtures.priors.base import ConjugatePrior
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

# most specific family first: TiedGaussian is a Gaussian
_DEFAULTS: tuple[tuple[type[ExponentialFamily], type[ConjugatePrior]], ...] = (
    (TiedGaussian, TiedNormalWishart),
    (Gaussian, NormalWishart),
    (DiagonalGaussian, NormalGamma),
    (SphericalGaussian, SphericalNormalGamma),
    (Bernoulli, Beta),
    (Poisson, Gamma),
    (Categorical, Dirichlet),
)


def default_prior(family: ExponentialFamily) -> ConjugatePrior:
    """The weakly-informative default prior for a built-in family (all hyperparameters unset)."""
    if isinstance(family, Independent):  # the product of the parts' defaults
        return IndependentPrior.default_for(family)
    # the extra families are built on these priors, so they are looked up lazily
    from mixtures.families.extra.exponential import Exponential, GammaRate

    extra: tuple[tuple[type[ExponentialFamily], type[ConjugatePrior]], ...] = ((Exponential, GammaRate),)
    for family_type, prior_type in _DEFAULTS + extra:
        if isinstance(family, family_type):
            return prior_type()
    raise ValueError(
        f"no default conjugate prior for {family.name}; pass prior=... (a ConjugatePrior for it)"
    )
