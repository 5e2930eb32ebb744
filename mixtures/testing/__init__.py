"""Property-based checks for exponential families, built-in or your own.

``check_family(family, data)`` runs every property of ``mixtures.testing.properties`` under
hypothesis; ``strategies.problems(case)`` draws datasets and parameters for writing your own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from numpy.typing import NDArray

from mixtures._validation import as_data_matrix
from mixtures.families.base import ExponentialFamily
from mixtures.testing import properties, strategies
from mixtures.testing.registry import BUILTIN_CASES, FamilyCase, case_named
from mixtures.testing.strategies import Problem, problems

__all__ = [
    "BUILTIN_CASES",
    "PROPERTIES",
    "FamilyCase",
    "Problem",
    "case_from_data",
    "case_named",
    "check_family",
    "problems",
    "properties",
    "strategies",
]

PROPERTIES = (
    properties.assert_gradient_is_mean,
    properties.assert_round_trip,
    properties.assert_density_normalises,
    properties.assert_sample_moments,
    properties.assert_ml_matches_empirical_mean,
    properties.assert_statistics_add,
    properties.assert_weights_duplicate,
    properties.assert_em_monotone,
    properties.assert_elbo_monotone,
    properties.assert_map_em_monotone,
    properties.assert_prior_expectations,
)


def case_from_data(family: ExponentialFamily, data: Any) -> FamilyCase:
    """A case whose support sampler resamples rows (and keeps the columns) of ``data``."""
    x = as_data_matrix(data, name="data")
    family.validate(x)
    configured = family.for_data(x, np.ones(x.shape[0]))

    def resample(rng: np.random.Generator, n_samples: int, n_features: int) -> NDArray[np.float64]:
        return x[rng.integers(0, x.shape[0], size=n_samples)]

    return FamilyCase(family.name, configured, resample, x.shape[1], x.shape[1])


def _single_argument(check: Callable[..., None]) -> Callable[[Problem], None]:
    def run(problem: Problem) -> None:
        check(problem)

    run.__name__ = check.__name__
    return run


def check_family(family: ExponentialFamily, data: Any = None, *, max_examples: int = 30) -> None:
    """Run every family property on ``family`` with hypothesis; raise on the first failure.

    ``data``: an example dataset from the family's support. It may be omitted for a built-in
    family, whose registered sampler is used.
    """
    if data is not None:
        case = case_from_data(family, data)
    else:
        matches = [c for c in BUILTIN_CASES if type(c.family) is type(family)]
        if not matches:
            raise ValueError(
                f"check_family needs example data for {family.name}: pass data=<array of "
                f"observations from its support>"
            )
        case = FamilyCase(matches[0].name, family, matches[0].sample_support,
                          matches[0].min_features, matches[0].max_features)
    for check in PROPERTIES:
        run = settings(
            max_examples=max_examples, deadline=None, derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )(given(problem=problems(case))(_single_argument(check)))
        run()
