"""Missing values on a ``dask.array`` give the in-memory fit, prediction and imputation.

The mask and the placeholders are made where the blocks live (``mixtures.distributed.missing``),
so a fit of the same rows from the same ``random_state`` differs from the in-memory fit only in
the order in which the blocks' statistics (and the placeholders' column sums) are added.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import mixtures as mx

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

# the local cluster of the Dask tests, for every test here, and their comparison to 1e-10
from test_dask import assert_same, client  # noqa: E402, F401

from mixtures.distributed import DaskRows, rechunk_to_sequences  # noqa: E402
from mixtures.inference.missing import filled  # noqa: E402

pytestmark = pytest.mark.usefixtures("client")

MEANS = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, -2.0], [-3.0, 5.0, 3.0]])


def holed_clusters(n_rows: int, share: float = 0.2, seed: int = 0) -> np.ndarray:
    """Three correlated Gaussian clusters with ``share`` of the entries missing at random, a
    few rows missing everything."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n_rows)
    x = MEANS[labels] + rng.normal(size=(n_rows, 3)) @ np.array([[1.0, 0, 0], [0.5, 1, 0], [0, 0.3, 1]])
    x[rng.random(x.shape) < share] = np.nan
    x[[7, n_rows // 2, n_rows // 2 + 1]] = np.nan
    return x


def fitted(model: Any, x: Any, **fit_args: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        return type(model)(**model.get_params(deep=False)).fit(x, **fit_args)


def test_placeholders_are_those_made_in_memory() -> None:
    x = holed_clusters(1000)
    x[:, 2] = np.where(np.isnan(x[:, 2]), np.nan, np.round(x[:, 2]))  # ties for the nearest value
    rows = DaskRows.checked(da.from_array(x, chunks=(150, -1)), missing=True)
    in_memory, mask = filled(x)
    np.testing.assert_array_equal(rows.missing.compute(), mask)
    np.testing.assert_array_equal(rows.x.compute(), in_memory)


def test_rows_without_missing_values_stay_the_plain_rows() -> None:
    x = np.delete(holed_clusters(300, share=0.0), [7, 150, 151], axis=0)
    rows = DaskRows.checked(da.from_array(x, chunks=(100, -1)), missing=True)
    assert rows.missing is None


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_a_mixture_on_dask_matches_the_in_memory_fit(inference: str) -> None:
    x = holed_clusters(1500)
    model = mx.Mixture(mx.Gaussian(), 3, inference=inference, max_iter=10, tol=0.0, random_state=0,
                       missing="marginalize")
    local = fitted(model, x)
    remote = fitted(model, da.from_array(x, chunks=(400, -1)))
    assert_same(remote.weights_, local.weights_)
    assert_same(remote.components_.natural, local.components_.natural)
    assert_same(remote.lower_bounds_, local.lower_bounds_)
    blocks = da.from_array(x, chunks=(350, -1))
    predicted = remote.predict_proba(blocks)
    assert isinstance(predicted, da.Array)  # computed where the blocks live
    assert_same(predicted.compute(), local.predict_proba(x))
    np.testing.assert_array_equal(remote.predict(blocks).compute(), local.predict(x))
    imputed = remote.impute(blocks)
    assert isinstance(imputed, da.Array)
    assert_same(imputed.compute(), local.impute(x))
    assert_same(remote.score_samples(blocks).compute(), local.score_samples(x))  # VB: predictive


def test_an_hmm_on_dask_matches_the_in_memory_fit() -> None:
    rng = np.random.default_rng(3)
    lengths = rng.integers(20, 80, size=30)
    states = np.concatenate([np.repeat(rng.integers(3, size=n // 10 + 1), 10)[:n] for n in lengths])
    x = MEANS[states] + rng.normal(size=(states.size, 3))
    x[rng.random(x.shape) < 0.15] = np.nan
    x[rng.random(states.size) < 0.1] = np.nan  # whole time steps missing
    blocks = rechunk_to_sequences(da.from_array(x, chunks=(300, -1)), lengths)
    assert len(blocks.chunks[0]) > 3
    model = mx.HMM(mx.Gaussian(), 3, max_iter=8, tol=0.0, random_state=1, missing="marginalize")
    local = fitted(model, x, lengths=lengths)
    remote = fitted(model, blocks, lengths=lengths)
    assert_same(remote.startprob_, local.startprob_)
    assert_same(remote.transmat_, local.transmat_)
    assert_same(remote.components_.natural, local.components_.natural)
    assert_same(remote.lower_bounds_, local.lower_bounds_)
    for method in ("predict_proba", "impute"):
        remote_values = getattr(remote, method)(blocks, lengths=lengths).compute()
        assert_same(remote_values, getattr(local, method)(x, lengths=lengths))


def test_bad_values_are_still_named_by_their_global_row() -> None:
    x = holed_clusters(600)
    x[450, 1] = np.inf
    model = mx.Mixture(mx.Gaussian(), 2, missing="marginalize")
    with pytest.raises(ValueError, match=r"X contains inf \(first at row 450, column 1\)"):
        model.fit(da.from_array(x, chunks=(100, -1)))
    x[450, 1] = 0.0
    x[:, 0] = np.nan  # nothing to learn about column 0
    with pytest.raises(ValueError, match="X column 0 has no observed value"):
        model.fit(da.from_array(x, chunks=(100, -1)))


def test_nan_on_dask_is_refused_without_the_option() -> None:
    x = holed_clusters(300)
    with pytest.raises(ValueError, match=r"X contains NaN .*missing='marginalize'"):
        mx.Mixture(mx.Gaussian(), 2).fit(da.from_array(x, chunks=(100, -1)))
