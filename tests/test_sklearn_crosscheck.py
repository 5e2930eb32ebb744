"""Same data, same initial parameters: Mixture(Gaussian-family) and scikit-learn's GaussianMixture
reach the same parameters and log-likelihood, for all four covariance structures."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixtures as mx

sklearn_mixture = pytest.importorskip("sklearn.mixture")

FAMILIES = {
    "full": mx.Gaussian,
    "diag": mx.DiagonalGaussian,
    "spherical": mx.SphericalGaussian,
    "tied": mx.TiedGaussian,
}
REG_COVAR = 1e-6


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    centres = np.array([[0.0, 0.0, 0.0], [4.0, 1.0, -2.0], [-3.0, 3.0, 1.0]])
    labels = rng.integers(0, 3, size=600)
    x = centres[labels] + rng.standard_normal((600, 3)) @ np.diag([1.0, 0.5, 1.5])
    # a deliberately poor starting partition, so EM has work to do
    start = (np.argsort(x[:, 0]) * 3 // x.shape[0]).astype(int)
    return x, np.eye(3)[start]


def _initial_parameters(x: np.ndarray, resp: np.ndarray, kind: str) -> dict[str, np.ndarray]:
    """The M-step of ``resp`` written out independently of both libraries."""
    counts = resp.sum(0)
    means = resp.T @ x / counts[:, None]
    full = np.stack(
        [((resp[:, k, None] * (x - means[k])).T @ (x - means[k])) / counts[k] for k in range(3)]
    )
    eye = np.eye(x.shape[1])
    if kind == "full":
        covariances = full + REG_COVAR * eye
        precisions = np.linalg.inv(covariances)
    elif kind == "diag":
        precisions = 1.0 / (np.diagonal(full, axis1=1, axis2=2) + REG_COVAR)
    elif kind == "spherical":
        precisions = 1.0 / (np.diagonal(full, axis1=1, axis2=2).mean(1) + REG_COVAR)
    else:
        pooled = np.einsum("k,kij->ij", counts, full) / counts.sum() + REG_COVAR * eye
        precisions = np.linalg.inv(pooled)
    return {"weights_init": counts / counts.sum(), "means_init": means, "precisions_init": precisions}


def _covariances(model: mx.Mixture, kind: str) -> np.ndarray:
    components = model.components_
    if kind in ("full", "tied"):
        return components.covariance
    return components.variance


def _fit_both(x, resp, kind, max_iter, tol):
    # feature_scale=1.0: the model in the data's own units, reg_covar absolute, as scikit-learn's
    family = FAMILIES[kind](reg_covar=REG_COVAR, feature_scale=1.0)
    ours = mx.Mixture(family, 3, init=resp, max_iter=max_iter, tol=tol)
    theirs = sklearn_mixture.GaussianMixture(
        3, covariance_type=kind, reg_covar=REG_COVAR, max_iter=max_iter, tol=tol,
        **_initial_parameters(x, resp, kind),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(x)
        theirs.fit(x)
    return ours, theirs


def _assert_close_in_norm(actual: np.ndarray, desired: np.ndarray, rtol: float) -> None:
    """Relative error measured against the array's own scale: ‖a − d‖ ≤ rtol ‖d‖."""
    error = np.linalg.norm(actual - desired) / np.linalg.norm(desired)
    assert error <= rtol, f"relative error {error:.3g} > {rtol}"


def _assert_same_parameters(ours: mx.Mixture, theirs, kind: str, x: np.ndarray, rtol: float) -> None:
    _assert_close_in_norm(ours.weights_, theirs.weights_, rtol)
    _assert_close_in_norm(ours.components_.mean, theirs.means_, rtol)
    _assert_close_in_norm(_covariances(ours, kind), theirs.covariances_, rtol)
    np.testing.assert_allclose(ours.score(x), theirs.score(x), rtol=rtol)
    np.testing.assert_allclose(ours.bic(x), theirs.bic(x), rtol=rtol)
    np.testing.assert_allclose(ours.aic(x), theirs.aic(x), rtol=rtol)


@pytest.mark.parametrize("kind", sorted(FAMILIES))
def test_initial_parameters_agree(data, kind: str) -> None:
    x, resp = data
    ours, theirs = _fit_both(x, resp, kind, max_iter=1, tol=0.0)
    # sklearn's lower bound after one step is the log-likelihood at the initial parameters
    np.testing.assert_allclose(ours.lower_bounds_[0], theirs.lower_bound_, rtol=1e-10)


@pytest.mark.parametrize("n_iter", [1, 5, 20])
@pytest.mark.parametrize("kind", sorted(FAMILIES))
def test_same_trajectory_step_by_step(data, kind: str, n_iter: int) -> None:
    x, resp = data
    ours, theirs = _fit_both(x, resp, kind, max_iter=n_iter, tol=0.0)
    assert ours.n_iter_ == theirs.n_iter_ == n_iter
    _assert_same_parameters(ours, theirs, kind, x, rtol=1e-8)
    np.testing.assert_allclose(ours.score_samples(x), theirs.score_samples(x), rtol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(x), theirs.predict_proba(x), atol=1e-8)
    np.testing.assert_array_equal(ours.predict(x), theirs.predict(x))
    np.testing.assert_allclose(ours.lower_bounds_[-2], theirs.lower_bound_, rtol=1e-8)


@pytest.mark.parametrize("kind", sorted(FAMILIES))
def test_same_fixed_point(data, kind: str) -> None:
    x, resp = data
    ours, theirs = _fit_both(x, resp, kind, max_iter=1000, tol=1e-12)
    assert ours.converged_ and theirs.converged_
    # sklearn detects convergence one M-step later (it compares the two previous iterates)
    assert theirs.n_iter_ == ours.n_iter_ + 1
    _assert_same_parameters(ours, theirs, kind, x, rtol=1e-6)
