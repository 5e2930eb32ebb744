"""Variational Bayes and MAP-EM through the Mixture estimator."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import scipy.integrate

import mixtures as mx

from helpers import Exponential, seed_data


def _three_clusters(n_samples: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    return centres[rng.integers(0, 3, size=n_samples)] + rng.standard_normal((n_samples, 2))


@pytest.mark.parametrize("weight_prior", [mx.DirichletWeights(), mx.StickBreaking()])
def test_generous_k_finds_three_clusters(weight_prior) -> None:
    x = _three_clusters(1500)
    model = mx.Mixture(
        mx.Gaussian(), 10, inference="vb", weight_prior=weight_prior, random_state=0,
        max_iter=2000, tol=1e-10,
    ).fit(x)
    assert model.n_effective_components_ == 3
    assert np.sum(model.weights_ > 0.01) == 3
    assert model.effective_components_.sum() == 3
    heavy = model.components_.mean[model.effective_components_]
    for centre in ([0.0, 0.0], [10.0, 0.0], [0.0, 10.0]):
        assert np.min(np.linalg.norm(heavy - centre, axis=1)) < 0.3


def test_predictive_approaches_em_as_n_grows() -> None:
    """K=1, vague prior: the posterior predictive score tends to the maximum-likelihood score."""
    gaps = []
    for n_samples in (30, 300, 3000, 30000):
        x = np.random.default_rng(n_samples).standard_normal((n_samples, 2)) @ [[1.0, 0.4], [0.0, 0.7]]
        vague = mx.NormalWishart(mean_precision=1e-6, dof=2.0, scale=1e6 * np.eye(2))
        vb = mx.Mixture(mx.Gaussian(reg_covar=0.0), 1, inference="vb", prior=vague).fit(x)
        em = mx.Mixture(mx.Gaussian(reg_covar=0.0), 1).fit(x)
        gaps.append(abs(vb.score(x) - em.score(x)))
    assert all(later < earlier for earlier, later in itertools.pairwise(gaps))
    assert gaps[-1] < 1e-3


@pytest.mark.parametrize("family", [mx.Gaussian, mx.TiedGaussian, mx.Poisson])
def test_elbo_never_decreases(family) -> None:
    x = seed_data()[0] if family is not mx.Poisson else np.random.default_rng(0).poisson(
        [[2.0, 9.0]], size=(500, 2)
    ).astype(float)
    model = mx.Mixture(family(), 4, inference="vb", init="random", max_iter=60, tol=0.0, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        model.fit(x)
    bounds = np.asarray(model.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-9 * np.abs(bounds[1:]))


def test_vb_gaussian_predictive_is_a_density() -> None:
    rng = np.random.default_rng(2)
    x = np.r_[rng.normal(-2, 0.5, 40), rng.normal(3, 1.0, 60)][:, None]
    model = mx.Mixture(mx.Gaussian(), 2, inference="vb", random_state=0).fit(x)
    total, _ = scipy.integrate.quad(lambda t: np.exp(model.score_samples([[t]]))[0], -30, 30, limit=200)
    assert total == pytest.approx(1.0, abs=1e-7)


def test_vb_poisson_predictive_is_a_distribution() -> None:
    x = np.random.default_rng(0).poisson(4.0, size=(50, 1)).astype(float)
    model = mx.Mixture(mx.Poisson(), 2, inference="vb", random_state=0).fit(x)
    support = np.arange(0, 300, dtype=float)[:, None]
    assert np.exp(model.score_samples(support)).sum() == pytest.approx(1.0, abs=1e-10)


def test_vb_attributes_and_predictions() -> None:
    x, _ = seed_data(600)
    model = mx.Mixture(mx.Gaussian(), 3, inference="vb", random_state=0, n_init=2).fit(x)
    q = model.posterior_.components
    assert isinstance(q, mx.NormalWishart) and q.dof.shape == (3,)
    np.testing.assert_allclose(model.weights_, model.posterior_.weights.mean_weights())
    np.testing.assert_allclose(model.components_.mean, q.location, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(
        model.components_.covariance, np.linalg.inv(q.expected_precision()), rtol=1e-10
    )
    # dof defaults to D + 2, so that the prior has a mode
    assert isinstance(model.prior_, mx.NormalWishart) and model.prior_.dof[0] == 4.0
    np.testing.assert_allclose(model.predict_proba(x).sum(1), 1.0)
    np.testing.assert_array_equal(
        mx.Mixture(mx.Gaussian(), 3, inference="vb", random_state=0, n_init=2).fit_predict(x),
        model.predict(x),
    )
    samples, _labels = model.sample(10)
    assert samples.shape == (10, 2)


def test_refitting_by_em_drops_the_variational_state() -> None:
    x, _ = seed_data(300)
    model = mx.Mixture(mx.Gaussian(), 2, inference="vb", random_state=0).fit(x)
    assert hasattr(model, "posterior_")
    model.set_params(inference="em").fit(x)
    assert not hasattr(model, "posterior_") and not hasattr(model, "n_effective_components_")
    assert model.score(x) == pytest.approx(model.score_samples(x).mean())


def test_map_em_is_monotone_and_shrinks_towards_the_prior() -> None:
    x, _ = seed_data(200)
    strong = mx.NormalWishart(dof=500.0, scale=np.eye(2) / 500.0)  # prior precision I, very sure
    model = mx.Mixture(mx.Gaussian(reg_covar=0.0), 3, prior=strong, random_state=0).fit(x)
    bounds = np.asarray(model.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-9 * np.abs(bounds[1:]))
    mle = mx.Mixture(mx.Gaussian(reg_covar=0.0), 3, random_state=0).fit(x)
    to_identity = lambda m: np.abs(m.components_.covariance - np.eye(2)).max()  # noqa: E731
    assert to_identity(model) < to_identity(mle)
    assert model.prior_.dof[0] == 500.0


def test_map_em_handles_identical_points_without_a_ridge() -> None:
    x = np.tile([[1.0, 2.0]], (20, 1))
    model = mx.Mixture(mx.Gaussian(reg_covar=0.0), 2, prior=mx.NormalWishart(dof=3.0), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.EmptyComponentWarning)
        model.fit(x)
    assert np.all(np.isfinite(model.components_.natural))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"prior": mx.Gamma()}, "Gamma prior is for Poisson components, not Gaussian"),
        ({"prior": "normal-wishart"}, "prior must be a ConjugatePrior"),
        ({"weight_prior": 0.5}, "weight_prior must be DirichletWeights"),
        ({"prior": mx.NormalWishart(dof=0.5)}, "dof must exceed D - 1 = 1"),
        ({"prior": mx.NormalWishart(mean_precision=-1.0)}, "mean_precision must be >= 0"),
        ({"prior": mx.NormalWishart(mean=[1.0, 2.0, 3.0])}, "NormalWishart.mean must be"),
        ({"prior": mx.NormalWishart(scale=-np.eye(2))}, "scale is not positive definite"),
        ({"prior": mx.NormalWishart(scale=np.eye(3))}, "NormalWishart.scale must have shape"),
    ],
)
def test_bad_priors(params: dict, message: str) -> None:
    x, _ = seed_data(100)
    with pytest.raises(ValueError, match=message):
        mx.Mixture(mx.Gaussian(), 2, inference="vb", **params).fit(x)


def test_a_weight_prior_under_em_is_a_map_prior_with_concentration_at_least_one() -> None:
    x, _ = seed_data(100)
    with pytest.raises(ValueError, match=r"weight_prior: under inference='em' .* needs concentration >= 1"):
        mx.Mixture(mx.Gaussian(), 2, weight_prior=mx.DirichletWeights()).fit(x)  # VB's 1/K
    with pytest.raises(ValueError, match="StickBreaking is for inference='vb'"):
        mx.Mixture(mx.Gaussian(), 2, weight_prior=mx.StickBreaking()).fit(x)


def test_empty_components_are_not_effective_on_small_data() -> None:
    """With few samples an empty component's E[π] can exceed 1%; it received no data, so it is
    not counted as effective."""
    x = _three_clusters(100)
    model = mx.Mixture(
        mx.Gaussian(), 8, inference="vb", weight_prior=mx.DirichletWeights(concentration=1.5),
        random_state=0, max_iter=2000,
    ).fit(x)
    assert model.n_effective_components_ <= 4
    assert np.all(model.weights_[~model.effective_components_] < 0.02)


def test_bad_weight_concentration() -> None:
    with pytest.raises(ValueError, match="concentration must be positive"):
        mx.DirichletWeights(concentration=0.0)
    with pytest.raises(ValueError, match="concentration must be positive"):
        mx.StickBreaking(concentration=-1.0)


def test_vb_refuses_given_parameters_and_unknown_families() -> None:
    x, _ = seed_data(100)
    start = (np.ones(2) / 2, mx.Gaussian().components_from(np.zeros((2, 2)), np.tile(np.eye(2), (2, 1, 1))))
    with pytest.raises(ValueError, match="init=\\(weights, components\\) is for EM"):
        mx.Mixture(mx.Gaussian(), 2, inference="vb", init=start).fit(x)

    # a user's family (tests/helpers.py) without a conjugate prior
    with pytest.raises(ValueError, match="no default conjugate prior for Exponential"):
        mx.Mixture(Exponential(), 2, inference="vb").fit(np.ones((10, 1)))
    em = mx.Mixture(Exponential(), 2, random_state=0).fit(np.random.default_rng(0).exponential(size=(50, 1)))
    assert np.all(np.isfinite(em.components_.natural))
