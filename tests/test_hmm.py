"""The HMM estimator: hmmlearn cross-checks, equivalences, monotonicity, robustness."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mixtures as mx
from mixtures.testing import BUILTIN_CASES

hmmlearn = pytest.importorskip("hmmlearn.hmm")


def _regimes(n_samples: int, seed: int = 0, n_features: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """A three-state Gaussian chain with sticky transitions."""
    rng = np.random.default_rng(seed)
    transmat = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
    states = np.empty(n_samples, dtype=int)
    states[0] = 0
    for t in range(1, n_samples):
        states[t] = rng.choice(3, p=transmat[states[t - 1]])
    centres = np.array([[0.0] * n_features, [3.0] * n_features, [-2.0, 4.0, 1.0][:n_features]])
    return centres[states] + rng.standard_normal((n_samples, n_features)) * 0.8, states


def _fit_quietly(model, x, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        return model.fit(x, **kwargs)


# --------------------------------------------------------------------------- hmmlearn
START = np.array([0.5, 0.3, 0.2])
TRANSMAT = np.array([[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.25, 0.25, 0.5]])


@pytest.mark.parametrize("n_iter", [1, 5, 30])
@pytest.mark.parametrize("kind", ["full", "diag"])
def test_gaussian_matches_hmmlearn(kind: str, n_iter: int) -> None:
    x, _ = _regimes(600)
    lengths = [200, 150, 250]
    means = np.array([[0.5, 0.5], [2.5, 2.0], [-1.0, 3.0]])
    covariances = np.array([np.eye(2) * s for s in (1.0, 2.0, 1.5)])
    theirs = hmmlearn.GaussianHMM(
        3, covariance_type=kind, n_iter=n_iter, tol=0.0, init_params="", params="stmc",
        covars_prior=0.0, min_covar=0.0,
    )
    theirs.startprob_, theirs.transmat_, theirs.means_ = START, TRANSMAT, means
    theirs.covars_ = covariances if kind == "full" else np.diagonal(covariances, axis1=1, axis2=2)
    family = mx.Gaussian(reg_covar=0.0) if kind == "full" else mx.DiagonalGaussian(reg_covar=0.0)
    components = (
        family.components_from(means, covariances) if kind == "full"
        else family.components_from(means, np.diagonal(covariances, axis1=1, axis2=2))
    )
    ours = mx.HMM(family, 3, init=(START, TRANSMAT, components), max_iter=n_iter, tol=0.0)
    _fit_quietly(ours, x, lengths=lengths)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(x, lengths)
    np.testing.assert_allclose(ours.startprob_, theirs.startprob_, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours.transmat_, theirs.transmat_, rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(ours.components_.mean, theirs.means_, rtol=1e-6)
    ours_cov = ours.components_.covariance if kind == "full" else ours.components_.variance
    theirs_cov = theirs.covars_ if kind == "full" else np.diagonal(theirs.covars_, axis1=1, axis2=2)
    np.testing.assert_allclose(ours_cov, theirs_cov, rtol=1e-6)
    np.testing.assert_allclose(ours.score(x, lengths=lengths), theirs.score(x, lengths), rtol=1e-8)
    np.testing.assert_allclose(
        ours.predict_proba(x, lengths=lengths), theirs.predict_proba(x, lengths), atol=1e-8
    )
    np.testing.assert_array_equal(ours.predict(x, lengths=lengths), theirs.predict(x, lengths))
    assert ours.decode(x, lengths=lengths)[0] == pytest.approx(theirs.decode(x, lengths)[0], rel=1e-9)


def test_poisson_matches_hmmlearn() -> None:
    rng = np.random.default_rng(1)
    states = np.repeat([0, 1, 2, 1, 0], 80)
    x = rng.poisson(np.array([[1.0, 6.0], [8.0, 2.0], [4.0, 4.0]])[states]).astype(float)
    rates = np.array([[2.0, 5.0], [6.0, 3.0], [3.0, 3.5]])
    theirs = hmmlearn.PoissonHMM(3, n_iter=20, tol=0.0, init_params="", params="stl")
    theirs.startprob_, theirs.transmat_, theirs.lambdas_ = START, TRANSMAT, rates
    ours = mx.HMM(
        mx.Poisson(), 3, init=(START, TRANSMAT, mx.Poisson().components_from(rates)), max_iter=20, tol=0.0
    )
    _fit_quietly(ours, x, lengths=[150, 250])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(x.astype(int), [150, 250])
    np.testing.assert_allclose(ours.transmat_, theirs.transmat_, rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(ours.components_.rate, theirs.lambdas_, rtol=1e-6)
    np.testing.assert_allclose(
        ours.score(x, lengths=[150, 250]), theirs.score(x.astype(int), [150, 250]), rtol=1e-8
    )


def test_categorical_matches_hmmlearn() -> None:
    rng = np.random.default_rng(2)
    states = np.repeat([0, 1, 2, 0], 100)
    emissions = np.array([[0.7, 0.2, 0.05, 0.05], [0.1, 0.1, 0.7, 0.1], [0.25, 0.25, 0.25, 0.25]])
    x = np.array([rng.choice(4, p=emissions[s]) for s in states])[:, None].astype(float)
    probs = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
    theirs = hmmlearn.CategoricalHMM(3, n_iter=25, tol=0.0, init_params="", params="ste")
    theirs.n_features = 4
    theirs.startprob_, theirs.transmat_, theirs.emissionprob_ = START, TRANSMAT, probs
    family = mx.Categorical(n_categories=4)
    ours = mx.HMM(
        family, 3, init=(START, TRANSMAT, family.components_from(probs[:, None, :])), max_iter=25, tol=0.0
    )
    _fit_quietly(ours, x, lengths=[120, 280])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(x.astype(int), [120, 280])
    np.testing.assert_allclose(ours.transmat_, theirs.transmat_, rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(ours.components_.probs[:, 0, :], theirs.emissionprob_, rtol=1e-6)
    np.testing.assert_allclose(
        ours.score(x, lengths=[120, 280]), theirs.score(x.astype(int), [120, 280]), rtol=1e-8
    )


# --------------------------------------------------------------------------- equivalences
def _with_parameters(family, startprob, transmat, components, n_features: int) -> mx.HMM:
    model = mx.HMM(family, len(startprob))
    model.family_, model.startprob_, model.transmat_ = family, startprob, transmat
    model.components_, model.n_features_in_ = components, n_features
    return model


def test_identical_rows_score_like_the_mixture() -> None:
    x, _ = _regimes(300)
    mixture = mx.Mixture(mx.Gaussian(), 3, random_state=0).fit(x)
    w = mixture.weights_
    chain = _with_parameters(
        mixture.family_, w, np.tile(w, (3, 1)), mixture.components_, x.shape[1]
    )
    lengths = [100, 1, 199]
    assert chain.score(x, lengths=lengths) == pytest.approx(mixture.score_samples(x).sum(), rel=1e-12)
    np.testing.assert_allclose(chain.predict_proba(x, lengths=lengths), mixture.predict_proba(x), atol=1e-12)


def test_integer_sequence_weights_equal_repeated_sequences() -> None:
    x, _ = _regimes(300)
    lengths = np.array([100, 120, 80])
    repeats = np.array([2, 0, 3])
    pieces = np.split(x, np.cumsum(lengths)[:-1])
    repeated = np.concatenate([p for p, r in zip(pieces, repeats, strict=True) for _ in range(r)])
    repeated_lengths = np.repeat(lengths, repeats)
    start = _fit_quietly(mx.HMM(mx.Gaussian(), 3, random_state=0, max_iter=1), x, lengths=lengths)
    init = (start.startprob_, start.transmat_, start.components_)
    weighted = _fit_quietly(mx.HMM(mx.Gaussian(), 3, init=init, max_iter=8, tol=0.0), x,
                            lengths=lengths, sequence_weight=repeats)
    duplicated = _fit_quietly(mx.HMM(mx.Gaussian(), 3, init=init, max_iter=8, tol=0.0), repeated,
                              lengths=repeated_lengths)
    np.testing.assert_allclose(weighted.transmat_, duplicated.transmat_, rtol=1e-9)
    np.testing.assert_allclose(weighted.components_.mean, duplicated.components_.mean, rtol=1e-9)
    np.testing.assert_allclose(weighted.lower_bounds_, duplicated.lower_bounds_, rtol=1e-9)


# --------------------------------------------------------------------------- monotonicity
FAMILY_CASES = {case.name: case for case in BUILTIN_CASES}


@pytest.mark.parametrize("inference", ["em", "vb"])
@pytest.mark.parametrize("name", sorted(FAMILY_CASES))
def test_objective_never_decreases(name: str, inference: str) -> None:
    case = FAMILY_CASES[name]

    @given(st.integers(0, 2**31 - 1), st.integers(1, 3), st.integers(1, 3))
    def run(seed: int, n_states: int, n_features: int) -> None:
        rng = np.random.default_rng(seed)
        n_features = min(n_features, case.max_features)
        lengths = rng.integers(1, 40, size=rng.integers(1, 4))
        x = case.sample_support(rng, int(lengths.sum()), n_features)
        if x.shape[0] < n_states:
            return
        model = mx.HMM(case.family, n_states, inference=inference, init="random", max_iter=20,
                       tol=0.0, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model.fit(x, lengths=lengths)
            except mx.DegenerateComponentError:
                return  # the maximum-likelihood estimate does not exist for this draw
        bounds = np.asarray(model.lower_bounds_)
        drops = bounds[:-1] - bounds[1:]
        assert np.all(drops <= 1e-9 * np.maximum(np.abs(bounds[:-1]), 1.0)), bounds
        assert np.all(np.isfinite(model.transmat_)) and np.all(np.isfinite(model.components_.natural))

    run()


# --------------------------------------------------------------------------- estimator
def test_fit_recovers_regimes_and_api_is_consistent() -> None:
    x, states = _regimes(1500)
    model = mx.HMM(mx.Gaussian(), 3, n_init=2, random_state=0).fit(x)
    predicted = model.predict(x)
    # states are labelled by the order of their first mean coordinate (truth: 0, 3, −2)
    fitted_rank = np.argsort(np.argsort(model.components_.mean[:, 0]))
    true_rank = np.argsort(np.argsort([0.0, 3.0, -2.0]))
    assert np.mean(fitted_rank[predicted] == true_rank[states]) > 0.95
    assert np.all(np.diag(model.transmat_) > 0.7)
    proba = model.predict_proba(x)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    log_probability, path = model.decode(x)
    np.testing.assert_array_equal(path, predicted)
    assert log_probability <= model.score(x)
    samples, sampled_states = model.sample(500)
    assert samples.shape == (500, 2) and sampled_states.shape == (500,)
    again = mx.HMM(mx.Gaussian(), 3, n_init=2, random_state=0).fit(x).predict(x)
    np.testing.assert_array_equal(again, predicted)


@pytest.mark.parametrize("init", ["kmeans++", "kmeans", "random", "mixture"])
def test_every_init_reaches_the_optimum(init: str) -> None:
    x, _ = _regimes(400)
    reference = _fit_quietly(mx.HMM(mx.Gaussian(), 3, n_init=4, random_state=0, max_iter=300), x)
    model = _fit_quietly(mx.HMM(mx.Gaussian(), 3, init=init, n_init=2, random_state=0, max_iter=300), x)
    assert model.score(x) >= reference.score(x) - 1e-3 * abs(reference.score(x))


def test_fixed_transmat_is_kept() -> None:
    x, _ = _regimes(400)
    transmat = np.full((3, 3), 1 / 3)
    start = mx.HMM(mx.Gaussian(), 3, random_state=0, max_iter=1)
    _fit_quietly(start, x)
    model = mx.HMM(
        mx.Gaussian(), 3, init=(start.startprob_, transmat, start.components_), fixed=("transmat",),
        max_iter=30,
    )
    _fit_quietly(model, x)
    np.testing.assert_array_equal(model.transmat_, transmat)
    assert not np.allclose(model.components_.mean, start.components_.mean)


def test_structural_zeros_are_respected() -> None:
    x, _ = _regimes(300)
    left_to_right = np.array([[0.8, 0.2, 0.0], [0.0, 0.8, 0.2], [0.0, 0.0, 1.0]])
    start = _fit_quietly(mx.HMM(mx.Gaussian(), 3, random_state=0, max_iter=1), x)
    model = _fit_quietly(
        mx.HMM(mx.Gaussian(), 3, init=(np.array([1.0, 0.0, 0.0]), left_to_right, start.components_),
               max_iter=20),
        x,
    )
    assert np.all(model.transmat_[np.tril_indices(3, -1)] == 0.0)
    assert np.all(np.isfinite(model.transmat_))
    path = model.predict(x)
    assert np.all(np.diff(path) >= 0)  # never moves backwards


def test_impossible_sequence_is_a_clear_error() -> None:
    """A family whose density is exactly zero somewhere makes a sequence impossible."""
    import attrs

    @attrs.frozen(kw_only=True)
    class CappedPoisson(mx.Poisson):  # zero probability above 5 (no support check, on purpose)
        def log_base_measure(self, x):  # type: ignore[no-untyped-def]
            return np.where((x > 5).any(1), -np.inf, super().log_base_measure(x))

    x = np.array([[1.0], [2.0], [3.0], [1.0]])
    model = _fit_quietly(mx.HMM(CappedPoisson(), 2, random_state=0, max_iter=5), x)
    with pytest.raises(ValueError, match="sequence 1 has zero probability"):
        model.score(np.array([[1.0], [2.0], [9.0]]), lengths=[1, 2])


def test_unvisited_state_warns_and_keeps_finite_parameters() -> None:
    x = np.r_[np.zeros(50), np.ones(50) * 5][:, None] + np.random.default_rng(0).normal(0, 0.1, (100, 1))
    start = _fit_quietly(mx.HMM(mx.Gaussian(), 3, random_state=0, max_iter=1), x)
    far = mx.Gaussian().components_from(
        np.r_[start.components_.mean[:2], [[1e3]]], np.r_[start.components_.covariance[:2], [[[1.0]]]]
    )
    model = mx.HMM(mx.Gaussian(), 3, init=(np.array([0.5, 0.5, 0.0]), np.full((3, 3), 1 / 3), far),
                   max_iter=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        warnings.simplefilter("ignore", mx.EmptyComponentWarning)
        with pytest.warns(mx.UnvisitedStateWarning, match=r"state\(s\) \[2\]"):
            model.fit(x)
    assert np.all(np.isfinite(model.transmat_)) and np.all(np.isfinite(model.components_.natural))


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        ([50, 40], "lengths sum to 90 but X has 100 rows"),
        ([50, 0, 50], "lengths must all be >= 1"),
        ([60, -10, 50], "lengths must all be >= 1"),
        ([50.5, 49.5], "lengths must contain whole numbers"),
        ([[50, 50]], "lengths must be a non-empty 1-D"),
        ([], "lengths must be a non-empty 1-D"),
        (["a", "b"], "lengths must contain whole numbers"),
    ],
)
def test_bad_lengths(lengths, message: str) -> None:
    x, _ = _regimes(100)
    with pytest.raises(ValueError, match=message):
        mx.HMM(mx.Gaussian(), 2).fit(x, lengths=lengths)
    fitted = mx.HMM(mx.Gaussian(), 2, random_state=0).fit(x)
    with pytest.raises(ValueError, match=message):
        fitted.predict(x, lengths=lengths)


def test_length_one_sequences() -> None:
    x, _ = _regimes(60)
    with pytest.warns(mx.UnvisitedStateWarning):  # sequences of one row have no transitions at all
        model = _fit_quietly(mx.HMM(mx.Gaussian(), 2, random_state=0), x, lengths=[1] * 60)
    assert np.all(np.isfinite(model.transmat_)) and np.all(np.isfinite(model.startprob_))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_states": 0}, "n_states must be an integer >= 1"),
        ({"inference": "gibbs"}, "inference must be one of"),
        ({"init": "magic"}, "init must be one of"),
        ({"fixed": ("weights",)}, "fixed must name parameters from"),
        ({"fixed": "transmat"}, "fixed must be a sequence of names"),
        ({"start_prior": mx.DirichletWeights()}, r"start_prior: under inference='em' .* >= 1"),
    ],
)
def test_bad_hmm_parameters(params: dict, message: str) -> None:
    x, _ = _regimes(50)
    with pytest.raises(ValueError, match=message):
        mx.HMM(**{"family": mx.Gaussian(), "n_states": 2, **params}).fit(x)


def test_vb_hmm_fits_and_reports_posterior() -> None:
    x, _ = _regimes(800)
    model = mx.HMM(mx.Gaussian(), 3, inference="vb", random_state=0, max_iter=300).fit(x)
    np.testing.assert_allclose(model.transmat_.sum(1), 1.0)
    assert np.all(np.diag(model.transmat_) > 0.6)
    assert isinstance(model.posterior_.components, mx.NormalWishart)
    assert np.all(np.diff(model.lower_bounds_) >= -1e-9 * np.abs(np.asarray(model.lower_bounds_[1:])))


def test_length_one_sequences_are_the_mixture() -> None:
    """With every sequence of length one there are no transitions: Baum-Welch is mixture EM."""
    x, _ = _regimes(200)
    start = _fit_quietly(mx.Mixture(mx.Gaussian(), 3, random_state=0, max_iter=1), x)
    chain = mx.HMM(
        mx.Gaussian(), 3, init=(start.weights_, np.full((3, 3), 1 / 3), start.components_),
        fixed=("transmat",), max_iter=15, tol=0.0,
    )
    _fit_quietly(chain, x, lengths=[1] * 200)
    mixture = _fit_quietly(
        mx.Mixture(mx.Gaussian(), 3, init=(start.weights_, start.components_), max_iter=15, tol=0.0), x
    )
    np.testing.assert_allclose(chain.startprob_, mixture.weights_, rtol=1e-12)
    np.testing.assert_allclose(chain.components_.natural, mixture.components_.natural, rtol=1e-10)
    np.testing.assert_allclose(chain.lower_bounds_, mixture.lower_bounds_, rtol=1e-12)


def test_sequence_weights_feed_the_default_prior() -> None:
    x, _ = _regimes(200)
    lengths = np.array([120, 80])
    pieces = np.split(x, [120])
    repeated = np.concatenate([pieces[0], pieces[1], pieces[1], pieces[1]])
    weighted = _fit_quietly(mx.HMM(mx.Gaussian(), 2, inference="vb", random_state=0, max_iter=5, tol=0.0),
                            x, lengths=lengths, sequence_weight=[1, 3])
    assert isinstance(weighted.priors_.components, mx.NormalWishart)
    duplicated = mx.Gaussian().for_data(repeated, np.ones(repeated.shape[0]))
    np.testing.assert_allclose(weighted.family_.origin, duplicated.origin, rtol=1e-12)


def test_bic_counts_only_free_parameters() -> None:
    x, _ = _regimes(300)
    start = _fit_quietly(mx.HMM(mx.Gaussian(), 3, random_state=0, max_iter=1), x)
    left_to_right = np.array([[0.8, 0.2, 0.0], [0.0, 0.8, 0.2], [0.0, 0.0, 1.0]])
    model = _fit_quietly(
        mx.HMM(mx.Gaussian(), 3, init=(np.array([1.0, 0.0, 0.0]), left_to_right, start.components_),
               max_iter=5), x,
    )
    emissions = 3 * (2 + 3)
    assert model.n_parameters() == emissions + 0 + 2  # start pinned; two free transitions
    assert start.n_parameters() == emissions + 2 + 6
