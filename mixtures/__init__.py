"""mixtures: mixture models over exponential families.

>>> import mixtures as mx
>>> model = mx.Mixture(mx.Gaussian(), n_components=3).fit(X)  # doctest: +SKIP
"""

from mixtures import testing
from mixtures.exceptions import (
    ConvergenceWarning,
    DegenerateComponentError,
    EmptyComponentWarning,
    NotFittedError,
)
from mixtures.families import (
    Bernoulli,
    Categorical,
    Components,
    DiagonalGaussian,
    ExponentialFamily,
    Gaussian,
    Poisson,
    SphericalGaussian,
    SufficientStatistics,
    TiedGaussian,
)
from mixtures.models import Mixture

__version__ = "0.1.0"

__all__ = [
    "Bernoulli",
    "Categorical",
    "Components",
    "ConvergenceWarning",
    "DegenerateComponentError",
    "DiagonalGaussian",
    "EmptyComponentWarning",
    "ExponentialFamily",
    "Gaussian",
    "Mixture",
    "NotFittedError",
    "Poisson",
    "SphericalGaussian",
    "SufficientStatistics",
    "TiedGaussian",
    "__version__",
    "testing",
]
