"""Conjugate priors over component parameters, for variational Bayes and MAP-EM."""

from __future__ import annotations

from mixtures.families import Gaussian, Poisson, TiedGaussian
from mixtures.families.base import ExponentialFamily
from mixtures.priors.base import ConjugatePrior
from mixtures.priors.normal_wishart import NormalWishart, TiedNormalWishart
from mixtures.priors.single import Gamma

__all__ = ["ConjugatePrior", "Gamma", "NormalWishart", "TiedNormalWishart", "default_prior"]


def default_prior(family: ExponentialFamily) -> ConjugatePrior:
    """The weakly-informative default prior for a built-in family (all hyperparameters unset)."""
    if isinstance(family, TiedGaussian):
        return TiedNormalWishart()
    if isinstance(family, Gaussian):
        return NormalWishart()
    if isinstance(family, Poisson):
        return Gamma()
    raise ValueError(
        f"no default conjugate prior for {family.name}; pass prior=... (a ConjugatePrior for it)"
    )
