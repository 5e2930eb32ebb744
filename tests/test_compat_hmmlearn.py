"""``mixtures.compat.hmmlearn`` against hmmlearn itself, and its translation of settings."""

from __future__ import annotations

import numpy as np
import pytest

from mixtures.compat import hmmlearn as compat

from helpers import THREE_STATE_MEANS, unit_covars

hmm = pytest.importorskip("hmmlearn.hmm")


def _regimes(seed: int = 0) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    states = np.repeat(rng.integers(0, 3, 30), 10)
    x = rng.normal(size=(300, 2)) + np.array([[0, 0], [4, 0], [0, 4]])[states]
    return x, [100, 120, 80]


def _set_start(model: object, covariance_type: str) -> None:
    model.startprob_ = np.array([0.5, 0.3, 0.2])
    model.transmat_ = np.full((3, 3), 0.1) + 0.7 * np.eye(3)
    model.means_ = THREE_STATE_MEANS
    model.covars_ = unit_covars(covariance_type)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_gaussian_hmm_matches_hmmlearn_from_the_same_start(covariance_type: str) -> None:
    x, lengths = _regimes()
    ours = compat.GaussianHMM(3, covariance_type, init_params="", n_iter=5, tol=0.0)
    theirs = hmm.GaussianHMM(
        3, covariance_type, init_params="", n_iter=5, tol=-np.inf, covars_prior=0.0, min_covar=0.0
    )
    for model in (ours, theirs):
        _set_start(model, covariance_type)
        model.fit(x, lengths)
    np.testing.assert_allclose(ours.transmat_, theirs.transmat_, rtol=1e-6, atol=1e-7)
    # ours adds a ridge of 1e-6 of each feature's variance at every M-step (hmmlearn none here)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-6, atol=1e-6)
    # hmmlearn keeps a spherical variance once per feature after a fit; ours once per state
    their_stored = theirs._covars_[:, 0] if covariance_type == "spherical" else theirs._covars_
    np.testing.assert_allclose(ours._covars_, their_stored, rtol=1e-5, atol=1e-5)
    assert ours.covars_.shape == (3, 2, 2)
    np.testing.assert_allclose(ours.score(x, lengths), theirs.score(x, lengths), rtol=1e-7)
    np.testing.assert_allclose(list(ours.monitor_.history), list(theirs.monitor_.history), rtol=1e-7)
    assert ours.monitor_.iter == theirs.monitor_.iter == 5
    np.testing.assert_array_equal(ours.predict(x, lengths), theirs.predict(x, lengths))
    for algorithm in ("viterbi", "map"):
        ours_score, ours_states = ours.decode(x, lengths, algorithm=algorithm)
        their_score, their_states = theirs.decode(x, lengths, algorithm=algorithm)
        np.testing.assert_allclose(ours_score, their_score, rtol=1e-7)
        np.testing.assert_array_equal(ours_states, their_states)
    np.testing.assert_allclose(ours.bic(x, lengths), theirs.bic(x, lengths), rtol=1e-7)
    np.testing.assert_allclose(ours.get_stationary_distribution(), theirs.get_stationary_distribution())


def test_categorical_and_poisson_match_hmmlearn() -> None:
    rng = np.random.default_rng(1)
    symbols = rng.integers(0, 3, (200, 1))
    counts = rng.poisson(3.0, (200, 2))
    pairs = [
        (
            compat.CategoricalHMM(2, init_params="", n_iter=4, tol=0.0),
            hmm.CategoricalHMM(2, init_params="", n_iter=4, tol=-np.inf),
            symbols,
            "emissionprob_",
            np.array([[0.2, 0.3, 0.5], [0.5, 0.3, 0.2]]),
        ),
        (
            compat.PoissonHMM(2, init_params="", n_iter=4, tol=0.0),
            hmm.PoissonHMM(2, init_params="", n_iter=4, tol=-np.inf),
            counts,
            "lambdas_",
            np.array([[2.0, 4.0], [4.0, 2.0]]),
        ),
    ]
    for ours, theirs, x, name, value in pairs:
        for model in (ours, theirs):
            model.startprob_, model.transmat_ = np.array([0.6, 0.4]), np.array([[0.8, 0.2], [0.3, 0.7]])
            setattr(model, name, value)
            model.fit(x)
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-6)
        np.testing.assert_allclose(ours.score(x), theirs.score(x), rtol=1e-8)


def test_params_letters_hold_parameters_fixed() -> None:
    x, lengths = _regimes()
    model = compat.GaussianHMM(3, "diag", init_params="", params="mc", n_iter=3)
    _set_start(model, "diag")
    start, transmat = model.startprob_.copy(), model.transmat_.copy()
    model.fit(x, lengths)
    np.testing.assert_array_equal(model.startprob_, start)
    np.testing.assert_array_equal(model.transmat_, transmat)
    assert not np.allclose(model.means_, [[0.5, 0.5], [3.0, 0.5], [0.5, 3.0]])


def test_init_params_draws_only_its_letters() -> None:
    x, lengths = _regimes()
    model = compat.GaussianHMM(3, "full", init_params="mc", n_iter=0)
    model.startprob_ = np.array([1.0, 0.0, 0.0])
    model.transmat_ = np.full((3, 3), 1 / 3)
    model.fit(x, lengths)
    np.testing.assert_array_equal(model.startprob_, [1.0, 0.0, 0.0])
    assert model.means_.shape == (3, 2) and model.covars_.shape == (3, 2, 2)


def test_gmmhmm_shapes_and_sample() -> None:
    x, lengths = _regimes()
    model = compat.GMMHMM(2, n_mix=2, covariance_type="full", n_iter=3, random_state=0).fit(x, lengths)
    assert model.means_.shape == (2, 2, 2) and model.covars_.shape == (2, 2, 2, 2)
    assert model.weights_.shape == (2, 2)
    np.testing.assert_allclose(model.weights_.sum(1), 1.0)
    sampled, states = model.sample(50, random_state=3, currstate=1)
    assert sampled.shape == (50, 2) and states[0] == 1


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_gmmhmm_start_and_fit_do_not_depend_on_the_order_of_the_sequences(covariance_type: str) -> None:
    x, lengths = _regimes()
    pieces = np.split(x, np.cumsum(lengths)[:-1])
    fits = []
    for order in ([0, 1, 2], [2, 0, 1], [1, 2, 0]):
        model = compat.GMMHMM(2, n_mix=2, covariance_type=covariance_type, n_iter=20, random_state=5)
        model.fit(np.concatenate([pieces[i] for i in order]), [lengths[i] for i in order])
        fits.append(model)
    for model in fits[1:]:  # the same start, so the same optimum (up to rounding)
        np.testing.assert_allclose(model.means_, fits[0].means_, atol=1e-6)
        np.testing.assert_allclose(model.transmat_, fits[0].transmat_, atol=1e-6)
        assert model.score(x, lengths) == pytest.approx(fits[0].score(x, lengths), rel=1e-9)


def test_gmmhmm_start_follows_hmmlearn() -> None:
    x, lengths = _regimes()
    model = compat.GMMHMM(3, n_mix=2, covariance_type="diag", n_iter=0, random_state=0, min_covar=0.01)
    model.fit(x, lengths)
    covariance = np.cov(x.T) + 0.01 * np.eye(2)
    np.testing.assert_allclose(model.weights_, 0.5)
    np.testing.assert_allclose(model.covars_, np.tile(covariance.diagonal(), (3, 2, 1)))
    # each state's two means lie inside one of the three regimes the k-means finds
    regime = np.array([[0, 0], [4, 0], [0, 4]])
    nearest = ((model.means_[:, :, None, :] - regime) ** 2).sum(-1).argmin(-1)
    assert sorted(nearest[:, 0]) == [0, 1, 2] and np.all(nearest[:, 0] == nearest[:, 1])
    np.testing.assert_allclose(model.startprob_.sum(), 1.0)
    np.testing.assert_allclose(model.transmat_.sum(1), 1.0)


def test_gmmhmm_start_of_a_group_with_fewer_rows_than_components() -> None:
    x = np.vstack([np.random.default_rng(0).normal(size=(60, 2)), [[50.0, 50.0]]])  # one far row
    model = compat.GMMHMM(2, n_mix=3, covariance_type="full", n_iter=0, random_state=0).fit(x)
    lonely = int(np.argmax(np.abs(model.means_).max(axis=(1, 2))))  # its group holds the far row alone
    spread = np.linalg.eigvalsh(np.cov(x.T)).max() ** 0.5
    centre = (x[:60].mean(0) + x[60]) / 2  # the groups' mean, around which its means are drawn
    assert np.all(np.abs(model.means_[lonely] - centre) < 6 * spread)
    assert len({tuple(row) for row in model.means_[lonely]}) == 3


@pytest.mark.parametrize(
    "make", [lambda: compat.GaussianHMM(3, n_iter=2), lambda: compat.GMMHMM(2, n_mix=2, n_iter=2)]
)
def test_without_random_state_a_fit_reads_numpys_global_stream(make: object) -> None:
    x, lengths = _regimes()
    noise = np.random.default_rng(7).normal(size=x.shape)  # no structure: the start decides the fit
    fits = []
    for _ in range(2):
        np.random.seed(11)  # noqa: NPY002 (hmmlearn's users seed the global stream)
        fits.append(make().fit(noise, lengths))  # type: ignore[operator]
    np.testing.assert_array_equal(fits[0].means_, fits[1].means_)
    np.testing.assert_array_equal(fits[0].transmat_, fits[1].transmat_)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: compat.GaussianHMM(2, params="stm"), "learns some emission parameters"),
        (lambda: compat.GaussianHMM(2, covariance_type="bad"), "covariance_type"),
        (lambda: compat.GaussianHMM(2, "full", covars_prior=1.0), "covars_prior .* positive definite"),
        (lambda: compat.GaussianHMM(2, implementation="fast"), "implementation"),
        (lambda: compat.GaussianHMM(2, transmat_prior=0.5), "transmat_prior"),
    ],
)
def test_settings_it_cannot_carry_are_refused(make: object, message: str) -> None:
    x, lengths = _regimes()
    with pytest.raises(ValueError, match=message):
        make().fit(x, lengths)


def test_unfitted_and_bad_attributes_are_errors() -> None:
    model = compat.CategoricalHMM(2)
    with pytest.raises(Exception, match="not fitted"):
        model.score(np.zeros((3, 1), dtype=int))
    model.startprob_ = np.array([0.5, 0.6])
    model.transmat_ = np.full((2, 2), 0.5)
    model.emissionprob_ = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match="startprob_"):
        model.score(np.zeros((3, 1), dtype=int))
    with pytest.raises(ValueError, match="integers"):
        compat.CategoricalHMM(2).fit(np.zeros((3, 1)))


def _set_posteriors(model: object, covariance_type: str) -> None:
    """The same priors and starting posteriors for both libraries' variational models."""
    model.startprob_prior_ = np.full(3, 1 / 3)
    model.startprob_posterior_ = np.ones(3)
    model.transmat_prior_ = np.full((3, 3), 1 / 3)
    model.transmat_posterior_ = np.full((3, 3), 30.0) + 60 * np.eye(3)
    model.means_prior_ = np.zeros((3, 2))
    model.beta_prior_ = np.ones(3)
    model.means_posterior_ = np.array([[0.5, 0.5], [3.0, 0.5], [0.5, 3.0]])
    model.beta_posterior_ = np.full(3, 100.0)
    if covariance_type == "tied":
        model.dof_prior_, model.dof_posterior_ = 2.0, 300.0
        model.scale_prior_, model.scale_posterior_ = np.eye(2), 300 * np.eye(2)
    else:
        model.dof_prior_, model.dof_posterior_ = np.full(3, 2.0), np.full(3, 100.0)
        model.scale_prior_ = np.tile(np.eye(2), (3, 1, 1))
        model.scale_posterior_ = np.tile(100 * np.eye(2), (3, 1, 1))


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_variational_gaussian_hmm_matches_hmmlearn_from_the_same_posterior(covariance_type: str) -> None:
    vhmm = pytest.importorskip("hmmlearn.vhmm")
    x, lengths = _regimes()
    ours = compat.VariationalGaussianHMM(3, covariance_type, n_iter=5, tol=0.0, init_params="")
    theirs = vhmm.VariationalGaussianHMM(3, covariance_type, n_iter=5, tol=-np.inf, init_params="")
    for model in (ours, theirs):
        _set_posteriors(model, covariance_type)
        model.fit(x, lengths)
    for name in ("means_posterior_", "beta_posterior_", "dof_posterior_", "scale_posterior_",
                 "startprob_posterior_", "transmat_posterior_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-9, err_msg=name)
    np.testing.assert_allclose(ours.covars_, theirs.covars_, rtol=1e-9)
    np.testing.assert_allclose(ours.score(x, lengths), theirs.score(x, lengths), rtol=1e-10)
    # the lower bounds differ by hmmlearn's missing -D/2 log(2 pi) per observation only
    offset = -0.5 * x.size * np.log(2 * np.pi)
    np.testing.assert_allclose(
        np.array(ours.monitor_.history), np.array(theirs.monitor_.history) + offset, rtol=1e-9
    )


def test_variational_categorical_hmm_matches_hmmlearn_from_the_same_posterior() -> None:
    vhmm = pytest.importorskip("hmmlearn.vhmm")
    rng = np.random.default_rng(1)
    symbols = rng.integers(0, 3, (200, 1))
    ours = compat.VariationalCategoricalHMM(2, n_iter=5, tol=0.0, init_params="")
    theirs = vhmm.VariationalCategoricalHMM(2, n_iter=5, tol=-np.inf, init_params="")
    for model in (ours, theirs):
        model.startprob_prior_, model.startprob_posterior_ = np.full(2, 0.5), np.array([1.0, 2.0])
        model.transmat_prior_ = np.full((2, 2), 0.5)
        model.transmat_posterior_ = np.array([[60.0, 40], [30, 70]])
        model.emissionprob_prior_ = np.full((2, 3), 1 / 3)
        model.emissionprob_posterior_ = np.array([[50.0, 30, 20], [20, 30, 50]])
        model.fit(symbols, [120, 80])
    for name in ("startprob_posterior_", "transmat_posterior_", "emissionprob_posterior_", "emissionprob_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-9, err_msg=name)
    np.testing.assert_allclose(ours.score(symbols, [120, 80]), theirs.score(symbols, [120, 80]), rtol=1e-10)
    np.testing.assert_allclose(list(ours.monitor_.history), list(theirs.monitor_.history), rtol=1e-9)


def test_variational_diag_prior_is_a_normal_gamma_per_feature() -> None:
    """hmmlearn's diag (dof, scale) is Gamma(shape=dof/2, rate=scale/2) per feature: after a fit
    the posterior's expected precision is dof/scale, and a posterior read back is unchanged."""
    x, lengths = _regimes()
    model = compat.VariationalGaussianHMM(3, "diag", n_iter=3, random_state=0).fit(x, lengths)
    q = model._emission_distribution("posterior")
    assert isinstance(q, compat.NormalGamma)
    np.testing.assert_allclose(q.shape, model.dof_posterior_[:, None] / 2 * np.ones((3, 2)))
    np.testing.assert_allclose(model._covars_, model.scale_posterior_ / model.dof_posterior_[:, None])


def test_variational_refuses_rows_of_transmat_prior_that_differ() -> None:
    x, lengths = _regimes()
    model = compat.VariationalGaussianHMM(3, n_iter=2, random_state=0).fit(x, lengths)
    model.transmat_prior_ = np.array([[1.0, 1, 1], [2, 2, 2], [1, 1, 1]])
    model.init_params = ""
    with pytest.raises(ValueError, match="transmat_prior_"):
        model.fit(x, lengths)


def _chain(model: object) -> object:
    model.startprob_ = np.array([0.5, 0.3, 0.2])
    model.transmat_ = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    return model


def _gmm_covars(covariance_type: str) -> np.ndarray:
    rng = np.random.default_rng(1)
    factors = rng.normal(size=(3, 2, 2, 2)) * 0.5 + np.eye(2)
    full = np.einsum("kmij,kmlj->kmil", factors, factors)
    return {
        "full": full,
        "diag": np.diagonal(full, axis1=2, axis2=3).copy(),
        "spherical": np.array([[1.0, 2.0], [0.5, 1.5], [3.0, 0.2]]),
        "tied": full[:, 0],
    }[covariance_type]


def _gaussian_pair(module: object, covariance_type: str) -> object:
    model = _chain(module.GaussianHMM(3, covariance_type))
    _set_start(model, covariance_type)
    return model


def _gmm_pair(module: object, covariance_type: str) -> object:
    model = _chain(module.GMMHMM(3, n_mix=2, covariance_type=covariance_type))
    model.weights_ = np.array([[0.3, 0.7], [0.5, 0.5], [0.9, 0.1]])
    model.means_ = np.arange(12.0).reshape(3, 2, 2)
    model.covars_ = _gmm_covars(covariance_type)
    return model


def _poisson(module: object, _: str) -> object:
    model = _chain(module.PoissonHMM(3))
    model.lambdas_ = np.array([[1.0, 5.0], [0.2, 3.0], [10.0, 0.5]])
    return model


def _emissions(make: object) -> object:
    def build(module: object, _: str) -> object:
        model = _chain(make(module))
        model.emissionprob_ = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
        return model

    return build


SAMPLERS = {
    **{f"gaussian-{kind}": (_gaussian_pair, kind) for kind in ("full", "diag", "spherical", "tied")},
    **{f"gmm-{kind}": (_gmm_pair, kind) for kind in ("full", "diag", "spherical", "tied")},
    "poisson": (_poisson, ""),
    "categorical": (_emissions(lambda module: module.CategoricalHMM(3, n_features=3)), ""),
    "multinomial": (_emissions(lambda module: module.MultinomialHMM(3, n_trials=7)), ""),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("currstate", [None, 2])
def test_sample_draws_what_hmmlearn_draws_from_the_same_seed(name: str, currstate: int | None) -> None:
    build, kind = SAMPLERS[name]
    theirs = build(hmm, kind)
    ours = build(compat, kind)
    if name == "multinomial":
        theirs.n_features = ours.n_features = 3
    expected = theirs.sample(40, random_state=7, currstate=currstate)
    drawn = ours.sample(40, random_state=7, currstate=currstate)
    np.testing.assert_array_equal(drawn[1], expected[1])
    np.testing.assert_array_equal(drawn[0], expected[0])
    assert drawn[0].dtype == expected[0].dtype
    # a RandomState given (not a seed) is drawn from as hmmlearn draws from it
    streams = np.random.RandomState(3), np.random.RandomState(3)
    np.testing.assert_array_equal(ours.sample(5, streams[0])[0], theirs.sample(5, streams[1])[0])
    np.testing.assert_array_equal(streams[0].rand(3), streams[1].rand(3))


def test_variational_sample_draws_what_hmmlearn_draws() -> None:
    vhmm = pytest.importorskip("hmmlearn.vhmm")
    x, lengths = _regimes()
    theirs = vhmm.VariationalGaussianHMM(3, "full", n_iter=5, random_state=0).fit(x, lengths)
    ours = compat.VariationalGaussianHMM(3, "full", n_iter=0, random_state=0, init_params="")
    for name in ("startprob", "transmat", "means", "beta", "dof", "scale"):
        for kind in ("prior", "posterior"):
            setattr(ours, f"{name}_{kind}_", getattr(theirs, f"{name}_{kind}_"))
    ours._set_points()
    expected, drawn = theirs.sample(30, random_state=5), ours.sample(30, random_state=5)
    np.testing.assert_array_equal(drawn[1], expected[1])
    np.testing.assert_allclose(drawn[0], expected[0], rtol=1e-12)


def test_gmmhmm_weights_prior_gives_hmmlearns_map_weights() -> None:
    """One step from the same parameters: hmmlearn's weights (N_km + α − 1) / (N_k + M(α − 1)),
    through HMM(mix_prior=...); with α = 1 they are the counts' own."""
    x, lengths = _regimes()

    def one_step(module: object, alpha: float) -> object:
        model = module.GMMHMM(3, n_mix=2, covariance_type="diag", weights_prior=alpha, n_iter=1,
                              init_params="", tol=0.0)
        model.startprob_ = np.array([0.5, 0.3, 0.2])
        model.transmat_ = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
        model.weights_ = np.array([[0.3, 0.7], [0.5, 0.5], [0.9, 0.1]])
        centres = np.stack([x.mean(0) + offset for offset in (-1.0, 0.0, 1.0)])
        model.means_ = centres[:, None, :] + np.array([[0.0], [0.5]])
        model.covars_ = np.full((3, 2, x.shape[1]), x.var(0))
        return model.fit(x, lengths)

    for alpha in (1.0, 4.0):
        np.testing.assert_allclose(one_step(compat, alpha).weights_, one_step(hmm, alpha).weights_, rtol=1e-6)
    assert not np.allclose(one_step(compat, 4.0).weights_, one_step(compat, 1.0).weights_, rtol=1e-3)
    with pytest.raises(ValueError, match="weights_prior must be >= 1"):
        compat.GMMHMM(2, n_mix=2, weights_prior=0.5).fit(x, lengths)
