"""``partial_fit``: exact passes equal ``fit``, stepwise EM and stochastic VB converge, the state
and fitted attributes stay consistent, and bad input is named."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import mixtures as mx
from mixtures.inference.data import ChunkedData, SequenceData
from mixtures.inference.online import blend, step_size
from mixtures.inference.problem import ExpectationMaximisation, VariationalBayes
from mixtures.inference.sequences import SequenceLayout
from mixtures.inference.summary import Summary
from mixtures.latent.chain import HMMPriors, MarkovChain
from mixtures.latent.mixing import Mixing, MixtureParameters, VariationalPosterior

from helpers import quiet

TIGHT = {"rtol": 1e-10, "atol": 1e-10}


def _blobs(n_samples: int = 1500, seed: int = 0, n_features: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [0.0, 6.0, 3.0]])[:, :n_features]
    return centres[rng.integers(0, 3, n_samples)] + rng.normal(size=(n_samples, n_features))


def _counts(n_samples: int = 1200, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rates = np.array([[1.0, 8.0], [6.0, 2.0], [12.0, 12.0]])
    return rng.poisson(rates[rng.integers(0, 3, n_samples)]).astype(float)


def _batches(n_samples: int, n_batches: int = 7) -> list[np.ndarray]:
    """Uneven row batches that together hold every row once."""
    rng = np.random.default_rng(n_samples)
    cuts = np.sort(rng.choice(np.arange(1, n_samples), n_batches - 1, replace=False))
    return np.split(np.arange(n_samples), cuts)


def _passes(model, x, n_passes, batches, **kwargs):
    for _ in range(n_passes):
        for rows in batches:
            model.partial_fit(x[rows], **{k: v[rows] for k, v in kwargs.items()})
        model.end_pass()
    return model


def _same_components(a, b) -> None:
    """Equal components, compared in ``a``'s coordinates (a Gaussian's centring origin is set on
    the first batch by ``partial_fit`` and on all the data by ``fit``)."""
    np.testing.assert_allclose(a.components_.natural, a.family_.natural_of(b.components_), **TIGHT)


def _assert_same_mixture(a: mx.Mixture, b: mx.Mixture) -> None:
    np.testing.assert_allclose(a.weights_, b.weights_, **TIGHT)
    _same_components(a, b)


# --------------------------------------------------------------------------- exact passes
GAUSSIAN_START = (
    np.array([0.4, 0.3, 0.3]),
    mx.Gaussian().components_from(
        np.array([[1.0, 1.0, 1.0], [4.0, 4.0, 1.0], [0.0, 5.0, 2.0]]), np.array([np.eye(3)] * 3)
    ),
)


@pytest.mark.parametrize("n_passes", [1, 6])
def test_exact_passes_equal_fit_for_em(n_passes: int) -> None:
    x = _blobs()
    weights = np.random.default_rng(3).uniform(0.2, 2.0, x.shape[0])
    # the ridge is relative to the feature scale, which partial_fit takes from its first batch and
    # fit from all rows: fix the scale to compare exactly
    family = mx.Gaussian(feature_scale=x.std(0))
    batch_model = quiet(
        mx.Mixture(family, 3, init=GAUSSIAN_START, max_iter=n_passes, tol=0.0).fit,
        x, sample_weight=weights,
    )
    online = mx.Mixture(family, 3, init=GAUSSIAN_START, online=mx.ExactPasses(), chunk_size=100)
    _passes(online, x, n_passes, _batches(x.shape[0]), sample_weight=weights)
    _assert_same_mixture(online, batch_model)
    np.testing.assert_allclose(online.lower_bounds_, batch_model.lower_bounds_[:n_passes], **TIGHT)
    assert online.n_iter_ == n_passes


def _continue_both(model, x, n_passes, batches, fit_kwargs=None, **batch_kwargs):
    """From one fitted start: ``fit`` with a warm start for ``n_passes`` iterations, and exact
    passes of ``partial_fit``; returns both models."""
    fit_kwargs = fit_kwargs or {}
    quiet(model.set_params(max_iter=1, tol=0.0).fit, x, **fit_kwargs)
    online = copy.deepcopy(model).set_params(online=mx.ExactPasses())
    warm = copy.deepcopy(model).set_params(warm_start=True, max_iter=n_passes)
    quiet(warm.fit, x, **fit_kwargs)
    _passes(online, x, n_passes, batches, **batch_kwargs)
    return warm, online


@pytest.mark.parametrize(
    "model",
    [
        mx.Mixture(mx.Gaussian(), 3, prior=mx.NormalWishart(dof=5.0), random_state=0),  # MAP-EM
        mx.Mixture(mx.Poisson(), 3, prior=mx.Gamma(shape=2.0, rate=0.5), random_state=0),
        mx.Mixture(mx.Gaussian(), 3, inference="vb", random_state=0),
        mx.Mixture(mx.DiagonalGaussian(), 3, inference="vb", weight_prior=mx.StickBreaking(), random_state=0),
        mx.Mixture(mx.Poisson(), 3, inference="vb", random_state=0),
    ],
    ids=["map-gaussian", "map-poisson", "vb-gaussian", "vb-diag-stick", "vb-poisson"],
)
def test_exact_passes_equal_fit_for_map_and_vb(model: mx.Mixture) -> None:
    x = _counts() if isinstance(model.family, mx.Poisson) else _blobs()
    warm, online = _continue_both(model, x, 4, _batches(x.shape[0]))
    _assert_same_mixture(online, warm)
    np.testing.assert_allclose(online.lower_bounds_, warm.lower_bounds_[:4], **TIGHT)
    if model.inference == "vb":
        chi_a, counts_a = online.posterior_.components.natural_hyperparameters()
        chi_b, counts_b = warm.posterior_.components.natural_hyperparameters()
        np.testing.assert_allclose(chi_a, chi_b, **TIGHT)
        np.testing.assert_allclose(counts_a, counts_b, **TIGHT)


def test_one_pass_sums_to_the_e_step_of_all_the_data() -> None:
    x = _blobs()
    model = mx.Mixture(mx.Gaussian(), 3, init=GAUSSIAN_START, online=mx.ExactPasses())
    for rows in _batches(x.shape[0]):
        model.partial_fit(x[rows])
    state = model.online_state_
    whole = ExpectationMaximisation(Mixing(), model.family_).e_step(
        ChunkedData(model.family_, x, np.ones(x.shape[0])), state.parameters
    )
    np.testing.assert_allclose(state.statistics.emissions.counts, whole.emissions.counts, **TIGHT)
    np.testing.assert_allclose(state.statistics.emissions.sums, whole.emissions.sums, **TIGHT)
    assert state.statistics.log_likelihood == pytest.approx(whole.log_likelihood, rel=1e-12)
    assert state.pass_weight == x.shape[0]
    # during the first pass, lower_bound_ is the objective of the rows seen so far
    assert model.lower_bound_ == pytest.approx(whole.log_likelihood / x.shape[0], rel=1e-12)
    assert model.lower_bounds_ == [] and model.n_iter_ == 0


def test_exact_passes_report_convergence_like_fit() -> None:
    x = _blobs()
    model = mx.Mixture(mx.Gaussian(), 3, init=GAUSSIAN_START, online=mx.ExactPasses(), tol=1e-3)
    _passes(model, x, 1, _batches(x.shape[0]))
    assert not model.converged_
    for _ in range(30):
        _passes(model, x, 1, _batches(x.shape[0]))
        if model.converged_:
            break
    assert model.converged_
    assert abs(model.lower_bounds_[-1] - model.lower_bounds_[-2]) < 1e-3
    assert np.all(np.diff(model.lower_bounds_) > -1e-12)  # EM never decreases the objective


# --------------------------------------------------------------------------- HMM exact passes
def _chain(n_sequences: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    transmat = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
    lengths = rng.integers(40, 120, n_sequences)
    rows = []
    for length in lengths:
        state = rng.integers(3)
        for _ in range(length):
            rows.append(state)
            state = rng.choice(3, p=transmat[state])
    centres = np.array([[0.0, 0.0], [3.0, 3.0], [-2.0, 4.0]])
    return centres[np.array(rows)] + 0.8 * rng.standard_normal((len(rows), 2)), lengths


def _sequence_batches(lengths: np.ndarray, per_batch: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
    """Batches of whole sequences: (rows, lengths) of each."""
    ends = np.cumsum(lengths)
    out = []
    for first in range(0, lengths.shape[0], per_batch):
        group = lengths[first : first + per_batch]
        start = int(ends[first] - lengths[first])
        out.append((np.arange(start, start + int(group.sum())), group))
    return out


def _hmm_passes(model: mx.HMM, x, batches, n_passes: int) -> mx.HMM:
    for _ in range(n_passes):
        for rows, lengths in batches:
            model.partial_fit(x[rows], lengths=lengths)
        model.end_pass()
    return model


def _assert_same_hmm(a: mx.HMM, b: mx.HMM) -> None:
    np.testing.assert_allclose(a.startprob_, b.startprob_, **TIGHT)
    np.testing.assert_allclose(a.transmat_, b.transmat_, **TIGHT)
    _same_components(a, b)


def test_hmm_exact_passes_equal_baum_welch() -> None:
    x, lengths = _chain()
    start = (
        np.array([0.5, 0.3, 0.2]),
        np.array([[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.25, 0.25, 0.5]]),
        mx.DiagonalGaussian().components_from(
            np.array([[0.5, 0.5], [2.5, 2.0], [-1.0, 3.0]]), np.ones((3, 2))
        ),
    )
    family = mx.DiagonalGaussian(feature_scale=x.std(0))  # as above: one scale for both
    fitted = quiet(mx.HMM(family, 3, init=start, max_iter=5, tol=0.0).fit, x, lengths=lengths)
    online = mx.HMM(family, 3, init=start, online=mx.ExactPasses(), chunk_size=150)
    _hmm_passes(online, x, _sequence_batches(lengths), 5)
    _assert_same_hmm(online, fitted)
    np.testing.assert_allclose(online.lower_bounds_, fitted.lower_bounds_[:5], **TIGHT)


@pytest.mark.parametrize(
    "model",
    [
        mx.HMM(mx.Gaussian(), 3, prior=mx.NormalWishart(dof=4.0), random_state=0),
        mx.HMM(mx.Gaussian(), 3, inference="vb", random_state=0),
    ],
    ids=["map", "vb"],
)
def test_hmm_exact_passes_equal_fit_for_map_and_vb(model: mx.HMM) -> None:
    x, lengths = _chain(seed=1)
    quiet(model.set_params(max_iter=1, tol=0.0).fit, x, lengths=lengths)
    online = copy.deepcopy(model).set_params(online=mx.ExactPasses())
    warm = quiet(copy.deepcopy(model).set_params(warm_start=True, max_iter=3).fit, x, lengths=lengths)
    _hmm_passes(online, x, _sequence_batches(lengths, 5), 3)
    _assert_same_hmm(online, warm)
    np.testing.assert_allclose(online.lower_bounds_, warm.lower_bounds_[:3], **TIGHT)


def test_hmm_one_pass_sums_to_forward_backward_of_all_sequences() -> None:
    x, lengths = _chain(seed=2)
    model = mx.HMM(mx.Gaussian(), 3, random_state=0, online=mx.ExactPasses())
    for rows, group in _sequence_batches(lengths, 3):
        model.partial_fit(x[rows], lengths=group)
    state = model.online_state_
    layout = SequenceLayout.checked(lengths, x.shape[0])
    data = SequenceData(ChunkedData(model.family_, x, np.ones(x.shape[0]), layout=layout))
    whole = ExpectationMaximisation(MarkovChain(), model.family_).e_step(data, state.parameters)
    summed = state.statistics
    np.testing.assert_allclose(summed.emissions.sums, whole.emissions.sums, **TIGHT)
    for counts, expected in zip(summed.latent, whole.latent, strict=True):  # initial, transitions
        np.testing.assert_allclose(counts, expected, **TIGHT)
    assert summed.log_likelihood == pytest.approx(whole.log_likelihood, rel=1e-12)


# --------------------------------------------------------------------------- stochastic modes
def test_schedule_and_blend_algebra() -> None:
    assert step_size(1, 0.6, 0.0) == 1.0
    assert step_size(4, 1.0, 1.0) == pytest.approx(0.2)
    rates = [step_size(t, 0.7, 2.0) for t in range(1, 50)]
    assert np.all(np.diff(rates) < 0) and rates[0] < 1.0
    statistics = mx.SufficientStatistics(np.array([1.0, 3.0]), np.array([[2.0], [6.0]]))
    other = mx.SufficientStatistics(np.array([3.0, 1.0]), np.array([[0.0], [4.0]]))
    mixed = blend(statistics, other, 0.25)
    np.testing.assert_allclose(mixed.counts, [1.5, 2.5])
    np.testing.assert_allclose(mixed.sums, [[1.5], [5.5]])
    np.testing.assert_allclose(Summary(1.0, statistics).scaled(2.0).emissions.sums, [[4.0], [12.0]])
    # the natural-gradient step of a Dirichlet and of a conjugate prior is a convex combination
    a, b = mx.DirichletWeights(concentration=[1.0, 2.0]), mx.DirichletWeights(concentration=[3.0, 6.0])
    np.testing.assert_allclose(blend(a, b, 0.5).concentration, [2.0, 4.0])
    prior = mx.Gamma(shape=2.0, rate=1.0).for_data(mx.Poisson(), np.ones((3, 2)), np.ones(3), 2)
    posterior = prior.update(mx.SufficientStatistics(np.array([4.0, 2.0]), np.full((2, 2), 8.0)))
    halfway = blend(prior, posterior, 0.5)
    np.testing.assert_allclose(halfway.natural_hyperparameters()[0], [[6.0, 6.0], [6.0, 6.0]])
    np.testing.assert_allclose(halfway.natural_hyperparameters()[1][:, 0], [3.0, 2.0])


def test_a_full_first_step_is_one_em_iteration_on_the_batch() -> None:
    x = _blobs()[:400]
    online = mx.Mixture(mx.Gaussian(), 3, init=GAUSSIAN_START, online=mx.StepwiseEM(tau=0.0)).partial_fit(x)
    batch = quiet(mx.Mixture(mx.Gaussian(), 3, init=GAUSSIAN_START, max_iter=1, tol=0.0).fit, x)
    _assert_same_mixture(online, batch)


def test_a_full_first_svi_step_is_one_vb_iteration_on_the_batch() -> None:
    x = _blobs()[:400]
    svi = mx.StochasticVB(total_samples=400, tau=0.0)
    online = mx.Mixture(mx.Gaussian(), 3, inference="vb", random_state=0, online=svi).partial_fit(x)
    batch = quiet(mx.Mixture(mx.Gaussian(), 3, inference="vb", random_state=0, max_iter=1, tol=0.0).fit, x)
    _assert_same_mixture(online, batch)


def test_stepwise_em_recovers_a_mixture_from_a_stream() -> None:
    x = _blobs(6000, seed=4)
    model = mx.Mixture(mx.Gaussian(), 3, random_state=0)  # StepwiseEM() is EM's default
    rng = np.random.default_rng(0)
    for _ in range(2):
        for rows in np.array_split(rng.permutation(x.shape[0]), 30):
            model.partial_fit(x[rows])
    assert isinstance(model.online_state_.mode, mx.StepwiseEM)
    batch = mx.Mixture(mx.Gaussian(), 3, random_state=0).fit(x)
    order = np.argsort(model.components_.mean[:, 1] * 10 + model.components_.mean[:, 2])
    reference = np.argsort(batch.components_.mean[:, 1] * 10 + batch.components_.mean[:, 2])
    np.testing.assert_allclose(model.components_.mean[order], batch.components_.mean[reference], atol=0.1)
    np.testing.assert_allclose(model.weights_[order], batch.weights_[reference], atol=0.02)
    assert model.score(x) > batch.score(x) - 0.01
    assert model.n_iter_ == 60 and len(model.lower_bounds_) == 60 and not model.converged_


def test_stepwise_map_em_and_hmm_stepwise_em_learn() -> None:
    x, lengths = _chain(n_sequences=40, seed=3)
    batches = _sequence_batches(lengths, 4)
    model = mx.HMM(mx.Gaussian(), 3, random_state=0, prior=mx.NormalWishart(),
                   online=mx.StepwiseEM(kappa=0.7, total_samples=x.shape[0]))
    for _ in range(3):
        for rows, group in batches:
            model.partial_fit(x[rows], lengths=group)
    batch = quiet(mx.HMM(mx.Gaussian(), 3, random_state=0, prior=mx.NormalWishart()).fit, x, lengths=lengths)
    per_row_gap = (batch.score(x, lengths=lengths) - model.score(x, lengths=lengths)) / x.shape[0]
    assert per_row_gap < 0.01
    assert np.all(np.diag(model.transmat_) > 0.7)


@pytest.mark.parametrize("weight_prior", [mx.DirichletWeights(), mx.StickBreaking()])
def test_stochastic_vb_reaches_the_batch_elbo(weight_prior) -> None:
    """The acceptance test at a small size: the ELBO of the SVI posterior on all the data is
    within 1% of batch VB's (``benchmarks/online_vb.py`` prints the large-size figures)."""
    rng = np.random.default_rng(5)
    n_samples, n_features, n_components = 30_000, 4, 4
    centres = rng.normal(scale=4.0, size=(n_components, n_features))
    x = centres[rng.integers(0, n_components, n_samples)] + rng.normal(size=(n_samples, n_features))
    # an explicit prior, the same for both (defaults would be resolved on different rows)
    prior = mx.NormalWishart(mean=np.zeros(n_features), mean_precision=0.01, dof=float(n_features),
                             scale=np.eye(n_features) / n_features)
    settings = dict(inference="vb", prior=prior, weight_prior=weight_prior, random_state=0)
    batch = quiet(mx.Mixture(mx.Gaussian(), n_components, **settings).fit, x)
    svi = mx.Mixture(mx.Gaussian(), n_components, online=mx.StochasticVB(total_samples=n_samples),
                     **settings)
    for _ in range(2):
        for rows in np.array_split(rng.permutation(n_samples), n_samples // 1000):
            svi.partial_fit(x[rows])
    data = ChunkedData(batch.family_, x, np.ones(n_samples))
    def elbo(model: mx.Mixture, data: ChunkedData) -> float:
        problem = VariationalBayes(Mixing(), VariationalPosterior(model.prior_, model.weight_prior_))
        return problem.objective(problem.e_step(data, model.posterior_), model.posterior_)

    batch_elbo = elbo(batch, data)
    svi_elbo = elbo(svi, ChunkedData(svi.family_, x, np.ones(n_samples)))
    assert abs(svi_elbo - batch_elbo) < 0.01 * abs(batch_elbo)
    assert svi.n_effective_components_ == n_components
    # the batch estimates of the ELBO per row track the true one
    assert svi.lower_bound_ == pytest.approx(svi_elbo / n_samples, rel=0.05)


def test_hmm_stochastic_vb_learns_the_chain() -> None:
    x, lengths = _chain(n_sequences=40, seed=6)
    batches = _sequence_batches(lengths, 4)
    model = mx.HMM(mx.Gaussian(), 3, inference="vb", random_state=0,
                   online=mx.StochasticVB(total_samples=x.shape[0]))
    for _ in range(3):
        for rows, group in batches:
            model.partial_fit(x[rows], lengths=group)
    batch = quiet(mx.HMM(mx.Gaussian(), 3, inference="vb", random_state=0).fit, x, lengths=lengths)
    gap = (batch.score(x, lengths=lengths) - model.score(x, lengths=lengths)) / x.shape[0]
    assert gap < 0.01
    assert isinstance(model.priors_, HMMPriors) and np.all(np.diag(model.transmat_) > 0.7)


def test_default_stream_size_is_the_weight_seen() -> None:
    x = _blobs(2000)
    model = mx.Mixture(mx.Gaussian(), 3, inference="vb", random_state=0)  # StochasticVB()
    for rows in np.array_split(np.arange(2000), 4):
        model.partial_fit(x[rows])
    assert model.online_state_.seen_weight == 2000
    assert model.online_state_.mode == mx.StochasticVB()


# --------------------------------------------------------------------------- estimator contract
def test_partial_fit_continues_a_fit_and_fit_forgets_the_online_state() -> None:
    x = _blobs()
    model = quiet(mx.Mixture(mx.Gaussian(), 3, random_state=0, tol=1e-8, max_iter=500).fit, x)
    means = model.components_.mean.copy()
    model.set_params(online=mx.ExactPasses())
    _passes(model, x, 1, _batches(x.shape[0]))
    np.testing.assert_allclose(model.components_.mean, means, atol=1e-4)  # a converged fit stays
    assert model.n_iter_ == 1
    model.fit(x)
    assert not hasattr(model, "online_state_")
    with pytest.raises(mx.NotFittedError):
        model.end_pass()


def test_a_stepwise_step_from_a_fit_is_a_convex_combination_of_statistics() -> None:
    x = _counts()
    model = mx.Mixture(mx.Poisson(), 3, random_state=0, tol=1e-8).fit(x)
    rates, weights = model.components_.rate.copy(), model.weights_.copy()
    batch = x[:200]
    summed = ExpectationMaximisation(Mixing(), model.family_).e_step(
        ChunkedData(model.family_, batch, np.ones(200)),
        MixtureParameters(model.components_.natural, weights),
    ).emissions
    mode = mx.StepwiseEM(tau=3.0)
    model.set_params(online=mode).partial_fit(batch)
    rho = step_size(1, mode.kappa, mode.tau)
    counts = (1 - rho) * weights + rho * summed.counts / 200
    sums = (1 - rho) * weights[:, None] * rates + rho * summed.sums / 200
    np.testing.assert_allclose(model.weights_, counts / counts.sum(), **TIGHT)
    np.testing.assert_allclose(model.components_.rate, sums / counts[:, None], **TIGHT)


def test_attributes_and_predictions_after_every_call() -> None:
    pandas = pytest.importorskip("pandas")
    x = _blobs()
    frame = pandas.DataFrame(x, columns=["a", "b", "c"])
    model = mx.Mixture(mx.Gaussian(), 3, random_state=0, online=mx.ExactPasses())
    model.partial_fit(frame.iloc[:500])
    for fitted in (model, model.partial_fit(frame.iloc[500:]), model.end_pass()):
        assert fitted is model
        assert model.n_features_in_ == 3 and list(model.feature_names_in_) == ["a", "b", "c"]
        assert model.predict(x).shape == (x.shape[0],)
        assert np.isfinite(model.score(x)) and np.isfinite(model.lower_bound_)
        assert model.weights_.shape == (3,) and model.components_.mean.shape == (3, 3)
    vb = mx.Mixture(mx.Gaussian(), 3, inference="vb", random_state=0).partial_fit(x)
    assert hasattr(vb, "posterior_") and vb.effective_components_.shape == (3,)
    assert np.isfinite(vb.score(x)) and np.isfinite(vb.lower_bound_)
    hmm_x, lengths = _chain()
    hmm = mx.HMM(mx.Gaussian(), 3, random_state=0).partial_fit(hmm_x, lengths=lengths)
    assert hmm.predict(hmm_x, lengths=lengths).shape == (hmm_x.shape[0],)
    assert hmm.transmat_.shape == (3, 3) and np.isfinite(hmm.score(hmm_x, lengths=lengths))


def test_bad_input_is_named() -> None:
    x = _blobs()
    model = mx.Mixture(mx.Gaussian(), 3, random_state=0).partial_fit(x[:100])
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(x[:100, :2])
    with pytest.raises(ValueError, match="at least n_components=3 rows"):
        mx.Mixture(mx.Gaussian(), 3).partial_fit(x[:2])
    with pytest.raises(ValueError, match="kappa"):
        mx.StepwiseEM(kappa=0.5)
    with pytest.raises(ValueError, match="kappa"):
        mx.StochasticVB(total_samples=10, kappa=1.5)
    with pytest.raises(ValueError, match="tau"):
        mx.StepwiseEM(tau=-1.0)
    with pytest.raises(ValueError, match="total_samples"):
        mx.StochasticVB(total_samples=0)
    with pytest.raises(ValueError, match="StepwiseEM is for inference='em'"):
        mx.Mixture(mx.Gaussian(), 3, inference="vb", online=mx.StepwiseEM()).partial_fit(x)
    with pytest.raises(ValueError, match="StochasticVB is for inference='vb'"):
        mx.Mixture(mx.Gaussian(), 3, online=mx.StochasticVB(total_samples=10)).partial_fit(x)
    with pytest.raises(ValueError, match="online must be"):
        mx.Mixture(mx.Gaussian(), 3, online="exact").partial_fit(x)
    with pytest.raises(mx.NotFittedError):
        mx.Mixture(mx.Gaussian(), 3).end_pass()
    exact = mx.Mixture(mx.Gaussian(), 3, random_state=0, online=mx.ExactPasses()).partial_fit(x)
    exact.end_pass()
    with pytest.raises(ValueError, match="no batch since the last pass"):
        exact.end_pass()
    counts = mx.Mixture(mx.Poisson(), 2, random_state=0).partial_fit(_counts()[:100])
    with pytest.raises(ValueError, match=r"(?i)negative"):
        counts.partial_fit(-_counts()[:10] - 1.0)
    hmm = mx.HMM(mx.Gaussian(), 2, random_state=0)
    with pytest.raises(ValueError, match="lengths"):
        hmm.partial_fit(x[:50], lengths=[20, 20])


def test_degenerate_batches_give_no_nan() -> None:
    x = _blobs()
    model = mx.Mixture(mx.Gaussian(), 3, random_state=0).partial_fit(x[:300])
    model.partial_fit(np.repeat(x[:1], 50, axis=0))  # one point repeated: components empty
    model.partial_fit(x[300:600])
    assert np.all(np.isfinite(model.components_.covariance)) and np.all(np.isfinite(model.weights_))
    vb = mx.Mixture(mx.Gaussian(), 3, inference="vb", random_state=0).partial_fit(x[:300])
    vb.partial_fit(np.repeat(x[:1], 50, axis=0))
    assert np.all(np.isfinite(vb.components_.covariance)) and np.isfinite(vb.score(x))


def test_a_first_batch_with_a_constant_feature_warns() -> None:
    """A feature constant in the first batch takes its scale (and so the relative ridge) from
    its magnitude: partial_fit says so, since later batches may vary; a given feature_scale, or
    a first batch where every feature varies, is silent."""
    rng = np.random.default_rng(0)
    first = np.c_[rng.normal(size=(50, 1)), np.full((50, 1), 1000.0)]
    with pytest.warns(UserWarning, match=r"feature\(s\) \[1\] are constant.*feature_scale"):
        mx.Mixture(mx.Gaussian(), 2, random_state=0).partial_fit(first)
    parts = mx.Independent((mx.Poisson(), [0]), (mx.DiagonalGaussian(), [1, 2]))
    counts = np.c_[rng.poisson(2.0, (50, 1)), first]
    with pytest.warns(UserWarning, match=r"Part DiagonalGaussian: feature\(s\) \[1\]"):
        mx.Mixture(parts, 2, random_state=0).partial_fit(counts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mx.Mixture(mx.Gaussian(feature_scale=[1.0, 0.01]), 2, random_state=0).partial_fit(first)
        mx.Mixture(mx.Gaussian(), 2, random_state=0).partial_fit(rng.normal(size=(50, 2)))
        mx.Mixture(mx.Gaussian(), 2, random_state=0).fit(first)  # fit sees all its data
