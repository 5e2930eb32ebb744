"""Same data, priors and initial responsibilities: Mixture(..., inference="vb") and scikit-learn's
BayesianGaussianMixture reach the same posterior and, up to scikit-learn's dropped constants
(accounted for explicitly below), the same lower bound.

scikit-learn's full-covariance model is exact mean-field VB and is compared for any K and D. Its
other covariance types are approximations that coincide with exact VB only in special cases,
which is where they are compared: ``tied`` updates the shared Wishart with ``ν₀ + N/K`` and
``1/K`` of the data terms (a K-fold tempered posterior), so it is exact for K = 1; ``diag`` and
``spherical`` take ``E[log|Λ|]`` from the full-Wishart formula ``Σ_i ψ((ν − i)/2) + D log 2 −
log|W⁻¹|`` (and ``spherical`` grows its dof by ``N_k`` rather than ``N_k·D``), so they are exact
for D = 1, where a 1-D Wishart(ν, w) is the Gamma(ν/2, 1/(2w)) of our Normal-Gamma priors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special

import mixtures as mx

sklearn_mixture = pytest.importorskip("sklearn.mixture")

LOG_2PI = np.log(2 * np.pi)


class _StartFrom(sklearn_mixture.BayesianGaussianMixture):
    """scikit-learn's model started from given responsibilities (test-only)."""

    def __init__(self, responsibilities=None, **params):
        super().__init__(**params)
        self.responsibilities = responsibilities

    def _initialize_parameters(self, X, random_state, xp=None):
        self._initialize(X, self.responsibilities)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0, 0.0], [5.0, 1.0, -2.0], [-3.0, 4.0, 1.0]])
    labels = rng.integers(0, 3, size=400)
    x = centres[labels] + rng.standard_normal((400, 3)) @ np.diag([1.0, 0.6, 1.4])
    responsibilities = rng.dirichlet(np.ones(4), size=400)
    return x, responsibilities


PRIOR = {"mean": np.array([0.5, 1.0, -0.5]), "mean_precision": 0.7, "dof": 5.0}
SCALE = np.array([[0.5, 0.1, 0.0], [0.1, 0.8, 0.05], [0.0, 0.05, 0.3]])  # W0
CONCENTRATION = 0.3


FAMILIES = {"full": (mx.Gaussian, mx.NormalWishart), "tied": (mx.TiedGaussian, mx.TiedNormalWishart)}


def _fit_both(
    x, responsibilities, weight_type: str, max_iter: int, tol: float, kind: str = "full",
    n_components: int = 4,
):
    family, prior = FAMILIES[kind]
    weight_prior = (
        mx.DirichletWeights(concentration=CONCENTRATION)
        if weight_type == "dirichlet_distribution"
        else mx.StickBreaking(concentration=CONCENTRATION)
    )
    ours = mx.Mixture(
        family(), n_components, inference="vb", init=responsibilities, max_iter=max_iter, tol=tol,
        prior=prior(scale=SCALE, **PRIOR), weight_prior=weight_prior,
    )
    theirs = _StartFrom(
        responsibilities=responsibilities, n_components=n_components, covariance_type=kind,
        weight_concentration_prior_type=weight_type, weight_concentration_prior=CONCENTRATION,
        mean_prior=PRIOR["mean"], mean_precision_prior=PRIOR["mean_precision"],
        degrees_of_freedom_prior=PRIOR["dof"], covariance_prior=np.linalg.inv(SCALE),
        reg_covar=0.0, max_iter=max_iter, tol=tol,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(x)
        theirs.fit(x)
    return ours, theirs


def _assert_same_posterior(ours: mx.Mixture, theirs, weight_type: str, rtol: float) -> None:
    q = ours.posterior_.components
    np.testing.assert_allclose(q.mean_precision, theirs.mean_precision_, rtol=rtol)
    np.testing.assert_allclose(q.location, theirs.means_, rtol=rtol, atol=rtol)
    covariances = np.linalg.inv(q.wishart_scale) / q.dof[:, None, None]  # the data's units
    np.testing.assert_allclose(q.dof, theirs.degrees_of_freedom_, rtol=rtol)
    if theirs.covariance_type == "tied":  # one shared Wishart, held identically per component
        covariances = covariances[0]
    np.testing.assert_allclose(covariances, theirs.covariances_, rtol=rtol, atol=rtol)
    weights = ours.posterior_.weights
    if weight_type == "dirichlet_distribution":
        np.testing.assert_allclose(weights.concentration, theirs.weight_concentration_, rtol=rtol)
    else:
        np.testing.assert_allclose(weights.stick_a, theirs.weight_concentration_[0], rtol=rtol)
        np.testing.assert_allclose(weights.stick_b, theirs.weight_concentration_[1], rtol=rtol)
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=rtol)


WEIGHT_TYPES = ["dirichlet_distribution", "dirichlet_process"]


@pytest.mark.parametrize("n_iter", [1, 4, 15])
@pytest.mark.parametrize("weight_type", WEIGHT_TYPES)
def test_same_posterior_step_by_step(data, weight_type: str, n_iter: int) -> None:
    x, responsibilities = data
    ours, theirs = _fit_both(x, responsibilities, weight_type, n_iter, 0.0)
    assert ours.n_iter_ == theirs.n_iter_ == n_iter
    _assert_same_posterior(ours, theirs, weight_type, rtol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(x), theirs.predict_proba(x), atol=1e-9)


def _dropped_constant(n_samples: int, n_features: int, n_components: int, weight_type: str) -> float:
    """Our ELBO minus scikit-learn's lower bound, from the derivation in docs/vb.md:
    Σ_n log h(x_n) + Σ_k [D/2 log 2π + D(D−1)/4 log π − log Z_prior,k] − log-normaliser of the
    weight prior (scikit-learn drops everything that depends on the prior and N only)."""
    beta, nu = PRIOR["mean_precision"], PRIOR["dof"]
    d = n_features
    log_z_prior = (
        0.5 * d * (LOG_2PI - np.log(beta)) + 0.5 * nu * d * np.log(2.0)
        + 0.5 * nu * np.linalg.slogdet(SCALE)[1] + scipy.special.multigammaln(0.5 * nu, d)
    )
    if weight_type == "dirichlet_distribution":
        alpha = np.full(n_components, CONCENTRATION)
        log_b_prior = scipy.special.gammaln(alpha).sum() - scipy.special.gammaln(alpha.sum())
    else:
        log_b_prior = n_components * scipy.special.betaln(1.0, CONCENTRATION)
    return (
        -0.5 * n_samples * d * LOG_2PI
        + n_components * (0.5 * d * LOG_2PI + 0.25 * d * (d - 1) * np.log(np.pi) - log_z_prior)
        - log_b_prior
    )


@pytest.mark.parametrize("weight_type", WEIGHT_TYPES)
def test_same_fixed_point_and_lower_bound(data, weight_type: str) -> None:
    x, responsibilities = data
    ours, theirs = _fit_both(x, responsibilities, weight_type, 2000, 1e-13)
    assert ours.converged_
    _assert_same_posterior(ours, theirs, weight_type, rtol=1e-6)
    constant = _dropped_constant(x.shape[0], x.shape[1], 4, weight_type)
    np.testing.assert_allclose(ours.lower_bound_ * x.shape[0], theirs.lower_bound_ + constant, rtol=1e-8)


@pytest.mark.parametrize("weight_type", WEIGHT_TYPES)
def test_tied_single_component(data, weight_type: str) -> None:
    x, _ = data
    ones = np.ones((x.shape[0], 1))
    ours, theirs = _fit_both(x, ones, weight_type, 3, 0.0, kind="tied", n_components=1)
    _assert_same_posterior(ours, theirs, weight_type, rtol=1e-9)
    constant = _dropped_constant(x.shape[0], x.shape[1], 1, weight_type)
    np.testing.assert_allclose(ours.lower_bound_ * x.shape[0], theirs.lower_bound_ + constant, rtol=1e-8)


@pytest.mark.parametrize("weight_type", WEIGHT_TYPES)
@pytest.mark.parametrize("kind", ["diag", "spherical"])
def test_one_dimensional_diag_and_spherical(kind: str, weight_type: str) -> None:
    rng = np.random.default_rng(11)
    x = np.r_[rng.normal(-3.0, 0.7, 150), rng.normal(2.0, 1.3, 250)][:, None]
    responsibilities = rng.dirichlet(np.ones(3), size=x.shape[0])
    mean, beta, dof, covariance_prior = 0.4, 0.8, 3.0, 1.7
    family, prior_type = (
        (mx.DiagonalGaussian, mx.NormalGamma) if kind == "diag"
        else (mx.SphericalGaussian, mx.SphericalNormalGamma)
    )
    weight_prior = (
        mx.DirichletWeights(concentration=CONCENTRATION)
        if weight_type == "dirichlet_distribution"
        else mx.StickBreaking(concentration=CONCENTRATION)
    )
    prior = prior_type(mean=mean, mean_precision=beta, shape=dof / 2, rate=covariance_prior / 2)
    for max_iter, tol in ((5, 0.0), (2000, 1e-13)):
        # a SphericalNormalGamma's rate is in the family's standardised units: state the spherical
        # model in the data's own units, as scikit-learn does
        units = {"feature_scale": 1.0} if kind == "spherical" else {}
        ours = mx.Mixture(
            family(**units), 3, inference="vb", init=responsibilities, max_iter=max_iter, tol=tol,
            prior=prior, weight_prior=weight_prior,
        )
        theirs = _StartFrom(
            responsibilities=responsibilities, n_components=3, covariance_type=kind,
            weight_concentration_prior_type=weight_type, weight_concentration_prior=CONCENTRATION,
            mean_prior=[mean], mean_precision_prior=beta, degrees_of_freedom_prior=dof,
            covariance_prior=[covariance_prior] if kind == "diag" else covariance_prior,
            reg_covar=0.0, max_iter=max_iter, tol=tol,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours.fit(x)
            theirs.fit(x)
        q = ours.posterior_.components
        rtol = 1e-9 if tol == 0 else 1e-6
        np.testing.assert_allclose(np.ravel(q.mean_precision), theirs.mean_precision_, rtol=rtol)
        np.testing.assert_allclose(np.asarray(q.mean).ravel(), theirs.means_.ravel(), rtol=rtol)
        np.testing.assert_allclose(2 * np.ravel(q.shape), theirs.degrees_of_freedom_, rtol=rtol)
        np.testing.assert_allclose(
            np.ravel(q.rate) / np.ravel(q.shape), np.ravel(theirs.covariances_), rtol=rtol
        )
        np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=rtol)
        np.testing.assert_allclose(ours.predict_proba(x), theirs.predict_proba(x), atol=rtol)
    # at the fixed point: the same dropped constant as for the full model (D = 1, so no log π
    # term), with the prior normaliser of the Normal-Gamma (in D = 1 the Normal-Wishart's)
    log_b_prior = (
        scipy.special.gammaln(np.full(3, CONCENTRATION)).sum() - scipy.special.gammaln(3 * CONCENTRATION)
        if weight_type == "dirichlet_distribution"
        else 3 * scipy.special.betaln(1.0, CONCENTRATION)
    )
    # scikit-learn's constant holds the prior's normaliser in the data's units; ours is taken in
    # standardised coordinates, where the ELBO is the same but the normaliser is not
    ones = np.ones(x.shape[0])
    in_data_units = prior.for_data(family(feature_scale=1.0).for_data(x, ones), x, ones, 3)
    constant = (
        -0.5 * x.shape[0] * LOG_2PI + 3 * 0.5 * LOG_2PI
        - in_data_units.log_normalizer().sum() - log_b_prior
    )
    np.testing.assert_allclose(ours.lower_bound_ * x.shape[0], theirs.lower_bound_ + constant, rtol=1e-8)
