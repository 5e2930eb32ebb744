"""A registry of families with a way to draw data from each one's support."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families import (
    Bernoulli,
    Categorical,
    DiagonalGaussian,
    ExponentialFamily,
    Gaussian,
    Multinomial,
    Poisson,
    SphericalGaussian,
    TiedGaussian,
)

__all__ = ["BUILTIN_CASES", "FamilyCase", "case_named"]

Array = NDArray[np.float64]
SupportSampler = Callable[[np.random.Generator, int, int], Array]


@attrs.frozen
class FamilyCase:
    """A family under test and a sampler ``(rng, n_samples, n_features) -> x`` of its support.

    The sampler need not follow the family's own distribution: it only has to produce valid,
    varied observations (parameters are then drawn as weighted averages of their statistics).
    ``min_features``/``max_features`` bound the dimension drawn by the strategies.
    ``support_bounds``, if given, is the interval each feature's density lives on, overriding
    what the family declares or its ``validate`` accepts (see ``mixtures.testing.support``).
    """

    name: str
    family: ExponentialFamily
    sample_support: SupportSampler
    min_features: int = 1
    max_features: int = 4
    support_bounds: tuple[float, float] | None = None


def _real(rng: np.random.Generator, n_samples: int, n_features: int) -> Array:
    scale = rng.uniform(0.3, 3.0, size=n_features)
    shift = rng.uniform(-5, 5, size=n_features)
    return shift + scale * rng.standard_normal((n_samples, n_features))


def _binary(rng: np.random.Generator, n_samples: int, n_features: int) -> Array:
    probs = rng.uniform(0.1, 0.9, size=n_features)
    return (rng.random((n_samples, n_features)) < probs).astype(np.float64)


def _counts(rng: np.random.Generator, n_samples: int, n_features: int) -> Array:
    return rng.poisson(rng.uniform(0.5, 8.0, size=n_features), size=(n_samples, n_features)).astype(
        np.float64
    )


def _symbols(n_categories: int) -> SupportSampler:
    def sample(rng: np.random.Generator, n_samples: int, n_features: int) -> Array:
        return rng.integers(0, n_categories, size=(n_samples, n_features)).astype(np.float64)

    return sample


def _count_vectors(rng: np.random.Generator, n_samples: int, n_features: int) -> Array:
    """Rows of counts over ``n_features`` categories, each with its own number of trials (0 to 30)."""
    trials = rng.integers(0, 31, size=n_samples)
    probs = rng.dirichlet(np.ones(n_features), size=n_samples)
    return rng.multinomial(trials, probs).astype(np.float64)


# Gaussians without the covariance ridge: the properties (EM monotonicity in particular) hold
# for the exact maximum-likelihood update, which the ridge perturbs.
BUILTIN_CASES: tuple[FamilyCase, ...] = (
    FamilyCase("gaussian", Gaussian(reg_covar=0.0), _real),
    FamilyCase("diagonal", DiagonalGaussian(reg_covar=0.0), _real),
    FamilyCase("spherical", SphericalGaussian(reg_covar=0.0), _real),
    FamilyCase("tied", TiedGaussian(reg_covar=0.0), _real),
    FamilyCase("bernoulli", Bernoulli(), _binary, max_features=6),
    FamilyCase("poisson", Poisson(), _counts),
    FamilyCase("categorical", Categorical(n_categories=4), _symbols(4), max_features=3),
    # two categories at least: the density is conditional on each row's number of trials, so a
    # single category is certain (and the 1-D normalisation check would sum over n)
    FamilyCase("multinomial", Multinomial(n_trials=5), _count_vectors, min_features=2, max_features=5),
)


def case_named(name: str) -> FamilyCase:
    for case in BUILTIN_CASES:
        if case.name == name:
            return case
    raise KeyError(f"no registered family case named {name!r}")
