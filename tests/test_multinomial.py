"""The Multinomial family: count vectors whose number of trials varies from row to row."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st

import mixtures as mx
from mixtures.testing import check_family

TOPICS = np.array([[0.5, 0.3, 0.1, 0.05, 0.05], [0.05, 0.05, 0.1, 0.3, 0.5]])


def _documents(n_rows: int = 400, seed: int = 0, trials: tuple[int, int] = (5, 40)):
    """Rows drawn from two topics, each row with its own number of words."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n_rows)
    n = rng.integers(trials[0], trials[1] + 1, size=n_rows)
    return rng.multinomial(n, TOPICS[labels]).astype(float), labels


def _quietly(model, x, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        return model.fit(x, **kwargs)


# ----------------------------------------------------------------------------- density
def test_log_density_matches_scipy_with_varying_trials() -> None:
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(6), size=3)
    n = rng.integers(0, 60, size=200)  # including rows of no trials
    x = rng.multinomial(n, rng.dirichlet(np.ones(6), size=200)).astype(float)
    ours = mx.Multinomial().components_from(probs).log_likelihood(x)
    reference = np.stack([st.multinomial(n, probs[k]).logpmf(x) for k in range(3)], axis=1)
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-10)


def test_unnormalised_natural_parameters_score_each_row_with_its_trials() -> None:
    """Shifting η by a constant changes nothing: the per-trial log-partition takes it out n times."""
    x, _ = _documents(50)
    family = mx.Multinomial(n_trials=7)
    natural = np.log(TOPICS)
    np.testing.assert_allclose(
        family.log_likelihood(x, natural + 3.0), family.log_likelihood(x, natural), atol=1e-10
    )


def test_mean_parameters_are_for_n_trials() -> None:
    family = mx.Multinomial(n_trials=10)
    natural = np.log(TOPICS)
    np.testing.assert_allclose(family.natural_to_mean(natural), 10 * TOPICS)
    np.testing.assert_allclose(family.mean_to_natural(3 * TOPICS), natural)  # any scale
    np.testing.assert_allclose(mx.Multinomial().natural_to_mean(natural), TOPICS)  # unset: 1 trial
    np.testing.assert_allclose(family.log_partition(natural), 0.0, atol=1e-15)


# ----------------------------------------------------------------------------- the kit
def test_check_family_passes() -> None:
    check_family(mx.Multinomial(), max_examples=20)


def test_check_family_passes_with_data_of_varying_trials() -> None:
    x, _ = _documents(100)
    check_family(mx.Multinomial(), x, max_examples=10)


# ----------------------------------------------------------------------------- fitting
def test_maximum_likelihood_pools_counts_over_trials() -> None:
    """One component: p_c = Σ_n x_nc / Σ_n n_n, whatever the mix of trials."""
    x, _ = _documents(300)
    model = mx.Mixture(mx.Multinomial(), 1).fit(x)
    np.testing.assert_allclose(model.components_.probabilities[0], x.sum(0) / x.sum(), rtol=1e-12)
    assert model.family_.n_trials == round(x.sum(1).mean())


def test_weighted_m_step_is_the_responsibility_weighted_proportion() -> None:
    x, _ = _documents(120)
    rng = np.random.default_rng(3)
    responsibilities = rng.dirichlet(np.ones(2), size=x.shape[0])
    family = mx.Multinomial()
    natural = family.maximum_likelihood(family.expected_statistics(x, responsibilities))
    expected = (responsibilities.T @ x) / (responsibilities.T @ x.sum(1))[:, None]
    np.testing.assert_allclose(family.components(natural).probabilities, expected, rtol=1e-12)


def test_mixture_recovers_two_topics() -> None:
    x, labels = _documents(600)
    model = mx.Mixture(mx.Multinomial(), 2, n_init=3, random_state=0).fit(x)
    order = np.argsort(-model.components_.probabilities[:, 0])  # topic 0 favours word 0
    np.testing.assert_allclose(model.components_.probabilities[order], TOPICS, atol=0.02)
    predicted = order.argsort()[model.predict(x)]
    assert np.mean(predicted == labels) > 0.97
    assert model.n_features_in_ == 5
    assert np.all(np.diff(model.lower_bounds_) >= -1e-9 * np.abs(model.lower_bounds_[1:]))
    # BIC counts C − 1 free probabilities per component, plus K − 1 weights
    assert model.family_.n_free_parameters(model.components_.natural) == 2 * 4
    n_parameters = 2 * 4 + 1
    assert model.bic(x) == pytest.approx(
        -2 * model.score(x) * x.shape[0] + n_parameters * np.log(x.shape[0])
    )


def test_partial_fit_warns_when_the_first_batch_fixes_a_varying_number_of_trials() -> None:
    varying, _ = _documents(200, trials=(5, 40))
    with pytest.warns(UserWarning, match=r"between 5 and 40 trials.*n_trials=\.\.\."):
        mx.Mixture(mx.Multinomial(), 2, random_state=0).partial_fit(varying)
    equal, _ = _documents(200, trials=(12, 12))
    given = mx.Multinomial(n_trials=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert mx.Mixture(mx.Multinomial(), 2, random_state=0).partial_fit(equal).family_.n_trials == 12
        assert mx.Mixture(given, 2, random_state=0).partial_fit(varying).family_.n_trials == 20


def test_string_alias() -> None:
    x, _ = _documents(100)
    model = mx.Mixture("multinomial", 2, random_state=0).fit(x)
    assert isinstance(model.family_, mx.Multinomial)


def test_sample_draws_n_trials_per_row() -> None:
    x, _ = _documents(300, trials=(20, 20))
    model = mx.Mixture(mx.Multinomial(), 2, random_state=0).fit(x)
    assert model.family_.n_trials == 20  # recorded from the data
    samples, _ = model.sample(500)
    np.testing.assert_array_equal(samples.sum(1), 20)
    model.family_.validate(samples)
    explicit = mx.Mixture(mx.Multinomial(n_trials=3), 2, random_state=0).fit(x)
    assert explicit.family_.n_trials == 3  # a given value is kept
    np.testing.assert_array_equal(explicit.sample(50)[0].sum(1), 3)


def test_map_em_adds_dirichlet_pseudo_counts() -> None:
    x, _ = _documents(200)
    model = mx.Mixture(mx.Multinomial(), 1, prior=mx.Dirichlet(concentration=2.0)).fit(x)
    expected = (x.sum(0) + 2.0) / (x.sum() + 2.0 * x.shape[1])
    np.testing.assert_allclose(model.components_.probabilities[0], expected, rtol=1e-12)


def test_default_prior_is_a_dirichlet() -> None:
    assert isinstance(mx.Multinomial().default_prior(), mx.Dirichlet)


@pytest.mark.parametrize("structure", ["mixture", "hmm"])
def test_variational_bayes_elbo_is_monotone(structure: str) -> None:
    x, _ = _documents(400)
    if structure == "mixture":
        model = _quietly(mx.Mixture(mx.Multinomial(), 4, inference="vb", random_state=0, tol=0.0,
                                    max_iter=60), x)
    else:
        model = _quietly(mx.HMM(mx.Multinomial(), 2, inference="vb", random_state=0, tol=0.0,
                                max_iter=60), x, lengths=[200, 200])
    bounds = np.asarray(model.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-9 * np.abs(bounds[1:])), bounds
    assert np.all(np.isfinite(model.score_samples(x) if structure == "mixture" else bounds))
    if structure == "mixture":  # the surplus components are emptied out
        kept = model.weights_ > 0.05
        assert kept.sum() == 2


def test_variational_predictive_is_dirichlet_multinomial() -> None:
    """After VB, score_samples is the posterior predictive: a Dirichlet-multinomial per row."""
    x, _ = _documents(150)
    model = mx.Mixture(mx.Multinomial(), 1, inference="vb", max_iter=5).fit(x)
    alpha = 1.0 + x.sum(0)  # unit concentration plus all the counts
    reference = st.dirichlet_multinomial(alpha, x.sum(1).astype(int)).logpmf(x)
    np.testing.assert_allclose(model.score_samples(x), reference, rtol=1e-10)


# ----------------------------------------------------------------------------- hmmlearn
START = np.array([0.6, 0.3, 0.1])
TRANSMAT = np.array([[0.8, 0.15, 0.05], [0.1, 0.7, 0.2], [0.2, 0.2, 0.6]])
EMISSIONS = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
N_TRIALS = 12


def _chain(seed: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = np.array([[0.7, 0.2, 0.05, 0.05], [0.05, 0.05, 0.2, 0.7], [0.3, 0.2, 0.2, 0.3]])
    states = np.repeat([0, 1, 2, 1, 0, 2], 60)
    return rng.multinomial(N_TRIALS, truth[states]).astype(float)


@pytest.mark.parametrize("n_iter", [1, 5, 20])
def test_hmm_matches_hmmlearn_multinomial_hmm(n_iter: int) -> None:
    hmmlearn = pytest.importorskip("hmmlearn.hmm")
    x = _chain()
    lengths = [150, 210]
    theirs = hmmlearn.MultinomialHMM(
        3, n_trials=N_TRIALS, n_iter=n_iter, tol=0.0, init_params="", params="ste"
    )
    theirs.n_features = 4
    theirs.startprob_, theirs.transmat_, theirs.emissionprob_ = START, TRANSMAT, EMISSIONS
    family = mx.Multinomial()
    ours = mx.HMM(
        family, 3, init=(START, TRANSMAT, family.components_from(EMISSIONS)), max_iter=n_iter, tol=0.0
    )
    _quietly(ours, x, lengths=lengths)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(x.astype(int), lengths)
    assert ours.family_.n_trials == N_TRIALS
    np.testing.assert_allclose(ours.startprob_, theirs.startprob_, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours.transmat_, theirs.transmat_, rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(ours.components_.probabilities, theirs.emissionprob_, rtol=1e-6)
    np.testing.assert_allclose(
        ours.score(x, lengths=lengths), theirs.score(x.astype(int), lengths), rtol=1e-8
    )
    np.testing.assert_allclose(
        ours.predict_proba(x, lengths=lengths), theirs.predict_proba(x.astype(int), lengths),
        atol=1e-8,
    )


# ----------------------------------------------------------------------------- input
@pytest.mark.parametrize(
    ("value", "message"),
    [(-1.0, r"Negative values in data.*X\[3, 2\] = -1"), (2.5, r"must be integers.*X\[3, 2\] = 2.5")],
)
def test_bad_counts_are_refused_naming_row_and_column(value: float, message: str) -> None:
    x, _ = _documents(20)
    x[3, 2] = value
    with pytest.raises(ValueError, match=message):
        mx.Mixture(mx.Multinomial(), 2).fit(x)
    fitted = mx.Mixture(mx.Multinomial(), 2, random_state=0).fit(_documents(20)[0])
    with pytest.raises(ValueError, match=message):
        fitted.predict(x)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_settings_are_refused(bad) -> None:
    with pytest.raises(ValueError, match="n_trials"):
        mx.Multinomial(n_trials=bad)


def test_components_from_checks_probabilities() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        mx.Multinomial().components_from([[0.5, 0.6]])
    with pytest.raises(ValueError, match=r"\(K, C\)"):
        mx.Multinomial().components_from([0.5, 0.5])


# ----------------------------------------------------------------------------- model files
@pytest.mark.parametrize("inference", ["em", "vb"])
def test_model_file_round_trip(inference: str, tmp_path: Path) -> None:
    x, _ = _documents(120)
    model = mx.Mixture(mx.Multinomial(), 2, inference=inference, random_state=0).fit(x)
    model.save(tmp_path / "model.npz")
    loaded = mx.load(tmp_path / "model.npz")
    assert loaded.family_ == model.family_
    np.testing.assert_array_equal(loaded.components_.natural, model.components_.natural)
    np.testing.assert_array_equal(loaded.score_samples(x), model.score_samples(x))
    hmm = mx.HMM(mx.Multinomial(), 2, random_state=0).fit(x, lengths=[60, 60])
    hmm.save(tmp_path / "hmm.npz")
    np.testing.assert_array_equal(mx.load(tmp_path / "hmm.npz").predict(x), hmm.predict(x))
