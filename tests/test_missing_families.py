"""Missing values for the families that are products over their features (``feature_columns``)
and for ``Independent``: the density of what is observed is the product of the observed
features' own densities, EM and VB stay monotone, and without a missing value nothing changes."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import mixtures as mx
from mixtures.families.completion import CannotMarginalise
from mixtures.families.extra import Exponential, GammaKnownShape, NegativeBinomial, VonMises
from mixtures.testing import check_family

from helpers import quiet

Array = np.ndarray
Sampler = Callable[[np.random.Generator, int], Array]


def _features(draw: Callable[[np.random.Generator, int], Array], n_features: int = 3) -> Sampler:
    return lambda rng, n_rows: draw(rng, n_rows * n_features).reshape(n_rows, n_features)


# each family with data from its support and each feature's density by scipy.stats: (k, d, x_d)
SAMPLERS: dict[str, Sampler] = {
    "bernoulli": _features(lambda rng, n: (rng.random(n) < 0.35).astype(float)),
    "poisson": _features(lambda rng, n: rng.poisson(4.0, n).astype(float)),
    "categorical": _features(lambda rng, n: rng.integers(0, 3, n).astype(float)),
    "exponential": _features(lambda rng, n: rng.exponential(2.0, n)),
    "gamma": _features(lambda rng, n: rng.gamma(2.0, 1.5, n)),
    "negative_binomial": _features(lambda rng, n: rng.negative_binomial(2, 0.3, n).astype(float)),
    "von_mises": _features(lambda rng, n: rng.vonmises(0.5, 2.0, n)),
}


def independent_family() -> mx.Independent:
    return mx.Independent(
        (mx.Gaussian(), [0, 2]), (mx.Bernoulli(), [1, 3]), (mx.Poisson(), [4]), (mx.Categorical(), [5, 6])
    )


def independent_data(rng: np.random.Generator, n_rows: int) -> Array:
    x = np.empty((n_rows, 7))
    x[:, [0, 2]] = rng.multivariate_normal([1.0, -2.0], [[1.0, 0.6], [0.6, 2.0]], n_rows)
    x[:, [1, 3]] = rng.random((n_rows, 2)) < 0.4
    x[:, 4] = rng.poisson(3.0, n_rows)
    x[:, [5, 6]] = rng.integers(0, 3, (n_rows, 2))
    return x


FAMILIES: dict[str, Callable[[], mx.ExponentialFamily]] = {
    "bernoulli": mx.Bernoulli,
    "poisson": mx.Poisson,
    "categorical": mx.Categorical,
    "exponential": Exponential,
    "gamma": lambda: GammaKnownShape(shape=2.0),
    "negative_binomial": lambda: NegativeBinomial(r=2.0),
    "von_mises": VonMises,
    "independent": independent_family,
}
WITH_PRIOR = ("bernoulli", "poisson", "categorical", "exponential", "independent")


def data_of(name: str, rng: np.random.Generator, n_rows: int) -> Array:
    return independent_data(rng, n_rows) if name == "independent" else SAMPLERS[name](rng, n_rows)


def fitted(name: str, seed: int) -> tuple[Any, Array]:
    """A data-configured family and 3 components: its M-step on random soft assignments."""
    rng = np.random.default_rng(seed)
    x = data_of(name, rng, 200)
    family = FAMILIES[name]().for_data(x, np.ones(len(x)))
    responsibilities = 0.05 + rng.dirichlet(np.full(3, 0.5), size=len(x))
    natural = family.maximum_likelihood(family.expected_statistics(x, responsibilities))
    return family, natural


def feature_log_densities(family: Any, natural: Array, x: Array) -> Array:
    """``log p(x_nd | component k)`` ``(n, K, D)`` by scipy.stats, one feature at a time."""
    components = family.components(natural)
    if isinstance(family, mx.Bernoulli):
        return scipy.stats.bernoulli(components.probs[None]).logpmf(x[:, None])
    if isinstance(family, mx.Poisson):
        return scipy.stats.poisson(components.rate[None]).logpmf(x[:, None])
    if isinstance(family, mx.Categorical):
        probs = components.probs  # (K, D, C)
        out = np.empty((len(x), len(probs), x.shape[1]))
        for k in range(len(probs)):
            for d in range(x.shape[1]):
                one_hot = np.eye(probs.shape[2])[x[:, d].astype(int)]
                out[:, k, d] = scipy.stats.multinomial(1, probs[k, d]).logpmf(one_hot)
        return out
    if isinstance(family, Exponential):
        return scipy.stats.expon(scale=-1.0 / natural[None]).logpdf(x[:, None])
    if isinstance(family, GammaKnownShape):
        return scipy.stats.gamma(family.shape, scale=1.0 / components.rate[None]).logpdf(x[:, None])
    if isinstance(family, NegativeBinomial):
        return scipy.stats.nbinom(family.r, components.probs[None]).logpmf(x[:, None])
    assert isinstance(family, VonMises)
    return scipy.stats.vonmises(components.concentration[None], loc=components.mean_direction[None]).logpdf(
        x[:, None]
    )


def independent_marginal(family: mx.Independent, natural: Array, x: Array, missing: Array) -> Array:
    """The Gaussian part by scipy on each row's observed sub-vector, the others per feature."""
    parts = family.components(natural).parts
    out = np.zeros((len(x), len(natural)))
    for part, components, columns in zip(family.parts, parts, family.columns, strict=True):
        part_x, seen = x[:, list(columns)], ~missing[:, list(columns)]
        if isinstance(part, mx.Gaussian):
            for n in range(len(x)):
                if seen[n].any():
                    for k in range(len(natural)):
                        out[n, k] += scipy.stats.multivariate_normal(
                            components.mean[k, seen[n]], components.covariance[k][np.ix_(seen[n], seen[n])]
                        ).logpdf(part_x[n, seen[n]])
        else:
            logs = feature_log_densities(part, components.natural, part_x)
            out += np.where(seen[:, None, :], logs, 0.0).sum(2)
    return out


# ----------------------------------------------------------------------------- the densities
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**16), name=st.sampled_from(sorted(FAMILIES)), share=st.sampled_from([0.2, 0.5, 0.9])
)
def test_the_density_of_the_observed_features_is_their_product(seed: int, name: str, share: float) -> None:
    family, natural = fitted(name, seed % 5)
    rng = np.random.default_rng(seed)
    x = data_of(name, rng, 30)
    missing = rng.random(x.shape) < share
    missing[0], missing[1] = True, False  # nothing observed (density 1), and nothing missing
    completion = family.completion(np.where(missing, x[0], x), missing, natural)  # placeholders
    if isinstance(family, mx.Independent):
        expected = independent_marginal(family, natural, x, missing)
    else:
        logs = feature_log_densities(family, natural, x)
        expected = np.where(~missing[:, None, :], logs, 0.0).sum(2)
    np.testing.assert_allclose(completion.log_likelihood, expected, rtol=1e-10, atol=1e-10)
    complete = family.log_likelihood(x[1:2], natural)[0]
    np.testing.assert_allclose(completion.log_likelihood[1], complete, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_missing_features_expect_their_component_mean_parameters(name: str) -> None:
    """E_k[T(x) | x_o]: T of what is observed, the component's mean parameters for the rest
    (Independent's parts: the kit's property, test_the_kit_checks_independent)."""
    family, natural = fitted(name, 1)
    rng = np.random.default_rng(2)
    x = data_of(name, rng, 50)
    missing = rng.random(x.shape) < 0.3
    responsibilities = rng.dirichlet(np.ones(3), size=50)
    statistics = family.completion(x, missing, natural).statistics(responsibilities)
    columns = family.feature_columns(x.shape[1])
    means = family.natural_to_mean(natural)
    expected = np.zeros_like(statistics)
    for n in range(50):
        for k in range(3):
            filled = family.sufficient_statistics(x[n : n + 1])[0]
            for d in np.flatnonzero(missing[n]):
                filled[columns[d]] = means[k, columns[d]]
            expected[k] += responsibilities[n, k] * filled
    np.testing.assert_allclose(statistics, expected, rtol=1e-12, atol=1e-12)


def test_the_kit_checks_independent() -> None:
    x = independent_data(np.random.default_rng(0), 200)
    report = check_family(independent_family(), x, max_examples=8)
    assert "assert_missing_is_marginal" in report.properties


# ----------------------------------------------------------------------------- fitting
def with_missing(name: str, seed: int = 0, n_rows: int = 240) -> Array:
    rng = np.random.default_rng(seed)
    x = data_of(name, rng, n_rows)
    x[rng.random(x.shape) < 0.2] = np.nan
    x[::23] = np.nan  # some rows wholly missing
    return x


CASES = [(name, "em") for name in sorted(FAMILIES)] + [(name, "vb") for name in WITH_PRIOR]


@pytest.mark.parametrize("model_type", [mx.Mixture, mx.HMM])
@pytest.mark.parametrize(("name", "inference"), CASES)
def test_the_objective_never_falls_with_missing_values(model_type: Any, name: str, inference: str) -> None:
    model = quiet(
        model_type(FAMILIES[name](), 3, missing="marginalize", inference=inference, random_state=0,
                   max_iter=25, tol=0.0).fit,
        with_missing(name),
    )
    bounds = np.asarray(model.lower_bounds_)
    assert len(bounds) > 5
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))
    assert np.all(np.isfinite(model.components_.natural))


@pytest.mark.parametrize("model_type", [mx.Mixture, mx.HMM])
@pytest.mark.parametrize(("name", "inference"), CASES)
def test_without_missing_values_the_fit_is_bit_for_bit_the_plain_fit(
    model_type: Any, name: str, inference: str
) -> None:
    x = data_of(name, np.random.default_rng(3), 200)
    settings_ = {"inference": inference, "random_state": 0, "max_iter": 15}
    plain = quiet(model_type(FAMILIES[name](), 3, **settings_).fit, x)
    marginalised = quiet(model_type(FAMILIES[name](), 3, missing="marginalize", **settings_).fit, x)
    np.testing.assert_array_equal(marginalised.components_.natural, plain.components_.natural)
    np.testing.assert_array_equal(marginalised.lower_bounds_, plain.lower_bounds_)


def test_vb_charges_a_missing_feature_the_gap_of_its_log_partition() -> None:
    """Under VB a row's term is log p_η̄(x_o) + A(η̄) − E_q[A]: for a product family the observed
    features give η̄·T − E_q[A_d] + log h, and each missing feature A_d(η̄) − E_q[A_d] ≤ 0."""
    x = with_missing("poisson")
    model = quiet(mx.Mixture(mx.Poisson(), 3, inference="vb", missing="marginalize", random_state=0).fit, x)
    q = model.posterior_.components
    natural = q.expected_natural()
    row = np.array([[2.0, np.nan, 5.0]])
    completion = model.family_.completion(np.nan_to_num(row), np.isnan(row), natural)
    term = completion.log_likelihood[0] + model.family_.log_partition(natural) - q.expected_log_partition()
    # λ_d ~ Gamma(shape_d, rate): E_q[A_d] = E_q[λ_d] = shape_d / rate; A_d(η̄) = exp(E_q[log λ_d])
    expected_rate = q.shape / np.reshape(q.rate, (-1, 1))
    seen = [0, 2]
    observed = (row[0, seen] * natural[:, seen] - expected_rate[:, seen]).sum(1) - scipy.special.gammaln(
        row[0, seen] + 1
    ).sum()
    gap = np.exp(natural[:, 1]) - expected_rate[:, 1]
    assert np.all(gap < 0)
    np.testing.assert_allclose(term, observed + gap, rtol=1e-10)


# ----------------------------------------------------------------------------- refusals, impute
def test_a_multinomial_count_cannot_be_marginalised_and_says_why() -> None:
    x = np.random.default_rng(0).multinomial(5, [0.2, 0.3, 0.5], 50).astype(float)
    x[3, 1] = np.nan
    with pytest.raises(CannotMarginalise, match=r"Multinomial cannot marginalise a missing count.*trials"):
        quiet(mx.Mixture(mx.Multinomial(), 2, missing="marginalize", random_state=0).fit, x)


def test_independent_with_a_multinomial_part_is_fine_while_its_counts_are_observed() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.random((200, 2)) < 0.3, rng.multinomial(5, [0.2, 0.3, 0.5], 200)]).astype(float)
    family = mx.Independent((mx.Bernoulli(), [0, 1]), (mx.Multinomial(), [2, 3, 4]))
    gappy = x.copy()
    gappy[rng.random(200) < 0.3, 0] = np.nan
    model = quiet(mx.Mixture(family, 2, missing="marginalize", random_state=0).fit, gappy)
    assert np.isfinite(model.score(gappy))
    gappy[5, 3] = np.nan
    with pytest.raises(CannotMarginalise, match=r"Independent\(Bernoulli, Multinomial\): Multinomial cannot"):
        quiet(mx.Mixture(family, 2, missing="marginalize", random_state=0).fit, gappy)


def test_impute_fills_each_missing_feature_with_its_posterior_mean() -> None:
    x = with_missing("poisson")
    model = quiet(mx.Mixture(mx.Poisson(), 3, missing="marginalize", random_state=0).fit, x)
    imputed = model.impute(x)
    expected = model.predict_proba(x) @ model.components_.rate
    np.testing.assert_allclose(imputed[np.isnan(x)], expected[np.isnan(x)], rtol=1e-12)
    np.testing.assert_array_equal(imputed[~np.isnan(x)], x[~np.isnan(x)])


def test_categorical_symbols_are_not_averaged_by_impute() -> None:
    x = with_missing("categorical")
    model = quiet(mx.Mixture(mx.Categorical(), 2, missing="marginalize", random_state=0).fit, x)
    with pytest.raises(ValueError, match="average of labels is no symbol"):
        model.impute(x)


# ----------------------------------------------------------------------------- a user's family
@attrs.frozen
class Rayleigh(mx.ExponentialFamily):
    """A user's per-feature family: ``T(x) = x²``, ``η = −1/(2σ²)``, ``A = −Σ log(−2η)``, ``h = x``."""

    def sufficient_statistics(self, x: Array) -> Array:
        return x**2

    def log_base_measure(self, x: Array) -> Array:
        return np.log(x).sum(1)

    def log_partition(self, natural: Array) -> Array:
        return -np.log(-2.0 * natural).sum(1)

    def natural_to_mean(self, natural: Array) -> Array:
        return -1.0 / natural

    def mean_to_natural(self, mean: Array) -> Array:
        return -1.0 / mean

    def validate(self, x: Array) -> None:
        if np.any(x <= 0):
            raise ValueError("Rayleigh data must be > 0")

    def feature_columns(self, n_features: int) -> Array:
        return np.arange(n_features)[:, None]


@attrs.frozen
class MisdeclaredPoisson(mx.Poisson):
    """Claims feature d owns the statistic of feature D − 1 − d."""

    def feature_columns(self, n_features: int) -> Array:
        return np.arange(n_features)[::-1, None]


def test_a_users_family_gets_missing_values_by_declaring_its_features() -> None:
    x = np.random.default_rng(0).rayleigh(1.5, (300, 3))
    report = check_family(Rayleigh(), x, max_examples=10)
    assert "assert_missing_is_marginal" in report.properties
    assert report.notes == ()
    gappy = x.copy()
    gappy[np.random.default_rng(1).random(x.shape) < 0.2] = np.nan
    model = mx.Mixture(Rayleigh(), 2, missing="marginalize", random_state=0, max_iter=20, tol=0)
    model = quiet(model.fit, gappy)
    assert np.all(np.diff(model.lower_bounds_) >= -1e-10 * np.abs(model.lower_bounds_[1:]))


def test_the_kit_catches_a_wrong_declaration_and_notes_a_refusal() -> None:
    x = np.random.default_rng(0).poisson([1.0, 9.0], (200, 2)).astype(float)
    with pytest.raises(AssertionError, match=r"MisdeclaredPoisson: (completion|with entries)"):
        check_family(MisdeclaredPoisson(), x, max_examples=10)
    report = check_family(mx.Multinomial(n_trials=5), max_examples=3)
    assert "assert_missing_is_marginal" not in report.properties
    assert "Multinomial cannot marginalise" in report.notes[0]
    assert "skipped: assert_missing_is_marginal" in str(report)


def test_a_bad_declaration_is_refused_naming_the_method() -> None:
    @attrs.frozen
    class Overlapping(mx.Poisson):
        def feature_columns(self, n_features: int) -> Array:
            return np.zeros((n_features, 1), dtype=int)

    refusal = r"Overlapping\.feature_columns must return"
    with warnings.catch_warnings(), pytest.raises(ValueError, match=refusal):
        warnings.simplefilter("ignore")
        Overlapping().completion(np.ones((2, 2)), np.eye(2, dtype=bool), np.zeros((1, 2)))
