"""mixtures: mixture models over exponential families.

>>> import mixtures as mx
>>> model = mx.Mixture(mx.Gaussian(), n_components=3).fit(X)  # doctest: +SKIP

The submodules that need more than the core (``testing``: hypothesis; ``plotting``: matplotlib;
``compat``: the drop-in classes) are attributes loaded at first use, so that ``import mixtures``
stays light; so are numba (at the first fit, which runs compiled kernels) and Dask (at the first
Dask array).
"""

import importlib
from typing import Any

from mixtures._version import __version__
from mixtures.exceptions import (
    BoundaryWarning,
    CoincidingPointsWarning,
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
    "CoincidingPointsWarning",
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
    "compat",
    "extra",
    "load",
    "plotting",
    "select_model",
    "testing",
]

#: Submodules imported when first used as attributes (``mx.testing.check_family``).
_LAZY_SUBMODULES = frozenset({"compat", "plotting", "testing"})


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"mixtures.{name}")  # also binds it here: once
    raise AttributeError(f"module 'mixtures' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
