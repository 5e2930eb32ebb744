"""Starts inside the parameter space, restarts that differ, no convergence at a symmetric start,
``max_iter=0`` (initialise only) and warnings about fits that end degenerate (issue 11)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixtures as mx
from mixtures.inference.boundary import stuck_on_boundary
from mixtures.inference.data import ChunkedData, SequenceData
from mixtures.inference.initialization import INIT_SMOOTHING, START_METHODS, kmeans_clustering
from mixtures.inference.loop import iterate, observe_iterations
from mixtures.inference.problem import ExpectationMaximisation
from mixtures.inference.sequences import SequenceLayout
from mixtures.inference.sources import rows_of
from mixtures.latent.chain import HMMParameters, MarkovChain
from mixtures.latent.mixing import Mixing

from helpers import FAMILIES

# --------------------------------------------------------------------------- data
TRUE_START = np.array([0.6, 0.4])
TRUE_TRANSMAT = np.array([[0.9, 0.1], [0.2, 0.8]])
TRUE_EMISSIONS = np.array([[0.6, 0.3, 0.1], [0.1, 0.3, 0.6]])  # overlapping rows
LENGTHS = [200, 150, 300]


def categorical_sequences(seed: int = 0) -> np.ndarray:
    """Three sequences (200/150/300 steps) of a 2-state, 3-symbol HMM with overlapping emissions."""
    rng = np.random.default_rng(seed)
    symbols = []
    for length in LENGTHS:
        state = rng.choice(2, p=TRUE_START)
        for _ in range(length):
            symbols.append(rng.choice(3, p=TRUE_EMISSIONS[state]))
            state = rng.choice(2, p=TRUE_TRANSMAT[state])
    return np.array(symbols, dtype=float)[:, None]


def overlapping_categorical(n_samples: int = 1500, seed: int = 1) -> np.ndarray:
    """Four 4-symbol features from three components with random (overlapping) probabilities."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(4), size=(3, 4))
    labels = rng.choice(3, size=n_samples)
    cumulative = probs[labels].cumsum(-1)
    return (cumulative[..., :-1] < rng.random((n_samples, 4, 1))).sum(-1).astype(float)


def three_groups(name: str, n_samples: int = 450, seed: int = 5) -> np.ndarray:
    """Three overlapping groups in the support of a built-in family."""
    rng = np.random.default_rng(seed)
    group = rng.choice(3, size=n_samples)
    if name in ("gaussian", "diagonal", "spherical", "tied"):
        return np.array([[0.0, 0.0], [2.5, 0.0], [0.0, 2.5]])[group] + rng.standard_normal(
            (n_samples, 2)
        )
    if name == "bernoulli":
        probs = np.array([[0.2] * 3 + [0.7] * 3, [0.7] * 3 + [0.2] * 3, [0.5] * 6])[group]
        return (rng.random(probs.shape) < probs).astype(float)
    if name == "poisson":
        return rng.poisson(np.array([[1.0, 4.0], [4.0, 1.0], [2.0, 2.0]])[group]).astype(float)
    return overlapping_categorical(n_samples, seed)


def _quiet(model, x, **kwargs):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(x, **kwargs)


def _starting_objectives(model, x, **kwargs) -> list[float]:  # type: ignore[no-untyped-def]
    """The objective at iteration 0 of every run of ``model.fit``."""
    records = []
    with observe_iterations(records.append):
        _quiet(model, x, **kwargs)
    return [record.objective for record in records if record.iteration == 0]


# --------------------------------------------------------------------------- inside the space
@pytest.mark.parametrize("init", ["kmeans++", "kmeans", "random"])
def test_starting_responsibilities_give_every_component_a_share_of_every_row(init: str) -> None:
    x = np.repeat(np.arange(3.0), 50)[:, None]  # three distinct rows: hard labels would be 0/1
    data = ChunkedData(mx.Categorical().for_data(x, np.ones(150)), x, np.ones(150), chunk_size=16)
    assign = START_METHODS[init].assignment(data, 2, np.random.default_rng(0))
    responsibilities = np.concatenate([assign(chunk) for chunk in data.chunks()])
    np.testing.assert_allclose(responsibilities.sum(1), 1.0)
    assert responsibilities.min() >= INIT_SMOOTHING / (2 * 2) * (1 - 1e-12)


@pytest.mark.parametrize("inference", ["em", "map"])
@pytest.mark.parametrize("init", ["kmeans++", "kmeans"])
def test_discrete_starts_are_not_stuck_at_zero_probabilities(init: str, inference: str) -> None:
    """Hard k-means labels of a few distinct rows give emission probabilities of exactly 0, a
    fixed point of EM: the first M-step must land strictly inside."""
    x = overlapping_categorical()
    prior = mx.Dirichlet() if inference == "map" else None  # concentration 1: its mode is 0 too
    for seed in range(4):
        model = _quiet(mx.Mixture(mx.Categorical(), 3, init=init, max_iter=1, random_state=seed,
                                  prior=prior), x)
        assert model.components_.probs.min() > 1e-4, seed


@pytest.mark.parametrize("name", ["gaussian", "diagonal", "spherical"])
def test_a_singleton_cluster_does_not_start_at_zero_variance(name: str) -> None:
    """A far outlier becomes a k-means cluster of its own; its component must not start with the
    variance of one point (zero: reg_covar alone)."""
    rng = np.random.default_rng(0)
    x = np.vstack([rng.standard_normal((200, 2)), [[50.0, 50.0]]])
    for seed in range(3):
        model = _quiet(mx.Mixture(FAMILIES[name](), 2, max_iter=1, random_state=seed), x)
        variances = model.components_.variance if name != "gaussian" else np.diagonal(
            model.components_.covariance, axis1=1, axis2=2
        )
        assert variances.min() > 1e-3, seed


def test_hmm_starts_have_no_zero_emission_probability() -> None:
    x = categorical_sequences()
    for inference in ("em", "vb"):
        for init in ("kmeans++", "kmeans", "random", "mixture"):
            model = _quiet(
                mx.HMM(mx.Categorical(), 2, inference=inference, init=init, max_iter=1,
                       random_state=0),
                x, lengths=LENGTHS,
            )
            assert model.components_.probs.min() > 1e-4, (inference, init)


def test_the_same_start_however_the_rows_are_chunked() -> None:
    x = overlapping_categorical(500)
    whole = _quiet(mx.Mixture(mx.Categorical(), 3, max_iter=0, random_state=3), x)
    chunked = _quiet(mx.Mixture(mx.Categorical(), 3, max_iter=0, random_state=3, chunk_size=37), x)
    np.testing.assert_allclose(chunked.components_.probs, whole.components_.probs, rtol=1e-10)
    np.testing.assert_allclose(chunked.weights_, whole.weights_, rtol=1e-10)


# --------------------------------------------------------------------------- the HMM of the issue
def test_categorical_hmm_reaches_hmmlearns_best_log_likelihood() -> None:
    """2 states, 3 symbols, sequences of 200/150/300 steps: the default init with 10 restarts
    reaches hmmlearn's best of 10 random restarts within 1 nat, with no emission probability at
    0 (before: two iterations, an emission probability of exactly 0, 10 nats short, and every
    restart the same)."""
    hmmlearn = pytest.importorskip("hmmlearn.hmm")
    x = categorical_sequences()
    symbols = x.astype(int)
    best = -np.inf
    for seed in range(10):
        theirs = hmmlearn.CategoricalHMM(2, n_iter=500, tol=1e-8, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            best = max(best, theirs.fit(symbols, LENGTHS).score(symbols, LENGTHS))
    for seed in range(3):
        ours = _quiet(mx.HMM(mx.Categorical(), 2, n_init=10, random_state=seed), x, lengths=LENGTHS)
        assert ours.score(x, lengths=LENGTHS) >= best - 1.0, seed
        assert ours.components_.probs.min() > 1e-3, seed


def test_categorical_hmm_single_default_start_leaves_the_boundary() -> None:
    x = categorical_sequences()
    for seed in range(5):
        model = _quiet(mx.HMM(mx.Categorical(), 2, random_state=seed), x, lengths=LENGTHS)
        assert model.components_.probs.min() > 1e-3, seed
        assert model.n_iter_ > 2, seed


# --------------------------------------------------------------------------- restarts differ
@pytest.mark.parametrize("inference", ["em", "vb"])
@pytest.mark.parametrize("init", ["kmeans++", "kmeans", "random"])
def test_every_hmm_restart_starts_from_a_different_point(init: str, inference: str) -> None:
    x = categorical_sequences()
    model = mx.HMM(mx.Categorical(), 2, inference=inference, init=init, n_init=10, max_iter=2,
                   random_state=0)
    starts = _starting_objectives(model, x, lengths=LENGTHS)
    assert len(starts) == 10
    assert len(np.unique(starts)) == 10, starts


@pytest.mark.parametrize("inference", ["em", "vb"])
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_mixture_restart_starts_from_a_different_point(name: str, inference: str) -> None:
    x = np.repeat(three_groups(name, 60)[:4], 25, axis=0)  # four distinct rows, many copies
    model = mx.Mixture(FAMILIES[name](), 3, inference=inference, n_init=8, max_iter=1,
                       random_state=0)
    starts = _starting_objectives(model, x)
    assert len(np.unique(starts)) == 8, starts


def test_restarts_of_the_same_partition_start_apart() -> None:
    """Two symbols and two components: every k-means++ start finds the same partition, yet the
    restarts' starting statistics differ (the objective cannot show it: any start that depends
    on the symbol alone reproduces the empirical frequencies)."""
    x = np.repeat([[0.0], [1.0]], [70, 30], axis=0)
    data = ChunkedData(mx.Categorical().for_data(x, np.ones(100)), x, np.ones(100))
    rng = np.random.default_rng(0)  # one generator for all restarts, as the estimators do
    problem = ExpectationMaximisation(Mixing(), data.family)
    kmeans = START_METHODS["kmeans++"]
    sums = [problem.summary_of(data, kmeans.assignment(data, 2, rng)).emissions.sums for _ in range(5)]
    for i in range(5):
        for j in range(i):
            assert np.abs(sums[i] - sums[j]).max() > 1e-3


# --------------------------------------------------------------------------- symmetric starts
def test_random_start_does_not_stop_at_a_near_symmetric_saddle() -> None:
    """Before: ``init="random"`` stopped after 1 iteration near the symmetric point, far below
    the k-means++ fit."""
    x = overlapping_categorical(2000)
    for seed in range(4):
        random = _quiet(mx.Mixture(mx.Categorical(), 3, init="random", random_state=seed), x)
        kmeans = _quiet(mx.Mixture(mx.Categorical(), 3, random_state=seed), x)
        assert random.n_iter_ > 2
        assert random.lower_bound_ > kmeans.lower_bound_ - 0.02, seed


def _three_group_model(estimator: str, name: str, inference: str, **settings):  # type: ignore[no-untyped-def]
    """A 3-component Mixture or 3-state HMM of the family ``name`` for ``three_groups``."""
    model_type = mx.Mixture if estimator == "mixture" else mx.HMM
    return model_type(FAMILIES[name](), 3, inference=inference, **settings)


@pytest.mark.parametrize("inference", ["em", "vb"])
@pytest.mark.parametrize("estimator", ["mixture", "hmm"])
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_random_starts_never_stop_at_iteration_one_or_two(
    name: str, estimator: str, inference: str
) -> None:
    x = three_groups(name)
    for seed in range(4):
        model = _three_group_model(estimator, name, inference, init="random", random_state=seed)
        assert _quiet(model, x).n_iter_ > 2, seed


def test_growing_gains_are_not_convergence() -> None:
    """An objective that creeps away from a saddle (tiny first gains, then growing) is not
    converged at its first small gain; shrinking gains below tol are."""
    path = [0.0, 1e-6, 1e-4, 1e-2, 0.5, 0.9, 0.95, 0.9501, 0.95011, 0.950111]
    trajectory = iterate(0, lambda i: (path[i], i), lambda summary, i: i + 1, max_iter=9, tol=1e-3)
    assert trajectory.converged and trajectory.n_iter == 7  # gains 0.4, 0.05, 1e-4: shrinking


def test_a_fit_started_at_its_fixed_point_stops_at_once() -> None:
    trajectory = iterate(0, lambda i: (-1.0, i), lambda summary, i: i + 1, max_iter=50, tol=1e-3)
    assert trajectory.converged and trajectory.n_iter == 1


# --------------------------------------------------------------------------- max_iter=0
@pytest.mark.parametrize("inference", ["em", "vb"])
@pytest.mark.parametrize("estimator", ["mixture", "hmm"])
def test_max_iter_zero_initialises_only(estimator: str, inference: str) -> None:
    x = three_groups("gaussian")
    cls = mx.Mixture if estimator == "mixture" else mx.HMM
    with pytest.warns(mx.ConvergenceWarning, match="max_iter=0"):
        model = cls(mx.Gaussian(), 3, inference=inference, max_iter=0, random_state=0).fit(x)
    assert model.n_iter_ == 0 and not model.converged_
    assert model.lower_bounds_ == [model.lower_bound_]
    longer = _quiet(cls(mx.Gaussian(), 3, inference=inference, max_iter=3, random_state=0), x)
    assert longer.lower_bounds_[0] == pytest.approx(model.lower_bound_, rel=1e-12)
    if estimator == "mixture" and inference == "em":
        assert model.score(x) == pytest.approx(model.lower_bound_, rel=1e-12)
    if estimator == "hmm" and inference == "em":
        assert model.score(x) / x.shape[0] == pytest.approx(model.lower_bound_, rel=1e-12)


def test_max_iter_zero_keeps_given_parameters() -> None:
    x = three_groups("gaussian")
    start = _quiet(mx.Mixture(mx.Gaussian(), 3, max_iter=2, random_state=0), x)
    with pytest.warns(mx.ConvergenceWarning):
        model = mx.Mixture(
            mx.Gaussian(), 3, init=(start.weights_, start.components_), max_iter=0
        ).fit(x)
    np.testing.assert_array_equal(model.weights_, start.weights_)
    np.testing.assert_allclose(model.components_.mean, start.components_.mean, rtol=1e-12)
    hmm = _quiet(
        mx.HMM(mx.Gaussian(), 3, init=(start.weights_, np.full((3, 3), 1 / 3), start.components_),
               max_iter=0),
        x,
    )
    np.testing.assert_array_equal(hmm.startprob_, start.weights_)
    np.testing.assert_array_equal(hmm.transmat_, np.full((3, 3), 1 / 3))


def test_negative_max_iter_is_refused() -> None:
    with pytest.raises(ValueError, match="max_iter must be an integer >= 0"):
        mx.Mixture(mx.Gaussian(), 2, max_iter=-1).fit(three_groups("gaussian"))


# --------------------------------------------------------------------------- degenerate endings
def _warnings_of(fit, *args, **kwargs) -> list[warnings.WarningMessage]:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(*args, **kwargs)
    return [w for w in caught if issubclass(w.category, (mx.BoundaryWarning, mx.CollapsedFitWarning))]


@pytest.mark.parametrize("inference", ["em", "vb"])
@pytest.mark.parametrize("estimator", ["mixture", "hmm"])
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_ordinary_fits_do_not_warn_about_degenerate_endings(
    name: str, estimator: str, inference: str
) -> None:
    x = three_groups(name)
    for seed in range(2):
        model = _three_group_model(estimator, name, inference, random_state=seed)
        assert _warnings_of(model.fit, x) == []


def test_boundary_maxima_of_the_likelihood_do_not_warn() -> None:
    """Features never on in one group: the fitted probability 0 is the maximum, not a trap."""
    rng = np.random.default_rng(0)
    group = rng.integers(0, 2, 300)
    probs = np.array([[0.9] * 10 + [0.0] * 2, [0.1] * 10 + [0.5] * 2])[group]
    x = (rng.random(probs.shape) < probs).astype(float)
    model = mx.Mixture(mx.Bernoulli(), 2, random_state=0)
    assert _warnings_of(model.fit, x) == []
    assert model.components_.probs[:, 10:].min() < 1e-6  # it did end on the boundary
    left_to_right = np.concatenate([rng.normal(mean, 1.0, (50, 1)) for mean in (0, 100, 200)])
    hmm = mx.HMM(mx.Gaussian(), 3, random_state=0)
    assert _warnings_of(hmm.fit, left_to_right) == []
    assert (hmm.transmat_ == 0).any()  # transitions never taken


def test_categorical_hmm_default_fit_does_not_warn() -> None:
    model = mx.HMM(mx.Categorical(), 2, random_state=0)
    assert _warnings_of(model.fit, categorical_sequences(), lengths=LENGTHS) == []


def test_a_harmless_floor_does_not_warn() -> None:
    """A start with a symbol at the floor: EM creeps off it and settles 0.05 nats below the best
    fit, with the floor costing about 1e-4 nats. That is the floor doing its job, not a trap."""
    family = mx.Categorical(n_categories=3)
    probs = np.array([[[0.7, 0.3 - 1e-10, 1e-10]], [[0.1, 0.3, 0.6]]])
    start = (np.array([0.5, 0.5]), TRUE_TRANSMAT, family.components_from(probs))
    model = mx.HMM(family, 2, init=start)
    assert _warnings_of(model.fit, categorical_sequences(), lengths=LENGTHS) == []
    assert model.components_.probs[0, 0, 2] < 1e-8


def test_an_emission_the_data_need_at_the_floor_is_reported() -> None:
    """No state may emit symbol 2, a third of the data: moving a state's probability off the
    floor gains far more than ``BOUNDARY_EVIDENCE`` (about 13 nats per such observation). Such a
    fit is one that stopped early; at an EM fixed point a floor costs a fraction of a nat."""
    x = categorical_sequences()
    family = mx.Categorical().for_data(x, np.ones(x.shape[0]))
    layout = SequenceLayout.checked(LENGTHS, x.shape[0])
    data = SequenceData(rows_of(x).chunked(family, layout=layout))
    emissions = np.array([[0.7, 0.3 - 1e-10, 1e-10], [0.4, 0.6 - 1e-10, 1e-10]])
    parameters = HMMParameters(TRUE_START, TRUE_TRANSMAT, np.log(emissions))
    problem = ExpectationMaximisation(MarkovChain(), family)
    summary = problem.e_step(data, parameters)
    stuck, _ = stuck_on_boundary(problem, data, parameters, summary, parameters)
    assert sorted(stuck) == [0, 1] and stuck[0].tolist() == [False, False, True]


def test_a_start_probability_stuck_at_zero_warns() -> None:
    """An HMM whose start probability underflowed to exactly 0 (not a zero given in init) while
    the likelihood rises off it is reported, naming the entry."""
    x = categorical_sequences()
    family = mx.Categorical().for_data(x, np.ones(x.shape[0]))
    layout = SequenceLayout.checked(LENGTHS, x.shape[0])
    data = SequenceData(rows_of(x).chunked(family, layout=layout))
    parameters = HMMParameters(np.array([1.0, 0.0]), TRUE_TRANSMAT, np.log(TRUE_EMISSIONS))
    problem = ExpectationMaximisation(MarkovChain(), family)
    summary = problem.e_step(data, parameters)
    free_start = HMMParameters(TRUE_START, TRUE_TRANSMAT, parameters.natural)  # no zeros
    _, zeros = stuck_on_boundary(problem, data, parameters, summary, free_start)
    assert zeros["startprob_"].tolist() == [False, True]
    _, zeros = stuck_on_boundary(problem, data, parameters, summary, parameters)
    assert "startprob_" not in zeros  # a zero given in init is structural


def _two_blobs() -> np.ndarray:
    rng = np.random.default_rng(3)
    return np.vstack([rng.normal(0.0, 1.0, (200, 2)), rng.normal(10.0, 1.0, (200, 2))])


#: Covariances forced to about 1e5 by 1000 pseudo-observations: every component covers all data.
OVERWHELMING = mx.NormalWishart(dof=1e3, scale=np.eye(2) * 1e-8)


def test_variational_collapse_under_an_overwhelming_prior_warns() -> None:
    model = mx.Mixture(mx.Gaussian(), 3, inference="vb", prior=OVERWHELMING, random_state=0)
    caught = _warnings_of(model.fit, _two_blobs())
    assert model.n_effective_components_ == 1
    assert [w.category for w in caught] == [mx.CollapsedFitWarning]
    assert "better by BIC" in str(caught[0].message)


def test_variational_collapse_under_a_prior_in_other_units_warns() -> None:
    """Features in incomparable units under a prior stated in the data's units: the Gaussian
    statistics are standardised (their init features have equal spreads), so it is the BIC
    comparison that reports the collapse."""
    x = _two_blobs() * np.array([1e-4, 1e-4])  # variances near 1e-8 ...
    x = np.c_[x, np.random.default_rng(0).standard_normal(400)]  # ... beside one near 1
    prior = mx.NormalWishart(dof=1e3, scale=np.eye(3) * 1e-8)
    model = mx.Mixture(mx.Gaussian(), 3, inference="vb", prior=prior, random_state=0)
    caught = _warnings_of(model.fit, x)
    assert model.n_effective_components_ == 1
    assert [w.category for w in caught] == [mx.CollapsedFitWarning]
    assert "better by BIC" in str(caught[0].message)


def test_raw_wine_collapse_is_reported() -> None:
    """The issue's data set: raw wine, VB with K=3. If the fit keeps one component it must say
    so (before: silent); if it keeps more there is nothing to report."""
    datasets = pytest.importorskip("sklearn.datasets")
    x = datasets.load_wine().data
    model = mx.Mixture(mx.Gaussian(), 3, inference="vb", random_state=0)
    caught = _warnings_of(model.fit, x)
    expected = [mx.CollapsedFitWarning] if model.n_effective_components_ == 1 else []
    assert [w.category for w in caught] == expected


def test_variational_collapse_on_one_cluster_does_not_warn() -> None:
    """The same overwhelming prior on data with one cluster: the collapse is right."""
    x = np.random.default_rng(0).standard_normal((400, 2))
    model = mx.Mixture(mx.Gaussian(), 3, inference="vb", prior=OVERWHELMING, random_state=0)
    assert _warnings_of(model.fit, x) == []
    assert model.n_effective_components_ == 1


def test_the_collapse_check_is_not_reported_as_a_run() -> None:
    records = []
    model = mx.Mixture(mx.Gaussian(), 3, inference="vb", prior=OVERWHELMING, random_state=0)
    with observe_iterations(records.append):
        _warnings_of(model.fit, _two_blobs())
    assert {record.run for record in records} == {0}


def _two_regimes() -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0, 1, (60, 2)), rng.normal(5, 1, (60, 2))])
    return x, [60, 60]


def test_hmm_vb_starts_from_a_given_posterior() -> None:
    """Two VB iterations then three from the posterior they reach are five iterations."""
    x, lengths = _two_regimes()
    first = mx.HMM(mx.Gaussian(), 2, inference="vb", max_iter=2, tol=0.0, random_state=0)
    first.fit(x, lengths=lengths)
    continued = mx.HMM(mx.Gaussian(), 2, inference="vb", max_iter=3, tol=0.0, init=first.posterior_)
    continued.fit(x, lengths=lengths)
    whole = mx.HMM(mx.Gaussian(), 2, inference="vb", max_iter=5, tol=0.0, random_state=0)
    whole.fit(x, lengths=lengths)
    np.testing.assert_allclose(continued.lower_bounds_, whole.lower_bounds_[2:], rtol=1e-12)
    np.testing.assert_allclose(continued.components_.mean, whole.components_.mean, rtol=1e-10)


def test_a_given_posterior_is_refused_where_it_cannot_start() -> None:
    x, lengths = _two_regimes()
    fitted = mx.HMM(mx.Gaussian(), 2, inference="vb", max_iter=2, random_state=0).fit(x, lengths=lengths)
    with pytest.raises(ValueError, match="inference='vb'"):
        mx.HMM(mx.Gaussian(), 2, init=fitted.posterior_).fit(x, lengths=lengths)
    with pytest.raises(ValueError, match="n_states=3"):
        mx.HMM(mx.Gaussian(), 3, inference="vb", init=fitted.posterior_).fit(x, lengths=lengths)
    with pytest.raises(ValueError, match="the data configure"):  # other rows, other centring
        mx.HMM(mx.Gaussian(), 2, inference="vb", init=fitted.posterior_).fit(x + 1.0, lengths=lengths)
    with pytest.raises(ValueError, match="MixtureHMMPosterior"):
        mx.HMM(mx.Gaussian(), 2, n_mix=2, inference="vb", init=fitted.posterior_).fit(x, lengths=lengths)


# --------------------------------------------------------------------------- k-means clustering
def _three_blobs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0], [3.0, 3.0]])
    return rng.normal(size=(400, 2)) + centres[rng.integers(0, 4, 400)]


def test_kmeans_clustering_does_not_depend_on_the_order_of_the_rows() -> None:
    x = _three_blobs()
    given = kmeans_clustering(x, 5, np.random.default_rng(3), n_init=3)
    order = np.random.default_rng(1).permutation(len(x))
    permuted = kmeans_clustering(x[order], 5, np.random.default_rng(3), n_init=3)
    np.testing.assert_array_equal(permuted.centres, given.centres)
    np.testing.assert_array_equal(permuted.labels, given.labels[order])
    assert permuted.inertia == given.inertia


def test_kmeans_clustering_keeps_the_best_run_and_its_labels_are_the_nearest_centres() -> None:
    x = _three_blobs(1)
    best = kmeans_clustering(x, 4, np.random.default_rng(0), n_init=10)
    first = kmeans_clustering(x, 4, np.random.default_rng(0), n_init=1)  # the same draws: its first run
    assert best.inertia <= first.inertia
    distances = ((x[:, None, :] - best.centres[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(best.labels, distances.argmin(1))
    assert best.inertia == pytest.approx(distances.min(1).sum())
    for k in range(4):  # each centre is the mean of its rows (Lloyd's fixed point)
        np.testing.assert_allclose(best.centres[k], x[best.labels == k].mean(0))


def test_kmeans_clustering_refuses_too_few_rows_and_bad_settings() -> None:
    with pytest.raises(ValueError, match="n_clusters=3"):
        kmeans_clustering(np.zeros((2, 1)), 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_init"):
        kmeans_clustering(np.zeros((5, 1)), 2, np.random.default_rng(0), n_init=0)
    with pytest.raises(ValueError, match="weights"):
        kmeans_clustering(np.zeros((5, 1)), 2, np.random.default_rng(0), weights=np.ones(4))
