"""Awkward but valid data never breaks a fit: no exception, no NaN, for every family."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mixtures as mx
from mixtures.testing import BUILTIN_CASES

FAMILIES = {
    "gaussian": mx.Gaussian, "diagonal": mx.DiagonalGaussian, "spherical": mx.SphericalGaussian,
    "tied": mx.TiedGaussian, "bernoulli": mx.Bernoulli, "poisson": mx.Poisson,
    "categorical": mx.Categorical, "multinomial": mx.Multinomial,
}
SAMPLERS = {case.name: case.sample_support for case in BUILTIN_CASES}


@st.composite
def awkward_data(draw: st.DrawFn, name: str) -> tuple[np.ndarray, int, str]:
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    n_samples = draw(st.integers(1, 25))
    n_features = draw(st.integers(1, 3))
    x = SAMPLERS[name](rng, n_samples, n_features)
    if draw(st.booleans()):  # many duplicated rows
        x = x[rng.integers(0, max(1, n_samples // 3), size=n_samples)]
    if draw(st.booleans()):  # a constant column
        x[:, 0] = x[0, 0]
    n_components = draw(st.integers(1, n_samples))
    init = draw(st.sampled_from(["kmeans++", "kmeans", "random"]))
    return x, n_components, init


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_awkward_data_fits_without_nan(name: str) -> None:
    @given(awkward_data(name))
    def run(case: tuple[np.ndarray, int, str]) -> None:
        x, n_components, init = case
        model = mx.Mixture(FAMILIES[name](), n_components, init=init, random_state=0, max_iter=50)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mx.ConvergenceWarning)
            warnings.simplefilter("ignore", mx.EmptyComponentWarning)
            model.fit(x)
        assert np.all(np.isfinite(model.weights_)) and np.isclose(model.weights_.sum(), 1.0)
        assert np.all(np.isfinite(model.components_.natural))
        assert np.all(np.isfinite(model.lower_bounds_))
        proba = model.predict_proba(x)
        assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(1), 1.0)
        assert np.all(np.isfinite(model.score_samples(x)))

    run()
