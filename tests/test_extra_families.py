"""The families of ``mixtures.families.extra`` and the base class's numerical ``mean_to_natural``."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize
import scipy.special
import scipy.stats

import mixtures as mx
import mixtures.families.extra as extra
from mixtures.families import Bernoulli, Categorical, DiagonalGaussian, ExponentialFamily, Poisson
from mixtures.families.extra import (
    Exponential,
    GammaKnownShape,
    GammaRate,
    NegativeBinomial,
    VonMises,
    VonMisesComponents,
)
from mixtures.testing import check_family

Array = np.ndarray


def numerical(family: ExponentialFamily, mean: Array) -> Array:
    """The base class's Newton inversion, bypassing a family's closed form."""
    return ExponentialFamily.mean_to_natural(family, mean)


def assert_close(actual: Array, expected: Array, tolerance: float, what: str = "") -> None:
    error = np.abs(actual - expected) / np.maximum(np.abs(expected), 1.0)
    assert np.all(error <= tolerance), f"{what}: largest scaled error {error.max():.3g}"


# ------------------------------------------------------------------------- example data
def example_data(name: str, rng: np.random.Generator, n: int = 200) -> Array:
    if name == "exponential":
        return rng.exponential([1.0, 3.0], size=(n, 2))
    if name == "negative_binomial":
        return rng.negative_binomial(3, [0.3, 0.6], size=(n, 2)).astype(float)
    if name == "gamma":
        return rng.gamma(2.5, [1.0, 0.2], size=(n, 2))
    return rng.vonmises([0.5, -2.0], [2.0, 8.0], size=(n, 2))


FAMILIES = {
    "exponential": Exponential(),
    "negative_binomial": NegativeBinomial(r=3.0),
    "gamma": GammaKnownShape(shape=2.5),
    "von_mises": VonMises(),
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_check_family_passes(name: str) -> None:
    one_period = (-np.pi, np.pi) if name == "von_mises" else None  # validate accepts both conventions
    data = example_data(name, np.random.default_rng(0))
    check_family(FAMILIES[name], data, max_examples=20, support=one_period)


def test_log_densities_match_scipy() -> None:
    rng = np.random.default_rng(1)
    rate = np.array([[0.5, 2.0], [3.0, 0.7]])
    x = rng.exponential(size=(20, 2))
    reference = scipy.stats.expon.logpdf(x[:, None], scale=1 / rate).sum(2)
    assert_close(Exponential().log_likelihood(x, -rate), reference, 1e-12, "Exponential")
    gamma = GammaKnownShape(shape=2.5)
    reference = scipy.stats.gamma.logpdf(x[:, None], 2.5, scale=1 / rate).sum(2)
    assert_close(gamma.log_likelihood(x, -rate), reference, 1e-12, "GammaKnownShape")
    probs = np.array([[0.2, 0.6], [0.9, 0.4]])
    counts = rng.integers(0, 15, size=(20, 2)).astype(float)
    reference = scipy.stats.nbinom.logpmf(counts[:, None], 3.5, probs).sum(2)
    family = NegativeBinomial(r=3.5)
    assert_close(family.log_likelihood(counts, np.log1p(-probs)), reference, 1e-12, "NegativeBinomial")
    direction, kappa = np.array([[0.5, -2.0], [3.0, 0.1]]), np.array([[2.0, 8.0], [0.3, 50.0]])
    natural = np.concatenate([kappa * np.cos(direction), kappa * np.sin(direction)], axis=1)
    angles = rng.uniform(-np.pi, np.pi, size=(20, 2))
    reference = scipy.stats.vonmises.logpdf(angles[:, None], kappa, loc=direction).sum(2)
    assert_close(VonMises().log_likelihood(angles, natural), reference, 1e-12, "VonMises")
    components = VonMisesComponents(family=VonMises(), natural=natural)
    assert_close(components.concentration, kappa, 1e-12, "concentration")
    assert_close(components.mean_direction, direction, 1e-12, "mean direction")


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("exponential", [[1.0, -0.5]]),
        ("negative_binomial", [[1.0, 2.5]]),
        ("negative_binomial", [[-1.0, 2.0]]),
        ("gamma", [[1.0, 0.0]]),
        ("von_mises", [[1.0, 7.0]]),
    ],
)
def test_validate_rejects_values_outside_the_support(name: str, bad: list[list[float]]) -> None:
    model = mx.Mixture(FAMILIES[name], 1).fit(example_data(name, np.random.default_rng(2)))
    with pytest.raises(ValueError, match=type(FAMILIES[name]).__name__):
        model.score_samples(np.asarray(bad))


# ------------------------------------------------------------------------- recovery by EM / VB
def best_permutation(fitted: Array, truth: Array) -> list[int]:
    return list(
        min(itertools.permutations(range(len(truth))), key=lambda p: np.abs(fitted[list(p)] - truth).sum())
    )


def draw(family: ExponentialFamily, natural: Array, n: int, seed: int) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    weights = np.array([0.35, 0.65])
    labels = rng.choice(2, size=n, p=weights)
    return family.sample(natural, labels, rng), weights


CONVENTIONAL = {  # family -> (true parameters (2, D), natural from them, parameters from components)
    "exponential": (
        np.array([[0.5, 4.0], [5.0, 0.25]]),
        lambda rate: -rate,
        lambda components: -components.natural,
    ),
    "negative_binomial": (
        np.array([[0.2, 0.7], [0.7, 0.25]]),
        lambda probs: np.log1p(-probs),
        lambda components: components.probs,
    ),
    "gamma": (
        np.array([[0.5, 4.0], [5.0, 0.5]]),
        lambda rate: -rate,
        lambda components: components.rate,
    ),
    "von_mises": (
        np.array([[0.5, 2.0, 4.0, 10.0], [-2.5, 0.0, 12.0, 3.0]]),  # directions, then concentrations
        lambda p: np.concatenate([p[:, 2:] * np.cos(p[:, :2]), p[:, 2:] * np.sin(p[:, :2])], axis=1),
        lambda c: np.concatenate([c.mean_direction, c.concentration], axis=1),
    ),
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_em_recovers_known_parameters(name: str) -> None:
    family = FAMILIES[name]
    truth, to_natural, from_components = CONVENTIONAL[name]
    x, weights = draw(family, to_natural(truth), 6000, seed=3)
    model = mx.Mixture(family, 2, n_init=3, tol=1e-8, max_iter=500, random_state=0).fit(x)
    assert model.converged_
    assert np.all(np.diff(model.lower_bounds_) >= -1e-9 * np.abs(model.lower_bounds_[1:]))
    fitted = from_components(model.components_)
    order = best_permutation(fitted, truth)
    np.testing.assert_allclose(fitted[order], truth, rtol=0.1, atol=0.02, err_msg=name)
    np.testing.assert_allclose(model.weights_[order], weights, atol=0.03)


def test_exponential_vb_with_gamma_prior_recovers_rates() -> None:
    family = Exponential()
    rates = np.array([[0.5, 4.0], [5.0, 0.25]])
    x, weights = draw(family, -rates, 6000, seed=4)
    model = mx.Mixture(family, 2, inference="vb", prior=GammaRate(), n_init=3, random_state=0).fit(x)
    assert model.converged_
    assert np.all(np.diff(model.lower_bounds_) >= -1e-9 * np.abs(model.lower_bounds_[1:]))
    fitted = -model.components_.natural
    order = best_permutation(fitted, rates)
    assert_close(fitted[order], rates, 0.12, "VB rates")
    np.testing.assert_allclose(model.weights_[order], weights, atol=0.03)
    # MAP-EM with the same prior never lowers its objective either
    model = mx.Mixture(family, 2, prior=GammaRate(shape=2.0), random_state=0).fit(x)
    assert np.all(np.diff(model.lower_bounds_) >= -1e-9 * np.abs(model.lower_bounds_[1:]))
    assert np.all(np.isfinite(model.score_samples(x[:10])))


def test_gamma_rate_prior_against_scipy() -> None:
    rng = np.random.default_rng(5)
    x = rng.exponential(size=(50, 3))
    prior = GammaRate(shape=2.5, rate=[1.0, 2.0, 0.5]).for_data(Exponential(), x, np.ones(50), 2)
    shape, rate = prior.shape[:, None], prior.rate  # (K, 1), (K, D)
    lam = rng.gamma(2.0, size=(2, 3))
    # the density w.r.t. dλ/λ: times 1/λ it is the Gamma density in λ
    expected = scipy.stats.gamma.logpdf(lam, shape, scale=1 / rate).sum(1)
    assert_close(prior.log_density(-lam) - np.log(lam).sum(1), expected, 1e-12, "density")
    assert_close(prior.expected_natural(), -shape / rate, 1e-12, "E[η]")
    expected_log_rate = scipy.special.digamma(shape) - np.log(rate)
    assert_close(prior.expected_log_partition(), -expected_log_rate.sum(1), 1e-12, "E[A]")
    draws = prior.sample_natural(200_000, rng)  # (n, K, D)
    assert_close(draws.mean(0), prior.expected_natural(), 0.01, "Monte Carlo E[η]")
    monte_carlo = -np.log(-draws).sum(2).mean(0)
    assert_close(monte_carlo, prior.expected_log_partition(), 0.01, "Monte Carlo E[A]")
    # KL between two Gammas, feature by feature
    other = prior.with_natural_hyperparameters(prior.rate * 1.7, prior.shape[:, None] + 0.4)
    a1, b1, a2, b2 = shape + 0.4, rate * 1.7, shape, rate
    kl = (
        (a1 - a2) * scipy.special.digamma(a1) - scipy.special.gammaln(a1) + scipy.special.gammaln(a2)
        + a2 * (np.log(b1) - np.log(b2)) + a1 * (b2 - b1) / b1
    )
    assert_close(np.asarray(other.kl_divergence(prior)), np.asarray(kl.sum()), 1e-10, "KL")
    # the posterior predictive of one exponential feature is a Lomax distribution
    points = rng.exponential(size=(7, 3))
    lomax = scipy.stats.lomax.logpdf(points[:, None], shape, scale=rate).sum(2)
    assert_close(prior.log_predictive(points), lomax, 1e-12, "predictive")
    with pytest.raises(ValueError, match="GammaRate"):
        GammaRate().for_data(Poisson(), x, np.ones(50), 2)


# ------------------------------------------------------------------------- numerical inversion
class StartedDiagonalGaussian(DiagonalGaussian):
    def initial_natural(self, mean: Array) -> Array:  # η = 0 is no Gaussian: start at N(0, 1)
        half = mean.shape[1] // 2
        return np.concatenate([np.zeros_like(mean[:, :half]), np.full_like(mean[:, half:], -0.5)], axis=1)


class StartedExponential(Exponential):
    def initial_natural(self, mean: Array) -> Array:
        return -np.ones_like(mean)


class StartedGamma(GammaKnownShape):
    def initial_natural(self, mean: Array) -> Array:
        return -np.ones_like(mean)


class StartedNegativeBinomial(NegativeBinomial):
    def initial_natural(self, mean: Array) -> Array:
        return -np.ones_like(mean)


def closed_form_cases() -> dict[str, tuple[ExponentialFamily, Array]]:
    rng = np.random.default_rng(6)
    location, variance = rng.normal(0, 5, size=(4, 3)), rng.uniform(0.01, 100, size=(4, 3))
    rates = rng.uniform(1e-3, 50, size=(5, 3))
    rates[0, 0], rates[1, 1] = 1e-9, 1e4
    probs = rng.uniform(1e-6, 1 - 1e-6, size=(5, 4))
    probs[0, 0], probs[1, 1] = 1e-9, 1 - 1e-7
    return {
        "poisson": (Poisson(), rates),
        "bernoulli": (Bernoulli(), probs),
        "diagonal": (StartedDiagonalGaussian(), np.concatenate([location, variance + location**2], 1)),
        "exponential": (StartedExponential(), 1 / rates),
        "gamma": (StartedGamma(shape=2.5), 2.5 / rates),
        "negative_binomial": (StartedNegativeBinomial(r=2.0), rates),
    }


@pytest.mark.parametrize("name", sorted(closed_form_cases()))
def test_newton_matches_the_closed_form(name: str) -> None:
    family, mean = closed_form_cases()[name]
    assert_close(numerical(family, mean), family.mean_to_natural(mean), 1e-8, name)


def test_newton_on_an_over_complete_family_matches_the_means() -> None:
    family = Categorical(n_categories=4)
    probs = np.random.default_rng(7).dirichlet(np.ones(4), size=(5, 2)).reshape(5, 8)
    assert_close(family.natural_to_mean(numerical(family, probs)), probs, 1e-10, "categorical")


def test_von_mises_inversion_matches_a_root_finder() -> None:
    direction = np.array([[0.5, -2.0, 3.0], [3.0, 0.1, 0.0]])
    kappa = np.array([[2.0, 8.0, 1e-6], [0.3, 50.0, 2000.0]])
    natural = np.concatenate([kappa * np.cos(direction), kappa * np.sin(direction)], axis=1)
    mean = VonMises().natural_to_mean(natural)
    assert_close(VonMises().mean_to_natural(mean), natural, 1e-8, "from the family's start")
    assert_close(numerical(ZeroStartVonMises(), mean), natural, 1e-8, "from zero")
    length = np.hypot(*np.split(mean, 2, axis=1))

    def invert(r: float) -> float:  # I₁(κ)/I₀(κ) = r, by bracketing
        def residual(k: float) -> float:
            return float(scipy.special.i1e(k) / scipy.special.i0e(k) - r)

        return float(scipy.optimize.brentq(residual, 1e-12, 1e6, xtol=1e-14, rtol=1e-15))

    assert_close(np.vectorize(invert)(length), kappa, 1e-8, "concentration")
    assert_close(VonMises().mean_to_natural(np.zeros((2, 2))), np.zeros((2, 2)), 0.0, "uniform")


class ZeroStartVonMises(VonMises):
    def initial_natural(self, mean: Array) -> Array:
        return np.zeros_like(mean)


class PoissonWithFisher(Poisson):
    calls = 0

    def fisher_information(self, natural: Array) -> Array:
        PoissonWithFisher.calls += 1
        return np.exp(natural)[:, :, None] * np.eye(natural.shape[1])


def test_a_closed_form_fisher_information_is_used() -> None:
    rates = np.array([[0.1, 3.0], [40.0, 1e-5]])
    assert_close(numerical(PoissonWithFisher(), rates), np.log(rates), 1e-12, "poisson")
    assert PoissonWithFisher.calls > 0


@pytest.mark.parametrize(
    ("family", "mean"),
    [
        (Poisson(), [[1.0, -1.0]]),
        (Poisson(), [[0.0, 2.0]]),  # on the boundary
        (Bernoulli(), [[0.5, 1.5]]),
        (Bernoulli(), [[1.0, 0.5]]),
        (VonMises(), [[0.9, 0.6]]),
        (VonMises(), [[1.0, 0.0]]),
        (ZeroStartVonMises(), [[-1.2, 0.0]]),
        (StartedExponential(), [[-2.0]]),
        (Poisson(), [[np.nan, 1.0]]),
    ],
)
def test_a_mean_outside_the_mean_space_is_a_clear_error(family: ExponentialFamily, mean: list) -> None:
    with pytest.raises(ValueError, match=rf"{type(family).__name__}\.mean_to_natural.*row\(s\) \[0\]"):
        numerical(family, np.asarray(mean, dtype=float))


def test_the_failing_row_is_named_and_the_others_do_not_matter() -> None:
    mean = np.array([[0.3, 0.1], [0.2, 0.2], [2.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"row\(s\) \[2\]"):
        VonMises().mean_to_natural(mean)


def test_a_start_outside_the_natural_domain_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"DiagonalGaussian\.mean_to_natural.*initial_natural"):
        numerical(DiagonalGaussian(), np.array([[0.0, 1.0]]))


def test_empty_input() -> None:
    assert VonMises().mean_to_natural(np.zeros((0, 4))).shape == (0, 4)


# ------------------------------------------------------------------------- showcases stay short
@pytest.mark.parametrize("module", ["exponential", "negative_binomial", "gamma", "von_mises"])
def test_each_extra_family_file_is_under_85_lines(module: str) -> None:
    path = Path(extra.__file__).parent / f"{module}.py"
    assert len(open(path).read().splitlines()) < 85
