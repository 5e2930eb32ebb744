"""The Mixture estimator's public behaviour, across families."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixtures as mx

from helpers import FAMILIES, SEED_COVARIANCES, SEED_MEANS, SEED_WEIGHTS, family_data, seed_data

NAMED_SHAPES = {  # (attribute, shape) of components_ for K=2 on family_data
    "gaussian": [("mean", (2, 3)), ("covariance", (2, 3, 3))],
    "diagonal": [("mean", (2, 3)), ("variance", (2, 3))],
    "spherical": [("mean", (2, 3)), ("variance", (2,))],
    "tied": [("mean", (2, 3)), ("covariance", (3, 3))],
    "bernoulli": [("probs", (2, 5))],
    "poisson": [("rate", (2, 2))],
    "categorical": [("probs", (2, 2, 3))],
    "multinomial": [("probabilities", (2, 4)), ("probs", (2, 4))],
}


def test_seed_example_recovers_the_generating_mixture() -> None:
    x, _ = seed_data()
    model = mx.Mixture(mx.Gaussian(), 3, n_init=3, random_state=0).fit(x)
    order = [int(np.argmin(np.linalg.norm(model.components_.mean - m, axis=1))) for m in SEED_MEANS]
    assert sorted(order) == [0, 1, 2]
    np.testing.assert_allclose(model.weights_[order], SEED_WEIGHTS, atol=0.04)
    np.testing.assert_allclose(model.components_.mean[order], SEED_MEANS, atol=0.25)
    np.testing.assert_allclose(model.components_.covariance[order], SEED_COVARIANCES, atol=0.35)
    assert model.converged_


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_fits_and_exposes_named_parameters(name: str) -> None:
    x = family_data(name)
    model = mx.Mixture(FAMILIES[name](), 2, n_init=2, random_state=1).fit(x)
    for attribute, shape in NAMED_SHAPES[name]:
        value = getattr(model.components_, attribute)
        assert value.shape == shape and np.all(np.isfinite(value))
    assert model.weights_.shape == (2,) and np.isclose(model.weights_.sum(), 1.0)
    assert model.n_features_in_ == x.shape[1]
    assert len(model.lower_bounds_) == model.n_iter_ + 1
    assert model.lower_bound_ == model.lower_bounds_[-1]
    assert np.all(np.diff(model.lower_bounds_) >= -1e-9 * np.abs(model.lower_bounds_[1:]))
    # two clear groups: the labels recover them up to permutation
    labels = model.predict(x)
    assert len(np.unique(labels)) == 2
    assert np.isclose(model.score(x), model.score_samples(x).mean())
    proba = model.predict_proba(x)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(proba.argmax(1), labels)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_fit_predict_equals_fit_then_predict(name: str) -> None:
    x = family_data(name)
    first = mx.Mixture(FAMILIES[name](), 3, random_state=3).fit_predict(x)
    second = mx.Mixture(FAMILIES[name](), 3, random_state=3).fit(x).predict(x)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_integer_weights_equal_duplicated_rows(name: str) -> None:
    x = family_data(name, n_samples=120)
    rng = np.random.default_rng(5)
    repeats = rng.integers(0, 4, size=x.shape[0])
    start = rng.dirichlet(np.ones(2), size=x.shape[0])
    weighted = mx.Mixture(FAMILIES[name](), 2, init=start, max_iter=15, tol=0.0)
    duplicated = mx.Mixture(
        FAMILIES[name](), 2, init=np.repeat(start, repeats, axis=0), max_iter=15, tol=0.0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        weighted.fit(x, sample_weight=repeats)
        duplicated.fit(np.repeat(x, repeats, axis=0))
    np.testing.assert_allclose(weighted.weights_, duplicated.weights_, rtol=1e-10)
    np.testing.assert_allclose(
        weighted.components_.natural, duplicated.components_.natural, rtol=1e-8, atol=1e-10
    )
    np.testing.assert_allclose(weighted.lower_bounds_, duplicated.lower_bounds_, rtol=1e-10)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_sample_draws_from_the_fitted_model(name: str) -> None:
    x = family_data(name, n_samples=400)
    model = mx.Mixture(FAMILIES[name](), 2, random_state=0).fit(x)
    samples, labels = model.sample(4000)
    assert samples.shape == (4000, x.shape[1]) and labels.shape == (4000,)
    model.family_.validate(samples)  # in the support
    np.testing.assert_allclose(np.bincount(labels, minlength=2) / 4000, model.weights_, atol=0.03)
    # the refitted sample's mean matches the model's mean
    model_mean = np.einsum("k,kd->d", model.weights_, _component_means(model))
    np.testing.assert_allclose(samples.mean(0), model_mean, atol=0.15 * max(1.0, np.abs(model_mean).max()))


def _component_means(model: mx.Mixture) -> np.ndarray:
    components = model.components_
    if hasattr(components, "mean"):
        return components.mean
    if hasattr(components, "rate"):
        return components.rate
    if hasattr(components, "probabilities"):  # multinomial: E[x] for the sampled n_trials
        return components.mean_parameters
    probs = components.probs
    if probs.ndim == 3:  # categorical: expected symbol
        return (probs * np.arange(probs.shape[2])).sum(2)
    return probs


def test_gaussian_sample_matches_covariances() -> None:
    x, _ = seed_data()
    model = mx.Mixture(mx.Gaussian(), 3, random_state=0, n_init=2).fit(x)
    samples, labels = model.sample(60000)
    for k in range(3):
        np.testing.assert_allclose(
            np.cov(samples[labels == k].T), model.components_.covariance[k], atol=0.08
        )


def test_sample_is_reproducible_with_random_state() -> None:
    x, _ = seed_data(200)
    model = mx.Mixture(mx.Gaussian(), 2, random_state=4).fit(x)
    first, second = model.sample(10), model.sample(10)
    np.testing.assert_array_equal(first[0], second[0])


def test_n_init_keeps_the_best_run() -> None:
    x, _ = seed_data()
    # the first of n_init=6 starts is the single run's start (same random stream)
    single = mx.Mixture(mx.Gaussian(), 3, init="random", random_state=0, max_iter=300).fit(x)
    best = mx.Mixture(mx.Gaussian(), 3, init="random", n_init=6, random_state=0, max_iter=300).fit(x)
    assert best.lower_bound_ >= single.lower_bound_


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_warm_start_continues_from_the_current_fit(inference: str) -> None:
    x, _ = seed_data()
    model = mx.Mixture(mx.Gaussian(), 3, inference=inference, random_state=0, max_iter=2, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        model.fit(x)
        first = model.lower_bound_
        model.fit(x)
    assert model.lower_bounds_[0] == pytest.approx(first, rel=1e-12)
    assert model.lower_bound_ >= first


def test_convergence_warning_when_max_iter_is_too_small() -> None:
    x, _ = seed_data()
    with pytest.warns(mx.ConvergenceWarning, match="did not converge"):
        model = mx.Mixture(mx.Gaussian(), 3, init="random", max_iter=2, random_state=0).fit(x)
    assert not model.converged_ and model.n_iter_ == 2


def test_get_and_set_params_follow_sklearn_conventions() -> None:
    family = mx.Gaussian(reg_covar=1e-4)
    model = mx.Mixture(family, 4, tol=1e-5, init="random")
    params = model.get_params()
    assert params["family"] is family and params["n_components"] == 4 and params["tol"] == 1e-5
    assert model.set_params(n_components=2, max_iter=7) is model
    assert model.n_components == 2 and model.max_iter == 7
    with pytest.raises(ValueError, match="invalid parameter"):
        model.set_params(bogus=1)
    assert "n_components=2" in repr(model)


def test_sklearn_clone_and_pipeline_work() -> None:
    base = pytest.importorskip("sklearn.base")
    pipeline = pytest.importorskip("sklearn.pipeline")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    x, _ = seed_data(300)
    model = mx.Mixture(mx.Gaussian(), 3, random_state=0)
    clone = base.clone(model)
    assert clone.get_params()["n_components"] == 3 and not hasattr(clone, "weights_")
    pipe = pipeline.make_pipeline(preprocessing.StandardScaler(), model).fit(x)
    assert pipe.predict(x).shape == (300,)


def test_accepts_lists_and_dataframes() -> None:
    pandas = pytest.importorskip("pandas")
    x, _ = seed_data(200)
    frame = pandas.DataFrame(x, columns=["a", "b"])
    from_frame = mx.Mixture(mx.Gaussian(), 2, random_state=0).fit(frame)
    from_list = mx.Mixture(mx.Gaussian(), 2, random_state=0).fit(x.tolist())
    np.testing.assert_allclose(from_frame.weights_, from_list.weights_)
    assert list(from_frame.feature_names_in_) == ["a", "b"]
    np.testing.assert_array_equal(from_frame.predict(frame), from_list.predict(x))


def test_family_aliases() -> None:
    x, _ = seed_data(200)
    for alias, family in [("diag", mx.DiagonalGaussian), ("spherical", mx.SphericalGaussian),
                          ("tied", mx.TiedGaussian), ("full", mx.Gaussian)]:
        assert isinstance(mx.Mixture(alias, 2, random_state=0).fit(x).family_, family)
    assert isinstance(mx.Mixture().fit(x).family_, mx.Gaussian)


@pytest.mark.parametrize("init", ["kmeans++", "kmeans", "random"])
def test_every_init_method_finds_the_seed_clusters(init: str) -> None:
    x, _ = seed_data()
    model = mx.Mixture(mx.Gaussian(), 3, init=init, n_init=3, random_state=0, max_iter=500).fit(x)
    assert model.score(x) > -3.0  # the true mixture scores about -2.86 per sample


def test_bic_and_aic_count_parameters() -> None:
    x, _ = seed_data(300)
    model = mx.Mixture(mx.Gaussian(), 3, random_state=0).fit(x)
    n_parameters = 3 * (2 + 3) + 2
    assert model.n_parameters() == n_parameters
    assert model.bic(x) == pytest.approx(-2 * model.score(x) * 300 + n_parameters * np.log(300))
    assert model.aic(x) == pytest.approx(-2 * model.score(x) * 300 + 2 * n_parameters)
    categorical = mx.Mixture(mx.Categorical(), 2, random_state=0).fit(family_data("categorical"))
    assert categorical.n_parameters() == 2 * 2 * (3 - 1) + 1


def test_components_from_conventional_parameters_round_trip() -> None:
    family = mx.Gaussian()
    components = family.components_from(SEED_MEANS, SEED_COVARIANCES)
    np.testing.assert_allclose(components.mean, SEED_MEANS, rtol=1e-12)
    np.testing.assert_allclose(components.covariance, SEED_COVARIANCES, rtol=1e-12, atol=1e-14)
    tied = mx.TiedGaussian().components_from(SEED_MEANS, SEED_COVARIANCES[0])
    np.testing.assert_allclose(tied.covariance, SEED_COVARIANCES[0], rtol=1e-12)
    np.testing.assert_allclose(tied.mean, SEED_MEANS, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("offset", [0.0, 1e8])
@pytest.mark.parametrize("family", [mx.Gaussian, mx.DiagonalGaussian, mx.SphericalGaussian, mx.TiedGaussian])
def test_init_from_given_parameters(family, offset: float) -> None:
    """Parameters given in raw coordinates are re-expressed around the fit's centring origin:
    one EM step from them equals one step from the responsibilities they imply."""
    x, _ = seed_data()
    x = x + offset
    # a spherical variance is one number in standardised units: give it in the data's units
    units = {"feature_scale": 1.0} if family is mx.SphericalGaussian else {}
    reference = mx.Mixture(family(**units), 3, random_state=0, n_init=2).fit(x)
    components = reference.components_
    if family in (mx.Gaussian, mx.TiedGaussian):
        given = family().components_from(components.mean, components.covariance)
    else:
        given = family().components_from(components.mean, components.variance)
    model = mx.Mixture(family(**units), 3, init=(reference.weights_, given), max_iter=1, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        model.fit(x)
        reference.set_params(warm_start=True, max_iter=1, tol=0.0).fit(x)  # the same step
    np.testing.assert_allclose(model.lower_bounds_, reference.lower_bounds_, rtol=1e-9)
    np.testing.assert_allclose(
        model.components_.mean - offset, reference.components_.mean - offset, atol=1e-7
    )


def test_spherical_parameters_in_other_units_are_refused() -> None:
    """A spherical covariance in the data's units is not spherical in the fit's standardised
    coordinates: say so rather than silently change the model."""
    x, _ = seed_data(100)
    x = x * [1.0, 10.0]
    given = mx.SphericalGaussian().components_from(np.zeros((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match=r"SphericalGaussian\(feature_scale=1.0\)"):
        mx.Mixture(mx.SphericalGaussian(), 2, init=(np.ones(2) / 2, given)).fit(x)
    mx.Mixture(mx.SphericalGaussian(feature_scale=1.0), 2, init=(np.ones(2) / 2, given)).fit(x)


def test_init_from_given_parameters_is_checked() -> None:
    x, _ = seed_data(100)
    gaussian = mx.Gaussian().components_from(np.zeros((2, 2)), np.tile(np.eye(2), (2, 1, 1)))
    with pytest.raises(ValueError, match="must have 3 entries"):
        mx.Mixture(mx.Gaussian(), 3, init=(np.ones(2) / 2, gaussian)).fit(x)
    with pytest.raises(ValueError, match="cannot stand for DiagonalGaussian"):
        mx.Mixture(mx.DiagonalGaussian(), 2, init=(np.ones(2) / 2, gaussian)).fit(x)
    with pytest.raises(ValueError, match="statistics per component but the data give"):
        mx.Mixture(mx.Gaussian(), 2, init=(np.ones(2) / 2, gaussian)).fit(np.c_[x, x[:, :1]])
    with pytest.raises(ValueError, match="sum to 1"):
        mx.Mixture(mx.Gaussian(), 2, init=(np.ones(2), gaussian)).fit(x)
    with pytest.raises(ValueError, match=r"\(weights, components\)"):
        mx.Mixture(mx.Gaussian(), 2, init=(np.ones(2) / 2, "means")).fit(x)
