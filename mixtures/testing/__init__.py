"""Property-based checks for exponential families, built-in or your own.

``check_family(family, data)`` runs every property of ``mixtures.testing.properties`` under
hypothesis; ``strategies.problems(case)`` draws datasets and parameters for writing your own.
``support_of(family, x)`` says over which values a density is integrated or summed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
from hypothesis import HealthCheck, given, settings
from numpy.typing import NDArray

from mixtures._validation import as_data_matrix
from mixtures.families.base import ExponentialFamily
from mixtures.families.completion import CannotMarginalise
from mixtures.testing import properties, strategies
from mixtures.testing.registry import BUILTIN_CASES, FamilyCase, case_named
from mixtures.testing.strategies import Problem, natural_from_data, problems
from mixtures.testing.support import Support, support_of

__all__ = [
    "BUILTIN_CASES",
    "PROPERTIES",
    "FamilyCase",
    "FamilyReport",
    "Problem",
    "Support",
    "case_from_data",
    "case_named",
    "check_family",
    "problems",
    "properties",
    "strategies",
    "support_of",
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
    properties.assert_missing_is_marginal,
)


@attrs.frozen
class FamilyReport:
    """What ``check_family`` ran: the properties that passed, the support of each feature of
    the example data (the bounds the density check integrates or sums over), and notes on the
    properties it skipped and why."""

    family: str
    properties: tuple[str, ...]
    supports: tuple[Support, ...]
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [f"{self.family}: {len(self.properties)} properties passed"]
        lines += [f"  {name}" for name in self.properties]
        lines += [f"  skipped: {note}" for note in self.notes]
        lines += [
            f"  support of feature {j}: {where.describe()}" for j, where in enumerate(self.supports)
        ]
        return "\n".join(lines)


def case_from_data(
    family: ExponentialFamily, data: Any, support: tuple[float, float] | None = None
) -> FamilyCase:
    """A case whose support sampler resamples rows (and keeps the columns) of ``data``."""
    x = as_data_matrix(data, name="data")
    family.validate(x)
    configured = family.for_data(x, np.ones(x.shape[0]))

    def resample(rng: np.random.Generator, n_samples: int, n_features: int) -> NDArray[np.float64]:
        return x[rng.integers(0, x.shape[0], size=n_samples)]

    return FamilyCase(family.name, configured, resample, x.shape[1], x.shape[1], support)


def _single_argument(check: Callable[..., None]) -> Callable[[Problem], None]:
    def run(problem: Problem) -> None:
        check(problem)

    run.__name__ = check.__name__
    return run


def _checked_support(support: Any) -> tuple[float, float] | None:
    if support is None:
        return None
    try:
        low, high = (float(bound) for bound in support)
    except (TypeError, ValueError):
        raise ValueError(f"support must be a pair (low, high) of numbers; got {support!r}") from None
    if np.isnan(low) or np.isnan(high) or not low < high:
        raise ValueError(f"support must be a pair (low, high) with low < high; got {support!r}")
    return low, high


def check_family(
    family: ExponentialFamily,
    data: Any = None,
    *,
    max_examples: int = 30,
    support: tuple[float, float] | None = None,
) -> FamilyReport:
    """Run every family property on ``family`` with hypothesis; raise on the first failure.

    The missing-values property (``properties.assert_missing_is_marginal``) runs for a family
    that marginalises (``completion``, or a declared ``feature_columns``); for one that refuses
    it is skipped, and the report's ``notes`` say why.

    Parameters
    ----------
    family
        The family to check.
    data
        An example dataset from the family's support. It may be omitted for a built-in family,
        whose registered sampler is used.
    max_examples
        Hypothesis examples per property.
    support
        ``(low, high)``: the interval each feature's density lives on, when neither the family
        (a ``support_bounds`` attribute or ``data_support()``) nor the values its ``validate``
        accepts say it right, e.g. one period ``(-pi, pi)`` for angles. By default the density
        is integrated (or summed, for a discrete family) over the support the family declares
        or, failing that, the range its ``validate`` accepts; a failure names the bounds used.

    Returns
    -------
    FamilyReport
        The properties that passed and the support used for each feature.
    """
    bounds = _checked_support(support)
    if data is not None:
        case = case_from_data(family, data, bounds)
    else:
        matches = [c for c in BUILTIN_CASES if type(c.family) is type(family)]
        if not matches:
            raise ValueError(
                f"check_family needs example data for {family.name}: pass data=<array of "
                f"observations from its support>"
            )
        case = attrs.evolve(matches[0], family=family, support_bounds=bounds)
    notes: tuple[str, ...] = ()
    checks: tuple[Callable[..., None], ...] = PROPERTIES
    refusal = _marginalisation_refusal(case)
    if refusal is not None:
        notes = (f"assert_missing_is_marginal: {refusal}",)
        checks = tuple(c for c in PROPERTIES if c is not properties.assert_missing_is_marginal)
    for check in checks:
        run = settings(
            max_examples=max_examples, deadline=None, derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )(given(problem=problems(case))(_single_argument(check)))
        run()
    example = case.sample_support(np.random.default_rng(0), 200, case.min_features)
    supports = tuple(
        support_of(case.family, example, j, bounds) for j in range(example.shape[1])
    )
    return FamilyReport(family.name, tuple(check.__name__ for check in checks), supports, notes)


def _marginalisation_refusal(case: FamilyCase) -> str | None:
    """Why the family cannot marginalise a missing entry (its ``CannotMarginalise``), or
    ``None`` when it can: tried on one row of example data with its first entry missing."""
    rng = np.random.default_rng(0)
    x = case.sample_support(rng, 3 * (case.min_features + 1), case.min_features)
    natural = natural_from_data(case, x, case.family.component_multiple, rng)  # one whole group
    missing = np.zeros((1, x.shape[1]), dtype=bool)
    missing[0, 0] = True
    try:
        case.family.completion(x[:1], missing, natural)
    except CannotMarginalise as refusal:
        return str(refusal)
    return None
