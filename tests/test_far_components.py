"""A component far from the data centre keeps its covariance: statistics gathered about each
component's own point (``SufficientStatistics.reference``, ``ExponentialFamily.regathered``).

Second moments summed about one data-wide origin lose a component's spread to cancellation when
the component is tight compared with its distance from that origin (two unit clusters 1e6 apart
lost 1e-5 of their variance; 1e8 apart the fit refused). Gathered about a point among its own
data, nothing cancels, and statistics still add exactly across chunks, Dask blocks and batches.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

import mixtures as mx
from mixtures.families.statistics import SufficientStatistics

GAUSSIANS = [mx.Gaussian, mx.DiagonalGaussian, mx.SphericalGaussian, mx.TiedGaussian]
#: The relative agreement with a two-pass computation that the issue asks for.
RTOL = 1e-8


def far_data(kind: str, exponent: int, n_features: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A unit cluster of 300 rows and, 10**exponent away in a random direction, one outlier
    (``kind="outlier"``) or a tight cluster of 100 rows with standard deviation 0.01: rows and
    their labels (the far part is label 1, last)."""
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=n_features)
    direction /= np.linalg.norm(direction)
    bulk = rng.normal(size=(300, n_features))
    n_far = 1 if kind == "outlier" else 100
    far = 10.0**exponent * direction + 0.01 * rng.normal(size=(n_far, n_features))
    return np.vstack([bulk, far]), np.repeat([0, 1], [300, n_far])


def two_pass_covariances(x: np.ndarray, responsibilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each component's weighted covariance about its own weighted mean, ``(K, D, D)``, and the
    weights ``(K,)``, computed the slow, exact way."""
    weights = responsibilities.sum(0)
    out = []
    for k in range(responsibilities.shape[1]):
        r = responsibilities[:, k]
        centred = x - r @ x / weights[k]
        out.append((centred * r[:, None]).T @ centred / weights[k])
    return np.array(out), weights


def expected_spread(model, x: np.ndarray, responsibilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The fitted spread of each component (or the shared one) and the two-pass value it must
    equal, both in the data's units (the family states its ridge in them: ``feature_scale=1``)."""
    family = model.family_
    covariances, weights = two_pass_covariances(x, responsibilities)
    n_features = x.shape[1]
    ridge = family.reg_covar * np.eye(n_features)
    components = model.components_
    if isinstance(family, mx.TiedGaussian):
        pooled = np.einsum("k,kij->ij", weights, covariances) / weights.sum()
        return components.covariance, pooled + ridge
    if isinstance(family, mx.DiagonalGaussian):
        return components.variance, np.diagonal(covariances, axis1=1, axis2=2) + family.reg_covar
    if isinstance(family, mx.SphericalGaussian):
        return components.variance, np.trace(covariances, axis1=1, axis2=2) / n_features + family.reg_covar
    return components.covariance, covariances + ridge


def assert_spread_matches(model, x: np.ndarray) -> None:
    actual, desired = expected_spread(model, x, model.predict_proba(x))
    for got, want in zip(np.atleast_2d(actual) if actual.ndim == 1 else actual,
                         np.atleast_2d(desired) if desired.ndim == 1 else desired, strict=True):
        scale = float(np.max(np.abs(want)))
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * scale)


def quiet(fit, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.CoincidingPointsWarning)
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        return fit(*args, **kwargs)


@settings(max_examples=80, deadline=None)
@given(
    family=st.sampled_from(GAUSSIANS),
    structure=st.sampled_from(["mixture", "hmm"]),
    kind=st.sampled_from(["outlier", "cluster"]),
    exponent=st.integers(1, 8),
    n_features=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_a_far_component_keeps_its_covariance(family, structure, kind, exponent, n_features, seed) -> None:
    """Unit cluster plus an outlier or a tight cluster 10**a away (a = 1 … 8) in a random
    direction: EM fits without error, and every covariance equals the two-pass computation about
    the component's own mean (plus the ridge) to 1e-8 relative. The start is the true partition
    (hard responsibilities for the mixture, the parameters they give for the HMM), so the check
    reads the statistics and the updates, not the start."""
    x, labels = far_data(kind, exponent, n_features, seed)
    gaussian = family(feature_scale=1.0)  # the ridge in the data's units, as scikit-learn's
    hard = np.eye(2)[labels]
    if structure == "mixture":
        model = quiet(mx.Mixture(gaussian, 2, init=hard, max_iter=20).fit, x)
    else:
        start = quiet(mx.Mixture(gaussian, 2, init=hard, max_iter=0).fit, x)
        transmat = np.array([[0.99, 0.01], [0.01, 0.99]])
        init = (np.array([0.5, 0.5]), transmat, start.components_)
        model = quiet(mx.HMM(gaussian, 2, init=init, max_iter=20).fit, x)
    assert np.all(np.isfinite(model.components_.natural))
    assert_spread_matches(model, x)
    if structure == "mixture":  # the log-density too, which the product form would get wrong; it
        # reads z = (x − origin)/scale, rounded by eps·|x| per row: up to 1e-5 nats for a cluster
        # of spread 0.01 at 1e8
        np.testing.assert_allclose(model.score_samples(x), direct_log_density(model, x), atol=1e-4)


def direct_log_density(model, x: np.ndarray) -> np.ndarray:
    """``log Σ_k w_k N(x | μ_k, Σ_k)`` from the conventional parameters, by scipy."""
    components = model.components_
    if isinstance(model.family_, mx.DiagonalGaussian):
        covariances = np.asarray([np.diag(v) for v in components.variance])
    else:
        covariances = np.asarray(components.covariance)
    if covariances.ndim == 2:  # tied: one shared matrix
        covariances = np.repeat(covariances[None], len(model.weights_), axis=0)
    logs = np.column_stack([
        np.log(w) + multivariate_normal(mean, covariance).logpdf(x).reshape(len(x))
        for w, mean, covariance in zip(model.weights_, components.mean, covariances, strict=True)
    ])
    return logsumexp(logs, axis=1)


@pytest.mark.parametrize("family", GAUSSIANS)
@pytest.mark.parametrize("exponent", range(1, 9))
def test_the_default_settings_fit_an_outlier_anywhere(family, exponent) -> None:
    """The issue's example at every distance: the default start and ridge fit, one component
    takes the outlier."""
    x = np.random.default_rng(0).normal(size=(2000, 1))
    x[1000] = 10.0**exponent
    model = quiet(mx.Mixture(family(), 2, random_state=0).fit, x)
    assert np.all(np.isfinite(model.components_.natural))
    if exponent >= 2:
        assert np.isclose(model.weights_.min(), 1 / 2000)


@pytest.mark.parametrize("family", GAUSSIANS)
def test_the_issue_examples(family) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 1))
    x[1000] = 1e4
    for n_components in (2, 3):
        model = quiet(mx.Mixture(family(), n_components, random_state=0).fit, x)
        assert np.isclose(model.weights_[model.predict(x[1000:1001])[0]], 1 / 2000)
    hmm = quiet(mx.HMM(family(), 2, random_state=0).fit, x)
    assert np.all(np.isfinite(hmm.components_.natural))
    x3 = rng.normal(size=(2000, 3))
    x3[1000] = 1e5
    assert quiet(mx.Mixture(family(), 2, random_state=0).fit, x3).converged_


def test_a_single_point_component_warns_and_takes_the_ridge() -> None:
    """As scikit-learn: the outlier's component has the ridge as its variance; the warning names
    it."""
    x = np.random.default_rng(0).normal(size=(2000, 1))
    x[1000] = 1e4
    with pytest.warns(mx.CoincidingPointsWarning, match=r"component\(s\) \[1\] of Gaussian"):
        model = mx.Mixture(mx.Gaussian(feature_scale=1.0), 2, random_state=0).fit(x)
    np.testing.assert_allclose(model.components_.covariance[1], [[1e-6]], rtol=1e-6)
    assert np.isclose(model.weights_[1], 5e-4)


def test_no_warning_for_a_constant_feature() -> None:
    """Points that coincide in one direction only are not a single point."""
    rng = np.random.default_rng(0)
    x = np.c_[rng.normal(size=(300, 1)), np.full((300, 1), 3.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", mx.CoincidingPointsWarning)
        mx.Mixture(mx.Gaussian(), 2, random_state=0).fit(x)


def test_a_far_component_is_gathered_about_its_own_mean() -> None:
    """Only the component that needs it is regathered; its sums are about its weighted mean (the
    outlier itself)."""
    x, labels = far_data("outlier", 3, 2, 0)  # the data centre lies among the bulk
    family = mx.Gaussian(feature_scale=1.0).for_data(x, np.ones(len(x)))
    hard = np.eye(2)[labels]
    product = SufficientStatistics(hard.sum(0), hard.T @ family.sufficient_statistics(x))
    statistics = family.regathered(product, x, hard)
    assert statistics.reference is not None
    points = statistics.reference.points
    np.testing.assert_array_equal(points[0], 0.0)  # the bulk, near the origin: one product
    np.testing.assert_allclose(family.data_location(points[1:])[0], x[labels == 1].mean(0), rtol=1e-12)
    np.testing.assert_array_equal(statistics.sums[0], product.sums[0])


@pytest.mark.parametrize("family", GAUSSIANS)
def test_statistics_about_different_points_add_exactly(family) -> None:
    """Chunks regathered about their own points add to the statistics of all rows (the shift is
    exact algebra), whichever side is heavier."""
    x, labels = far_data("cluster", 6, 3, 1)
    gaussian = family().for_data(x, np.ones(len(x)))
    rng = np.random.default_rng(2)
    responsibilities = np.clip(np.eye(2)[labels] + 0.01 * rng.uniform(size=(len(x), 2)), 0, 1)
    T = gaussian.sufficient_statistics(x)

    def gathered(rows: slice) -> SufficientStatistics:
        r = responsibilities[rows]
        return gaussian.regathered(SufficientStatistics(r.sum(0), r.T @ T[rows]), x[rows], r)

    whole = gathered(slice(None))
    for cut in (50, 330, 380):
        parts = gathered(slice(None, cut)) + gathered(slice(cut, None))
        total = parts.about(None if whole.reference is None else whole.reference.points)
        np.testing.assert_allclose(total.counts, whole.counts, rtol=1e-12)
        scale = np.abs(whole.sums).max(1, keepdims=True)
        np.testing.assert_allclose(total.sums, whole.sums, rtol=0, atol=1e-9 * scale.max())
        np.testing.assert_allclose(
            gaussian.maximum_likelihood(parts), gaussian.maximum_likelihood(whole), rtol=1e-8
        )


@pytest.mark.parametrize("family", GAUSSIANS)
def test_a_shift_and_back_is_the_identity(family) -> None:
    rng = np.random.default_rng(0)
    gaussian = family()
    x = rng.normal(size=(40, 3)) + 5.0
    r = rng.uniform(size=(40, 2))
    statistics = SufficientStatistics(r.sum(0), r.T @ gaussian.sufficient_statistics(x))
    shift = rng.normal(size=(2, 3))
    moved = gaussian.shifted_statistics(statistics.counts, statistics.sums, shift)
    direct = np.stack([r[:, k] @ gaussian.sufficient_statistics(x - shift[k]) for k in range(2)])
    np.testing.assert_allclose(moved, direct, rtol=1e-12, atol=1e-12)
    back = gaussian.shifted_statistics(statistics.counts, moved, -shift)
    np.testing.assert_allclose(back, statistics.sums, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("family", GAUSSIANS)
def test_chunks_and_batches_give_the_same_fit_on_far_data(family) -> None:
    """Chunks of 64 rows against one chunk, and exact passes of partial_fit against fit: the
    statistics of each chunk are gathered about its own points and still add up."""
    x, labels = far_data("cluster", 7, 2, 3)
    gaussian = family(feature_scale=1.0, reg_covar=0.0)
    hard = np.eye(2)[labels]
    one = quiet(mx.Mixture(gaussian, 2, init=hard, max_iter=5, tol=0.0).fit, x)
    chunked = quiet(mx.Mixture(gaussian, 2, init=hard, max_iter=5, tol=0.0, chunk_size=64).fit, x)
    np.testing.assert_allclose(chunked.components_.natural, one.components_.natural, rtol=1e-9)
    np.testing.assert_allclose(chunked.lower_bounds_, one.lower_bounds_, rtol=1e-12)
    start = quiet(mx.Mixture(gaussian, 2, init=hard, max_iter=0).fit, x)
    init = (start.weights_, start.components_)
    batch = quiet(mx.Mixture(gaussian, 2, init=init, max_iter=3, tol=0.0).fit, x)
    online = mx.Mixture(gaussian, 2, init=init, online=mx.ExactPasses())
    order = np.random.default_rng(0).permutation(len(x))
    for _ in range(3):
        for rows in np.array_split(order, 4):
            quiet(online.partial_fit, x[rows])
    # partial_fit takes its origin from the first batch: compare in the data's units
    spread = "variance" if family is mx.DiagonalGaussian else "covariance"
    for name in ("mean", spread):
        expected = getattr(batch.components_, name)
        np.testing.assert_allclose(
            getattr(online.components_, name), expected, rtol=1e-8, atol=1e-8 * np.abs(expected).max()
        )


def test_offset_data_still_fit() -> None:
    rng = np.random.default_rng(0)
    x = 1e8 + np.r_[rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 6.0]
    model = mx.Mixture(mx.Gaussian(), 2, random_state=0).fit(x)
    assert np.allclose(np.sort(model.components_.mean[:, 0]) - 1e8, [0.0, 6.0], atol=0.3)
    assert_spread_matches(
        mx.Mixture(mx.Gaussian(feature_scale=1.0), 2, random_state=0).fit(x), x
    )


def test_running_statistics_about_reference_points_survive_a_model_file(tmp_path) -> None:
    x, _ = far_data("cluster", 7, 2, 3)
    model = mx.Mixture(mx.Gaussian(), 2, random_state=0, online=mx.StepwiseEM())
    for rows in np.array_split(np.random.default_rng(0).permutation(len(x)), 4):
        quiet(model.partial_fit, x[rows])
    running = model.online_state_.statistics.emissions
    assert running.reference is not None
    path = tmp_path / "far.mixtures"
    model.save(path)
    loaded = mx.load(path).online_state_.statistics.emissions
    np.testing.assert_array_equal(loaded.reference.points, running.reference.points)
    np.testing.assert_array_equal(loaded.sums, running.sums)


# ---------------------------------------------------------------------- the bulk sets the scale
def test_the_issue_example_matches_scikit_learn_at_any_distance() -> None:
    """One reading of 10**a among 2000 values near 0: the bulk's variance and the outlier's
    ridge are scikit-learn's (its reg_covar is absolute, ours relative to the bulk's spread)."""
    sklearn_mixture = pytest.importorskip("sklearn.mixture")
    for exponent in (2, 4, 6, 8):
        x = np.random.default_rng(0).normal(size=(2000, 1))
        x[1000] = 10.0**exponent
        ours = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=0).fit, x)
        theirs = sklearn_mixture.GaussianMixture(2, random_state=0).fit(x)
        order = np.argsort(ours.weights_)[::-1]
        expected = np.argsort(theirs.weights_)[::-1]
        np.testing.assert_allclose(ours.weights_[order], theirs.weights_[expected], rtol=1e-6)
        np.testing.assert_allclose(
            ours.components_.covariance[order[0]], theirs.covariances_[expected[0]], rtol=1e-6
        )
        ridge = ours.family_.reg_covar * ours.family_.feature_scale**2
        np.testing.assert_allclose(ours.components_.covariance[order[1]].ravel(), ridge, rtol=1e-6)
        assert abs(ours.score(x) - theirs.score(x)) < 1e-6


def test_bulk_moments_leave_out_outliers_and_only_them() -> None:
    from mixtures._arrays import bulk_moments, weighted_spread

    rng = np.random.default_rng(0)
    x = rng.normal(size=(5000, 3)) * [1.0, 10.0, 1e-3] + [0.0, 5.0, 1e6]
    mean, spread = bulk_moments(x, None)
    np.testing.assert_allclose(mean, x.mean(0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(spread, x.std(0), rtol=1e-12)  # nothing beyond 10 deviations
    glitched = x.copy()
    glitched[7] = [1e8, -1e9, 1e12]
    mean, spread = bulk_moments(glitched, None)
    np.testing.assert_allclose(mean, x.mean(0) + (x.mean(0) - x[7]) / 4999, rtol=1e-9)
    np.testing.assert_allclose(spread, np.delete(x, 7, axis=0).std(0), rtol=1e-9)
    sparse = (rng.uniform(size=(5000, 1)) < 0.002).astype(float)  # a rare value among equal ones
    np.testing.assert_allclose(bulk_moments(sparse, None)[1], weighted_spread(sparse, None), rtol=1e-12)
    huge = 1e200 * glitched[:, :1]
    np.testing.assert_allclose(bulk_moments(huge, None)[1], 1e200 * spread[:1], rtol=1e-9)
    weights = rng.uniform(0.5, 2.0, size=5000)
    weights[7] = 50.0
    mean, spread = bulk_moments(glitched, weights)
    kept = np.delete(x, 7, axis=0)
    np.testing.assert_allclose(mean, np.average(kept, axis=0, weights=np.delete(weights, 7)), rtol=1e-9)


def test_bulk_moments_of_lazy_rows_equal_the_in_memory_ones() -> None:
    da = pytest.importorskip("dask.array")
    from mixtures._arrays import bulk_moments

    rng = np.random.default_rng(1)
    x = rng.normal(size=(3000, 2))
    x[10] = [1e7, -1e7]
    weights = rng.uniform(0.5, 2.0, size=3000)
    in_memory = bulk_moments(x, weights)
    lazy = bulk_moments(da.from_array(x, chunks=(700, 2)), da.from_array(weights, chunks=700))
    for a, b in zip(lazy, in_memory, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10)


@pytest.mark.parametrize("family", GAUSSIANS)
def test_the_default_start_never_shares_a_far_outlier(family) -> None:
    """The smoothed k-means++ start shares rows only between seeds within SHARE_REACH: with an
    absolute ridge (scikit-learn's units) the outlier's component starts alone, not as a
    covariance spanning it and the bulk that float64 cannot hold."""
    from mixtures.inference.initialization import SHARE_REACH, within_reach

    channel = np.full((3, 3), 0.1) + 0.7 * np.eye(3)
    centres = np.array([[0.0], [1.0], [10 * SHARE_REACH]])
    local = within_reach(channel, centres)
    np.testing.assert_allclose(local.sum(1), 1.0)
    assert local[2, :2].sum() == 0 and local[:2, 2].sum() == 0
    np.testing.assert_allclose(local[:2, :2], channel[:2, :2] / channel[:2, :2].sum(1, keepdims=True))
    x = np.random.default_rng(0).normal(size=(2000, 2))
    x[1000] = [1e8, -1e8]
    model = quiet(mx.Mixture(family(feature_scale=1.0), 2, random_state=0).fit, x)
    assert np.isclose(model.weights_.min(), 1 / 2000)
