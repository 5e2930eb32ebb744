"""One component's log-density equals scipy.stats for every built-in family."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given

from mixtures.testing import BUILTIN_CASES
from mixtures.testing.strategies import Problem, problems

CASES = {case.name: case for case in BUILTIN_CASES}


def _reference(problem: Problem) -> np.ndarray:
    """``log p(x_n | component k)`` computed by scipy from the conventional parameters."""
    family, x = problem.family, problem.x
    components = family.components(problem.natural)
    columns = []
    for k in range(len(components)):
        name = problem.case.name
        if name in ("gaussian", "tied"):
            covariance = components.covariance if name == "gaussian" else None
            cov = covariance[k] if covariance is not None else components.covariance
            columns.append(st.multivariate_normal(components.mean[k], cov).logpdf(x))
        elif name == "diagonal":
            scale = np.sqrt(components.variance[k])
            columns.append(st.norm(components.mean[k], scale).logpdf(x).sum(1))
        elif name == "spherical":
            scale = np.sqrt(components.variance[k])
            columns.append(st.norm(components.mean[k], scale).logpdf(x).sum(1))
        elif name == "bernoulli":
            columns.append(st.bernoulli(components.probs[k]).logpmf(x).sum(1))
        elif name == "poisson":
            columns.append(st.poisson(components.rate[k]).logpmf(x).sum(1))
        elif name == "categorical":
            probs = components.probs[k]
            per_feature = [
                st.multinomial(1, probs[d]).logpmf(np.eye(probs.shape[1])[x[:, d].astype(int)])
                for d in range(x.shape[1])
            ]
            columns.append(np.sum(per_feature, axis=0))
        elif name == "multinomial":  # each row with its own number of trials
            columns.append(st.multinomial(x.sum(1).astype(int), components.probabilities[k]).logpmf(x))
        else:  # pragma: no cover - every registered family needs a reference here
            raise AssertionError(f"no scipy reference for {name}")
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_density_matches_scipy(name: str) -> None:
    @given(problems(CASES[name]))
    def run(problem: Problem) -> None:
        ours = problem.family.log_likelihood(problem.x, problem.natural)
        np.testing.assert_allclose(ours, _reference(problem), rtol=1e-9, atol=1e-9)

    run()


def test_every_registered_family_has_a_reference() -> None:
    assert {
        "gaussian", "tied", "diagonal", "spherical", "bernoulli", "poisson", "categorical", "multinomial"
    } == set(
        CASES
    )
