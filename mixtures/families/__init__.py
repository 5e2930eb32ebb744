"""Component families: the exponential-family interface and its built-in members."""

from mixtures.families.base import EMPTY_COMPONENT_FRACTION, Components, ExponentialFamily
from mixtures.families.discrete import (
    Bernoulli,
    BernoulliComponents,
    Categorical,
    CategoricalComponents,
    Multinomial,
    MultinomialComponents,
    Poisson,
    PoissonComponents,
)
from mixtures.families.gaussian import (
    DiagonalGaussian,
    DiagonalGaussianComponents,
    Gaussian,
    GaussianComponents,
    SphericalGaussian,
    SphericalGaussianComponents,
    TiedGaussian,
    TiedGaussianComponents,
)
from mixtures.families.independent import Independent, IndependentComponents
from mixtures.families.statistics import SufficientStatistics

__all__ = [
    "EMPTY_COMPONENT_FRACTION",
    "Bernoulli",
    "BernoulliComponents",
    "Categorical",
    "CategoricalComponents",
    "Components",
    "DiagonalGaussian",
    "DiagonalGaussianComponents",
    "ExponentialFamily",
    "Gaussian",
    "GaussianComponents",
    "Independent",
    "IndependentComponents",
    "Multinomial",
    "MultinomialComponents",
    "Poisson",
    "PoissonComponents",
    "SphericalGaussian",
    "SphericalGaussianComponents",
    "SufficientStatistics",
    "TiedGaussian",
    "TiedGaussianComponents",
]
