"""The mixture's E-step in one pass over the rows (``RowStatistics.softmax_summed``: the
Gaussians' log-densities, softmax and sums a block at a time) gives what the passes one at a time
give, and steps aside whenever only they can say what went wrong."""

from __future__ import annotations

import warnings

import attrs
import numpy as np
import pytest

import mixtures as mx
import mixtures._row_tasks as row_tasks
from mixtures.families.gaussian_rows import GaussianRows
from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.data import Chunk, make_chunk
from mixtures.inference.missing import MissingRows
from mixtures.latent.mixing import Mixing
from mixtures.latent.mixture import mixture_posterior

from helpers import GAUSSIAN_KERNEL_FAMILIES

N_ROWS = 30_011  # several ranges of rows and a last block that is not full
N_COMPONENTS = 4

FAMILIES = GAUSSIAN_KERNEL_FAMILIES


def _data() -> np.ndarray:
    rng = np.random.default_rng(0)
    centres = rng.normal(0.0, 4.0, size=(N_COMPONENTS, 3))
    labels = rng.integers(0, N_COMPONENTS, N_ROWS)
    return (centres[labels] + rng.standard_normal((N_ROWS, 3))) * np.array([1.0, 10.0, 0.1]) + 5.0


def _fitted(family: mx.ExponentialFamily, x: np.ndarray) -> tuple[mx.ExponentialFamily, np.ndarray]:
    model = mx.Mixture(family, N_COMPONENTS, max_iter=3, tol=0.0, random_state=0)
    with pytest.warns(mx.ConvergenceWarning):
        model.fit(x)
    return model.family_, model.components_.natural


def _passes(rows: GaussianRows, natural: np.ndarray, log_partition: np.ndarray | None,
            shifts: np.ndarray, weights: np.ndarray) -> tuple[float, SufficientStatistics]:
    posterior = mixture_posterior(rows.log_likelihood(natural, log_partition), shifts, row_weights=weights)
    return float(weights @ posterior.log_evidence), rows.summed(posterior.responsibilities)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_one_pass_gives_the_passes_results(name: str, dtype: str) -> None:
    x = _data()
    family, natural = _fitted(FAMILIES[name], x)
    rows, reference = family.row_statistics(x, np.dtype(dtype)), family.row_statistics(x)
    assert isinstance(rows, GaussianRows) and isinstance(reference, GaussianRows)
    weights = np.linspace(0.0, 2.0, N_ROWS)  # the first row weighs nothing
    shifts = np.array([np.log(0.5), np.log(0.3), np.log(0.2), -np.inf])  # the last: no share at all
    for log_partition in (None, family.log_partition(natural) + 0.25):  # EM; VB's E_q[A(η)]
        found = rows.softmax_summed(natural, log_partition, shifts, weights)
        assert found is not None
        log_evidence, statistics = found
        # against float64's passes: single precision within its bounds (test_single_precision)
        want_evidence, want = _passes(reference, natural, log_partition, shifts, weights)
        # the weighted log evidence: float64 within 1e-13 of the passes (measured 1.5e-15)
        evidence_relative, relative = (1e-13, 1e-12) if dtype == "float64" else (1e-6, 1e-5)
        np.testing.assert_allclose(log_evidence, want_evidence, rtol=evidence_relative)
        np.testing.assert_allclose(statistics.counts, want.counts, rtol=relative)
        np.testing.assert_allclose(statistics.sums, want.sums, rtol=relative, atol=1e-9)
        assert statistics.counts[3] == 0.0 and not statistics.sums[3].any()


def test_one_pass_does_not_depend_on_the_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    x = _data()
    family, natural = _fitted(mx.Gaussian(), x)
    rows = family.row_statistics(x)
    shifts, weights = np.log(np.full(N_COMPONENTS, 0.25)), np.ones(N_ROWS)
    results = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(row_tasks, "thread_count", lambda threads=threads: threads)
        found = rows.softmax_summed(natural, None, shifts, weights)
        assert found is not None
        results.append(found)
    for log_evidence, statistics in results[1:]:
        assert log_evidence == results[0][0]
        np.testing.assert_array_equal(statistics.sums, results[0][1].sums)


def test_far_tight_components_take_the_passes() -> None:
    # a component whose product form would round too coarsely needs every row's z
    x = _data()
    family, natural = _fitted(mx.Gaussian(), x)
    rows = family.row_statistics(x)
    far = family.components_from(np.full((1, 3), 1e7), np.eye(3)[None] * 1e-6).natural
    natural = np.concatenate([natural[:-1], far])
    assert family.cancelling_components(rows.largest_squared_norm, natural, np.float64).size
    shifts = np.log(np.full(N_COMPONENTS, 0.25))
    assert rows.softmax_summed(natural, None, shifts, np.ones(N_ROWS)) is None


def _chunk(x: np.ndarray, family: mx.ExponentialFamily) -> Chunk:
    return make_chunk(family, x, np.ones(len(x)), slice(0, len(x)), 3 + 6)  # as a fit makes it


def test_a_chunk_steps_aside_when_the_passes_must_speak(monkeypatch: pytest.MonkeyPatch) -> None:
    x = _data()[:500]
    family, natural = _fitted(mx.Gaussian(), _data())
    chunk = _chunk(x, family)
    shifts = np.log(np.full(N_COMPONENTS, 0.25))
    assert chunk.softmax_summary(natural, None, shifts) is not None
    original = GaussianRows.softmax_summed

    def spoiled(evidence: float, sums: float):  # type: ignore[no-untyped-def]
        def softmax_summed(self, *args):  # type: ignore[no-untyped-def]
            log_evidence, statistics = original(self, *args)
            spoilt = statistics.sums.copy()
            spoilt[0, 0] = sums
            return log_evidence + evidence, SufficientStatistics(statistics.counts, spoilt)
        return softmax_summed

    for evidence, sums in ((-np.inf, 0.0), (np.nan, 0.0), (0.0, np.inf)):
        monkeypatch.setattr(GaussianRows, "softmax_summed", spoiled(evidence, sums))
        assert chunk.softmax_summary(natural, None, shifts) is None
    monkeypatch.setattr(GaussianRows, "softmax_summed", original)
    # a component whose sums statistics_of would regather: that needs every row's responsibilities
    cancelled = np.array([False, True, False, False])
    monkeypatch.setattr(type(family), "cancelled_components", lambda self, statistics: cancelled)
    assert chunk.softmax_summary(natural, None, shifts) is None


def test_labels_and_missing_values_take_the_passes() -> None:
    x = _data()[:500]
    family, natural = _fitted(mx.Gaussian(), _data())
    logs = (np.log(np.full(N_COMPONENTS, 0.25)),)
    labelled = attrs.evolve(_chunk(x, family), labels=np.full(len(x), -1))
    assert Mixing().one_pass_summary(labelled, natural, None, logs) is None
    mask = np.zeros(x.shape, dtype=bool)
    mask[3, 1] = True
    incomplete = attrs.evolve(_chunk(x, family), missing=MissingRows.of(mask))
    assert incomplete.softmax_summary(natural, None, logs[0]) is None


def _fit(family: mx.ExponentialFamily, x: np.ndarray, inference: str, weights: np.ndarray) -> mx.Mixture:
    model = mx.Mixture(family, N_COMPONENTS, inference=inference, max_iter=15, tol=0.0, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        return model.fit(x, sample_weight=weights)


@pytest.mark.parametrize("inference", ["em", "vb"])
@pytest.mark.parametrize("name", ["full", "diagonal", "spherical", "tied"])
def test_fits_agree_with_the_passes_one_at_a_time(
    name: str, inference: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = _data()[:6000]
    weights = np.random.default_rng(2).uniform(0.0, 2.0, len(x))
    taken = []
    original = Mixing.one_pass_summary

    def counted(*args):  # type: ignore[no-untyped-def]
        summary = original(*args)
        taken.append(summary is not None)
        return summary

    monkeypatch.setattr(Mixing, "one_pass_summary", counted)
    one_pass = _fit(FAMILIES[name], x, inference, weights)
    assert taken and all(taken)  # every E-step of this fit took the one pass
    monkeypatch.setattr(Mixing, "one_pass_summary", lambda *args: None)
    passes = _fit(FAMILIES[name], x, inference, weights)
    assert one_pass.lower_bound_ == pytest.approx(passes.lower_bound_, rel=1e-12, abs=1e-9)
    np.testing.assert_allclose(one_pass.weights_, passes.weights_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(one_pass.components_.natural, passes.components_.natural, rtol=1e-8, atol=1e-9)


def test_a_mixture_with_an_e_step_or_row_priors_of_its_own_keeps_them() -> None:
    @attrs.frozen
    class Own(Mixing):
        def chunk_summary(self, chunk, log_likelihood, logs):  # type: ignore[no-untyped-def]
            return super().chunk_summary(chunk, log_likelihood, logs)

    @attrs.frozen
    class Prior(Mixing):
        def label_log_prior(self, chunk, n_labels):  # type: ignore[no-untyped-def]
            return np.zeros((chunk.n_rows, n_labels))

    x = _data()[:500]
    family, natural = _fitted(mx.Gaussian(), _data())
    logs = (np.log(np.full(N_COMPONENTS, 0.25)),)
    assert Mixing().one_pass_summary(_chunk(x, family), natural, None, logs) is not None
    assert Own().one_pass_summary(_chunk(x, family), natural, None, logs) is None
    assert Prior().one_pass_summary(_chunk(x, family), natural, None, logs) is None


def test_the_vectorised_exp_matches_numpy() -> None:
    from mixtures._softmax import UNDERFLOW, exp_of_nonpositive

    rng = np.random.default_rng(3)
    values = np.concatenate([
        -rng.exponential(50.0, 10_000), -rng.random(10_000), [0.0, -0.0, UNDERFLOW, -745.0, -1e300]
    ])
    found = values.copy()
    exp_of_nonpositive(found)
    want = np.where(values < UNDERFLOW, 0.0, np.exp(values))
    np.testing.assert_allclose(found, want, rtol=3e-16, atol=0)
    assert found[-2] == 0.0 and found[-1] == 0.0  # below 2⁻¹⁰²²: exactly no share
    special = np.array([-np.inf, np.nan])
    exp_of_nonpositive(special)
    assert special[0] == 0.0 and np.isnan(special[1])
