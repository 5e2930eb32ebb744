"""mixtures: mixture models over exponential families.

>>> import mixtures as mx
>>> model = mx.Mixture(mx.Gaussian(), n_components=3).fit(X)  # doctest: +SKIP
"""

from mixtures import testing
from mixtures._version import __version__
from mixtures.exceptions import (
    BoundaryWarning,
    CollapsedFitWarning,
    ConvergenceWarning,
    DegenerateComponentError,
    EmptyComponentWarning,
    NotFittedError,
    UnvisitedStateWarning,
)
from mixtures.families import (
    Bernoulli,
    Categorical,
    Components,
    DiagonalGaussian,
    ExponentialFamily,
    Gaussian,
    Independent,
    Multinomial,
    Poisson,
    SphericalGaussian,
    SufficientStatistics,
    TiedGaussian,
    extra,
)
from mixtures.inference.online import ExactPasses, OnlineMode, StepwiseEM, StochasticVB
from mixtures.inference.starts import PartialInit
from mixtures.io import load
from mixtures.models import HMM, Mixture, select_model
from mixtures.priors import (
    Beta,
    ConjugatePrior,
    Dirichlet,
    Gamma,
    IndependentPrior,
    NormalGamma,
    NormalWishart,
    SphericalNormalGamma,
    TiedNormalWishart,
)
from mixtures.priors.weights import DirichletWeights, StickBreaking, WeightPrior

__all__ = [
    "HMM",
    "Bernoulli",
    "Beta",
    "BoundaryWarning",
    "Categorical",
    "CollapsedFitWarning",
    "Components",
    "ConjugatePrior",
    "ConvergenceWarning",
    "DegenerateComponentError",
    "DiagonalGaussian",
    "Dirichlet",
    "DirichletWeights",
    "EmptyComponentWarning",
    "ExactPasses",
    "ExponentialFamily",
    "Gamma",
    "Gaussian",
    "Independent",
    "IndependentPrior",
    "Mixture",
    "Multinomial",
    "NormalGamma",
    "NormalWishart",
    "NotFittedError",
    "OnlineMode",
    "PartialInit",
    "Poisson",
    "SphericalGaussian",
    "SphericalNormalGamma",
    "StepwiseEM",
    "StickBreaking",
    "StochasticVB",
    "SufficientStatistics",
    "TiedGaussian",
    "TiedNormalWishart",
    "UnvisitedStateWarning",
    "WeightPrior",
    "__version__",
    "extra",
    "load",
    "select_model",
    "testing",
]
