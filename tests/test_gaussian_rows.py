"""The Gaussians' rows read in cache-sized blocks by compiled kernels give what the generic path
(``T(x)`` formed once, one matrix product per question) gives, on any number of threads."""

from __future__ import annotations

import numpy as np
import pytest

import mixtures as mx
import mixtures._row_tasks as row_tasks
from mixtures.families.gaussian_rows import GaussianRows, TiedGaussianRows
from mixtures.families.row_statistics import StatisticsMatrix
from mixtures.latent.mixture import mixture_posterior

from helpers import GAUSSIAN_KERNEL_FAMILIES

N_ROWS = 40_003  # several ranges of rows and a last block that is not full
N_COMPONENTS = 4

FAMILIES = GAUSSIAN_KERNEL_FAMILIES


def _problem(family: mx.ExponentialFamily) -> tuple[mx.ExponentialFamily, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(N_ROWS, 3)) * np.array([1.0, 10.0, 0.1])
    fitted = family.for_data(x, np.ones(N_ROWS))
    model = mx.Mixture(fitted, N_COMPONENTS, max_iter=3, tol=0.0, random_state=0)
    with pytest.warns(mx.ConvergenceWarning):
        model.fit(x)
    return model.family_, x, model.components_.natural


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_blocks_give_the_statistics_matrix_results(name: str) -> None:
    family, x, natural = _problem(FAMILIES[name])
    rows, matrix = family.row_statistics(x), StatisticsMatrix.of(family, x)
    assert isinstance(rows, GaussianRows) and rows.nbytes == 0  # a view of x, nothing held
    expected = matrix.log_likelihood(natural)
    np.testing.assert_allclose(rows.log_likelihood(natural), expected, rtol=1e-12, atol=1e-10)
    expected_log_partition = family.log_partition(natural) + 0.25  # as VB passes E_q[A(η)]
    np.testing.assert_allclose(
        rows.log_likelihood(natural, expected_log_partition),
        matrix.log_likelihood(natural, expected_log_partition), rtol=1e-12, atol=1e-10,
    )
    responsibilities = mixture_posterior(expected, np.log(np.full(N_COMPONENTS, 1 / N_COMPONENTS)))
    weighted = responsibilities.responsibilities * np.linspace(0.5, 2.0, N_ROWS)[:, None]
    got, want = rows.summed(weighted), matrix.summed(weighted)
    np.testing.assert_allclose(got.counts, want.counts, rtol=1e-12)
    np.testing.assert_allclose(got.sums, want.sums, rtol=1e-11, atol=1e-9)


def test_tied_rows_take_the_general_kernel_when_precisions_differ() -> None:
    family, x, _ = _problem(mx.TiedGaussian())
    _, _, natural = _problem(mx.Gaussian())  # one precision per component
    rows = family.row_statistics(x)
    assert isinstance(rows, TiedGaussianRows)
    np.testing.assert_allclose(
        rows.log_likelihood(natural), StatisticsMatrix.of(family, x).log_likelihood(natural),
        rtol=1e-12, atol=1e-10,
    )


@pytest.mark.parametrize("name", ["full", "diagonal"])
def test_results_do_not_depend_on_the_threads(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    family, x, natural = _problem(FAMILIES[name])
    rows = family.row_statistics(x)
    weighted = mixture_posterior(rows.log_likelihood(natural), np.zeros(N_COMPONENTS)).responsibilities
    answers = []
    for threads in (1, 3):
        monkeypatch.setattr(row_tasks, "thread_count", lambda threads=threads: threads)
        answers.append((rows.log_likelihood(natural), rows.summed(weighted).sums))
    np.testing.assert_array_equal(answers[0][0], answers[1][0])
    np.testing.assert_array_equal(answers[0][1], answers[1][1])


def test_a_failing_range_raises_in_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(row_tasks, "thread_count", lambda: 2)

    def ranges(start: int, stop: int) -> int:
        if start == 30:
            raise ZeroDivisionError("range 30")
        return stop - start

    assert row_tasks.map_row_ranges(ranges, 25, 10) == [10, 10, 5]
    with pytest.raises(ZeroDivisionError, match="range 30"):
        row_tasks.map_row_ranges(ranges, 45, 10)
