"""Partial labels (semi-supervised fitting): ``fit(X, labels=...)`` with the label of some rows known,
exactly or as probabilities, for every family, both structures, EM, MAP-EM and VB, batch, online
and on Dask."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import mixtures as mx
from mixtures.families.statistics import SufficientStatistics

from helpers import FAMILIES, family_data, quiet


def groups(n_samples: int = 300, seed: int = 0) -> np.ndarray:
    """The group of each row of ``family_data(name, n_samples, seed)`` (its first draw)."""
    return np.random.default_rng(seed).integers(0, 2, size=n_samples)


def supervised(family: mx.ExponentialFamily, x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The closed-form supervised estimate: each class's maximum-likelihood parameters."""
    statistics = family.sufficient_statistics(x)
    one_hot = np.eye(2)[labels]
    summed = SufficientStatistics(one_hot.sum(0), one_hot.T @ statistics)
    return family.maximum_likelihood(summed, None)


# --------------------------------------------------------------------------- fully labelled
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_a_fully_labelled_mixture_is_the_supervised_estimate(name: str) -> None:
    x, labels = family_data(name), groups()
    model = quiet(mx.Mixture(FAMILIES[name](), 2, max_iter=1, random_state=0).fit, x, labels=labels)
    expected = supervised(model.family_, x, labels)
    np.testing.assert_allclose(model.components_.natural, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.weights_, np.bincount(labels) / labels.size, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_a_fully_labelled_hmm_is_the_supervised_estimate(name: str) -> None:
    x, states = family_data(name, 300), groups()
    lengths = np.array([100, 120, 80])
    model = quiet(
        mx.HMM(FAMILIES[name](), 2, max_iter=1, random_state=0).fit, x, labels=states, lengths=lengths
    )
    np.testing.assert_allclose(
        model.components_.natural, supervised(model.family_, x, states), rtol=1e-10, atol=1e-12
    )
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    np.testing.assert_allclose(model.startprob_, np.bincount(states[first], minlength=2) / 3, rtol=1e-12)
    follows = np.ones(300, dtype=bool)
    follows[first] = False
    counts = np.zeros((2, 2))
    np.add.at(counts, (states[np.flatnonzero(follows) - 1], states[follows]), 1.0)
    np.testing.assert_allclose(model.transmat_, counts / counts.sum(1, keepdims=True), rtol=1e-12)


# --------------------------------------------------------------------------- partly labelled
def overlapping(seed: int = 0, n_samples: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Two long thin classes side by side: EM from some starts cuts them across their length."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, size=n_samples)
    x = np.column_stack([rng.normal(0.0, 10.0, n_samples), rng.normal(1.8 * truth, 0.5)])
    return x, truth


def some_labels(truth: np.ndarray, share: float, seed: int = 1) -> np.ndarray:
    known = np.random.default_rng(seed).random(truth.size) < share
    return np.where(known, truth, -1)


@pytest.mark.parametrize(
    "settings", [{}, {"prior": mx.NormalWishart()}, {"inference": "vb"}], ids=["em", "map", "vb"]
)
@pytest.mark.parametrize("model_type", [mx.Mixture, mx.HMM])
def test_objectives_are_monotone_with_partial_labels(model_type: Any, settings: dict[str, Any]) -> None:
    x, truth = overlapping()
    y = some_labels(truth, 0.05)
    model = model_type(mx.Gaussian(), 2, random_state=0, max_iter=40, tol=0.0, **settings)
    quiet(model.fit, x, labels=y)
    assert np.all(np.diff(model.lower_bounds_) >= -1e-9 * np.abs(model.lower_bounds_[1:]))


def test_component_k_means_label_k() -> None:
    x, truth = overlapping()
    for flip in (False, True):
        y = some_labels(1 - truth if flip else truth, 0.05)
        model = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=0).fit, x, labels=y)
        upper = int(model.components_.mean[:, 1].argmax())  # the component of class 1
        assert upper == (0 if flip else 1)


def test_two_percent_of_labels_lift_the_ari() -> None:
    """Over ten seeds, unsupervised EM cuts the classes across once (ARI about 0); with 2% of
    the labels every fit finds them (ARI 0.86, the overlap's limit)."""
    from sklearn.metrics import adjusted_rand_score

    x, truth = overlapping()
    before, after = [], []
    for seed in range(10):
        plain = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=seed).fit, x)
        y = some_labels(truth, 0.02, seed + 100)
        labelled = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=seed).fit, x, labels=y)
        before.append(adjusted_rand_score(truth, plain.predict(x)))
        after.append(adjusted_rand_score(truth, labelled.predict(x)))
    assert min(before) < 0.1 and min(after) > 0.85


def test_uniform_soft_labels_change_nothing_but_the_objective() -> None:
    x, _ = overlapping()
    plain = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=0, max_iter=10).fit, x)
    uniform = np.full((2000, 2), 0.5)
    soft = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=0, max_iter=10).fit, x, labels=uniform)
    np.testing.assert_allclose(soft.components_.natural, plain.components_.natural, rtol=1e-10)
    np.testing.assert_allclose(soft.lower_bound_, plain.lower_bound_ + np.log(0.5), rtol=1e-12)


def test_soft_labels_pull_their_rows() -> None:
    x, truth = overlapping()
    soft = np.where(truth[:, None] == 1, [0.1, 0.9], [0.9, 0.1])
    model = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=0).fit, x, labels=soft)
    assert model.components_.mean[1, 1] > model.components_.mean[0, 1]


# --------------------------------------------------------------------------- online and Dask
def test_a_pass_of_labelled_batches_is_a_labelled_iteration() -> None:
    x, truth = overlapping()
    y = some_labels(truth, 0.1)
    start = (np.array([0.5, 0.5]), mx.Gaussian().components_from(
        np.array([[0.0, 0.0], [0.0, 1.0]]), np.stack([np.diag([30.0, 1.0])] * 2)))
    family = mx.Gaussian(feature_scale=1.0)  # the ridge in the data's units, whatever the batch
    batch = quiet(mx.Mixture(family, 2, init=start, max_iter=1).fit, x, labels=y)
    online = mx.Mixture(family, 2, init=start, online=mx.ExactPasses())
    for rows in np.array_split(np.arange(2000), 4):
        online.partial_fit(x[rows], labels=y[rows])
    online.end_pass()  # the first batch set the standardisation: compare in the data's units
    np.testing.assert_allclose(online.components_.mean, batch.components_.mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(online.components_.covariance, batch.components_.covariance, rtol=1e-9)
    np.testing.assert_allclose(online.weights_, batch.weights_, rtol=1e-12)


def test_labels_on_dask_give_the_numpy_fit() -> None:
    da = pytest.importorskip("dask.array")
    x, truth = overlapping()
    y = some_labels(truth, 0.05)
    local = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=0, max_iter=5).fit, x, labels=y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        remote = mx.Mixture(mx.Gaussian(), 2, random_state=0, max_iter=5).fit(
            da.from_array(x, chunks=500), labels=y
        )
    np.testing.assert_allclose(remote.components_.natural, local.components_.natural, rtol=1e-8)


# --------------------------------------------------------------------------- bad labels
@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.zeros(5), r"one entry per row"),
        (np.full(10, 2), r"row 0 is 2"),
        (np.r_[np.zeros(9), 0.5], r"whole numbers; row 9"),
        (np.full((10, 2), 0.4), r"sum to 1 in every row; row 0"),
        (np.full((10, 3), 1 / 3), r"\(10, 2\)"),
        (np.zeros((10, 2, 1)), r"shape \(10, 2, 1\)"),
    ],
)
def test_bad_labels_are_refused_naming_them(y: np.ndarray, message: str) -> None:
    x = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match=r"labels .*" + message):
        mx.Mixture(mx.Gaussian(), 2).fit(x, labels=y)


def test_y_stays_ignored_as_scikit_learn_expects() -> None:
    """A pipeline or a grid search passes its targets as ``y``: they must not become labels."""
    x, truth = overlapping()
    plain = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=0, max_iter=5).fit, x)
    given_y = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=0, max_iter=5).fit, x, truth)
    np.testing.assert_array_equal(given_y.components_.natural, plain.components_.natural)


def test_hmm_labels_on_dask_and_online_give_the_batch_fit() -> None:
    da = pytest.importorskip("dask.array")
    from mixtures.distributed import rechunk_to_sequences

    x, states = family_data("gaussian", 300), groups()
    lengths = np.array([100, 120, 80])
    y = np.where(np.arange(300) % 7 == 0, states, -1)
    family = mx.Gaussian(feature_scale=1.0)
    start = (np.array([0.5, 0.5]), np.array([[0.8, 0.2], [0.2, 0.8]]),
             family.components_from(np.array([[1.0, 1, -1], [5, 5, -5]]), np.stack([np.eye(3)] * 2)))
    local = quiet(mx.HMM(family, 2, init=start, max_iter=3).fit, x, labels=y, lengths=lengths)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        blocks = rechunk_to_sequences(da.from_array(x, chunks=100), lengths)
        remote = mx.HMM(family, 2, init=start, max_iter=3).fit(blocks, labels=y, lengths=lengths)
    np.testing.assert_allclose(remote.components_.natural, local.components_.natural, rtol=1e-8)
    once = quiet(mx.HMM(family, 2, init=start, max_iter=1).fit, x, labels=y, lengths=lengths)
    online = mx.HMM(family, 2, init=start, online=mx.ExactPasses())
    for rows, group in ((slice(0, 100), [100]), (slice(100, 300), [120, 80])):
        online.partial_fit(x[rows], labels=y[rows], lengths=group)
    online.end_pass()
    np.testing.assert_allclose(online.transmat_, once.transmat_, rtol=1e-9)
    np.testing.assert_allclose(online.components_.mean, once.components_.mean, rtol=1e-9)


def test_a_labelled_row_of_weight_zero_counts_for_nothing() -> None:
    """p(x_t | z)^0 q(z)^0 = 1: neither the row nor its label reaches the HMM's fit."""
    x = np.random.default_rng(0).normal(size=(100, 1))
    weights = np.ones(100)
    weights[5] = 0.0
    labels = np.full(100, -1)
    labels[5] = 1
    with_label = quiet(mx.HMM(mx.Gaussian(), 2, random_state=0).fit, x, sample_weight=weights, labels=labels)
    without = quiet(mx.HMM(mx.Gaussian(), 2, random_state=0).fit, x, sample_weight=weights)
    assert np.isfinite(with_label.lower_bound_)
    # (only the start still sees the label, in its transition counts; the fits end together)
    np.testing.assert_allclose(with_label.lower_bound_, without.lower_bound_, rtol=1e-6)
