"""Degenerate data is handled: no NaN in any parameter, and a warning where users should know."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import mixtures as mx

from helpers import seed_data

GAUSSIANS = [mx.Gaussian, mx.DiagonalGaussian, mx.SphericalGaussian, mx.TiedGaussian]


def _all_finite(model: mx.Mixture) -> bool:
    return bool(np.all(np.isfinite(model.weights_)) and np.all(np.isfinite(model.components_.natural)))


@pytest.mark.parametrize("family", GAUSSIANS)
def test_identical_points(family) -> None:
    x = np.tile([[1.0, -2.0, 3.0]], (50, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.EmptyComponentWarning)
        model = mx.Mixture(family(), 3, random_state=0).fit(x)
    assert _all_finite(model)
    np.testing.assert_allclose(model.predict_proba(x).sum(1), 1.0)
    assert np.all(np.isfinite(model.score_samples(x)))


def test_identical_points_warn_about_empty_components() -> None:
    x = np.tile([[1.0, -2.0]], (30, 1))
    with pytest.warns(mx.EmptyComponentWarning, match="lost all their data"):
        mx.Mixture(mx.Gaussian(), 3, random_state=0).fit(x)


@pytest.mark.parametrize("family", GAUSSIANS)
def test_constant_column(family) -> None:
    x, _ = seed_data(300)
    x = np.c_[x, np.full(300, 7.0)]
    model = mx.Mixture(family(), 3, random_state=0).fit(x)
    assert _all_finite(model)
    assert np.all(np.isfinite(model.score_samples(x)))


@pytest.mark.parametrize("family", [mx.Bernoulli, mx.Poisson, mx.Categorical])
def test_constant_discrete_column(family) -> None:
    rng = np.random.default_rng(0)
    x = np.c_[rng.integers(0, 2, size=(200, 3)), np.zeros(200)]
    model = mx.Mixture(family(), 2, random_state=0).fit(x)
    assert _all_finite(model)
    assert np.all(np.isfinite(model.score_samples(x)))


def test_unreachable_component_keeps_parameters_and_warns() -> None:
    x, _ = seed_data(300)
    start = np.zeros((300, 3))
    start[:, 0] = 0.5
    start[:, 1] = 0.5  # component 2 starts with no data at all
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        with pytest.warns(mx.EmptyComponentWarning, match=r"component\(s\) \[2\]"):
            model = mx.Mixture(mx.Gaussian(), 3, init=start, max_iter=5, tol=0.0).fit(x)
    assert _all_finite(model)
    assert model.weights_[2] < 1e-12


def test_degenerate_without_ridge_is_a_clear_error() -> None:
    x = np.tile([[1.0, 2.0]], (10, 1))
    with pytest.raises(mx.DegenerateComponentError, match=r"its data coincide.*set reg_covar > 0"):
        mx.Mixture(mx.Gaussian(reg_covar=0.0), 1).fit(x)


@pytest.mark.parametrize("family", GAUSSIANS)
def test_data_offset_by_1e8_fits_like_centred_data(family) -> None:
    x, _ = seed_data(1000)
    offset = 1e8
    centred = mx.Mixture(family(), 3, random_state=0, n_init=2).fit(x)
    shifted = mx.Mixture(family(), 3, random_state=0, n_init=2).fit(x + offset)
    np.testing.assert_allclose(shifted.weights_, centred.weights_, rtol=1e-6)
    np.testing.assert_allclose(shifted.components_.mean - offset, centred.components_.mean, atol=1e-6)
    np.testing.assert_allclose(
        getattr(shifted.components_, "covariance", None) if family in (mx.Gaussian, mx.TiedGaussian)
        else shifted.components_.variance,
        getattr(centred.components_, "covariance", None) if family in (mx.Gaussian, mx.TiedGaussian)
        else centred.components_.variance,
        rtol=1e-6,
    )
    np.testing.assert_allclose(shifted.score(x + offset), centred.score(x), rtol=1e-9)


def test_offset_data_with_unit_variance_recovers_unit_variance() -> None:
    rng = np.random.default_rng(1)
    x = 1e8 + rng.standard_normal((20000, 2))
    model = mx.Mixture(mx.Gaussian(reg_covar=0.0), 1).fit(x)
    np.testing.assert_allclose(model.components_.covariance[0], np.cov(x.T, bias=True), rtol=1e-9)
    exact_mean = [math.fsum(column) / x.shape[0] for column in x.T]  # correctly rounded
    np.testing.assert_allclose(model.components_.mean[0], exact_mean, rtol=1e-15)


def test_as_many_components_as_points() -> None:
    x, _ = seed_data(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = mx.Mixture(mx.Gaussian(), 5, random_state=0).fit(x)
    assert _all_finite(model)


def test_zero_weight_rows_are_ignored() -> None:
    x, _ = seed_data(300)
    weights = np.r_[np.ones(200), np.zeros(100)]
    start = np.random.default_rng(0).dirichlet(np.ones(3), size=300)
    full = mx.Mixture(mx.Gaussian(), 3, init=start, max_iter=10, tol=0.0)
    part = mx.Mixture(mx.Gaussian(), 3, init=start[:200], max_iter=10, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        full.fit(x, sample_weight=weights)
        part.fit(x[:200])
    np.testing.assert_allclose(full.weights_, part.weights_, rtol=1e-10)
    np.testing.assert_allclose(full.components_.mean, part.components_.mean, rtol=1e-8)


def test_single_category_and_all_zero_bernoulli() -> None:
    with pytest.warns(mx.EmptyComponentWarning):  # one symbol cannot feed two components
        categorical = mx.Mixture(mx.Categorical(), 2, random_state=0).fit(np.zeros((20, 2)))
    assert _all_finite(categorical)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.EmptyComponentWarning)
        bernoulli = mx.Mixture(mx.Bernoulli(), 2, random_state=0).fit(np.zeros((20, 3)))
    assert _all_finite(bernoulli)
    assert np.all(bernoulli.components_.probs < 1e-9)


def _diagonal_variances(model) -> np.ndarray:
    """Each feature's variance in the data's units, for every component (or the shared one)."""
    components = model.components_
    if isinstance(model.family_, mx.DiagonalGaussian):
        return components.variance
    return np.diagonal(components.covariance, axis1=-2, axis2=-1)


@pytest.mark.parametrize("family", GAUSSIANS)
@pytest.mark.parametrize("distance", [1e4, 1e8])
def test_far_apart_unit_clusters(family, distance) -> None:
    """Unit clusters 1e4 and 1e8 apart (1e8: far below float64 resolution around one centring
    origin) fit correctly from hard starting responsibilities: each component's statistics are
    gathered about its own mean."""
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 500)
    noise = rng.standard_normal((1000, 2))
    x = np.array([[0.0, 0.0], [distance, distance]])[labels] + noise
    model = mx.Mixture(family(reg_covar=0.0), 2, init=np.eye(2)[labels]).fit(x)
    assert np.all(np.abs(_diagonal_variances(model) - 1.0) < 0.15)


@pytest.mark.parametrize("family", [mx.DiagonalGaussian, mx.SphericalGaussian])
def test_far_apart_unit_clusters_from_the_default_start(family) -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 500)
    x = np.array([[0.0, 0.0], [1e8, 1e8]])[labels] + rng.standard_normal((1000, 2))
    model = mx.Mixture(family(reg_covar=0.0), 2, random_state=0).fit(x)
    assert np.all(np.abs(_diagonal_variances(model) - 1.0) < 0.15)


@pytest.mark.parametrize("family", [mx.Gaussian, mx.TiedGaussian])
def test_a_start_spanning_far_groups_without_a_relative_ridge_is_refused(family) -> None:
    """The smoothed k-means++ start gives each component a 1% share of the other group 1e8 away:
    a full covariance thin across and 1e8 long, which float64 cannot hold without the default
    relative ridge. The message says what to do."""
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 500)
    x = np.array([[0.0, 0.0], [1e8, 1e8]])[labels] + rng.standard_normal((1000, 2))
    with pytest.raises(mx.DegenerateComponentError, match=r"thin across.*hard responsibilities"):
        mx.Mixture(family(reg_covar=0.0), 2, random_state=0).fit(x)
    assert mx.Mixture(family(), 2, random_state=0).fit(x).converged_


@pytest.mark.parametrize("seed", [13, 17, 25])
def test_a_component_on_a_single_point_is_named_as_such(seed: int) -> None:
    """Spherical, reg_covar=0, started with variances 1e-6 in the unit cube: one component ends up
    holding a single point, whose maximum-likelihood variance is 0. scikit-learn carries on with a
    variance of rounding noise (about 1e-15); we refuse, and the message says what happened and
    what to do, not that the data are too far from the centring origin."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(30, 3))
    n_components = int(rng.integers(2, 6))
    start = mx.SphericalGaussian(feature_scale=1.0).components_from(
        rng.uniform(size=(n_components, 3)), np.full(n_components, 1e-6)
    )
    model = mx.Mixture(
        mx.SphericalGaussian(reg_covar=0.0, feature_scale=1.0), n_components,
        init=(np.full(n_components, 1 / n_components), start), max_iter=1, tol=0.0,
    )
    with pytest.raises(mx.DegenerateComponentError, match=r"single point.*set reg_covar > 0") as error:
        model.fit(x)
    assert "centring origin" not in str(error.value)
    # with the default ridge the same start fits, and nothing is NaN
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        fitted = model.set_params(family=mx.SphericalGaussian(feature_scale=1.0)).fit(x)
    assert np.all(np.isfinite(fitted.components_.variance))


@pytest.mark.parametrize(
    ("family", "covariance", "message"),
    [
        (mx.Gaussian(), -np.eye(2)[None], "covariance of component 0 is not positive definite"),
        (mx.Gaussian(), np.array([[[1.0, 2.0], [2.0, 1.0]]]), "not positive definite"),
        (mx.Gaussian(), np.array([[[1.0, 0.5], [0.0, 1.0]]]), "not symmetric"),
        (mx.TiedGaussian(), np.array([[1.0, 2.0], [2.0, 1.0]]), "not positive definite"),
        (mx.DiagonalGaussian(), np.array([[1.0, -1.0]]), "variance of component 0 is not positive"),
        (mx.SphericalGaussian(), np.array([0.0]), "variance of component 0 is not positive"),
        (mx.Gaussian(), np.full((1, 2, 2), np.nan), "covariance contains NaN"),
    ],
)
def test_given_parameters_that_are_not_a_covariance(family, covariance, message) -> None:
    """A negative or indefinite covariance given by the user is reported as such, not as a
    collapse during fitting."""
    with pytest.raises(ValueError, match=message):
        family.components_from(np.zeros((1, 2)), covariance)
