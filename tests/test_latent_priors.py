"""MAP-EM with Dirichlet priors on the latent side: a mixture's weights, an HMM's start and
transition rows (hmmlearn's ``startprob_prior`` and ``transmat_prior``)."""

from __future__ import annotations

import numpy as np
import pytest

import mixtures as mx

from helpers import quiet


def chain(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    states = np.zeros(900, dtype=int)
    for t in range(1, 900):
        states[t] = states[t - 1] if rng.random() < 0.93 else rng.integers(0, 3)
    x = np.array([[0.0, 0.0], [2.0, 0.5], [0.5, 2.5]])[states] + rng.normal(size=(900, 2))
    return x, np.array([300, 300, 300])


def start_parameters(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    startprob = np.array([0.5, 0.3, 0.2])
    transmat = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
    means = np.array([[0.2, 0.1], [1.5, 0.8], [0.8, 2.0]])
    covariances = np.stack([np.eye(2)] * 3)
    return startprob, transmat, means, covariances


@pytest.mark.parametrize("n_iter", [1, 5, 20])
def test_map_start_and_transitions_agree_with_hmmlearn(n_iter: int) -> None:
    hmm = pytest.importorskip("hmmlearn.hmm")
    x, lengths = chain()
    startprob, transmat, means, covariances = start_parameters(x)
    start_alpha, row_alpha = np.array([2.0, 5.0, 1.0]), np.array([3.0, 1.0, 1.5])
    peer = hmm.GaussianHMM(
        3, covariance_type="full", n_iter=n_iter, tol=0.0, init_params="", params="stmc",
        startprob_prior=start_alpha, transmat_prior=np.tile(row_alpha, (3, 1)),
        min_covar=1e-12, implementation="log", covars_prior=0.0, covars_weight=0.0,  # ML covariances
    )
    peer.startprob_, peer.transmat_, peer.means_, peer.covars_ = startprob, transmat, means, covariances
    peer.fit(x, lengths)
    family = mx.Gaussian(feature_scale=1.0, reg_covar=1e-12)
    init = (startprob, transmat, family.components_from(means, covariances))
    ours = quiet(
        mx.HMM(
            family, 3, init=init, max_iter=n_iter, tol=0.0,
            start_prior=mx.DirichletWeights(concentration=start_alpha),
            transition_prior=mx.DirichletWeights(concentration=row_alpha),
        ).fit,
        x, lengths=lengths,
    )
    np.testing.assert_allclose(ours.startprob_, peer.startprob_, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(ours.transmat_, peer.transmat_, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(ours.components_.mean, peer.means_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.components_.covariance, peer.covars_, rtol=1e-6, atol=1e-9)
    assert ours.score(x, lengths=lengths) == pytest.approx(peer.score(x, lengths), rel=1e-8)


def test_map_weights_are_the_posterior_mode_and_the_objective_is_monotone() -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, (40, 1)), rng.normal(5, 1, (360, 1))])
    alpha = np.array([30.0, 1.0])
    model = quiet(
        mx.Mixture(mx.Gaussian(), 2, weight_prior=mx.DirichletWeights(concentration=alpha),
                   random_state=0, tol=0.0, max_iter=50).fit, x,
    )
    counts = model.predict_proba(x).sum(0)
    expected = (counts + alpha - 1) / (counts + alpha - 1).sum()
    np.testing.assert_allclose(model.weights_, expected, rtol=1e-6)
    assert np.all(np.diff(model.lower_bounds_) >= -1e-10)


def test_hmm_map_objective_is_monotone_and_includes_the_priors() -> None:
    x, lengths = chain(2)
    settings = {"start_prior": mx.DirichletWeights(concentration=3.0),
                "transition_prior": mx.DirichletWeights(concentration=2.0)}
    model = quiet(mx.HMM(mx.Gaussian(), 3, random_state=0, tol=0.0, max_iter=30, **settings).fit,
                  x, lengths=lengths)
    assert np.all(np.diff(model.lower_bounds_) >= -1e-10)
    # the objective is the log-likelihood plus the priors' log densities, per observation
    from scipy.stats import dirichlet

    log_prior = dirichlet.logpdf(model.startprob_, np.full(3, 3.0)) + sum(
        dirichlet.logpdf(row, np.full(3, 2.0)) for row in model.transmat_
    )
    total = model.score(x, lengths=lengths) + log_prior
    assert model.lower_bound_ * 900 == pytest.approx(total, rel=1e-9)


def test_latent_priors_reach_an_hmm_with_mixture_emissions() -> None:
    x, lengths = chain(3)
    model = quiet(
        mx.HMM(mx.Gaussian(), 3, n_mix=2, random_state=0, tol=0.0, max_iter=15,
               transition_prior=mx.DirichletWeights(concentration=4.0)).fit,
        x, lengths=lengths,
    )
    assert np.all(np.diff(model.lower_bounds_) >= -1e-10)
    assert np.diag(model.transmat_).min() > 0.5
