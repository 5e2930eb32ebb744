"""Independent products of families over column groups (mixed data), and their product prior."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats

import mixtures as mx
from mixtures.families.statistics import SufficientStatistics
from mixtures.priors import Beta, Dirichlet, Gamma, NormalGamma, NormalWishart, default_prior
from mixtures.testing import check_family

# --------------------------------------------------------------------------- synthetic mixed data
K_TRUE = 3
G_MEANS = np.array([[0.0, 0.0, 0.0], [6.0, 6.0, -6.0], [-6.0, 6.0, 6.0]])
G_SCALES = np.array([[1.0, 0.5, 2.0], [0.7, 1.0, 1.0], [1.5, 1.0, 0.6]])
B_PROBS = np.array([[0.9] * 7, [0.1] * 7, [0.5, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1]])
P_RATES = np.array([[1.0, 10.0], [10.0, 1.0], [5.0, 5.0]])
C_PROBS = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
TRANSMAT = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])


def mixed_family(**gaussian: float) -> mx.Independent:
    return mx.Independent(
        (mx.DiagonalGaussian(**gaussian), [0, 1, 2]),
        (mx.Bernoulli(), slice(3, 10)),
        (mx.Poisson(), [10, 11]),
        (mx.Categorical(), [12]),
    )


def emit(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = labels.shape[0]
    gaussian = G_MEANS[labels] + rng.standard_normal((n, 3)) * G_SCALES[labels]
    binary = (rng.random((n, 7)) < B_PROBS[labels]).astype(float)
    counts = rng.poisson(P_RATES[labels]).astype(float)
    symbols = (C_PROBS[labels].cumsum(1) < rng.random((n, 1))).sum(1)[:, None].astype(float)
    return np.hstack([gaussian, binary, counts, symbols])


def mixed_data(n: int = 1500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.choice(K_TRUE, size=n, p=[0.3, 0.3, 0.4])
    return emit(labels, rng), labels


def chain_data(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    states = np.empty(n, dtype=int)
    states[0] = 0
    for t in range(1, n):
        states[t] = rng.choice(K_TRUE, p=TRANSMAT[states[t - 1]])
    return emit(states, rng), states


def match(fitted_means: np.ndarray) -> np.ndarray:
    """``order[j]``: the fitted component standing for true component ``j`` (by Gaussian means)."""
    distances = ((G_MEANS[:, None, :] - fitted_means[None, :, :]) ** 2).sum(-1)
    order = distances.argmin(1)
    assert sorted(order) == list(range(K_TRUE)), "components do not match the true clusters"
    return order


def assert_recovers(
    components: mx.Components, order: np.ndarray, atol: float = 0.1, scale_rtol: float = 0.15
) -> None:
    gaussian, binary, counts, symbols = components.parts
    np.testing.assert_allclose(gaussian.mean[order], G_MEANS, atol=0.25)
    np.testing.assert_allclose(np.sqrt(gaussian.variance[order]), G_SCALES, rtol=scale_rtol)
    np.testing.assert_allclose(binary.probs[order], B_PROBS, atol=atol)
    np.testing.assert_allclose(counts.rate[order], P_RATES, rtol=0.15)
    np.testing.assert_allclose(symbols.probs[order][:, 0, :], C_PROBS, atol=atol)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return mixed_data()


def configured(x: np.ndarray, family: mx.Independent | None = None) -> mx.Independent:
    family = mixed_family() if family is None else family
    family.validate(x)
    return family.for_data(x, np.ones(x.shape[0]))


def random_natural(family: mx.Independent, x: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    responsibilities = rng.dirichlet(np.ones(k), size=x.shape[0])
    return family.maximum_likelihood(family.expected_statistics(x, responsibilities))


# --------------------------------------------------------------------------- densities
def test_log_likelihood_is_the_sum_of_the_parts(data) -> None:
    x, _ = data
    family = configured(x)
    natural = random_natural(family, x, 4)
    blocks = family.split(natural)
    expected = sum(
        part.log_likelihood(x[:, list(columns)], block)
        for part, columns, block in zip(family.parts, family.columns, blocks, strict=True)
    )
    np.testing.assert_array_equal(family.log_likelihood(x, natural), expected)
    # the statistics path the drivers use agrees, with A(η) given (EM) or not
    stats, log_base = family.sufficient_statistics(x), family.log_base_measure(x)
    np.testing.assert_allclose(family.log_likelihood_of_statistics(stats, log_base, natural), expected,
                               rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(
        family.log_likelihood_of_statistics(stats, log_base, natural, family.log_partition(natural)),
        expected, rtol=1e-12, atol=1e-10,
    )
    # and the generic formula log h + T ηᵀ − A(η)
    generic = log_base[:, None] + stats @ natural.T - family.log_partition(natural)[None, :]
    np.testing.assert_allclose(expected, generic, rtol=1e-9, atol=1e-8)


def test_log_density_matches_scipy() -> None:
    family = mx.Independent(
        (mx.Bernoulli(), [1, 3]),
        (mx.Gaussian(), [4, 0]),
        (mx.Poisson(), [2]),
        (mx.Categorical(n_categories=3), [5]),
    )
    mean, cov = np.array([1.0, -2.0]), np.array([[2.0, 0.6], [0.6, 1.0]])
    probs, rate, symbol_probs = np.array([0.3, 0.8]), 4.5, np.array([0.2, 0.5, 0.3])
    components = family.components_from(
        mx.Bernoulli().components_from(probs[None]),
        mx.Gaussian().components_from(mean[None], cov[None]),
        mx.Poisson().components_from([[rate]]),
        mx.Categorical(n_categories=3).components_from(symbol_probs[None, None]),
    )
    rng = np.random.default_rng(3)
    n = 50
    x = np.empty((n, 6))
    x[:, [4, 0]] = rng.multivariate_normal(mean, cov, size=n)
    x[:, [1, 3]] = rng.random((n, 2)) < probs
    x[:, 2] = rng.poisson(rate, n)
    x[:, 5] = rng.integers(0, 3, n)
    expected = (
        scipy.stats.multivariate_normal(mean, cov).logpdf(x[:, [4, 0]])
        + scipy.stats.bernoulli(probs).logpmf(x[:, [1, 3]]).sum(1)
        + scipy.stats.poisson(rate).logpmf(x[:, 2])
        + np.log(symbol_probs[x[:, 5].astype(int)])
    )
    np.testing.assert_allclose(components.log_likelihood(x)[:, 0], expected, rtol=1e-10)
    # the parts of the view are the parts' own components, with their conventional names
    bernoulli, gaussian, poisson, categorical = components.parts
    np.testing.assert_allclose(bernoulli.probs[0], probs)
    np.testing.assert_allclose(gaussian.covariance[0], cov)
    np.testing.assert_allclose(poisson.rate[0, 0], rate)
    np.testing.assert_allclose(categorical.probs[0, 0], symbol_probs)
    assert components.part(1) is not None and len(components) == 1


def test_variational_log_likelihood_uses_expected_log_partition(data) -> None:
    x, _ = data
    family = configured(x)
    natural = random_natural(family, x, 3)
    expected_a = family.log_partition(natural) + np.array([0.1, 2.0, 0.0])  # a Jensen gap
    stats, log_base = family.sufficient_statistics(x), family.log_base_measure(x)
    got = family.log_likelihood_of_statistics(stats, log_base, natural, expected_a)
    generic = log_base[:, None] + stats @ natural.T - expected_a[None, :]
    np.testing.assert_allclose(got, generic, rtol=1e-9, atol=1e-8)


def test_gaussian_part_keeps_its_stable_log_density() -> None:
    """Offset data with tight components: the Gaussian's centred form still applies inside."""
    rng = np.random.default_rng(0)
    x = np.hstack([1e8 + 1e-3 * rng.standard_normal((200, 2)), rng.poisson(3.0, (200, 1))])
    gaussian = mx.Gaussian().for_data(x[:, :2], np.ones(200))
    family = configured(x, mx.Independent((mx.Gaussian(), [0, 1]), (mx.Poisson(), [2])))
    natural = random_natural(family, x, 2)
    g_natural = family.split(natural)[0]
    ours = family.log_likelihood(x, natural)
    theirs = gaussian.log_likelihood(x[:, :2], g_natural) + mx.Poisson().log_likelihood(
        x[:, 2:], family.split(natural)[1]
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    stats, log_base = family.sufficient_statistics(x), family.log_base_measure(x)
    for given in (None, family.log_partition(natural)):
        np.testing.assert_allclose(
            family.log_likelihood_of_statistics(stats, log_base, natural, given), theirs, rtol=1e-9
        )
    fitted = mx.Mixture(family, 1).fit(x)
    np.testing.assert_allclose(fitted.components_.parts[0].mean[0], x[:, :2].mean(0), rtol=1e-14)
    np.testing.assert_allclose(
        # the ridge reg_covar = 1e-6 is relative to each feature's variance
        fitted.components_.parts[0].covariance[0],
        np.cov(x[:, :2].T, bias=True) + 1e-6 * np.diag(x[:, :2].var(0)),
        rtol=1e-6,
    )


# --------------------------------------------------------------------------- the interface, blockwise
def test_configuration_and_blockwise_maps(data) -> None:
    x, _ = data
    family = configured(x)
    gaussian, _, _, categorical = family.parts
    np.testing.assert_allclose(gaussian.origin, x[:, :3].mean(0))
    assert categorical.n_categories == 3
    assert family.statistic_widths == (6, 7, 2, 3)
    natural = random_natural(family, x, 3)
    assert natural.shape == (3, 18)
    mean = family.natural_to_mean(natural)
    np.testing.assert_allclose(family.mean_to_natural(mean), natural, rtol=1e-9, atol=1e-12)
    for part, block, mean_block in zip(family.parts, family.split(natural), family.split(mean), strict=True):
        np.testing.assert_allclose(part.natural_to_mean(block), mean_block)
    assert family.n_free_parameters(natural) == 3 * (6 + 7 + 2 + 2)
    features = family.init_features(x)
    assert features.shape == (x.shape[0], 3 + 7 + 2 + 3)
    # sampling fills each part's own columns
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 4000)
    draws = family.sample(natural, labels, rng)
    assert draws.shape == (4000, 13)
    family.validate(draws)
    assert set(np.unique(draws[:, 3:10])) <= {0.0, 1.0}
    assert set(np.unique(draws[:, 12])) <= {0.0, 1.0, 2.0}


def test_tied_part_keeps_its_pooled_m_step() -> None:
    rng = np.random.default_rng(2)
    x = np.hstack([rng.standard_normal((300, 2)) @ [[1.0, 0.4], [0.0, 1.0]], rng.poisson(2.0, (300, 2))])
    family = configured(x, mx.Independent((mx.TiedGaussian(), [0, 1]), (mx.Poisson(), [2, 3])))
    statistics = family.expected_statistics(x, np.random.default_rng(0).dirichlet([1, 1, 1], size=300))
    natural = family.maximum_likelihood(statistics)
    tied = family.parts[0]
    sums = family.split(statistics.sums)
    np.testing.assert_allclose(
        family.split(natural)[0], tied.maximum_likelihood(SufficientStatistics(statistics.counts, sums[0]))
    )
    covariances = np.linalg.inv(-2 * tied.unpack(family.split(natural)[0][:, 2:], 2.0))
    np.testing.assert_allclose(covariances[0], covariances[1])
    np.testing.assert_allclose(covariances[0], covariances[2])
    assert family.n_free_parameters(natural) == tied.n_free_parameters(family.split(natural)[0]) + 3 * 2
    model = mx.Mixture(family, 2, random_state=0).fit(x)
    assert model.components_.parts[0].covariance.shape == (2, 2)


def test_empty_component_keeps_previous_parameters(data) -> None:
    x, _ = data
    family = configured(x)
    previous = random_natural(family, x, 3)
    responsibilities = np.zeros((x.shape[0], 3))
    responsibilities[:, :2] = 0.5
    natural = family.maximum_likelihood(family.expected_statistics(x, responsibilities), previous)
    np.testing.assert_array_equal(natural[2], previous[2])


def test_check_family_passes() -> None:
    x, _ = mixed_data(120, seed=4)
    family = mx.Independent(
        (mx.DiagonalGaussian(reg_covar=0.0), [0, 1]),
        (mx.Bernoulli(), [2, 3]),
        (mx.Poisson(), [4]),
        (mx.Categorical(), [5]),
    )
    check_family(family, x[:, [0, 1, 3, 4, 10, 12]], max_examples=8)


def test_check_family_passes_with_a_tied_part() -> None:
    x, _ = mixed_data(120, seed=5)
    family = mx.Independent((mx.Poisson(), [1]), (mx.TiedGaussian(reg_covar=0.0), [2, 0]))
    check_family(family, x[:, [0, 10, 2]], max_examples=5)


# --------------------------------------------------------------------------- estimators
@pytest.mark.parametrize("inference", ["em", "vb"])
def test_mixture_recovers_mixed_clusters(data, inference: str) -> None:
    x, labels = data
    model = mx.Mixture(mixed_family(), K_TRUE, inference=inference, n_init=2, random_state=0).fit(x)
    assert model.converged_
    order = match(model.components_.parts[0].mean)
    np.testing.assert_allclose(model.weights_[order], [0.3, 0.3, 0.4], atol=0.04)
    # VB reports posterior means: the default prior's broad variance (that of all the data)
    # inflates the small components' variances a little
    assert_recovers(model.components_, order, scale_rtol=0.15 if inference == "em" else 0.25)
    predicted = model.predict(x)
    assert np.mean(order[labels] == predicted) > 0.99
    assert np.all(np.diff(model.lower_bounds_) > -1e-9 * np.abs(model.lower_bounds_[:-1]))
    assert np.isfinite(model.score(x)) and np.isfinite(model.bic(x))
    samples, _ = model.sample(50)
    assert samples.shape == (50, 13)
    model.family_.validate(samples)
    if inference == "vb":
        assert isinstance(model.prior_, mx.IndependentPrior)
        # the posterior predictive is the parts' predictives summed (Student-t for the Gaussian)
        q = model.posterior_.components
        expected = sum(
            part.log_predictive(x[:20, list(columns)])
            for part, columns in zip(q.parts, model.family_.columns, strict=True)
        )
        np.testing.assert_allclose(q.log_predictive(x[:20]), expected)


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_one_part_is_the_family_itself(data, inference: str) -> None:
    """A product of one part fits exactly as that part alone (same start, same iterations)."""
    x, _ = data
    start = np.random.default_rng(0).dirichlet(np.ones(3), size=x.shape[0])
    single = mx.Independent((mx.Gaussian(), slice(0, 3)))
    ours = mx.Mixture(single, 3, inference=inference, init=start, max_iter=30, tol=0.0)
    theirs = mx.Mixture(mx.Gaussian(), 3, inference=inference, init=start, max_iter=30, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        ours.fit(x[:, :3])
        theirs.fit(x[:, :3])
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-10)
    np.testing.assert_allclose(ours.components_.parts[0].mean, theirs.components_.mean, rtol=1e-9)
    np.testing.assert_allclose(ours.score_samples(x[:, :3]), theirs.score_samples(x[:, :3]), rtol=1e-10)


def test_map_em_with_product_prior(data) -> None:
    x, _ = data
    prior = mx.IndependentPrior(None, Beta(a=2.0, b=2.0), Gamma(rate=0.1), None)
    model = mx.Mixture(mixed_family(), K_TRUE, prior=prior, random_state=0, n_init=2).fit(x)
    order = match(model.components_.parts[0].mean)
    assert_recovers(model.components_, order, scale_rtol=0.25)
    assert np.all(np.diff(model.lower_bounds_) > -1e-9 * np.abs(model.lower_bounds_[:-1]))


def test_init_from_part_components(data) -> None:
    x, _ = data
    family = mixed_family()
    start = family.components_from(
        mx.DiagonalGaussian().components_from(G_MEANS + 0.5, G_SCALES**2),
        mx.Bernoulli().components_from(np.full((3, 7), 0.5) + 0.1 * (B_PROBS - 0.5)),
        mx.Poisson().components_from(P_RATES + 1.0),
        mx.Categorical(n_categories=3).components_from(np.full((3, 1, 3), 1 / 3)),
    )
    assert [type(p) for p in start.parts] == [
        mx.families.DiagonalGaussianComponents, mx.families.BernoulliComponents,
        mx.families.PoissonComponents, mx.families.CategoricalComponents,
    ]
    model = mx.Mixture(family, 3, init=(np.full(3, 1 / 3), start), max_iter=200).fit(x)
    assert_recovers(model.components_, np.arange(3))
    with pytest.raises(ValueError, match="cannot stand for"):
        family.components_from(*start.parts[:2], start.parts[3], start.parts[2])
    with pytest.raises(ValueError, match="needs 4 part components"):
        family.components_from(*start.parts[:3])
    with pytest.raises(ValueError, match="columns"):
        other = mx.Independent(
            (mx.DiagonalGaussian(), [0, 1, 2]), (mx.Bernoulli(), slice(3, 10)),
            (mx.Poisson(), [11, 10]), (mx.Categorical(), [12]),
        )
        mx.Mixture(other, 3, init=(np.full(3, 1 / 3), start)).fit(x)


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_hmm_recovers_a_mixed_chain(inference: str) -> None:
    x, states = chain_data()
    lengths = [700, 600, 700]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        model = mx.HMM(mixed_family(), K_TRUE, inference=inference, random_state=0).fit(x, lengths=lengths)
    order = match(model.components_.parts[0].mean)
    assert_recovers(model.components_, order, atol=0.12, scale_rtol=0.15 if inference == "em" else 0.25)
    np.testing.assert_allclose(model.transmat_[np.ix_(order, order)], TRANSMAT, atol=0.05)
    assert np.mean(order[states] == model.predict(x, lengths=lengths)) > 0.99
    assert np.isfinite(model.score(x, lengths=lengths))


# --------------------------------------------------------------------------- the product prior
@pytest.fixture(scope="module")
def posterior(data):
    x, _ = data
    family = configured(
        x,
        mx.Independent(
            (mx.Gaussian(), [0, 1]), (mx.DiagonalGaussian(), [2]), (mx.Bernoulli(), slice(3, 10)),
            (mx.Poisson(), [10, 11]), (mx.Categorical(), [12]),
        ),
    )
    prior = default_prior(family).for_data(family, x, np.ones(x.shape[0]), 3)
    responsibilities = np.random.default_rng(1).dirichlet(np.ones(3), size=x.shape[0])
    statistics = family.expected_statistics(x[:300], responsibilities[:300])
    return family, prior, prior.update(statistics), statistics


def test_default_prior_is_the_product_of_the_parts_defaults(posterior) -> None:
    family, prior, _, _ = posterior
    assert isinstance(prior, mx.IndependentPrior)
    kinds = [type(p) for p in prior.parts]
    assert kinds == [NormalWishart, NormalGamma, Beta, Gamma, Dirichlet]
    assert prior.family is family
    fresh = default_prior(mx.Independent((mx.Bernoulli(), [0]), (mx.Categorical(), [1])))
    assert [type(p) for p in fresh.parts] == [Beta, Dirichlet]
    with pytest.raises(ValueError, match="no default conjugate prior"):
        default_prior(_no_default())


def _no_default():
    class Plain(mx.ExponentialFamily):
        def sufficient_statistics(self, x):
            return x

        def log_base_measure(self, x):
            return np.zeros(x.shape[0])

        def log_partition(self, natural):
            return np.exp(natural).sum(1)

        def natural_to_mean(self, natural):
            return np.exp(natural)

        def mean_to_natural(self, mean):
            return np.log(mean)

    return mx.Independent((mx.Bernoulli(), [0]), (Plain(), [1]))


def test_prior_hyperparameters_concatenate(posterior) -> None:
    family, _prior, q, _ = posterior
    chi, counts = q.natural_hyperparameters()
    assert chi.shape == (3, sum(family.statistic_widths))
    assert counts.shape == (3, 2 + 2 + 7 + 1 + 1)
    parts = q.parts
    np.testing.assert_allclose(chi, np.concatenate([p.natural_hyperparameters()[0] for p in parts], 1))
    np.testing.assert_allclose(q.log_normalizer(), sum(p.log_normalizer() for p in parts))
    np.testing.assert_allclose(q.log_normalizer_of(chi, counts), q.log_normalizer())
    np.testing.assert_allclose(q.expected_log_partition(), sum(p.expected_log_partition() for p in parts))
    np.testing.assert_allclose(q.mode(), np.concatenate([p.mode() for p in parts], 1))
    np.testing.assert_allclose(q.log_density(q.mode()), sum(
        p.log_density(b) for p, b in zip(parts, family.split(q.mode()), strict=True)
    ))
    np.testing.assert_allclose(
        q.posterior_mean_natural(), np.concatenate([p.posterior_mean_natural() for p in parts], 1)
    )
    same = q.with_natural_hyperparameters(chi, counts)
    np.testing.assert_allclose(same.expected_natural(), q.expected_natural())
    draws = q.sample_natural(7, np.random.default_rng(0))
    assert draws.shape == (7, *chi.shape)
    assert np.all(np.isfinite(family.log_partition(draws[0])))


def test_gradient_of_log_normalizer_is_expected_natural(posterior) -> None:
    _, _, q, _ = posterior
    chi, counts = q.natural_hyperparameters()
    gradient = np.empty_like(chi)
    for s in range(chi.shape[1]):
        step = 1e-6 * np.maximum(np.abs(chi[:, s]), 1.0)
        shift = np.zeros_like(chi)
        shift[:, s] = step
        upper = q.log_normalizer_of(chi + shift, counts)
        lower = q.log_normalizer_of(chi - shift, counts)
        gradient[:, s] = (upper - lower) / (2 * step)
    np.testing.assert_allclose(gradient, q.expected_natural(), rtol=1e-5, atol=1e-6)
    count_gradient = np.empty_like(counts)
    for b in range(counts.shape[1]):
        step = 1e-6 * np.maximum(np.abs(counts[:, b]), 1.0)
        shift = np.zeros_like(counts)
        shift[:, b] = step
        upper = q.log_normalizer_of(chi, counts + shift)
        lower = q.log_normalizer_of(chi, counts - shift)
        count_gradient[:, b] = (upper - lower) / (2 * step)
    np.testing.assert_allclose(count_gradient, -q.expected_log_partition_blocks(), rtol=1e-5, atol=1e-6)


def test_kl_divergence(posterior) -> None:
    _, prior, q, _ = posterior
    assert abs(q.kl_divergence(q)) < 1e-9
    assert q.kl_divergence(prior) > 0
    assert prior.kl_divergence(q) > 0
    np.testing.assert_allclose(
        q.kl_divergence(prior),
        sum(a.kl_divergence(b) for a, b in zip(q.parts, prior.parts, strict=True)),
    )
    # the generic formula on the concatenated hyperparameters agrees
    np.testing.assert_allclose(
        q.kl_divergence(prior), mx.ConjugatePrior.kl_divergence(q, prior), rtol=1e-10
    )


def test_split_posteriors_equal(posterior, data) -> None:
    x, _ = data
    family, prior, _, _ = posterior
    responsibilities = np.random.default_rng(2).dirichlet(np.ones(3), size=x.shape[0])
    first = family.expected_statistics(x[:700], responsibilities[:700])
    second = family.expected_statistics(x[700:], responsibilities[700:])
    whole = prior.update(family.expected_statistics(x, responsibilities))
    in_turn = prior.update(first).update(second)
    summed = prior.update(first + second)
    for other in (in_turn, summed):
        for a, b in zip(whole.natural_hyperparameters(), other.natural_hyperparameters(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10)
    generic = mx.ConjugatePrior.update(prior, first + second)
    np.testing.assert_allclose(generic.expected_natural(), summed.expected_natural(), rtol=1e-10)


def test_prior_validation(data) -> None:
    x, _ = data
    family = configured(x)
    with pytest.raises(ValueError, match="4 parts"):
        mx.IndependentPrior(None, None).for_data(family, x, np.ones(x.shape[0]), 2)
    with pytest.raises(ValueError, match="ConjugatePrior or None"):
        mx.IndependentPrior(None, "beta", None, None)
    with pytest.raises(ValueError, match="part 1"):
        mx.IndependentPrior(None, Gamma(), None, None).for_data(family, x, np.ones(x.shape[0]), 2)
    with pytest.raises(ValueError, match="Independent families"):
        mx.IndependentPrior().for_data(mx.Poisson(), x[:, 10:12], np.ones(x.shape[0]), 2)
    with pytest.raises(ValueError, match="not resolved"):
        mx.IndependentPrior().expected_natural()
    resolved = mx.IndependentPrior().for_data(family, x, np.ones(x.shape[0]), 2)
    assert [type(p) for p in resolved.parts] == [NormalGamma, Beta, Gamma, Dirichlet]


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (((mx.Bernoulli(), [0, 1]), (mx.Poisson(), [1, 2])), "column 1 belongs to part 0"),
        (((mx.Bernoulli(), [0, 0]),), "more than once"),
        (((mx.Bernoulli(), [-1, 0]),), "negative"),
        (((mx.Bernoulli(), slice(-3, None)),), "explicit stop|negative"),
        (((mx.Bernoulli(), slice(2, 5, -1)),), "positive"),
        (((mx.Bernoulli(), []),), "empty"),
        (((mx.Bernoulli(), slice(4, 4)),), "empty"),
        (((mx.Bernoulli(), [0.5]),), "integers"),
        (((mx.Bernoulli(), "0,1"),), "list of column indices"),
        ((("bernoulli", [0]),), "not an ExponentialFamily"),
        (((mx.Bernoulli, [0]),), "instance"),
        (((mx.Bernoulli(), [0], "extra"),), r"\(family, columns\) pair"),
        ((), "at least one"),
    ],
)
def test_construction_errors(groups, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mx.Independent(*groups)


def test_columns_are_canonical_and_hashable() -> None:
    a = mx.Independent((mx.Bernoulli(), slice(0, 3)), (mx.Poisson(), np.array([3])))
    b = mx.Independent((mx.Bernoulli(), [0, 1, 2]), (mx.Poisson(), 3))
    assert a == b and hash(a) == hash(b)
    assert a.columns == ((0, 1, 2), (3,))
    assert "Independent((Bernoulli" in repr(a)


def test_fit_time_column_errors(data) -> None:
    x, _ = data
    gap = mx.Independent((mx.DiagonalGaussian(), [0, 1, 2]), (mx.Bernoulli(), slice(4, 10)),
                         (mx.Poisson(), [10, 11]), (mx.Categorical(), [12]))
    with pytest.raises(ValueError, match=r"column\(s\) \[3\] of X belong to no part"):
        mx.Mixture(gap, 2).fit(x)
    with pytest.raises(ValueError, match=r"belong to no part"):
        mx.Mixture(mixed_family(), 2).fit(np.hstack([x, x[:, :1]]))
    with pytest.raises(ValueError, match=r"part 3 \(Categorical\) uses column 12, but X has only 12"):
        mx.Mixture(mixed_family(), 2).fit(x[:, :12])
    with pytest.raises(ValueError, match="uses column 12"):
        mx.HMM(mixed_family(), 2).fit(x[:, :12])


def test_validate_names_the_part_and_the_original_column(data) -> None:
    x, _ = data
    bad = x.copy()
    bad[5, 7] = 2.0
    with pytest.raises(ValueError, match=r"part 1 \(Bernoulli, columns 3..9 of X\).*X\[5, 7\] = 2"):
        mx.Mixture(mixed_family(), 2).fit(bad)
    bad = x.copy()
    bad[9, 11] = 1.5
    with pytest.raises(ValueError, match=r"part 2 \(Poisson.*X\[9, 11\]"):
        mixed_family().validate(bad)
    model = mx.Mixture(mixed_family(), 2, random_state=0).fit(x)
    bad = x[:10].copy()
    bad[3, 12] = 7.0  # a symbol the fitted Categorical part never saw
    with pytest.raises(ValueError, match=r"part 3 \(Categorical, column 12 of X\).*X\[3, 12\]"):
        model.predict(bad)
