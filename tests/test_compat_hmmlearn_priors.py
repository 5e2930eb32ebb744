"""hmmlearn's emission priors in the drop-ins: MAP-EM through ``mixtures``' conjugate priors.

From the same start, fits with non-default ``means_prior``/``means_weight``/``covars_prior``/
``covars_weight`` (``GaussianHMM``, ``GMMHMM``) and ``lambdas_prior``/``lambdas_weight``
(``PoissonHMM``) give hmmlearn's parameters; ``GMMHMM`` against hmmlearn's update with its
covariance statistics taken about the new means, ``PoissonHMM`` with two states against its
update with each state's own count (the two documented differences). The MAP objective in
``monitor_`` never decreases; settings that give no proper prior are refused, naming them.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.special

import mixtures as mx
from mixtures.compat import hmmlearn as compat

from helpers import THREE_STATE_MEANS, unit_covars

hmm = pytest.importorskip("hmmlearn.hmm")

N_ITER = 5
RTOL = 1e-6
MEANS_PRIOR = np.array([[1.0, 1.0], [3.0, 0.0], [0.0, 3.0]])
MATRIX = np.array([[1.0, 0.3], [0.3, 2.0]])


def _regimes(seed: int = 0) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    states = np.repeat(rng.integers(0, 3, 30), 10)
    x = rng.normal(size=(300, 2)) + np.array([[0, 0], [4, 0], [0, 4]])[states]
    return x, [100, 120, 80]


def _chain_start(model: Any) -> None:
    model.startprob_ = np.array([0.5, 0.3, 0.2])
    model.transmat_ = np.full((3, 3), 0.1) + 0.7 * np.eye(3)


def _assert_map_objective_never_decreases(model: Any) -> None:
    history = np.asarray(model.monitor_.history)
    assert len(history) >= N_ITER - 1
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:])), history


def _quiet_fit(model: Any, x: np.ndarray, lengths: Any = None) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hmmlearn's monitor warns on a falling log-likelihood
        return model.fit(x, lengths)


# ---------------------------------------------------------------------- GaussianHMM
GAUSSIAN_PRIORS = {
    "diag": np.array([0.5, 2.0]),  # per feature
    "spherical": 0.7,
    "full": np.stack([MATRIX, 2 * MATRIX, np.eye(2)]),  # per state
    "tied": MATRIX,
}


def _gaussian_start(model: Any, covariance_type: str) -> None:
    _chain_start(model)
    model.means_ = THREE_STATE_MEANS
    model.covars_ = unit_covars(covariance_type)


GAUSSIAN_CASES = [
    (kind, means_weight, covars_weight)
    for kind in ("diag", "spherical", "full", "tied")
    for means_weight in (0.0, 2.0, np.array([[0.0], [1.0], [3.0]]))
    for covars_weight in (1.0, 3.0, 8.0)
    # a means prior needs more weight on the spread to keep the prior proper (refused below)
    if not (kind == "spherical" and np.any(means_weight) and covars_weight == 1.0)
    and not (kind == "tied" and np.any(means_weight) and covars_weight < 8.0)
    # hmmlearn's matrix updates take one means_weight for all states
    and not (kind in ("full", "tied") and np.ndim(means_weight) > 0)
]


@pytest.mark.parametrize(("covariance_type", "means_weight", "covars_weight"), GAUSSIAN_CASES)
def test_gaussian_hmm_priors_give_hmmlearns_fit(
    covariance_type: str, means_weight: Any, covars_weight: float
) -> None:
    x, lengths = _regimes()
    settings = dict(
        means_prior=MEANS_PRIOR,
        means_weight=means_weight,
        covars_prior=GAUSSIAN_PRIORS[covariance_type],
        covars_weight=covars_weight,
    )
    ours = compat.GaussianHMM(3, covariance_type, init_params="", n_iter=N_ITER, tol=0.0, **settings)
    theirs = hmm.GaussianHMM(3, covariance_type, init_params="", n_iter=N_ITER, tol=-np.inf, **settings)
    for model in (ours, theirs):
        _gaussian_start(model, covariance_type)
        _quiet_fit(model, x, lengths)
    assert ours.monitor_.iter == N_ITER
    np.testing.assert_allclose(ours.startprob_, theirs.startprob_, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(ours.transmat_, theirs.transmat_, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=RTOL)
    # hmmlearn stores a fitted spherical variance once per feature
    their_stored = theirs._covars_[:, 0] if covariance_type == "spherical" else theirs._covars_
    np.testing.assert_allclose(ours._covars_, their_stored, rtol=RTOL)
    np.testing.assert_allclose(ours.score(x, lengths), theirs.score(x, lengths), rtol=1e-9)
    _assert_map_objective_never_decreases(ours)


@pytest.mark.parametrize("covariance_type", ["diag", "spherical", "full", "tied"])
def test_gaussian_hmm_one_map_step_is_hmmlearns(covariance_type: str) -> None:
    """One M-step from a start away from the data: the prior pulls hard, both libraries alike."""
    x, lengths = _regimes()
    settings = dict(
        means_prior=MEANS_PRIOR,
        means_weight=50.0,
        covars_prior=GAUSSIAN_PRIORS[covariance_type],
        covars_weight=20.0,
    )
    ours = compat.GaussianHMM(3, covariance_type, init_params="", n_iter=1, tol=0.0, **settings)
    theirs = hmm.GaussianHMM(3, covariance_type, init_params="", n_iter=1, tol=-np.inf, **settings)
    for model in (ours, theirs):
        _gaussian_start(model, covariance_type)
        model.means_ = model.means_ + 2.0
        _quiet_fit(model, x, lengths)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=RTOL)
    their_stored = theirs._covars_[:, 0] if covariance_type == "spherical" else theirs._covars_
    np.testing.assert_allclose(ours._covars_, their_stored, rtol=RTOL)


def test_gaussian_hmm_settings_of_maximum_likelihood_fit_without_a_prior() -> None:
    """hmmlearn's update with means_weight=0, covars_prior=0 and covars_weight <= 1 (<= D for
    matrices) is maximum likelihood: the same fit as the defaults (no prior, the ridge)."""
    x, lengths = _regimes()
    for covariance_type, covars_weight in (("diag", 1.0), ("spherical", 0.5), ("full", 2.0), ("tied", 1.0)):
        fits = []
        for settings in ({}, {"covars_prior": 0.0, "covars_weight": covars_weight, "means_prior": 5.0}):
            model = compat.GaussianHMM(3, covariance_type, init_params="", n_iter=3, tol=0.0, **settings)
            _gaussian_start(model, covariance_type)
            fits.append(model.fit(x, lengths))
        np.testing.assert_array_equal(fits[0].means_, fits[1].means_)
        np.testing.assert_array_equal(fits[0]._covars_, fits[1]._covars_)


# ---------------------------------------------------------------------- GMMHMM
class NewMeansGMMHMM(hmm.GMMHMM):  # type: ignore[misc,name-defined]
    """hmmlearn's GMMHMM whose covariance statistics are taken about the new means, as the exact
    M-step (and the drop-in) take them; hmmlearn 0.3.3 takes them about the previous means."""

    def _initialize_sufficient_statistics(self) -> dict[str, Any]:
        stats = super()._initialize_sufficient_statistics()
        nc, nm, nf = self.n_components, self.n_mix, self.n_features
        stats["x"], stats["xx"] = np.zeros((nc, nm, nf)), np.zeros((nc, nm, nf, nf))
        return stats

    def _accumulate_sufficient_statistics(
        self, stats: Any, X: Any, lattice: Any, posteriors: Any, *rest: Any
    ) -> None:
        super()._accumulate_sufficient_statistics(stats, X, lattice, posteriors, *rest)
        log_densities = [
            self._compute_log_weighted_gaussian_densities(X, p) for p in range(self.n_components)
        ]
        mix = np.stack(
            [np.exp(d - scipy.special.logsumexp(d, axis=1, keepdims=True)) for d in log_densities], axis=1
        )
        responsibilities = posteriors[:, :, None] * mix
        stats["x"] += np.einsum("ijk,il->jkl", responsibilities, X)
        stats["xx"] += np.einsum("ijk,il,im->jklm", responsibilities, X, X)

    def _do_mstep(self, stats: Any) -> None:
        counts = stats["post_mix_sum"]
        means = stats["m_n"] / (counts + self.means_weight)[:, :, None]  # hmmlearn's new means
        cross = stats["x"][..., :, None] * means[..., None, :]
        own = counts[..., None, None] * means[..., :, None] * means[..., None, :]
        scatter = stats["xx"] - cross - np.swapaxes(cross, -1, -2) + own
        stats["c_n"] = {
            "full": scatter,
            "tied": scatter.sum(1),
            "diag": np.diagonal(scatter, axis1=-2, axis2=-1),
            "spherical": np.trace(scatter, axis1=-2, axis2=-1),
        }[self.covariance_type]
        super()._do_mstep(stats)


def _gmm_start(model: Any, covariance_type: str) -> None:
    _chain_start(model)
    model.weights_ = np.array([[0.3, 0.7], [0.5, 0.5], [0.9, 0.1]])
    model.means_ = np.array([[0.5, 0.5], [3.0, 0.5], [0.5, 3.0]])[:, None, :] + np.array([[-0.3], [0.3]])
    model.covars_ = {
        "full": np.tile(np.eye(2), (3, 2, 1, 1)),
        "diag": np.ones((3, 2, 2)),
        "spherical": np.ones((3, 2)),
        "tied": np.tile(np.eye(2), (3, 1, 1)),
    }[covariance_type]


GMM_COVARIANCE_PRIORS = {
    "diag": {"covars_prior": np.array([0.5, -0.5]), "covars_weight": np.array([0.4, 0.9])},
    "spherical": {"covars_prior": 1.0, "covars_weight": 0.6},
    "full": {"covars_prior": np.array([[1.0, 0.2], [0.2, 0.5]]), "covars_weight": 1.0},
    "tied": {"covars_prior": np.array([[1.0, 0.2], [0.2, 0.5]]), "covars_weight": np.array([0.5, -1.0, 2.0])},
}


@pytest.mark.parametrize("means_weight", [0.0, 1.5, np.array([[0.0, 2.0], [1.0, 1.0], [3.0, 0.0]])])
@pytest.mark.parametrize("covariance_type", ["diag", "spherical", "full", "tied"])
def test_gmmhmm_priors_give_hmmlearns_update_about_the_new_means(
    covariance_type: str, means_weight: Any
) -> None:
    x, lengths = _regimes()
    settings = dict(
        means_prior=1.0,
        means_weight=means_weight,
        weights_prior=2.0,
        **GMM_COVARIANCE_PRIORS[covariance_type],
    )
    ours = compat.GMMHMM(
        3, n_mix=2, covariance_type=covariance_type, init_params="", n_iter=N_ITER, tol=0.0, **settings
    )
    theirs = NewMeansGMMHMM(
        3, n_mix=2, covariance_type=covariance_type, init_params="", n_iter=N_ITER, tol=-np.inf, **settings
    )
    for model in (ours, theirs):
        _gmm_start(model, covariance_type)
        _quiet_fit(model, x, lengths)
    np.testing.assert_allclose(ours.transmat_, theirs.transmat_, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=RTOL)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=RTOL)
    np.testing.assert_allclose(ours.covars_, theirs.covars_, rtol=RTOL)
    _assert_map_objective_never_decreases(ours)


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_gmmhmm_one_step_means_are_hmmlearns_own(covariance_type: str) -> None:
    """After one step the means (and weights) are hmmlearn 0.3.3's own; only its covariances,
    measured about the previous means, differ."""
    x, lengths = _regimes()
    settings = dict(means_prior=1.0, means_weight=1.5, **GMM_COVARIANCE_PRIORS[covariance_type])
    ours = compat.GMMHMM(
        3, n_mix=2, covariance_type=covariance_type, init_params="", n_iter=1, tol=0.0, **settings
    )
    theirs = hmm.GMMHMM(
        3, n_mix=2, covariance_type=covariance_type, init_params="", n_iter=1, tol=-np.inf, **settings
    )
    for model in (ours, theirs):
        _gmm_start(model, covariance_type)
        _quiet_fit(model, x, lengths)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=RTOL)
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=RTOL)
    assert not np.allclose(ours.covars_, theirs.covars_, rtol=1e-3)


@pytest.mark.parametrize("covariance_type", ["diag", "spherical", "full", "tied"])
def test_gmmhmm_settings_of_maximum_likelihood_fit_without_a_prior(covariance_type: str) -> None:
    """hmmlearn's default covariance settings given explicitly (spherical: the one that is
    maximum likelihood) fit as the defaults do."""
    x, lengths = _regimes()
    explicit = {
        "full": {"covars_prior": 0.0, "covars_weight": -(2 + 2.0)},
        "tied": {"covars_prior": 0.0, "covars_weight": -(2 + 2 + 1.0)},
        "diag": {"covars_prior": -1.5, "covars_weight": 0.0},
        "spherical": {"covars_prior": -(2 + 2.0) / 2, "covars_weight": 0.0},
    }[covariance_type]
    fits = []
    for settings in ({}, explicit):
        model = compat.GMMHMM(
            3, n_mix=2, covariance_type=covariance_type, init_params="", n_iter=3, tol=0.0, **settings
        )
        _gmm_start(model, covariance_type)
        fits.append(_quiet_fit(model, x, lengths))
    np.testing.assert_array_equal(fits[0].means_, fits[1].means_)
    np.testing.assert_array_equal(fits[0].covars_, fits[1].covars_)


# ---------------------------------------------------------------------- PoissonHMM
class PerStatePoissonHMM(hmm.PoissonHMM):  # type: ignore[misc,name-defined]
    """hmmlearn's PoissonHMM update with each state's own expected count (hmmlearn 0.3.3 uses
    the number of observations of all states): the mode of its Gamma prior."""

    def _do_mstep(self, stats: Any) -> None:
        hmm.BaseHMM._do_mstep(self, stats)
        self.lambdas_ = (self.lambdas_prior + stats["obs"]) / (self.lambdas_weight + stats["post"][:, None])


def _poisson_fit(model: Any, counts: np.ndarray, n_states: int) -> Any:
    model.startprob_ = np.full(n_states, 1.0 / n_states)
    model.transmat_ = (
        np.array([[0.8, 0.2], [0.3, 0.7]])[:n_states, :n_states] if n_states == 2 else np.ones((1, 1))
    )
    model.lambdas_ = np.array([[2.0, 4.0], [4.0, 2.0]])[:n_states]
    return _quiet_fit(model, counts)


@pytest.mark.parametrize("lambdas_weight", [1.5, np.array([[0.5], [4.0]])])
def test_poisson_hmm_prior_gives_the_gamma_mode(lambdas_weight: Any) -> None:
    counts = np.random.default_rng(1).poisson(3.0, (200, 2))
    settings = dict(lambdas_prior=np.array([[2.0, 5.0], [1.0, 0.5]]), lambdas_weight=lambdas_weight)
    ours = _poisson_fit(compat.PoissonHMM(2, init_params="", n_iter=N_ITER, tol=0.0, **settings), counts, 2)
    theirs = _poisson_fit(
        PerStatePoissonHMM(2, init_params="", n_iter=N_ITER, tol=-np.inf, **settings), counts, 2
    )
    np.testing.assert_allclose(ours.lambdas_, theirs.lambdas_, rtol=RTOL)
    np.testing.assert_allclose(ours.transmat_, theirs.transmat_, rtol=RTOL)
    _assert_map_objective_never_decreases(ours)
    # hmmlearn 0.3.3's own update counts all observations for each state: another fit
    stock = _poisson_fit(hmm.PoissonHMM(2, init_params="", n_iter=N_ITER, tol=-np.inf, **settings), counts, 2)
    assert not np.allclose(ours.lambdas_, stock.lambdas_, rtol=1e-3)


def test_poisson_hmm_prior_with_one_state_is_hmmlearns_own() -> None:
    counts = np.random.default_rng(1).poisson(3.0, (200, 2))
    settings = dict(lambdas_prior=np.array([2.0, 5.0]), lambdas_weight=1.5)
    ours = _poisson_fit(compat.PoissonHMM(1, init_params="", n_iter=2, tol=0.0, **settings), counts, 1)
    theirs = _poisson_fit(hmm.PoissonHMM(1, init_params="", n_iter=2, tol=-np.inf, **settings), counts, 1)
    np.testing.assert_allclose(ours.lambdas_, theirs.lambdas_, rtol=RTOL)


# ---------------------------------------------------------------------- longer fits, refusals
@pytest.mark.parametrize(
    "make",
    [
        lambda: compat.GaussianHMM(3, "full", means_weight=0.5, covars_prior=np.eye(2), covars_weight=4.0),
        lambda: compat.GaussianHMM(3, "diag", covars_prior=0.3, covars_weight=2.0),
        lambda: compat.GMMHMM(
            2, n_mix=2, covariance_type="tied", means_weight=1.0, covars_prior=np.eye(2), covars_weight=0.0
        ),
        lambda: compat.GMMHMM(2, n_mix=2, covariance_type="spherical", covars_weight=0.5),
    ],
)
def test_a_longer_fit_never_decreases_the_map_objective(make: Any) -> None:
    x, lengths = _regimes()
    model = make()
    model.set_params(n_iter=40, tol=0.0, random_state=0)
    _quiet_fit(model, x, lengths)
    history = np.asarray(model.monitor_.history)
    assert len(history) > 10 and np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: compat.GaussianHMM(3, "full", covars_prior=0.5),
            r"covars_prior is added to each scatter .* every entry",
        ),
        (lambda: compat.GaussianHMM(3, "tied", covars_prior=-np.eye(2)), "covars_prior .* positive definite"),
        (
            lambda: compat.GaussianHMM(3, "diag", means_weight=1.0, covars_prior=0.0),
            "covars_prior gives a Gamma prior with rate 0",
        ),
        (
            lambda: compat.GaussianHMM(3, "spherical", means_weight=1.0),
            "covars_weight gives a Gamma prior with shape 0",
        ),
        (
            lambda: compat.GaussianHMM(
                3, "tied", means_weight=1.0, covars_prior=np.eye(2), covars_weight=3.0
            ),
            "covars_weight gives a Wishart prior with dof 1",
        ),
        (lambda: compat.GaussianHMM(3, "diag", covars_weight=[1.0, 2.0]), "covars_weight must be a number"),
        (lambda: compat.GaussianHMM(3, "diag", means_weight=-1.0), "means_weight must be >= 0"),
        (
            lambda: compat.GaussianHMM(3, "spherical", means_weight=[1.0, 2.0], covars_weight=5.0),
            "means_weight must be one value per state",
        ),
        (
            lambda: compat.GaussianHMM(3, "diag", means_prior=np.zeros(5), means_weight=1.0),
            "means_prior must be",
        ),
        (lambda: compat.GMMHMM(3, n_mix=2, means_weight=1.0), "covars_weight=None is hmmlearn's 0"),
        (
            lambda: compat.GMMHMM(3, n_mix=2, covariance_type="full", means_weight=1.0),
            "covars_prior=None is hmmlearn's 0",
        ),
        (
            lambda: compat.GMMHMM(3, n_mix=2, covariance_type="diag", covars_prior=-3.0, covars_weight=1.0),
            "covars_prior gives a Gamma prior with shape",
        ),
        (
            lambda: compat.GMMHMM(
                3, n_mix=2, covariance_type="full", covars_prior=np.eye(2), covars_weight=-9.0
            ),
            "covars_weight gives a Wishart prior with dof",
        ),
    ],
)
def test_settings_that_give_no_proper_prior_are_refused(make: Any, message: str) -> None:
    x, lengths = _regimes()
    with pytest.raises(ValueError, match=message):
        make().fit(x, lengths)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"lambdas_prior": 2.0}, "lambdas_prior and lambdas_weight must both be positive"),
        ({"lambdas_weight": 1.0}, "lambdas_prior and lambdas_weight must both be positive"),
        ({"lambdas_prior": 1.0, "lambdas_weight": [1.0, 2.0]}, "lambdas_weight must be one value per state"),
    ],
)
def test_poisson_settings_that_give_no_proper_prior_are_refused(
    settings: dict[str, Any], message: str
) -> None:
    counts = np.random.default_rng(1).poisson(3.0, (50, 2))
    with pytest.raises(ValueError, match=message):
        compat.PoissonHMM(2, **settings).fit(counts)


@pytest.mark.parametrize(
    "prior",
    [
        mx.NormalWishart(mean_precision=0.0),
        mx.NormalGamma(mean_precision=0.0),
        mx.SphericalNormalGamma(mean_precision=0.0),
        mx.TiedNormalWishart(mean_precision=0.0),
    ],
)
def test_a_flat_mean_prior_is_refused_by_variational_bayes(prior: Any) -> None:
    """hmmlearn's default means_weight=0 is MAP-EM's flat prior; VB has no posterior for it."""
    x, lengths = _regimes()
    family = {"NormalWishart": "full", "NormalGamma": "diag", "SphericalNormalGamma": "spherical"}
    kind = family.get(type(prior).__name__, "tied")
    with pytest.raises(ValueError, match=rf"{type(prior).__name__}\.mean_precision is 0"):
        mx.HMM(kind, 3, inference="vb", prior=prior, random_state=0).fit(x, lengths=lengths)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        mx.HMM(kind, 3, prior=prior, random_state=0, max_iter=5).fit(x, lengths=lengths)  # MAP-EM takes it
