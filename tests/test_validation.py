"""Bad input is refused with a ValueError that names the problem."""

from __future__ import annotations

import numpy as np
import pytest

import mixtures as mx

from helpers import family_data, seed_data

X, _ = seed_data(100)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (np.array([[0.0, np.nan], [1.0, 2.0]]), "contains NaN .*row 0, column 1"),
        (np.array([[0.0, np.inf], [1.0, 2.0]]), "contains inf"),
        (np.array([[0.0, -np.inf], [1.0, 2.0]]), "contains inf"),
        (np.arange(5.0), "2-D array.*1-D.*Reshape"),
        (np.zeros((3, 2, 2)), "2-D array.*3-D"),
        (np.zeros((0, 2)), "empty"),
        (np.zeros((3, 0)), "empty"),
        ([[1.0, 2.0], [3.0]], "could not be read"),
        (np.array([["a", "b"], ["c", "d"]]), "must contain numbers"),
        (np.array([[1 + 1j, 2.0]]), "must be real"),
    ],
)
def test_malformed_data(data, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mx.Mixture(mx.Gaussian(), 1).fit(data)


@pytest.mark.parametrize(
    ("family", "data", "message"),
    [
        (mx.Bernoulli(), [[0, 1], [2, 0]], r"Bernoulli data must be 0 or 1; X\[1, 0\] = 2"),
        (mx.Bernoulli(), [[0, 0.5], [1, 0]], r"must be 0 or 1; X\[0, 1\] = 0.5"),
        (mx.Poisson(), [[1, 2], [-1, 0]], r"Poisson counts must be >= 0; X\[1, 0\]"),
        (mx.Poisson(), [[1, 2.5], [1, 0]], r"Poisson data must be integers; X\[0, 1\] = 2.5"),
        (mx.Categorical(), [[0, 1], [-1, 0]], r"Categorical symbols must be >= 0"),
        (mx.Categorical(), [[0, 1.5], [1, 0]], r"Categorical data must be integers"),
        (mx.Categorical(n_categories=2), [[0, 1], [2, 0]], r"must be < n_categories=2"),
    ],
)
def test_values_outside_the_support(family, data, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mx.Mixture(family, 1).fit(np.asarray(data, dtype=float))


def test_out_of_support_at_predict_time() -> None:
    model = mx.Mixture(mx.Categorical(), 2, random_state=0).fit(family_data("categorical"))
    with pytest.raises(ValueError, match="must be < n_categories=3"):
        model.predict(np.array([[0.0, 3.0]]))
    bernoulli = mx.Mixture(mx.Bernoulli(), 2, random_state=0).fit(family_data("bernoulli"))
    with pytest.raises(ValueError, match="must be 0 or 1"):
        bernoulli.score_samples(np.full((1, 5), 0.5))


def test_feature_count_mismatch_at_predict_time() -> None:
    model = mx.Mixture(mx.Gaussian(), 2, random_state=0).fit(X)
    for method in (model.predict, model.predict_proba, model.score_samples, model.score):
        with pytest.raises(ValueError, match="X has 3 features, but Mixture is expecting 2 features"):
            method(np.zeros((4, 3)))


def test_more_components_than_samples() -> None:
    with pytest.raises(ValueError, match="n_components=5 must be <= n_samples=4"):
        mx.Mixture(mx.Gaussian(), 5).fit(X[:4])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_components": 0}, "n_components must be an integer >= 1"),
        ({"n_components": 2.5}, "n_components must be an integer"),
        ({"n_components": True}, "n_components must be an integer"),
        ({"max_iter": -1}, "max_iter must be an integer >= 0"),
        ({"n_init": 0}, "n_init must be an integer >= 1"),
        ({"tol": -1.0}, "tol must be a finite number >= 0"),
        ({"tol": float("nan")}, "tol must be a finite number"),
        ({"tol": "small"}, "tol must be a number"),
        ({"chunk_size": 0}, "chunk_size must be an integer >= 1"),
        ({"inference": "gibbs"}, "inference must be one of"),
        ({"init": "kmeans+"}, "init must be one of"),
        ({"family": "gamma"}, "family must be an ExponentialFamily instance or one of"),
        ({"family": mx.Gaussian}, "family must be an instance, e.g. Gaussian()"),
        ({"family": 3}, "family must be an ExponentialFamily"),
    ],
)
def test_bad_hyperparameters(params: dict, message: str) -> None:
    model = mx.Mixture(**{"n_components": 2, **params})
    with pytest.raises(ValueError, match=message):
        model.fit(X)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: mx.Gaussian(reg_covar=-1.0), "reg_covar must be a finite number >= 0"),
        (lambda: mx.Gaussian(reg_covar=float("inf")), "reg_covar must be a finite number"),
        (lambda: mx.Bernoulli(min_prob=0.0), r"min_prob must lie in \(0, 0.5\)"),
        (lambda: mx.Poisson(min_rate=-1.0), "min_rate must be a finite number > 0"),
        (lambda: mx.Categorical(n_categories=0), "n_categories must be None or an integer >= 1"),
        (lambda: mx.Categorical(n_categories=2.0), "n_categories must be None or an integer"),
    ],
)
def test_bad_family_settings(factory, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (np.ones(99), r"sample_weight must have shape \(100,\)"),
        (np.r_[np.ones(99), np.nan], "sample_weight contains NaN or inf"),
        (np.r_[np.ones(99), -1.0], "sample_weight must be non-negative"),
        (np.zeros(100), "sample_weight must have a positive sum"),
    ],
)
def test_bad_sample_weight(weights, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mx.Mixture(mx.Gaussian(), 2).fit(X, sample_weight=weights)


@pytest.mark.parametrize(
    ("init", "message"),
    [
        (np.full((100, 3), 1 / 3), r"init responsibilities must have shape \(100, 2\)"),
        (np.full((100, 2), 0.7), "must sum to 1 in every row"),
        (np.c_[np.full(100, 1.5), np.full(100, -0.5)], "finite and non-negative"),
    ],
)
def test_bad_initial_responsibilities(init, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mx.Mixture(mx.Gaussian(), 2, init=init).fit(X)


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "score_samples", "score", "bic", "aic"]
)
def test_not_fitted(method: str) -> None:
    with pytest.raises(mx.NotFittedError, match="not fitted yet"):
        getattr(mx.Mixture(), method)(X)
    with pytest.raises(mx.NotFittedError):
        mx.Mixture().sample(3)


def test_sample_size_must_be_positive() -> None:
    model = mx.Mixture(mx.Gaussian(), 2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        model.sample(0)


def test_bad_conventional_parameters() -> None:
    with pytest.raises(ValueError, match="need mean"):
        mx.Gaussian().components_from(np.zeros((2, 2)), np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"not positive definite|precision"):
        mx.Gaussian().components_from(np.zeros((1, 2)), np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="inside"):
        mx.Bernoulli().components_from([[0.0, 0.5]])
    with pytest.raises(ValueError, match="sum to 1"):
        mx.Categorical(n_categories=2).components_from([[[0.2, 0.2]]])
    with pytest.raises(ValueError, match="NaN or inf"):
        mx.Components(family=mx.Poisson(), natural=[[np.nan]])
