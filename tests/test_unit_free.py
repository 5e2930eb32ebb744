"""Gaussian fits do not depend on the units of the features.

Multiplying one feature by a positive constant must give the same clustering and parameters that
transform with the data, for every Gaussian family under EM, MAP-EM and VB: the statistics are
taken in standardised coordinates, so the ridge, the k-means++ start and the default priors all
scale with each feature.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.optimize
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_wine
from sklearn.metrics import adjusted_rand_score

import mixtures as mx

FAMILIES = {
    "full": (mx.Gaussian, mx.NormalWishart),
    "tied": (mx.TiedGaussian, mx.TiedNormalWishart),
    "diag": (mx.DiagonalGaussian, mx.NormalGamma),
    "spherical": (mx.SphericalGaussian, mx.SphericalNormalGamma),
}
INFERENCES = ("em", "map", "vb")
#: Hypothesis examples per family and inference (12 combinations).
EXAMPLES = 40


def _model(kind: str, inference: str, n_components: int) -> mx.Mixture:
    family, prior = FAMILIES[kind]
    return mx.Mixture(
        family(),
        n_components,
        inference="vb" if inference == "vb" else "em",
        prior=prior() if inference == "map" else None,
        n_init=2,
        random_state=0,
    )


def _fit(kind: str, inference: str, n_components: int, x: np.ndarray) -> mx.Mixture | type:
    """The fitted model, or the class of the error it raised (which must then match too)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _model(kind, inference, n_components).fit(x)
        except ValueError as error:
            return type(error)


@st.composite
def clustered_data(draw: st.DrawFn) -> tuple[np.ndarray, int, int, float]:
    seed = draw(st.integers(0, 2**32 - 1))
    n_features = draw(st.integers(1, 3))
    n_components = draw(st.integers(1, 3))
    rng = np.random.default_rng(seed)
    n_samples = draw(st.integers(30, 90))
    centres = rng.normal(0.0, 3.0, (n_components, n_features))
    spreads = rng.uniform(0.3, 1.5, (n_components, n_features))
    labels = rng.integers(n_components, size=n_samples)
    units = 10.0 ** rng.uniform(-4, 4, n_features)  # features in very different units already
    x = (centres[labels] + spreads[labels] * rng.standard_normal((n_samples, n_features))) * units
    column = draw(st.integers(0, n_features - 1))
    factor = 10.0 ** draw(st.floats(-3.0, 3.0))
    return x, n_components, column, factor


def _fit_both(fit: Any, data: tuple[np.ndarray, int, int, float]) -> tuple[Any, Any, np.ndarray] | None:
    """``fit(size, x)`` on the data and on the data with one feature rescaled: the two models and
    the rescaled data, after checking they label the rows alike; ``None`` when both fits refused
    the data alike."""
    x, size, column, factor = data
    rescaled = x.copy()
    rescaled[:, column] *= factor
    first, second = fit(size, x), fit(size, rescaled)
    if isinstance(first, type) or isinstance(second, type):
        assert first == second, (first, second)
        return None
    assert adjusted_rand_score(first.predict(x), second.predict(rescaled)) == pytest.approx(1.0)
    return first, second, rescaled


def _check_rescaled(kind: str, inference: str, data: tuple[np.ndarray, int, int, float]) -> None:
    fitted = _fit_both(lambda size, rows: _fit(kind, inference, size, rows), data)
    if fitted is None:
        return
    first, second, rescaled = fitted
    x, _, column, factor = data
    stretch = np.ones(x.shape[1])
    stretch[column] = factor
    # restarts that reach one optimum may label it differently: match components by their means
    spread = rescaled.std(0) + 1e-300
    expected_means = first.components_.mean * stretch
    distance = (((expected_means[:, None] - second.components_.mean[None]) / spread) ** 2).sum(-1)
    order = scipy.optimize.linear_sum_assignment(distance)[1]
    np.testing.assert_allclose(second.weights_[order], first.weights_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        second.components_.mean[order], expected_means, rtol=1e-6, atol=1e-9 * np.abs(rescaled).max()
    )
    first_covariance, second_covariance = (
        np.asarray(model.components_.covariance)
        if kind != "diag"
        else np.asarray([np.diag(v) for v in model.components_.variance])
        for model in (first, second)
    )
    expected = first_covariance * np.outer(stretch, stretch)
    if kind != "tied":
        second_covariance = second_covariance[order]
    np.testing.assert_allclose(second_covariance, expected, rtol=1e-5, atol=1e-12 * np.abs(expected).max())
    # densities move by the log-Jacobian of the rescaling, no more
    np.testing.assert_allclose(
        second.score_samples(rescaled), first.score_samples(x) - np.log(factor), rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("inference", INFERENCES)
@pytest.mark.parametrize("kind", sorted(FAMILIES))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=clustered_data())
def test_rescaling_a_feature_changes_nothing(kind: str, inference: str, data) -> None:
    _check_rescaled(kind, inference, data)


def test_the_data_units_stay_available_for_scikit_learn_parity() -> None:
    """``feature_scale=1.0`` states the model in the data's own units: ``reg_covar`` is then
    absolute, as scikit-learn's, and a spherical covariance is ``σ² I`` in those units."""
    x = np.random.default_rng(0).normal(size=(50, 2)) * [1.0, 100.0]
    family = mx.SphericalGaussian(feature_scale=1.0).for_data(x, np.ones(50))
    np.testing.assert_array_equal(family.scale_for(2), [1.0, 1.0])
    model = mx.Mixture(mx.SphericalGaussian(feature_scale=1.0), 1).fit(x)
    covariance = model.components_.covariance[0]
    assert covariance[0, 0] == pytest.approx(covariance[1, 1])
    standardised = mx.Mixture(mx.SphericalGaussian(), 1).fit(x).components_.covariance[0]
    assert standardised[1, 1] / standardised[0, 0] == pytest.approx(x[:, 1].var() / x[:, 0].var())


@pytest.mark.parametrize(("n_components", "least_ari"), [(3, 0.8), (10, 0.3)])
def test_vb_on_raw_wine_keeps_the_cultivars(n_components: int, least_ari: float) -> None:
    """The report: on raw wine (feature variances from 0.01 to 1e5) VB kept one component and
    reached ARI 0, for K=3 and K=10. With the default prior relative to each feature's spread it
    keeps at least the three cultivars (K=10 splits them further, hence the lower ARI)."""
    x, labels = load_wine(return_X_y=True)
    model = mx.Mixture(mx.Gaussian(), n_components, inference="vb", n_init=3, random_state=0).fit(x)
    assert model.n_effective_components_ >= 3
    assert adjusted_rand_score(labels, model.predict(x)) >= least_ari


def test_data_of_any_magnitude() -> None:
    """``X * 1e200`` fits as ``X`` does: the statistics are standardised, so nothing overflows."""
    rng = np.random.default_rng(1)
    x = np.r_[rng.normal(-2.0, 1.0, (100, 2)), rng.normal(3.0, 0.5, (100, 2))]
    small = mx.Mixture(mx.Gaussian(), 2, random_state=0).fit(x)
    huge = mx.Mixture(mx.Gaussian(), 2, random_state=0).fit(x * 1e200)
    np.testing.assert_array_equal(small.predict(x), huge.predict(x * 1e200))
    np.testing.assert_allclose(huge.components_.mean, small.components_.mean * 1e200, rtol=1e-9)
    assert np.all(np.isfinite(huge.score_samples(x * 1e200)))


def _fit_hmm(kind: str, inference: str, n_states: int, x: np.ndarray) -> mx.HMM | type:
    family, _ = FAMILIES[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return mx.HMM(family(), n_states, inference=inference, n_init=2, random_state=0).fit(x)
        except ValueError as error:
            return type(error)


@pytest.mark.parametrize("inference", ["em", "vb"])
@pytest.mark.parametrize("kind", sorted(FAMILIES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=clustered_data())
def test_rescaling_a_feature_changes_no_hmm(kind: str, inference: str, data) -> None:
    """The same for Gaussian emissions of an HMM (the rows taken as one sequence): the same
    decoded states and a total log-likelihood shifted by N log c."""
    fitted = _fit_both(lambda size, rows: _fit_hmm(kind, inference, size, rows), data)
    if fitted is None:
        return
    first, second, rescaled = fitted
    x, _, _, factor = data
    np.testing.assert_allclose(
        second.score(rescaled), first.score(x) - x.shape[0] * np.log(factor), rtol=1e-6, atol=1e-5
    )
