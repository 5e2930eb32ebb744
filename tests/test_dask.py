"""Fitting a ``dask.array`` on a ``dask.distributed`` cluster gives the in-memory fit.

One local cluster of two worker processes (on the loopback address) serves the whole module: its
start is the slow part. Every comparison starts both fits from the same initialisation (the same
``random_state``: the k-means++ sample, the seeds and the random draws are tied to global row
numbers, not to blocks) and runs a fixed number of iterations, so the two fits differ only in the
order in which the blocks' statistics are added.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import mixtures as mx

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from mixtures.distributed import DaskData, rechunk_to_sequences  # noqa: E402
from mixtures.inference.data import ChunkedData  # noqa: E402
from mixtures.inference.problem import ExpectationMaximisation  # noqa: E402
from mixtures.latent.mixing import Mixing, MixtureParameters  # noqa: E402

from helpers import family_data, seed_data  # noqa: E402

RTOL = 1e-10


@pytest.fixture(scope="module")
def client() -> Any:
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def assert_same(actual: Any, desired: Any) -> None:
    """Equal to ``RTOL`` relative to the size of ``desired`` (entries may be zero)."""
    desired = np.asarray(desired, dtype=float)
    scale = float(np.max(np.abs(desired))) if desired.size else 0.0
    np.testing.assert_allclose(np.asarray(actual, dtype=float), desired, rtol=RTOL, atol=RTOL * scale)


def fit_both(
    model: Any, x: np.ndarray, blocks: int, sample_weight: Any = None, weights_on_dask: bool = False
) -> tuple[Any, Any]:
    """The model fitted in memory and on the cluster (``x`` in row blocks of ``blocks`` rows,
    the weights as numpy or, with ``weights_on_dask``, as a Dask array too)."""
    remote_weight = sample_weight
    if weights_on_dask:
        remote_weight = da.from_array(sample_weight, chunks=blocks // 2)  # blocks of their own
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        local = _clone(model).fit(x, sample_weight=sample_weight)
        remote = _clone(model).fit(da.from_array(x, chunks=(blocks, -1)), sample_weight=remote_weight)
    return local, remote


def _clone(model: Any) -> Any:
    return type(model)(**model.get_params(deep=False))


def assert_same_mixture(local: Any, remote: Any) -> None:
    assert_same(remote.weights_, local.weights_)
    assert_same(remote.components_.natural, local.components_.natural)
    assert_same(remote.lower_bounds_, local.lower_bounds_)
    assert remote.n_iter_ == local.n_iter_


def test_dask_is_imported_only_for_dask_data() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mixtures; mixtures.Mixture(n_components=2).fit([[0.0], [1.0], [2.0]]); "
        "print('dask' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_gaussian_mixture_matches_the_in_memory_fit(client: Any, inference: str) -> None:
    x, _ = seed_data(3000)
    model = mx.Mixture(mx.Gaussian(), 3, inference=inference, max_iter=12, tol=0.0, random_state=0)
    local, remote = fit_both(model, x, 700)
    assert_same_mixture(local, remote)
    if inference == "vb":
        for a, b in zip(
            remote.posterior_.components.natural_hyperparameters(),
            local.posterior_.components.natural_hyperparameters(),
            strict=True,
        ):
            assert_same(a, b)
        assert_same(remote.posterior_.weights.concentration, local.posterior_.weights.concentration)
    assert_same(remote.predict_proba(da.from_array(x, chunks=500)).compute(), local.predict_proba(x))
    np.testing.assert_array_equal(remote.predict(da.from_array(x, chunks=500)).compute(), local.predict(x))
    assert_same(remote.score_samples(da.from_array(x, chunks=500)).compute(), local.score_samples(x))


def test_far_components_gathered_about_their_points_match_the_in_memory_fit(client: Any) -> None:
    """A tight cluster 1e7 away and an outlier: their blocks' statistics are gathered about
    points of their own (``SufficientStatistics.reference``) and still add to the in-memory fit."""
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(size=(2000, 2)), 1e7 + 0.01 * rng.normal(size=(500, 2)), [[5e4, -5e4]]])
    x = x[rng.permutation(len(x))]
    model = mx.Mixture(mx.Gaussian(), 3, max_iter=8, tol=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.CoincidingPointsWarning)
        local, remote = fit_both(model, x, 600)
    assert_same(remote.weights_, local.weights_)
    assert_same(remote.components_.mean, local.components_.mean)
    assert_same(remote.components_.covariance, local.components_.covariance)
    assert_same(remote.lower_bounds_, local.lower_bounds_)


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_categorical_mixture_matches_the_in_memory_fit(client: Any, inference: str) -> None:
    x = family_data("categorical", 2000)  # n_categories is read from the data on the workers
    model = mx.Mixture(mx.Categorical(), 2, inference=inference, max_iter=15, tol=0.0, random_state=1)
    local, remote = fit_both(model, x, 450)
    assert remote.family_.n_categories == local.family_.n_categories == 3
    assert_same_mixture(local, remote)


def test_map_em_and_weights_given_on_dask(client: Any) -> None:
    x = family_data("poisson", 2500)
    weights = np.random.default_rng(3).uniform(0.0, 2.0, size=x.shape[0])
    weights[::7] = 0.0
    model = mx.Mixture(mx.Poisson(), 2, prior=mx.Gamma(), max_iter=8, tol=0.0, random_state=2, init="kmeans")
    local, remote = fit_both(model, x, 600, weights, weights_on_dask=True)
    assert_same_mixture(local, remote)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        numpy_weights = _clone(model).fit(da.from_array(x, chunks=(600, -1)), sample_weight=weights)
    assert_same_mixture(local, numpy_weights)


def test_random_and_given_initialisations(client: Any) -> None:
    x, _ = seed_data(1500, seed=4)
    for init in ("random", np.random.default_rng(5).dirichlet(np.ones(3), size=1500)):
        model = mx.Mixture(mx.DiagonalGaussian(), 3, init=init, max_iter=10, tol=0.0, random_state=6)
        assert_same_mixture(*fit_both(model, x, 400))


def test_seeds_from_a_sample_of_the_rows(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the sample size, k-means++ seeds on rows drawn by generators tied to row numbers:
    the same rows whether the blocks are in memory or on the workers."""
    from mixtures.inference import initialization

    monkeypatch.setattr(initialization, "SEED_SAMPLE_MIN_ROWS", 400)
    monkeypatch.setattr(initialization, "SEED_SAMPLE_MAX_ROWS", 400)
    x, _ = seed_data(3000, seed=12)
    model = mx.Mixture(mx.Gaussian(), 3, init="kmeans", max_iter=5, tol=0.0, random_state=13)
    assert_same_mixture(*fit_both(model, x, 700))


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_hmm_over_sequences_spread_over_blocks(client: Any, inference: str) -> None:
    rng = np.random.default_rng(7)
    lengths = rng.integers(5, 60, size=80)
    states = np.concatenate([np.repeat(rng.integers(2, size=n // 5 + 1), 5)[:n] for n in lengths])
    x = rng.poisson(np.array([[1.0, 8.0], [9.0, 2.0]])[states]).astype(float)
    sequence_weight = rng.uniform(0.5, 2.0, size=lengths.shape[0])
    sample_weight = rng.uniform(0.5, 1.5, size=x.shape[0])
    model = mx.HMM(mx.Poisson(), 2, inference=inference, max_iter=8, tol=0.0, random_state=8)
    blocks = rechunk_to_sequences(da.from_array(x, chunks=(500, -1)), lengths)
    assert len(blocks.chunks[0]) > 4
    fit_args = {"lengths": lengths, "sequence_weight": sequence_weight, "sample_weight": sample_weight}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        local = _clone(model).fit(x, **fit_args)
        remote = _clone(model).fit(blocks, **fit_args)
    assert_same(remote.startprob_, local.startprob_)
    assert_same(remote.transmat_, local.transmat_)
    assert_same(remote.components_.natural, local.components_.natural)
    assert_same(remote.lower_bounds_, local.lower_bounds_)


def test_hmm_initialised_by_a_mixture_on_the_cluster(client: Any) -> None:
    rng = np.random.default_rng(9)
    lengths = np.full(30, 40)
    x = rng.normal(np.repeat(rng.integers(3, size=30 * 8), 5)[:, None] * 3.0, 1.0, size=(1200, 2))
    model = mx.HMM(mx.Gaussian(), 3, init="mixture", max_iter=8, tol=0.0, random_state=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        local = _clone(model).fit(x, lengths=lengths)
        remote = _clone(model).fit(da.from_array(x, chunks=(200, -1)), lengths=lengths)
    assert_same(remote.transmat_, local.transmat_)
    assert_same(remote.components_.natural, local.components_.natural)


def test_the_e_step_runs_where_the_blocks_live(client: Any) -> None:
    """Blocks that can only be made on a worker: the client never computes a block itself, and
    the statistics of all blocks add up to those of the rows in memory."""
    x, _ = seed_data(2000, seed=11)

    def block(start: int) -> np.ndarray:
        distributed.get_worker()  # raises ValueError outside a worker
        return x[start : start + 500]

    import dask

    pieces = [da.from_delayed(dask.delayed(block)(start), (500, 2), float) for start in range(0, 2000, 500)]
    x_dask = da.concatenate(pieces)
    family = mx.Gaussian().for_data(x, np.ones(2000))
    natural = mx.Mixture(mx.Gaussian(), 3, random_state=0).fit(x).components_.natural
    parameters = MixtureParameters(natural, np.full(3, 1 / 3))
    problem = ExpectationMaximisation(Mixing(), family)
    remote = DaskData(family, x_dask, None)
    assert remote.cached and len(remote.chunks()) == 4
    local = ChunkedData(family, x, np.ones(2000), chunk_size=500)
    a, b = problem.e_step(remote, parameters), problem.e_step(local, parameters)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-13)
    assert_same(a.emissions.sums, b.emissions.sums)
    model = mx.Mixture(mx.Gaussian(), 3, max_iter=5, tol=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        model.fit(x_dask)
    assert np.all(np.isfinite(model.components_.natural))


def test_bad_values_are_named_by_their_global_row(client: Any) -> None:
    x = family_data("poisson", 1200)
    with_nan = x.copy()
    with_nan[1000, 1] = np.nan
    with_nan[1100, 0] = np.inf
    with pytest.raises(ValueError, match=r"X contains NaN \(first at row 1000, column 1\)"):
        mx.Mixture(mx.Poisson(), 2).fit(da.from_array(with_nan, chunks=(300, -1)))
    negative = x.copy()
    negative[777, 0] = -1.0
    negative[1111, 1] = -2.0
    with pytest.raises(ValueError, match=r"Poisson counts must be >= 0.*first offending row is row 777"):
        mx.Mixture(mx.Poisson(), 2).fit(da.from_array(negative, chunks=(300, -1)))
    weights = da.from_array(np.r_[np.ones(1199), -1.0], chunks=300)
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        mx.Mixture(mx.Poisson(), 2).fit(da.from_array(x, chunks=(300, -1)), sample_weight=weights)


def test_blocks_must_hold_whole_sequences(client: Any) -> None:
    x = family_data("poisson", 1000)
    lengths = np.full(10, 100)
    lengths[3], lengths[4] = 150, 50  # rows 300..449 are one sequence: a block edge at 400 cuts it
    x_dask = da.from_array(x, chunks=(400, -1))
    cut = r"block 0 .* sequence 3 spans rows 300 to 449.*rechunk_to_sequences"
    with pytest.raises(ValueError, match=cut):
        mx.HMM(mx.Poisson(), 2).fit(x_dask, lengths=lengths)
    aligned = rechunk_to_sequences(x_dask, lengths)
    assert set(np.cumsum(aligned.chunks[0])) <= set(np.cumsum(lengths))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        mx.HMM(mx.Poisson(), 2, max_iter=3, tol=0.0).fit(aligned, lengths=lengths)


def test_dask_input_is_checked_before_any_work() -> None:
    x = da.from_array(np.ones((10, 2)), chunks=5)
    with pytest.raises(ValueError, match="2-D array"):
        mx.Mixture(mx.Gaussian(), 2).fit(x[:, 0])
    unknown = x[x[:, 0] > 0]  # a boolean filter leaves the block sizes unknown
    with pytest.raises(ValueError, match="unknown block sizes"):
        mx.Mixture(mx.Gaussian(), 2).fit(unknown)
    with pytest.raises(ValueError, match="must contain numbers"):
        mx.Mixture(mx.Gaussian(), 2).fit(da.from_array(np.array([["a", "b"]] * 4), chunks=2))


def hmm_sequences(seed: int, n_sequences: int) -> tuple[np.ndarray, np.ndarray]:
    """Poisson sequences of two states: ``(x, lengths)``."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(5, 60, size=n_sequences)
    states = np.concatenate([np.repeat(rng.integers(2, size=n // 5 + 1), 5)[:n] for n in lengths])
    return rng.poisson(np.array([[1.0, 8.0], [9.0, 2.0]])[states]).astype(float), lengths


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_hmm_predictions_run_on_the_blocks(client: Any, inference: str) -> None:
    """``predict_proba`` is a Dask array made where the blocks live; ``score``, ``decode`` and
    ``predict`` equal the in-memory results."""
    x, lengths = hmm_sequences(14, 70)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        model = mx.HMM(mx.Poisson(), 2, inference=inference, max_iter=5, tol=0.0, random_state=15)
        model.fit(x, lengths=lengths)
    blocks = rechunk_to_sequences(da.from_array(x, chunks=(400, -1)), lengths)
    assert len(blocks.chunks[0]) > 3
    proba = model.predict_proba(blocks, lengths=lengths)
    assert isinstance(proba, da.Array) and proba.chunks[0] == blocks.chunks[0]
    assert_same(proba.compute(), model.predict_proba(x, lengths=lengths))
    assert model.score(blocks, lengths=lengths) == pytest.approx(
        model.score(x, lengths=lengths), rel=RTOL
    )
    log_probability, path = model.decode(blocks, lengths=lengths)
    local_log_probability, local_path = model.decode(x, lengths=lengths)
    assert log_probability == pytest.approx(local_log_probability, rel=RTOL)
    np.testing.assert_array_equal(path, local_path)
    np.testing.assert_array_equal(model.predict(blocks, lengths=lengths), local_path)


def test_hmm_predictions_use_blocks_only_the_workers_hold(client: Any) -> None:
    """Blocks that can only be made on a worker: the client never computes a block itself."""
    x, _ = hmm_sequences(16, 200)
    x = x[:2000]
    lengths = np.full(40, 50)

    def block(start: int) -> np.ndarray:
        distributed.get_worker()  # raises ValueError outside a worker
        return x[start : start + 500]

    import dask

    pieces = [da.from_delayed(dask.delayed(block)(start), (500, 2), float) for start in range(0, 2000, 500)]
    x_dask = da.concatenate(pieces)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        model = mx.HMM(mx.Poisson(), 2, max_iter=5, tol=0.0, random_state=17).fit(x, lengths=lengths)
    remote = model.predict_proba(x_dask, lengths=lengths).compute()
    assert_same(remote, model.predict_proba(x, lengths=lengths))
    assert model.score(x_dask, lengths=lengths) == pytest.approx(model.score(x, lengths=lengths), rel=RTOL)


def test_hmm_predictions_refuse_blocks_that_cut_sequences(client: Any) -> None:
    x = family_data("poisson", 1000)
    lengths = np.full(10, 100)
    lengths[3], lengths[4] = 150, 50  # rows 300..449 are one sequence: a block edge at 400 cuts it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        model = mx.HMM(mx.Poisson(), 2, max_iter=3, tol=0.0, random_state=0).fit(x, lengths=lengths)
    x_dask = da.from_array(x, chunks=(400, -1))
    cut = r"block 0 .* sequence 3 spans rows 300 to 449.*rechunk_to_sequences"
    for predict in (model.predict_proba, model.score, model.decode, model.predict):
        with pytest.raises(ValueError, match=cut):
            predict(x_dask, lengths=lengths)
