"""check_family integrates (or sums) a density over the family's own support — declared, or
found from what ``validate`` accepts — and says which bounds it used; the other properties do
not assume the whole real line either."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import gammaln

import mixtures as mx
from mixtures.families.extra import Exponential, GammaKnownShape, NegativeBinomial, VonMises
from mixtures.testing import FamilyCase, check_family, properties, support_of
from mixtures.testing.strategies import Problem, natural_from_data

import helpers


class PositiveRates(helpers.Exponential):
    """A user's exponential family that only says "x >= 0" through validate (no support_bounds,
    no data_support): h(x) = 1 would integrate to infinity over the whole line."""

    support_bounds = None


class OffByATenth(PositiveRates):
    def log_base_measure(self, x):  # type: ignore[no-untyped-def]
        return np.full(x.shape[0], 0.1)


class NotNormalisedGamma(GammaKnownShape):
    def log_base_measure(self, x):  # type: ignore[no-untyped-def]
        return super().log_base_measure(x) + 0.1


class GaussianSamples(PositiveRates):
    """Samples with the right mean but values below zero, which validate refuses."""

    def sample(self, natural, labels, rng):  # type: ignore[no-untyped-def]
        mean = -1.0 / natural[labels]
        return rng.normal(mean, mean)


class ShiftedPoisson(mx.ExponentialFamily):
    """Counts x >= 1 with x − 1 ~ Poisson(λ): T(x) = x, η = log λ, A(η) = e^η + η,
    h(x) = 1/(x − 1)!. Its support starts at 1, not 0."""

    def sufficient_statistics(self, x):  # type: ignore[no-untyped-def]
        return np.asarray(x, dtype=float)

    def log_base_measure(self, x):  # type: ignore[no-untyped-def]
        return -gammaln(x).sum(1)

    def log_partition(self, natural):  # type: ignore[no-untyped-def]
        return (np.exp(natural) + natural).sum(1)

    def natural_to_mean(self, natural):  # type: ignore[no-untyped-def]
        return np.exp(natural) + 1.0

    def mean_to_natural(self, mean):  # type: ignore[no-untyped-def]
        return np.log(mean - 1.0)

    def regularize_mean(self, mean):  # type: ignore[no-untyped-def]
        return np.maximum(mean, 1.0 + 1e-10)

    def validate(self, x):  # type: ignore[no-untyped-def]
        if np.any(x < 1) or np.any(x != np.round(x)):
            raise ValueError("ShiftedPoisson data must be integers >= 1")

    def sample(self, natural, labels, rng):  # type: ignore[no-untyped-def]
        return rng.poisson(np.exp(natural[labels])) + 1.0


def rates_data(n: int = 300, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return scale * np.concatenate([rng.exponential(0.5, (n // 2, 1)), rng.exponential(4.0, (n - n // 2, 1))])


def problem_for(family: mx.ExponentialFamily, x: np.ndarray, support=None, k: int = 2) -> Problem:
    case = FamilyCase(family.name, family, lambda rng, n, d: x, x.shape[1], x.shape[1], support)
    return Problem(case, x, natural_from_data(case, x, k, np.random.default_rng(1)), 1)


# ------------------------------------------------------------------------- continuous supports
@pytest.mark.parametrize(
    ("family", "x"),
    [
        (Exponential(), rates_data()),
        (GammaKnownShape(shape=2.5), np.random.default_rng(1).gamma(2.5, [[1.0]], size=(300, 1))),
        (PositiveRates(), rates_data()),
        (NegativeBinomial(r=3.0),
         np.random.default_rng(6).negative_binomial(3, 0.4, size=(300, 1)).astype(float)),
    ],
    ids=["extra.Exponential", "extra.GammaKnownShape", "user family", "extra.NegativeBinomial"],
)
def test_positive_families_pass_in_one_dimension(family, x) -> None:
    report = check_family(family, x, max_examples=8)
    assert report.supports[0].low == 0.0 and report.supports[0].high == np.inf
    if isinstance(family, NegativeBinomial):
        assert "the integers in [0, inf]" in str(report) and "data_support()" in str(report)
    else:
        assert "[0, inf)" in str(report) and "validate" in str(report)


def test_the_density_is_integrated_over_what_validate_accepts() -> None:
    x = rates_data()
    properties.assert_density_normalises(problem_for(PositiveRates(), x))
    with pytest.raises(AssertionError, match=r"over \[0, inf\) \(lower bound from validate"):
        properties.assert_density_normalises(problem_for(OffByATenth(), x))


def test_a_nan_density_outside_the_support_does_not_hide_a_wrong_density() -> None:
    # log(x) of a negative x is NaN: integrating over the whole line gave a NaN mass, which
    # passed silently
    x = np.random.default_rng(2).gamma(2.5, 1.0, size=(200, 1))
    with pytest.raises(AssertionError, match=r"does not normalise over \[0, inf\)"):
        properties.assert_density_normalises(problem_for(NotNormalisedGamma(shape=2.5), x))


def test_declared_bounds_and_the_support_argument_win() -> None:
    angles = np.random.default_rng(3).vonmises(0.5, 2.0, size=(300, 1))
    # VonMises.validate accepts [−π, 2π] (both conventions): three half-periods, mass 1.5
    with pytest.raises(AssertionError, match=r"over \[-3.14159, 6.28319\]"):
        properties.assert_density_normalises(problem_for(VonMises(), angles))
    properties.assert_density_normalises(problem_for(VonMises(), angles, support=(-np.pi, np.pi)))
    report = check_family(VonMises(), angles, max_examples=5, support=(-np.pi, np.pi))
    assert "given to check_family" in report.supports[0].source


@pytest.mark.parametrize("support", [(1.0, 0.0), (0.0,), "ab", (np.nan, 1.0)])
def test_a_bad_support_argument_is_refused(support) -> None:
    with pytest.raises(ValueError, match="support"):
        check_family(PositiveRates(), rates_data(), support=support)


# ------------------------------------------------------------------------- discrete supports
def test_a_discrete_support_that_starts_above_zero_is_summed_from_its_start() -> None:
    x = np.random.default_rng(4).poisson(3.0, size=(300, 1)) + 1.0
    where = support_of(ShiftedPoisson(), x)
    assert where.integer and where.low == 1.0 and where.high == np.inf
    properties.assert_density_normalises(problem_for(ShiftedPoisson(), x))
    check_family(ShiftedPoisson(), x, max_examples=8)


@pytest.mark.parametrize(
    ("family", "x", "bounds"),
    [
        (mx.Bernoulli(), [[0.0], [1.0], [1.0]], (0.0, 1.0)),
        (mx.Categorical(n_categories=4), [[0.0], [3.0], [1.0]], (0.0, 3.0)),
        (mx.Poisson(), [[0.0], [3.0], [7.0]], (0.0, np.inf)),
        (mx.Gaussian(), [[-1.0], [2.0], [0.5]], (-np.inf, np.inf)),
        (GammaKnownShape(), [[0.1], [2.0], [0.5]], (0.0, np.inf)),
    ],
)
def test_support_of_builtin_and_extra_families(family, x, bounds) -> None:
    where = support_of(family, np.asarray(x))
    assert (where.low, where.high) == bounds
    assert where.integer == isinstance(family, mx.Bernoulli | mx.Categorical | mx.Poisson)


# ------------------------------------------------------------------------- the other properties
def test_the_gradient_check_stays_inside_a_bounded_natural_domain() -> None:
    # rates of 1e-7 (data in units of ~1e7) are η = −1e-7: a step of 1e-6 crossed η = 0
    x = rates_data(scale=2e7)
    properties.assert_gradient_is_mean(problem_for(Exponential(), x))
    check_family(Exponential(), np.hstack([x, rates_data(scale=1e7, seed=5)]), max_examples=5)


def test_samples_outside_the_support_are_caught() -> None:
    with pytest.raises(AssertionError, match="outside the support"):
        properties.assert_sample_moments(problem_for(GaussianSamples(), rates_data()))


def test_an_edge_far_from_the_data_is_found() -> None:
    # at 1e5 the float spacing exceeds the bisection's tolerance relative to unit data
    class Capped(mx.DiagonalGaussian):
        def validate(self, x):  # type: ignore[no-untyped-def]
            if np.any(x > 1e5):
                raise ValueError("Capped data must be <= 1e5")

    where = support_of(Capped(), np.random.default_rng(0).normal(size=(20, 1)))
    assert (where.low, where.high) == (-np.inf, 1e5) and not where.integer
    assert where.describe() == "(-inf, 100000] (no lower bound; upper bound from validate)"
