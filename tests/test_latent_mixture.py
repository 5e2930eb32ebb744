"""The latent mixture's pure functions against direct computation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mixtures.latent import log_mixture_weights, mixture_posterior, mixture_weights

finite = st.floats(-700, 50, allow_nan=False)


@given(arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 6)), elements=finite), st.data())
def test_posterior_is_softmax_and_evidence_is_logsumexp(log_likelihood, data) -> None:
    k = log_likelihood.shape[1]
    weights = data.draw(arrays(np.float64, k, elements=st.floats(0.01, 1.0)))
    weights = weights / weights.sum()
    posterior = mixture_posterior(log_likelihood, np.log(weights))
    joint = log_likelihood + np.log(weights)
    expected = scipy.special.logsumexp(joint, axis=1)
    np.testing.assert_allclose(posterior.log_evidence, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(posterior.responsibilities, scipy.special.softmax(joint, axis=1), atol=1e-12)
    np.testing.assert_allclose(posterior.responsibilities.sum(1), 1.0)


def test_input_untouched_unless_overwrite() -> None:
    values = np.array([[0.0, 1.0], [2.0, -1.0]])
    copy = values.copy()
    mixture_posterior(values, np.log([0.5, 0.5]))
    np.testing.assert_array_equal(values, copy)
    posterior = mixture_posterior(values, np.log([0.5, 0.5]), overwrite=True)
    assert posterior.responsibilities is values


def test_zero_weight_and_impossible_rows() -> None:
    log_weights = log_mixture_weights(np.array([1.0, 0.0]))
    assert log_weights[1] == -np.inf
    posterior = mixture_posterior(np.array([[-1.0, 5.0], [-np.inf, -np.inf]]), log_weights)
    np.testing.assert_allclose(posterior.responsibilities[0], [1.0, 0.0])
    assert posterior.log_evidence[0] == -1.0
    assert posterior.log_evidence[1] == -np.inf
    np.testing.assert_allclose(posterior.responsibilities[1], [0.5, 0.5])


def test_a_row_with_nan_or_plus_inf_is_impossible_and_leaves_the_others_alone() -> None:
    # the softmax finds such rows by the NaN their shifted entries make in the row's sum
    values = np.array([[0.0, 1.0, 2.0], [np.nan, 0.0, 1.0], [np.inf, 0.0, 1.0],
                       [-np.inf, -np.inf, -np.inf], [3.0, -np.inf, 1.0]])
    log_weights = np.log([0.2, 0.3, 0.5])
    row_weights = np.array([1.0, 2.0, 3.0, 4.0, 0.5])
    with np.errstate(all="raise"):  # no warning from the impossible rows
        posterior = mixture_posterior(values, log_weights, row_weights=row_weights)
    np.testing.assert_array_equal(posterior.log_evidence[1:4], -np.inf)
    for row in (1, 2, 3):
        np.testing.assert_allclose(posterior.responsibilities[row], row_weights[row] / 3)
    for row in (0, 4):
        joint = values[row] + log_weights
        assert posterior.log_evidence[row] == pytest.approx(scipy.special.logsumexp(joint), abs=1e-12)
        np.testing.assert_allclose(posterior.responsibilities[row],
                                   row_weights[row] * scipy.special.softmax(joint), atol=1e-12)


def test_weights_update_normalises_counts() -> None:
    np.testing.assert_allclose(mixture_weights(np.array([1.0, 3.0])), [0.25, 0.75])
