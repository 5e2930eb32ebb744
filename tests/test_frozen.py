"""Frozen parameters (``fixed=``) stay bit for bit at their starting values through EM, MAP-EM,
VB, ``partial_fit`` and Dask, for the mixture and the HMM."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import mixtures as mx

from helpers import quiet


def blobs() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(-2, 1, (300, 2)), rng.normal(2, 0.7, (300, 2))])


def given() -> tuple[np.ndarray, Any]:
    family = mx.Gaussian(feature_scale=1.0)
    return np.array([0.3, 0.7]), family.components_from(
        np.array([[-1.0, -1.0], [1.0, 1.0]]), np.stack([np.eye(2), 2 * np.eye(2)])
    )


@pytest.mark.parametrize("settings", [{}, {"prior": mx.NormalWishart()}], ids=["em", "map"])
@pytest.mark.parametrize("fixed", [("weights",), ("components",)])
def test_a_frozen_mixture_part_keeps_its_given_value(fixed: tuple[str, ...], settings: dict) -> None:
    weights, components = given()
    family = mx.Gaussian(feature_scale=1.0)
    model = quiet(mx.Mixture(family, 2, init=(weights, components), fixed=fixed, **settings).fit, blobs())
    if fixed == ("weights",):
        np.testing.assert_array_equal(model.weights_, weights)
        assert not np.allclose(model.components_.mean, components.mean)
    else:  # the given components, in the fitted family's coordinates, bit for bit
        np.testing.assert_array_equal(model.components_.natural, model.family_.natural_of(components))
        assert not np.allclose(model.weights_, weights)
    assert np.all(np.diff(model.lower_bounds_) >= -1e-10)


def test_frozen_under_vb_keeps_the_starting_posterior_part() -> None:
    x = blobs()
    free = quiet(mx.Mixture(mx.Gaussian(), 2, inference="vb", random_state=0, max_iter=0).fit, x)
    kept = quiet(
        mx.Mixture(mx.Gaussian(), 2, inference="vb", random_state=0, fixed=("weights",)).fit, x
    )
    start = free.posterior_.weights.concentration
    np.testing.assert_array_equal(kept.posterior_.weights.concentration, start)
    assert kept.n_iter_ > 1
    assert np.all(np.diff(kept.lower_bounds_) >= -1e-9)


def test_frozen_parts_survive_partial_fit_and_dask() -> None:
    weights, components = given()
    x = blobs()
    online = mx.Mixture(mx.Gaussian(feature_scale=1.0), 2, init=(weights, components), fixed=("weights",))
    for rows in np.array_split(np.random.default_rng(1).permutation(600), 6):
        online.partial_fit(x[rows])
    np.testing.assert_array_equal(online.weights_, weights)
    da = pytest.importorskip("dask.array")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        remote = mx.Mixture(
            mx.Gaussian(feature_scale=1.0), 2, init=(weights, components), fixed=("components",)
        ).fit(da.from_array(x, chunks=200))
    np.testing.assert_array_equal(remote.components_.natural, remote.family_.natural_of(components))


def test_a_frozen_hmm_transition_matrix_under_vb() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 1)) + np.repeat([0.0, 3.0, 0.0, 3.0], 100)[:, None]
    start = quiet(mx.HMM(mx.Gaussian(), 2, inference="vb", random_state=0, max_iter=0).fit, x)
    kept = quiet(mx.HMM(mx.Gaussian(), 2, inference="vb", random_state=0, fixed=("transmat",)).fit, x)
    for a, b in zip(kept.posterior_.rows, start.posterior_.rows, strict=True):
        np.testing.assert_array_equal(a.concentration, b.concentration)
    assert kept.n_iter_ > 1


def test_bad_fixed_is_refused() -> None:
    with pytest.raises(ValueError, match=r"names from \('weights', 'components'\); got 'weights'"):
        mx.Mixture(mx.Gaussian(), 2, fixed="weights").fit(blobs())
    with pytest.raises(ValueError, match=r"fixed must name parameters from .* Gaussian cannot hold"):
        mx.Mixture(mx.Gaussian(), 2, fixed=("variances",)).fit(blobs())
