"""Fitting needs the data plus a working set set by the chunk size, not by the number of rows.

numpy reports its allocations to ``tracemalloc``, so the peak it traces during ``fit`` is the
memory the fit allocated beyond the data it was given. The cache of chunks (which by design
holds ``T(x)`` of all rows for a family that forms it, while it fits in its budget) is switched
off here, as it is for data beyond the budget; a Gaussian's chunks hold no ``T(x)`` at all.
"""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest

import mixtures as mx
import mixtures.inference.data as data_module

N_FEATURES = 20
N_STATISTICS = N_FEATURES + N_FEATURES * (N_FEATURES + 1) // 2  # full Gaussian: z and z zᵀ
N_COMPONENTS = 4
CHUNK_ROWS = 4000


def _clustered(n_samples: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    centres = rng.normal(0.0, 5.0, size=(N_COMPONENTS, N_FEATURES))
    return centres[rng.integers(N_COMPONENTS, size=n_samples)] + rng.standard_normal(
        (n_samples, N_FEATURES)
    )


def _peak_extra_bytes(x: np.ndarray, family: object = None, **settings: object) -> int:
    """The peak of memory allocated during ``Mixture.fit(x)`` (the data were allocated before)."""
    model = mx.Mixture(
        family or mx.Gaussian(), N_COMPONENTS, max_iter=2, tol=0.0, random_state=0,  # type: ignore[arg-type]
        chunk_size=CHUNK_ROWS, **settings,  # type: ignore[arg-type]
    )
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mx.ConvergenceWarning)
            model.fit(x)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def no_statistics_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_module, "DEFAULT_CACHE_BYTES", 0)


@pytest.fixture
def chunk_sized_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Passes over all rows (checks, the data's moments) in blocks of a chunk, not of 8 MiB: so
    that both sizes compared are beyond them, as they are beyond the chunks."""
    import mixtures._arrays as arrays_module

    monkeypatch.setattr(arrays_module, "BLOCK_BYTES", 8 * N_FEATURES * CHUNK_ROWS)


@pytest.mark.parametrize("init", ["kmeans++", "kmeans", "random"])
def test_peak_memory_is_set_by_the_chunk_not_by_n(
    no_statistics_cache: None, chunk_sized_blocks: None, init: str
) -> None:
    # both above the k-means++ sample (about 36,000 rows here), which is bounded too
    small, large = _clustered(40_000), _clustered(80_000)
    peak_small = _peak_extra_bytes(small, init=init)
    peak_large = _peak_extra_bytes(large, init=init)
    # what one chunk needs: T(x), log-likelihoods and responsibilities, x, with room for temporaries
    chunk_bytes = 8 * CHUNK_ROWS * (N_STATISTICS + N_COMPONENTS + N_FEATURES + 1)
    assert peak_small < 6 * chunk_bytes, (peak_small, chunk_bytes)
    # doubling N adds at most a few numbers per row (sample weights), never a row of x or T(x)
    added_rows = large.shape[0] - small.shape[0]
    assert peak_large - peak_small < 3 * 8 * added_rows, (peak_small, peak_large)


def test_a_gaussian_keeps_its_chunks_for_nothing(chunk_sized_blocks: None) -> None:
    """A Gaussian's chunks are views of ``x`` (their statistics are formed in the cache, block
    by block), so keeping them between iterations adds nothing that grows with N."""
    small, large = _clustered(40_000), _clustered(80_000)
    peak_small, peak_large = _peak_extra_bytes(small), _peak_extra_bytes(large)
    chunk_bytes = 8 * CHUNK_ROWS * (N_STATISTICS + N_COMPONENTS + N_FEATURES + 1)
    assert peak_small < 6 * chunk_bytes, (peak_small, chunk_bytes)
    assert peak_large - peak_small < 3 * 8 * (large.shape[0] - small.shape[0]), (peak_small, peak_large)


def test_the_statistics_cache_is_the_only_extra_that_grows_with_n(chunk_sized_blocks: None) -> None:
    """A family that forms ``T(x)`` (any family of your own) keeps it for all rows in the cache."""
    x = np.random.default_rng(0).poisson(3.0, size=(40_000, N_FEATURES)).astype(np.float64)
    cache = 8 * x.shape[0] * (N_FEATURES + 1)  # T(x) = x, and log h(x)
    assert cache <= data_module.DEFAULT_CACHE_BYTES  # so the default keeps T(x) of all rows
    peak = _peak_extra_bytes(x, mx.Poisson())
    chunk_bytes = 8 * CHUNK_ROWS * (N_STATISTICS + N_COMPONENTS + N_FEATURES + 1)
    assert cache <= peak < cache + 6 * chunk_bytes, (cache, peak)


def test_checks_of_large_input_make_no_copy_of_it(no_statistics_cache: None) -> None:
    """Finite values and the family's support are checked in row blocks: a Poisson check
    (``x != round(x)``) on all rows at once would allocate as much as the data."""
    rng = np.random.default_rng(1)
    x = rng.poisson(3.0, size=(200_000, 50)).astype(np.float64)  # checked in blocks of 20,971 rows
    x[123_456, 7] = 2.5
    model = mx.Mixture(mx.Poisson(), 2, chunk_size=CHUNK_ROWS)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"first offending row is row 123456 of X"):
            model.fit(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < x.nbytes / 4


def test_kmeans_plus_plus_seeds_on_a_bounded_sample_whatever_the_chunks() -> None:
    from mixtures.inference.data import ChunkedData
    from mixtures.inference.initialization import sample_rows

    x = _clustered(30_000)
    family = mx.Gaussian().for_data(x, np.ones(x.shape[0]))
    weights = np.ones(x.shape[0])
    weights[::10] = 0.0  # rows without weight are never seeds
    samples = [
        sample_rows(ChunkedData(family, x, weights, chunk_size=size), 5000, np.random.default_rng(0))
        for size in (1000, 7777, 30_000)
    ]
    rows, features, sample_weights = samples[0].arrays()
    assert 4000 < rows.size < 5000  # about 5000 rows drawn, 10% of them without weight
    assert np.all(np.diff(rows) > 0) and np.all(rows % 10 != 0) and np.all(sample_weights == 1.0)
    np.testing.assert_array_equal(features, family.init_features(x[rows]))
    for other in samples[1:]:
        np.testing.assert_array_equal(other.arrays()[0], rows)
    everything = sample_rows(ChunkedData(family, x, weights), x.shape[0], np.random.default_rng(0))
    np.testing.assert_array_equal(everything.arrays()[0], np.flatnonzero(weights > 0))


@pytest.mark.parametrize(
    "settings", [{"inference": "vb"}, {"prior": mx.NormalWishart()}], ids=["vb", "map-em"]
)
def test_prior_defaults_from_the_data_are_gathered_in_blocks(
    no_statistics_cache: None, monkeypatch: pytest.MonkeyPatch, settings: dict
) -> None:
    """The data's mean and covariance that default priors start from add no temporary as large
    as the data (``np.cov`` on all rows would copy them)."""
    import mixtures._arrays as arrays_module

    monkeypatch.setattr(arrays_module, "BLOCK_BYTES", 8 * N_FEATURES * CHUNK_ROWS)  # blocks of a chunk
    small, large = _clustered(40_000), _clustered(80_000)
    peak_small = _peak_extra_bytes(small, **settings)
    peak_large = _peak_extra_bytes(large, **settings)
    chunk_bytes = 8 * CHUNK_ROWS * (N_STATISTICS + N_COMPONENTS + N_FEATURES + 1)
    assert peak_small < 6 * chunk_bytes, (peak_small, chunk_bytes)
    assert peak_large - peak_small < 3 * 8 * (large.shape[0] - small.shape[0]), (peak_small, peak_large)
