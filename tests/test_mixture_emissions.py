"""Mixture emissions in an HMM, for any family (``MarkovMixtures``): each state emits its own
mixture of ``M`` components. Checked through the one loop (``run``) against brute force,
hmmlearn's ``GMMHMM``, the plain HMM (``M = 1``), and for monotone EM and VB."""

from __future__ import annotations

import functools
import itertools
import pickle
import warnings
from typing import Any

import attrs
import numpy as np
import pytest
import scipy.stats

import mixtures as mx
import mixtures.models.hmm as hmm_module
from mixtures.inference.data import ChunkedData, SequenceData
from mixtures.inference.fit import run
from mixtures.inference.initialization import KMeansPlusPlus, StartMethod
from mixtures.inference.problem import ExpectationMaximisation, VariationalBayes
from mixtures.inference.sequences import SequenceLayout
from mixtures.inference.starts import SplitStates
from mixtures.latent.chain import HMMParameters, MarkovChain
from mixtures.latent.chain_of_mixtures import (
    MarkovMixtures,
    MixtureChainPrior,
    MixtureHMMParameters,
    MixtureHMMPosterior,
)
from mixtures.priors.weights import DirichletWeights

TIGHT = {"rtol": 1e-10, "atol": 1e-12}
START = np.array([0.6, 0.4])
TRANSMAT = np.array([[0.8, 0.2], [0.3, 0.7]])
MIX_WEIGHTS = np.array([[0.5, 0.5], [0.3, 0.7]])
MEANS = np.array([[[0.5, 0.0], [-1.0, 0.5]], [[2.5, 3.0], [-2.0, -1.5]]])  # (K, M, D)
VARIANCES = np.array([[[1.0, 1.2], [1.5, 0.8]], [[0.7, 0.9], [2.0, 1.1]]])


def sequences(family: Any, x: np.ndarray, lengths: Any, chunk_size: int | None = None) -> SequenceData:
    family = family.for_data(x, np.ones(x.shape[0]))
    layout = SequenceLayout.checked(lengths, x.shape[0])
    return SequenceData(ChunkedData(family, x, np.ones(x.shape[0]), chunk_size=chunk_size, layout=layout))


def regimes(seed: int = 0) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    x = np.concatenate([
        rng.normal(0.0, 1.0, (150, 2)), rng.normal(3.0, 1.0, (100, 2)), rng.normal(-2.0, 0.5, (150, 2))
    ])
    return x, [120, 130, 150]


def gaussian_start(family: Any, kind: str) -> MixtureHMMParameters:
    means = MEANS.reshape(4, 2)
    spread = VARIANCES.reshape(4, 2)
    covariances = np.stack([np.diag(v) for v in spread]) if kind == "full" else spread
    natural = family.natural_of(family.components_from(means, covariances))
    return MixtureHMMParameters(START, TRANSMAT, MIX_WEIGHTS, natural)


def exact_family(kind: str) -> Any:
    return (mx.Gaussian if kind == "full" else mx.DiagonalGaussian)(reg_covar=0.0, feature_scale=1.0)


# --------------------------------------------------------------------------- brute force
def test_log_likelihood_and_pair_marginals_are_brute_force_on_a_tiny_chain() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 1)) * 2
    data = sequences(mx.Gaussian(feature_scale=1.0), x, [4])
    family = data.family
    means, variances = np.array([[-1.0], [0.5], [1.5], [-2.0]]), np.array([0.5, 1.0, 2.0, 0.8])
    natural = family.natural_of(family.components_from(means, variances[:, None, None]))
    parameters = MixtureHMMParameters(START, TRANSMAT, MIX_WEIGHTS, natural)
    summary = ExpectationMaximisation(MarkovMixtures(2), family).e_step(data, parameters)

    density = scipy.stats.norm.pdf(x, means[:, 0], np.sqrt(variances))  # (T, K·M)
    total, pairs = 0.0, np.zeros((4, 4))
    for path in itertools.product(range(2), repeat=4):  # states
        for mixes in itertools.product(range(2), repeat=4):  # components
            p = START[path[0]] * np.prod([TRANSMAT[a, b] for a, b in itertools.pairwise(path)])
            labels = [2 * k + m for k, m in zip(path, mixes, strict=True)]
            p *= np.prod([MIX_WEIGHTS[k, m] * density[t, label]
                          for t, (k, m, label) in enumerate(zip(path, mixes, labels, strict=True))])
            total += p
            pairs[np.arange(4), labels] += p
    assert summary.log_likelihood == pytest.approx(np.log(total), rel=1e-12)
    expected = pairs / total
    np.testing.assert_allclose(summary.emissions.counts, expected.sum(0), **TIGHT)
    np.testing.assert_allclose(summary.emissions.sums, expected.T @ family.sufficient_statistics(x), **TIGHT)


# --------------------------------------------------------------------------- hmmlearn
hmmlearn = pytest.importorskip("hmmlearn.hmm")


def hmmlearn_model(kind: str, n_iter: int) -> Any:
    # its default priors are flat: weights_prior=1, means_weight=0, and covars_prior /
    # covars_weight at the values that cancel in its covariance update (full: ν = −(D + 2))
    theirs = hmmlearn.GMMHMM(
        2, n_mix=2, covariance_type=kind, n_iter=n_iter, tol=0.0, init_params="", params="stmcw"
    )
    theirs.startprob_, theirs.transmat_, theirs.weights_, theirs.means_ = START, TRANSMAT, MIX_WEIGHTS, MEANS
    theirs.covars_ = (
        np.stack([np.diag(v) for v in VARIANCES.reshape(4, 2)]).reshape(2, 2, 2, 2)
        if kind == "full" else VARIANCES.copy()
    )
    return theirs


def fit_quietly(model: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(*args, **kwargs)


def their_parameters(family: Any, theirs: Any, kind: str) -> MixtureHMMParameters:
    means = theirs.means_.reshape(4, 2)
    covariances = theirs.covars_.reshape((4, 2, 2) if kind == "full" else (4, 2))
    natural = family.natural_of(family.components_from(means, covariances))
    return MixtureHMMParameters(theirs.startprob_, theirs.transmat_, theirs.weights_, natural)


def spread_of(components: Any, kind: str) -> np.ndarray:
    return np.asarray(components.covariance if kind == "full" else components.variance)


@pytest.mark.parametrize("kind", ["full", "diag"])
def test_every_step_matches_hmmlearn_gmmhmm_under_its_covariance_centring(kind: str) -> None:
    """hmmlearn 0.3's GMMHMM centres the covariance statistics on the *previous* means
    (``X − means_`` in its E-step), so its covariance is the maximum-likelihood one plus
    ``(μ_new − μ_old)(μ_new − μ_old)ᵀ`` (the exact M-step when the means do not move). Step by
    step from its own parameters, ours agree to rounding under that mapping, and the
    log-likelihoods agree at every iteration."""
    x, lengths = regimes()
    data = sequences(exact_family(kind), x, lengths)
    problem = ExpectationMaximisation(MarkovMixtures(2), data.family)
    theirs = hmmlearn_model(kind, 1)
    for iteration in range(1, 21):
        parameters = their_parameters(data.family, theirs, kind)
        log_likelihood = problem.e_step(data, parameters).log_likelihood
        assert log_likelihood == pytest.approx(theirs.score(x, lengths), rel=1e-12)
        ours = run(problem, data, parameters, max_iter=1, tol=0.0).parameters
        fit_quietly(theirs, x, lengths)
        if iteration not in (1, 5, 20):
            continue
        components = data.family.components(ours.natural)
        moved = components.mean - data.family.components(parameters.natural).mean
        centring = moved[:, :, None] * moved[:, None, :] if kind == "full" else moved**2
        np.testing.assert_allclose(ours.startprob, theirs.startprob_, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(ours.transmat, theirs.transmat_, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(ours.mix_weights, theirs.weights_, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(components.mean, theirs.means_.reshape(4, 2), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(
            spread_of(components, kind) + centring, theirs.covars_.reshape(centring.shape), rtol=1e-10
        )


class ExactGMMHMM(hmmlearn.GMMHMM):  # type: ignore[misc, name-defined]
    """hmmlearn's GMMHMM with the covariance centred on the new means: the exact M-step."""

    def _do_mstep(self, stats: Any) -> None:
        previous = self.means_.copy()
        super()._do_mstep(stats)
        moved = self.means_ - previous
        if self.covariance_type == "full":
            self.covars_ = self.covars_ - moved[..., :, None] * moved[..., None, :]
        else:
            self.covars_ = self.covars_ - moved**2


@pytest.mark.parametrize("n_iter", [1, 5, 20])
@pytest.mark.parametrize("kind", ["full", "diag"])
def test_fit_matches_hmmlearn_gmmhmm_with_the_exact_covariance_update(kind: str, n_iter: int) -> None:
    x, lengths = regimes()
    data = sequences(exact_family(kind), x, lengths)
    problem = ExpectationMaximisation(MarkovMixtures(2), data.family)
    reference = hmmlearn_model(kind, n_iter)
    theirs = ExactGMMHMM(2, n_mix=2, covariance_type=kind, n_iter=n_iter, tol=0.0, init_params="",
                         params="stmcw")
    for name in ("startprob_", "transmat_", "weights_", "means_", "covars_"):
        setattr(theirs, name, getattr(reference, name))
    start = their_parameters(data.family, theirs, kind)
    ours = run(problem, data, start, max_iter=n_iter, tol=0.0).parameters
    fit_quietly(theirs, x, lengths)
    components = data.family.components(ours.natural)
    np.testing.assert_allclose(ours.startprob, theirs.startprob_, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours.transmat, theirs.transmat_, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours.mix_weights, theirs.weights_, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(components.mean, theirs.means_.reshape(4, 2), rtol=1e-6, atol=1e-12)
    spread = spread_of(components, kind)
    np.testing.assert_allclose(spread, theirs.covars_.reshape(spread.shape), rtol=1e-6)
    log_likelihood = problem.e_step(data, ours).log_likelihood
    assert log_likelihood == pytest.approx(theirs.score(x, lengths), rel=1e-8)


# --------------------------------------------------------------------------- one component per state
def test_one_component_per_state_is_the_plain_hmm() -> None:
    x, lengths = regimes(1)
    data = sequences(mx.Gaussian(feature_scale=1.0), x, lengths, chunk_size=150)
    start = gaussian_start(data.family, "full")
    natural = start.natural[[0, 2]]
    plain = run(ExpectationMaximisation(MarkovChain(), data.family),
                data, HMMParameters(START, TRANSMAT, natural), max_iter=5, tol=0.0)
    mixed = run(ExpectationMaximisation(MarkovMixtures(1), data.family),
                data, MixtureHMMParameters(START, TRANSMAT, np.ones((2, 1)), natural), max_iter=5, tol=0.0)
    np.testing.assert_allclose(mixed.trajectory.objectives, plain.trajectory.objectives, rtol=1e-13)
    np.testing.assert_allclose(mixed.parameters.transmat, plain.parameters.transmat, **TIGHT)
    np.testing.assert_allclose(mixed.parameters.natural, plain.parameters.natural, **TIGHT)


def test_chunks_of_whole_sequences_sum_to_the_whole() -> None:
    x, lengths = regimes(2)
    problem = ExpectationMaximisation(MarkovMixtures(2), mx.Gaussian(feature_scale=1.0))
    whole = sequences(mx.Gaussian(feature_scale=1.0), x, lengths)
    parameters = gaussian_start(whole.family, "full")
    one = problem.e_step(whole, parameters)
    many = problem.e_step(sequences(mx.Gaussian(feature_scale=1.0), x, lengths, chunk_size=130), parameters)
    assert many.log_likelihood == pytest.approx(one.log_likelihood, rel=1e-12)
    np.testing.assert_allclose(many.emissions.sums, one.emissions.sums, **TIGHT)
    for a, b in zip(many.latent, one.latent, strict=True):
        np.testing.assert_allclose(a, b, **TIGHT)


# --------------------------------------------------------------------------- any family, EM and VB
def poisson_chain(seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """Two states, each a mixture of two Poisson rates."""
    rng = np.random.default_rng(seed)
    states = np.repeat([0, 1, 0, 1], 100)
    mixes = rng.integers(0, 2, states.size)
    rates = np.array([[1.0, 8.0], [20.0, 40.0]])
    return rng.poisson(rates[states, mixes])[:, None].astype(float), [200, 200]


def test_a_poisson_mixture_hmm_fits_by_em() -> None:
    x, lengths = poisson_chain()
    data = sequences(mx.Poisson(), x, lengths)
    natural = data.family.natural_of(mx.Poisson().components_from(np.array([[2.0], [6.0], [15.0], [30.0]])))
    start = MixtureHMMParameters(START, TRANSMAT, MIX_WEIGHTS, natural)
    problem = ExpectationMaximisation(MarkovMixtures(2), data.family)
    result = run(problem, data, start, max_iter=300, tol=1e-10)
    objectives = np.array(result.trajectory.objectives)
    assert result.trajectory.converged and np.all(np.diff(objectives) >= -1e-12)
    rates = np.sort(data.family.components(result.parameters.natural).rate.reshape(2, 2), axis=1)
    np.testing.assert_allclose(rates, [[1.0, 8.0], [20.0, 40.0]], rtol=0.2)
    np.testing.assert_allclose(result.parameters.mix_weights, 0.5, atol=0.1)
    assert result.parameters.transmat[0, 0] > 0.9 and result.parameters.transmat[1, 1] > 0.9


@pytest.mark.parametrize("case", ["gaussian", "poisson"])
def test_vb_elbo_never_decreases(case: str) -> None:
    if case == "gaussian":
        x, lengths = regimes(3)
        data = sequences(mx.Gaussian(), x, lengths)
        prior = mx.NormalWishart()
    else:
        x, lengths = poisson_chain(1)
        data = sequences(mx.Poisson(), x, lengths)
        prior = mx.Gamma()
    priors = MixtureHMMPosterior(
        data.configured_prior(prior, 4),
        DirichletWeights(concentration=1.0).for_data(2),
        tuple(DirichletWeights(concentration=1.0).for_data(2) for _ in range(2)),
        tuple(DirichletWeights(concentration=1.0).for_data(2) for _ in range(2)),
    )
    problem = VariationalBayes(MarkovMixtures(2), priors)
    responsibilities = np.random.default_rng(0).dirichlet(np.ones(4), x.shape[0])
    start = problem.start(problem.summary_of(data, responsibilities))
    result = run(problem, data, start, max_iter=200, tol=1e-12)
    objectives = np.array(result.trajectory.objectives)
    assert np.all(np.diff(objectives) >= -1e-10 * np.abs(objectives[1:]))
    point = problem.point(result.parameters)
    np.testing.assert_allclose(point.mix_weights.sum(1), 1.0)
    assert point.natural.shape[0] == 4


# --------------------------------------------------------------------------- the estimator
def gaussian_init(kind: str) -> tuple[Any, ...]:
    family = exact_family(kind)
    spread = VARIANCES.reshape(4, 2)
    components = family.components_from(
        MEANS.reshape(4, 2), np.stack([np.diag(v) for v in spread]) if kind == "full" else spread
    )
    return START, TRANSMAT, MIX_WEIGHTS, components


def test_hmm_with_n_mix_fits_what_the_problem_fits() -> None:
    x, lengths = regimes()
    model = mx.HMM(exact_family("full"), 2, n_mix=2, init=gaussian_init("full"), max_iter=5, tol=0.0)
    fit_quietly(model, x, lengths=lengths)
    data = sequences(exact_family("full"), x, lengths)
    problem = ExpectationMaximisation(MarkovMixtures(2), data.family)
    result = run(problem, data, gaussian_start(data.family, "full"), max_iter=5, tol=0.0)
    np.testing.assert_allclose(model.mix_weights_, result.parameters.mix_weights, **TIGHT)
    np.testing.assert_allclose(model.transmat_, result.parameters.transmat, **TIGHT)
    assert len(model.components_) == 4
    np.testing.assert_allclose(model.components_.natural, result.parameters.natural, **TIGHT)
    score = model.score(x, lengths=lengths)
    assert score == pytest.approx(problem.e_step(data, result.parameters).log_likelihood, rel=1e-12)
    proba = model.predict_proba(x, lengths=lengths)
    assert proba.shape == (x.shape[0], 2)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    log_probability, states = model.decode(x, lengths=lengths)
    assert log_probability <= score and states.shape == (x.shape[0],)
    np.testing.assert_array_equal(model.predict(x, lengths=lengths, algorithm="map"), proba.argmax(1))
    # parameters: emissions, start (1), transitions (2), weights (2)
    assert model.n_parameters() == model.family_.n_free_parameters(model.components_.natural) + 5


def test_hmm_with_n_mix_matches_hmmlearn_score_from_its_parameters() -> None:
    x, lengths = regimes(4)
    model = mx.HMM(exact_family("diag"), 2, n_mix=2, init=gaussian_init("diag"), max_iter=0)
    fit_quietly(model, x, lengths=lengths)
    theirs = hmmlearn_model("diag", 1)
    assert model.score(x, lengths=lengths) == pytest.approx(theirs.score(x, lengths), rel=1e-12)
    np.testing.assert_allclose(model.predict_proba(x, lengths=lengths), theirs.predict_proba(x, lengths),
                               atol=1e-10)
    np.testing.assert_array_equal(model.predict(x, lengths=lengths), theirs.predict(x, lengths))


def test_n_mix_one_is_the_plain_hmm() -> None:
    x, lengths = regimes(5)
    plain = fit_quietly(mx.HMM(mx.Gaussian(), 2, random_state=0, max_iter=10), x, lengths=lengths)
    same = fit_quietly(mx.HMM(mx.Gaussian(), 2, n_mix=1, random_state=0, max_iter=10), x, lengths=lengths)
    np.testing.assert_array_equal(same.lower_bounds_, plain.lower_bounds_)
    assert not hasattr(same, "mix_weights_")


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_a_poisson_mixture_hmm_estimator_fits_and_samples(inference: str) -> None:
    x, lengths = poisson_chain(2)
    model = mx.HMM("poisson", 2, n_mix=2, inference=inference, random_state=0, n_init=3, max_iter=300)
    fit_quietly(model, x, lengths=lengths)
    assert model.mix_weights_.shape == (2, 2) and len(model.components_) == 4
    assert np.all(np.diff(model.lower_bounds_) >= -1e-9 * np.abs(model.lower_bounds_[1:]))
    rates = np.sort(model.components_.rate.ravel())
    np.testing.assert_allclose(rates, [1.0, 8.0, 20.0, 40.0], rtol=0.25)
    sample, states = model.sample(50)
    assert sample.shape == (50, 1) and set(states) <= {0, 1}


def test_bad_mixture_emission_settings_are_refused() -> None:
    x, _ = regimes()
    with pytest.raises(ValueError, match="n_mix"):
        mx.HMM(mx.Gaussian(), 2, n_mix=0).fit(x)
    with pytest.raises(ValueError, match="mix_weights"):
        mx.HMM(mx.Gaussian(), 2, n_mix=2, init=gaussian_init("full")[1:]).fit(x)


# --------------------------------------------------------------------------- online
def _two_state_mixtures(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    states = np.repeat([0, 1, 0, 1], 150)
    centres = np.array([[[-4.0, 0.0], [-2.0, 3.0]], [[4.0, 0.0], [2.0, -3.0]]])
    picks = rng.integers(0, 2, size=states.size)
    x = centres[states, picks] + 0.5 * rng.normal(size=(states.size, 2))
    return x, np.array([300, 300])


def test_a_pass_of_batches_is_one_fit_iteration_with_mixture_emissions() -> None:
    x, lengths = _two_state_mixtures()
    family = mx.Gaussian(feature_scale=1.0)
    start = mx.HMM(family, 2, n_mix=2, random_state=0, max_iter=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start.fit(x, lengths=lengths)
    init = (start.startprob_, start.transmat_, start.mix_weights_, start.components_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = mx.HMM(family, 2, n_mix=2, init=init, max_iter=1).fit(x, lengths=lengths)
    online = mx.HMM(family, 2, n_mix=2, init=init, online=mx.ExactPasses())
    online.partial_fit(x[:300], lengths=[300])
    online.partial_fit(x[300:], lengths=[300])
    online.end_pass()
    np.testing.assert_allclose(online.transmat_, batch.transmat_, rtol=1e-9)
    np.testing.assert_allclose(online.mix_weights_, batch.mix_weights_, rtol=1e-9)
    np.testing.assert_allclose(online.components_.mean, batch.components_.mean, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_stochastic_modes_run_with_mixture_emissions(inference: str) -> None:
    x, _ = _two_state_mixtures(1)
    mode = mx.StochasticVB(total_samples=600) if inference == "vb" else mx.StepwiseEM()
    model = mx.HMM(mx.Gaussian(), 2, n_mix=2, inference=inference, random_state=0, online=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        for _ in range(3):
            model.partial_fit(x[:300], lengths=[300])
            model.partial_fit(x[300:], lengths=[300])
    assert np.all(np.isfinite(model.components_.natural))
    np.testing.assert_allclose(model.mix_weights_.sum(1), 1.0)
    assert np.isfinite(model.lower_bound_)


# --------------------------------------------------------------------------- the starts
@attrs.frozen
class RandomSplit(StartMethod):
    """The former ``SplitStates``: each row's share of a state split over the state's
    components at random (a Dirichlet(1) draw per row), for comparison."""

    method: StartMethod
    n_mix: int

    def assignment(self, data: Any, n_components: int, rng: np.random.Generator) -> Any:
        states = self.method.assignment(data, n_components // self.n_mix, rng)
        return functools.partial(_random_split, states, self.n_mix, int(rng.integers(2**31)))


def _random_split(states: Any, n_mix: int, seed: int, chunk: Any) -> np.ndarray:
    state = states(chunk)
    shares = np.random.default_rng([seed, chunk.rows.start]).dirichlet(np.ones(n_mix), state.shape)
    return (state[..., None] * shares).reshape(state.shape[0], -1)


def blob_regimes(seed: int) -> tuple[np.ndarray, list[int]]:
    """Two sticky states in 2-D, each a mixture of two well-separated unit blobs."""
    rng = np.random.default_rng(100 + seed)
    states = np.cumsum(rng.random(2000) < 0.05) % 2
    centres = np.array([[[0.0, 0.0], [0.0, 8.0]], [[8.0, 0.0], [8.0, 8.0]]])
    return centres[states, rng.integers(0, 2, 2000)] + rng.standard_normal((2000, 2)), [1000, 1000]


def test_split_states_starts_each_states_components_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """From the data-driven split EM converges in fewer iterations in all and to a higher
    likelihood on every seed than from the random split (which stalls near the saddle where a
    state's components coincide)."""

    def fits(split: type) -> list[tuple[int, float]]:
        monkeypatch.setattr(hmm_module, "SplitStates", split)
        out = []
        for seed in range(5):
            x, lengths = blob_regimes(seed)
            model = fit_quietly(mx.HMM(mx.Gaussian(), 2, n_mix=2, random_state=seed, max_iter=1000),
                                x, lengths=lengths)
            assert model.converged_
            out.append((model.n_iter_, model.score(x, lengths=lengths)))
        return out

    new, old = fits(SplitStates), fits(RandomSplit)
    assert sum(n for n, _ in new) < sum(n for n, _ in old)
    assert all(ours > theirs for (_, ours), (_, theirs) in zip(new, old, strict=True))


def assigned(data: SequenceData, assign: Any) -> np.ndarray:
    """``assign`` over the rows of ``data`` seen as independent rows, chunk by chunk."""
    pieces = data.independent_rows().map_sum(lambda chunk: [(chunk.rows.start, assign(chunk))])
    return np.concatenate([piece for _, piece in sorted(pieces, key=lambda p: p[0])])


def test_split_states_is_deterministic_chunk_free_and_picklable() -> None:
    x, lengths = blob_regimes(0)
    whole = sequences(mx.Gaussian(), x, lengths)
    chunked = sequences(mx.Gaussian(), x, lengths, chunk_size=300)
    split = SplitStates(KMeansPlusPlus(), 2)
    assign = split.assignment(whole.independent_rows(), 4, np.random.default_rng(3))
    again = split.assignment(chunked.independent_rows(), 4, np.random.default_rng(3))
    first = assigned(whole, assign)
    np.testing.assert_allclose(assigned(chunked, pickle.loads(pickle.dumps(again))), first, **TIGHT)
    np.testing.assert_allclose(first.sum(1), 1.0)
    assert first.min() > 0  # smoothed: no pair starts empty or at a boundary
    # each state's two components start apart: on the blobs, at two different blobs
    hard = first.argmax(1)
    assert len(set(hard)) == 4


def test_partial_labels_name_states_of_mixture_emissions() -> None:
    """A state's label holds for each of its components: labelled time steps are clamped to
    their state, state k means label k afterwards, and the objective stays monotone."""
    x, lengths = _two_state_mixtures(2)
    states = np.repeat([0, 1, 0, 1], 150)
    for inference in ("em", "vb"):
        for flip in (False, True):
            truth = 1 - states if flip else states
            labels = np.where(np.arange(600) % 10 == 0, truth, -1)
            model = mx.HMM(mx.Gaussian(), 2, n_mix=2, inference=inference, random_state=0, tol=0.0)
            fit_quietly(model, x, lengths=lengths, labels=labels)
            bounds = np.asarray(model.lower_bounds_)
            assert np.all(np.diff(bounds) >= -1e-9 * np.abs(bounds[1:]))
            np.testing.assert_array_equal(model.predict(x, lengths=lengths), truth)


def test_uniform_soft_state_labels_change_only_the_objective_with_mixture_emissions() -> None:
    x, lengths = _two_state_mixtures(2)
    plain = fit_quietly(mx.HMM(mx.Gaussian(), 2, n_mix=2, random_state=0, max_iter=5), x, lengths=lengths)
    soft = fit_quietly(
        mx.HMM(mx.Gaussian(), 2, n_mix=2, random_state=0, max_iter=5),
        x,
        lengths=lengths,
        labels=np.full((600, 2), 0.5),
    )
    np.testing.assert_allclose(soft.components_.natural, plain.components_.natural, rtol=1e-10)
    np.testing.assert_allclose(soft.mix_weights_, plain.mix_weights_, rtol=1e-10)
    np.testing.assert_allclose(soft.lower_bound_, plain.lower_bound_ + np.log(0.5), rtol=1e-12)


def test_a_pass_of_labelled_batches_is_a_labelled_iteration_with_mixture_emissions() -> None:
    x, lengths = _two_state_mixtures()
    # labels against the start's states, so that they visibly change the iteration
    labels = np.where(np.arange(600) % 7 == 0, np.repeat([1, 0, 1, 0], 150), -1)
    family = mx.Gaussian(feature_scale=1.0)
    start = fit_quietly(mx.HMM(family, 2, n_mix=2, random_state=0, max_iter=0), x, lengths=lengths)
    init = (start.startprob_, start.transmat_, start.mix_weights_, start.components_)
    batch = fit_quietly(mx.HMM(family, 2, n_mix=2, init=init, max_iter=1), x, lengths=lengths, labels=labels)
    unlabelled = fit_quietly(mx.HMM(family, 2, n_mix=2, init=init, max_iter=1), x, lengths=lengths)
    assert not np.allclose(batch.components_.mean, unlabelled.components_.mean)
    online = mx.HMM(family, 2, n_mix=2, init=init, online=mx.ExactPasses())
    online.partial_fit(x[:300], lengths=[300], labels=labels[:300])
    online.partial_fit(x[300:], lengths=[300], labels=labels[300:])
    online.end_pass()
    np.testing.assert_allclose(online.transmat_, batch.transmat_, rtol=1e-9)
    np.testing.assert_allclose(online.mix_weights_, batch.mix_weights_, rtol=1e-9)
    np.testing.assert_allclose(online.components_.mean, batch.components_.mean, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- mixture weights
def test_map_mix_weights_add_the_dirichlet_pseudo_counts() -> None:
    """MAP-EM's mixture weights are each state's component counts plus ``α − 1``, normalised;
    the objective gains the Dirichlet log densities and stays monotone."""
    x, lengths = regimes()
    data = sequences(exact_family("full"), x, lengths)
    family = data.family
    start = gaussian_start(family, "full")
    prior = MixtureChainPrior(mix=DirichletWeights(concentration=3.0).for_data(2))
    problem = ExpectationMaximisation(MarkovMixtures(2), family, latent_prior=prior)
    summary = problem.e_step(data, start)
    counts = summary.emissions.counts.reshape(2, 2) + 2.0
    expected = counts / counts.sum(1, keepdims=True)
    np.testing.assert_allclose(problem.update(summary, start).mix_weights, expected, **TIGHT)
    penalty = sum(scipy.stats.dirichlet.logpdf(row, [3.0, 3.0]) for row in start.mix_weights)
    assert problem.penalty(start) == pytest.approx(penalty, rel=1e-12)
    mix_prior = mx.DirichletWeights(concentration=3.0)
    model = mx.HMM(family, 2, n_mix=2, init=gaussian_init("full"), mix_prior=mix_prior, max_iter=30, tol=0.0)
    fit_quietly(model, x, lengths=lengths)
    bounds = np.asarray(model.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))
    assert model.mix_weights_.min() > 2.0 / (400 + 4.0)  # pseudo-counts keep every component


def test_the_mix_prior_is_the_variational_prior_of_each_states_weights() -> None:
    x, lengths = regimes()
    model = mx.HMM(mx.Gaussian(), 2, n_mix=2, inference="vb", random_state=0,
                   mix_prior=mx.DirichletWeights(concentration=5.0))
    fit_quietly(model, x, lengths=lengths)
    for mix in model.priors_.mixes:
        np.testing.assert_array_equal(mix.concentration, [5.0, 5.0])
    bounds = np.asarray(model.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-9 * np.abs(bounds[1:]))


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_fixed_mix_weights_stay_bit_for_bit(inference: str) -> None:
    x, lengths = regimes()
    init = gaussian_init("full") if inference == "em" else "kmeans++"
    model = mx.HMM(exact_family("full"), 2, n_mix=2, init=init, fixed=("mix_weights",),
                   inference=inference, random_state=0, max_iter=10, tol=0.0)
    start = mx.HMM(exact_family("full"), 2, n_mix=2, init=init, inference=inference, random_state=0,
                   max_iter=0)
    fit_quietly(model, x, lengths=lengths)
    fit_quietly(start, x, lengths=lengths)
    np.testing.assert_array_equal(model.mix_weights_, start.mix_weights_)
    assert not np.array_equal(model.transmat_, start.transmat_)
    free = mx.HMM(exact_family("full"), 2, n_mix=2, init=init, inference=inference, random_state=0,
                  max_iter=1)
    fit_quietly(free, x, lengths=lengths)
    assert free.n_parameters() - model.n_parameters() == 2  # one free weight per state


def test_mixture_weights_stuck_at_zero_are_found_unless_structural() -> None:
    family = exact_family("full")
    start = gaussian_start(family, "full")
    stuck = attrs.evolve(start, mix_weights=np.array([[1.0, 0.0], [0.3, 0.7]]))
    found = [(name, mask) for name, mask, _ in MarkovMixtures(2).zeros_off_boundary(stuck, start)]
    assert [name for name, _ in found] == ["mix_weights"]
    np.testing.assert_array_equal(found[0][1], [[False, True], [False, False]])
    moved = next(iter(MarkovMixtures(2).zeros_off_boundary(stuck, start)))[2]
    assert moved.mix_weights[0, 1] > 0 and np.allclose(moved.mix_weights.sum(1), 1.0)
    assert not list(MarkovMixtures(2).zeros_off_boundary(stuck, stuck))  # zero from the start: structural


def test_mixture_weight_settings_need_mixture_emissions() -> None:
    x, lengths = regimes()
    for settings in ({"mix_prior": mx.DirichletWeights(concentration=2.0)}, {"fixed": ("mix_weights",)}):
        with pytest.raises(ValueError, match="only n_mix > 1"):
            mx.HMM(mx.Gaussian(), 2, **settings).fit(x, lengths=lengths)
    with pytest.raises(ValueError, match="mix_prior"):
        improper = mx.DirichletWeights(concentration=0.5)
        mx.HMM(mx.Gaussian(), 2, n_mix=2, mix_prior=improper).fit(x, lengths=lengths)
    with pytest.raises(ValueError, match="mix_prior must be DirichletWeights"):
        mx.HMM(mx.Gaussian(), 2, n_mix=2, mix_prior=2.0).fit(x, lengths=lengths)
