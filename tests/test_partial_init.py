"""Partial initialisation: any subset of the starting parameters given, the rest drawn from the
data (scikit-learn's ``weights_init``/``means_init``/``precisions_init``, hmmlearn's
``init_params``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mixtures as mx

from helpers import quiet


def blobs() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal([-3, 0], 1, (300, 2)), rng.normal([3, 1], 0.5, (300, 2))])


@pytest.mark.parametrize(
    ("family", "spread"),
    [
        (mx.Gaussian(feature_scale=1.0), np.stack([np.eye(2), 0.25 * np.eye(2)])),
        (mx.TiedGaussian(feature_scale=1.0), 0.5 * np.eye(2)),
        (mx.DiagonalGaussian(feature_scale=1.0), np.array([[1.0, 1.0], [0.25, 0.25]])),
        (mx.SphericalGaussian(feature_scale=1.0), np.array([1.0, 0.25])),
    ],
    ids=["full", "tied", "diag", "spherical"],
)
def test_given_parts_start_the_fit_and_the_rest_comes_from_the_data(
    family: mx.ExponentialFamily, spread: np.ndarray
) -> None:
    x = blobs()
    means = np.array([[3.0, 1.0], [-3.0, 0.0]])  # the reverse of k-means++'s order, say
    start = quiet(mx.Mixture(family, 2, init=mx.PartialInit(means=means), max_iter=0).fit, x)
    np.testing.assert_allclose(start.components_.mean, means, rtol=1e-12, atol=1e-12)
    view = "covariance" if family.spread_view == "covariance" else "variance"
    drawn = quiet(mx.Mixture(family, 2, max_iter=0, random_state=0).fit, x)
    assert getattr(start.components_, view).shape == getattr(drawn.components_, view).shape
    given = quiet(mx.Mixture(family, 2, init=mx.PartialInit(covariances=spread), max_iter=0).fit, x)
    np.testing.assert_allclose(getattr(given.components_, view), spread, rtol=1e-10)
    inverse = np.linalg.inv(spread) if family.spread_is_matrix else 1.0 / spread
    precise = quiet(mx.Mixture(family, 2, init=mx.PartialInit(precisions=inverse), max_iter=0).fit, x)
    np.testing.assert_allclose(getattr(precise.components_, view), spread, rtol=1e-10)


def test_given_weights_and_a_fit_from_them() -> None:
    x = blobs()
    init = mx.PartialInit(weights=[0.9, 0.1])
    start = quiet(mx.Mixture(mx.Gaussian(), 2, init=init, max_iter=0).fit, x)
    np.testing.assert_array_equal(start.weights_, [0.9, 0.1])
    fitted = quiet(mx.Mixture(mx.Gaussian(), 2, init=mx.PartialInit(weights=[0.9, 0.1])).fit, x)
    np.testing.assert_allclose(np.sort(fitted.weights_), [0.5, 0.5], atol=1e-4)


def test_an_hmm_takes_its_transition_matrix_and_draws_the_rest() -> None:
    x = blobs()
    transmat = np.array([[0.95, 0.05], [0.1, 0.9]])
    start = quiet(mx.HMM(mx.Gaussian(), 2, init=mx.PartialInit(transmat=transmat), max_iter=0).fit, x)
    np.testing.assert_array_equal(start.transmat_, transmat)
    assert start.startprob_.shape == (2,)


def test_a_partial_init_round_trips_through_a_model_file(tmp_path: Path) -> None:
    model = mx.Mixture(mx.Gaussian(), 2, init=mx.PartialInit(means=np.zeros((2, 2)), method="kmeans"))
    model.save(tmp_path / "m.npz")
    loaded = mx.load(tmp_path / "m.npz")
    assert loaded.init.method == "kmeans"
    np.testing.assert_array_equal(loaded.init.means, np.zeros((2, 2)))


def test_bad_partial_starts_are_refused() -> None:
    x = blobs()
    with pytest.raises(ValueError, match="cannot start from parts of its components"):
        counts = np.abs(np.round(x))
        mx.Mixture(mx.Poisson(), 2, init=mx.PartialInit(means=np.ones((2, 2)))).fit(counts)
    with pytest.raises(ValueError, match="init gives weights, which a HMMParameters does not have"):
        mx.HMM(mx.Gaussian(), 2, init=mx.PartialInit(weights=[0.5, 0.5])).fit(x)
    vb = mx.Mixture(mx.Gaussian(), 2, inference="vb", init=mx.PartialInit(weights=[0.5, 0.5]))
    with pytest.raises(ValueError, match=r"PartialInit\(\.\.\.\) is for EM"):
        vb.fit(x)
    with pytest.raises(ValueError, match="init must be one of"):
        mx.Mixture(mx.Gaussian(), 2, init=mx.PartialInit(method="magic")).fit(x)
