"""``product_dtype=float32``: the Gaussians' E-step products in single precision, with rows
standardised, sums and objective accumulated, and parameters kept in float64."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import scipy.stats

import mixtures as mx
from mixtures.families.gaussian_rows import GaussianRows, TiedGaussianRows
from mixtures.families.row_statistics import StatisticsMatrix
from mixtures.latent.mixture import mixture_posterior

FAMILIES = {
    "full": mx.Gaussian(),
    "diagonal": mx.DiagonalGaussian(),
    "spherical": mx.SphericalGaussian(),
    "tied": mx.TiedGaussian(),
}
SPREAD = {"full": "covariance", "diagonal": "variance", "spherical": "variance", "tied": "covariance"}


def _clusters(n_per: int = 3000, seed: int = 0, spread: float = 4.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, spread, size=(4, 3))
    x = np.concatenate([rng.normal(centre, 1.0, size=(n_per, 3)) for centre in centres])
    return x * np.array([1.0, 100.0, 0.01]) + np.array([0.0, 5e3, -2.0])  # units far apart


def _fitted(family: mx.ExponentialFamily, x: np.ndarray) -> tuple[mx.ExponentialFamily, np.ndarray]:
    model = mx.Mixture(family, 4, max_iter=3, tol=0.0, random_state=0)
    with pytest.warns(mx.ConvergenceWarning):
        model.fit(x)
    return model.family_, model.components_.natural


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_single_products_are_close_to_double(name: str) -> None:
    x = _clusters()
    family, natural = _fitted(FAMILIES[name], x)
    single, double = family.row_statistics(x, np.float32), StatisticsMatrix.of(family, x)
    assert isinstance(single, GaussianRows) and single.product_dtype == np.float32
    log_likelihood = single.log_likelihood(natural)
    assert log_likelihood.dtype == np.float64
    expected = double.log_likelihood(natural)
    assert np.abs(log_likelihood - expected).max() < 1e-3  # nats
    weighted = mixture_posterior(expected, np.zeros(4)).responsibilities
    got, want = single.summed(weighted), double.summed(weighted)
    np.testing.assert_allclose(got.counts, want.counts, rtol=1e-5)
    np.testing.assert_allclose(got.sums, want.sums, rtol=1e-5, atol=1e-5 * np.abs(want.sums).max())


def test_tied_rows_keep_their_shared_quadratic_in_single_precision() -> None:
    x = _clusters()
    family, natural = _fitted(mx.TiedGaussian(), x)
    rows = family.row_statistics(x, "float32")
    assert isinstance(rows, TiedGaussianRows) and rows.product_dtype == np.float32
    expected = StatisticsMatrix.of(family, x).log_likelihood(natural)
    assert np.abs(rows.log_likelihood(natural) - expected).max() < 1e-3


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_a_single_precision_fit_matches_the_double_one(name: str) -> None:
    x = _clusters(spread=8.0)  # EM's fixed point is reached well within max_iter
    fits = {}
    for dtype in (np.float64, np.float32):
        model = mx.Mixture(FAMILIES[name], 4, random_state=1, product_dtype=dtype)
        fits[dtype] = model.fit(x)
    double, single = fits[np.float64], fits[np.float32]
    assert single.converged_
    np.testing.assert_allclose(single.weights_, double.weights_, atol=1e-5)
    scale = x.std(0)
    np.testing.assert_allclose(
        single.components_.mean / scale, double.components_.mean / scale, atol=1e-4
    )
    spread_single = getattr(single.components_, SPREAD[name])
    spread_double = getattr(double.components_, SPREAD[name])
    largest = np.abs(spread_double).max()
    np.testing.assert_allclose(spread_single, spread_double, rtol=1e-3, atol=1e-3 * largest)
    assert abs(single.lower_bound_ - double.lower_bound_) < 1e-5 * abs(double.lower_bound_)
    assert all(np.isfinite(single.components_.natural.ravel()))


def test_responsibilities_too_small_for_float32_are_dropped_without_a_trace() -> None:
    x = _clusters(n_per=2000)
    family, natural = _fitted(mx.Gaussian(), x)
    single, double = family.row_statistics(x, np.float32), StatisticsMatrix.of(family, x)
    weighted = mixture_posterior(double.log_likelihood(natural), np.zeros(4)).responsibilities
    weighted[:, 3] = 1e-200  # subnormal in float32 (and far below): an empty component
    weighted *= 1e-30  # row weights that small scale everything alike
    got, want = single.summed(weighted), double.summed(weighted)
    np.testing.assert_allclose(got.counts[:3], want.counts[:3], rtol=1e-5)
    assert got.counts[3] == 0.0 and np.all(got.sums[3] == 0.0)
    np.testing.assert_allclose(got.sums[:3], want.sums[:3], rtol=1e-5, atol=1e-5 * np.abs(want.sums).max())


@pytest.mark.parametrize("name", ["full", "diagonal"])
def test_a_tight_far_component_takes_the_exact_form(name: str) -> None:
    rng = np.random.default_rng(3)
    bulk = rng.normal(size=(4000, 2))
    far = 1e4 + 1e-3 * rng.normal(size=(200, 2))
    x = np.concatenate([bulk, far])
    family = FAMILIES[name].for_data(x, np.ones(len(x)))
    labels = np.repeat([0, 1], [4000, 200])
    responsibilities = np.eye(2)[labels]
    natural = family.maximum_likelihood(family.expected_statistics(x, responsibilities))
    got = family.row_statistics(x, np.float32).log_likelihood(natural)
    components = family.components(natural)
    for k in range(2):
        covariance = getattr(components, SPREAD[name])[k]
        covariance = covariance if covariance.ndim == 2 else np.diag(covariance)
        expected = scipy.stats.multivariate_normal(components.mean[k], covariance).logpdf(x)
        rows = labels == k  # where the component's density matters
        np.testing.assert_allclose(got[rows, k], expected[rows], rtol=1e-6, atol=1e-6)


def test_an_hmm_fits_in_single_precision() -> None:
    x = _clusters(n_per=500, spread=8.0)
    lengths = [1000, 1000]
    fits = [
        mx.HMM(mx.Gaussian(), 4, random_state=0, product_dtype=dtype).fit(x, lengths=lengths)
        for dtype in ("float64", "float32")
    ]
    np.testing.assert_allclose(fits[1].transmat_, fits[0].transmat_, atol=1e-4)
    assert abs(fits[1].lower_bound_ - fits[0].lower_bound_) < 1e-5 * abs(fits[0].lower_bound_)


def test_dask_rows_fit_in_single_precision() -> None:
    x = _clusters(n_per=1000, spread=8.0)
    ours = mx.Mixture(mx.Gaussian(), 4, random_state=0, product_dtype=np.float32)
    lazy = mx.Mixture(mx.Gaussian(), 4, random_state=0, product_dtype=np.float32)
    ours.fit(x)
    lazy.fit(da.from_array(x, chunks=(1500, 3)))
    np.testing.assert_allclose(lazy.components_.mean, ours.components_.mean, rtol=1e-4, atol=1e-4)


def test_single_precision_is_saved_with_the_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x = _clusters(n_per=300)
    model = mx.Mixture(mx.Gaussian(), 4, random_state=0, product_dtype=np.float32).fit(x)
    path = tmp_path / "model.mixtures"
    model.save(path)
    loaded = mx.load(path)
    assert np.dtype(loaded.product_dtype) == np.float32
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


@pytest.mark.parametrize("value", ["float16", np.int64, "single precision", None, 32])
def test_other_product_dtypes_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="product_dtype must be float64 or float32"):
        mx.Mixture(mx.Gaussian(), 2, product_dtype=value).fit(_clusters(n_per=50))


def test_families_without_a_single_precision_path_refuse_it() -> None:
    counts = np.random.default_rng(0).poisson(3.0, size=(200, 2)).astype(float)
    with pytest.raises(ValueError, match=r"product_dtype=float32: .*float64 only"):
        mx.Mixture(mx.Poisson(), 2, product_dtype=np.float32).fit(counts)
    mx.Mixture(mx.Poisson(), 2, product_dtype="float64", random_state=0).fit(counts)


def test_a_model_file_names_its_dtype_and_refuses_others() -> None:
    from mixtures.io.errors import ModelFileError
    from mixtures.io.values import ArrayReader, ArrayWriter, decode_value, encode_value

    for value in (np.float32, np.float64, np.dtype("float32")):
        node = encode_value(value, "params.product_dtype", ArrayWriter())
        assert decode_value(node, "params.product_dtype", ArrayReader({})) == value
    for node in ({"kind": "dtype", "name": "float16", "of": "type"},
                 {"kind": "dtype", "name": "float32", "of": "class"}):
        with pytest.raises(ModelFileError, match=r"params\.product_dtype"):
            decode_value(node, "params.product_dtype", ArrayReader({}))
