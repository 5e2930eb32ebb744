"""Chunk size and the statistics cache change memory use, never the result."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixtures as mx
from mixtures.inference.data import ChunkedData
from mixtures.inference.problem import ExpectationMaximisation
from mixtures.latent.mixing import Mixing, MixtureParameters

from helpers import family_data, seed_data

FAMILIES = [
    mx.Gaussian, mx.DiagonalGaussian, mx.TiedGaussian, mx.Bernoulli, mx.Poisson, mx.Categorical,
    mx.Multinomial,
]
DATA = {
    mx.Gaussian: "gaussian", mx.DiagonalGaussian: "diagonal", mx.TiedGaussian: "tied",
    mx.Bernoulli: "bernoulli", mx.Poisson: "poisson", mx.Categorical: "categorical",
    mx.Multinomial: "multinomial",
}


@pytest.mark.parametrize("family", FAMILIES)
def test_fit_is_independent_of_chunk_size(family) -> None:
    x = family_data(DATA[family], n_samples=1000)
    start = np.random.default_rng(0).dirichlet(np.ones(3), size=x.shape[0])
    fits = []
    for chunk_size in (None, 1, 77, 1000):
        model = mx.Mixture(family(), 3, init=start, max_iter=10, tol=0.0, chunk_size=chunk_size)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mx.ConvergenceWarning)
            fits.append(model.fit(x))
    for other in fits[1:]:
        np.testing.assert_allclose(other.components_.natural, fits[0].components_.natural, rtol=1e-9)
        np.testing.assert_allclose(other.lower_bounds_, fits[0].lower_bounds_, rtol=1e-12)
        np.testing.assert_array_equal(other.predict(x), fits[0].predict(x))


def test_uncached_statistics_give_the_cached_result() -> None:
    x, _ = seed_data(2000)
    family = mx.Gaussian().for_data(x, np.ones(2000))
    model = mx.Mixture(mx.Gaussian(), 3, random_state=0).fit(x)
    problem = ExpectationMaximisation(Mixing(), family)
    parameters = MixtureParameters(model.components_.natural, model.weights_)
    cached = ChunkedData(family, x, np.ones(2000), chunk_size=300)
    streamed = ChunkedData(family, x, np.ones(2000), chunk_size=300, cache_bytes=0)
    assert cached._cache is not None and streamed._cache is None
    a, b = problem.e_step(cached, parameters), problem.e_step(streamed, parameters)
    assert a.log_likelihood == b.log_likelihood
    np.testing.assert_array_equal(a.emissions.sums, b.emissions.sums)


def test_rows_for_the_one_pass_e_step_take_larger_chunks() -> None:
    """Independent, complete, unlabelled rows hold no ``(n, K)`` matrix in the one-pass E-step, so
    their chunks are sized by what it holds; labels, sequences or missing values keep the size
    the passes one at a time need."""
    from mixtures.families.gaussian_rows import LOG_DENSITIES_PER_ROW, ONE_PASS_NUMBERS_PER_ROW
    from mixtures.inference.data import default_chunk_size
    from mixtures.inference.sequences import SequenceLayout

    n_features = 10
    passes = default_chunk_size(n_features + LOG_DENSITIES_PER_ROW)
    one_pass = default_chunk_size(n_features + ONE_PASS_NUMBERS_PER_ROW)
    assert one_pass > passes + 1000
    x = np.random.default_rng(0).normal(size=(passes + 1000, n_features))
    family, weights = mx.Gaussian().for_data(x, None), np.ones(len(x))
    assert len(ChunkedData(family, x, weights, cache_bytes=0).bounds) == 1
    labelled = ChunkedData(family, x, weights, cache_bytes=0, labels=np.full(len(x), -1))
    assert len(labelled.bounds) == 2
    missing = np.zeros(x.shape, dtype=bool)
    assert len(ChunkedData(family, x, weights, cache_bytes=0, missing=missing).bounds) == 2
    layout = SequenceLayout.checked(np.array([len(x) // 2, len(x) - len(x) // 2]), len(x))
    assert len(ChunkedData(family, x, weights, cache_bytes=0, layout=layout).bounds) >= 2
