"""After VB, the posterior predictive density of rows with missing values is that of their
observed entries: the Student-t predictive's marginal (same degrees of freedom, the observed
sub-blocks), checked against scipy on the observed sub-vector; priors without such a marginal
refuse, naming themselves."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import mixtures as mx
from mixtures.priors import NormalGamma, NormalWishart, SphericalNormalGamma, TiedNormalWishart

MEANS = np.array([[0.0, 0.0, 0.0, 0.0], [4.0, 4.0, -2.0, 1.0], [-3.0, 5.0, 3.0, -1.0]])
MIXING = np.array([[1.0, 0, 0, 0], [0.5, 1, 0, 0], [0, 0.3, 1, 0], [0.2, 0, -0.4, 1]])


def holed(n_rows: int, share: float, seed: int = 0) -> np.ndarray:
    """Correlated clusters in data units far from 0 and 1 (scaled and offset), with ``share``
    of the entries missing at random."""
    rng = np.random.default_rng(seed)
    x = MEANS[rng.integers(0, 3, n_rows)] + rng.normal(size=(n_rows, 4)) @ MIXING
    x = 100.0 + x * np.array([1.0, 10.0, 0.1, 3.0])
    x[rng.random(x.shape) < share] = np.nan
    return x


def fitted(family: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        return mx.Mixture(family, 3, inference="vb", max_iter=20, random_state=0,
                          missing="marginalize").fit(holed(300, 0.2))


FITTED = {name: fitted(family()) for name, family in {
    "full": mx.Gaussian, "tied": mx.TiedGaussian, "diag": mx.DiagonalGaussian,
    "spherical": mx.SphericalGaussian,
}.items()}


def student_t_parts(prior: Any, k: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """Component ``k``'s predictive, in the data's units, as independent Student-t factors:
    ``(features, location, shape, degrees of freedom)`` each."""
    family = prior.family
    units = family.scale_for(prior.mean.shape[1])
    if isinstance(prior, NormalWishart):  # and TiedNormalWishart
        beta, nu = np.asarray(prior.mean_precision)[k], np.asarray(prior.dof)[k]
        dof = nu + 1 - prior.mean.shape[1]
        shape = (1 + beta) / (dof * beta) * np.linalg.inv(np.asarray(prior.scale)[k])
        return [(np.arange(units.size), prior.mean[k], shape, dof)]
    # the spherical prior's rate is in standardised units, the diagonal one's standard_rate
    rate = prior.rate if isinstance(prior, SphericalNormalGamma) else prior.standard_rate
    a, b, beta = (np.atleast_1d(np.asarray(v)[k]) for v in (prior.shape, rate, prior.mean_precision))
    spread = b * (beta + 1) / (a * beta) * np.ones(units.size)
    if isinstance(prior, SphericalNormalGamma):
        return [(np.arange(units.size), prior.mean[k], np.diag(spread * units**2), 2 * a[0])]
    assert isinstance(prior, NormalGamma)
    return [(np.array([d]), prior.mean[k][[d]], np.diag(spread[[d]] * units[d] ** 2), 2 * a[d])
            for d in range(units.size)]


def scipy_predictive(prior: Any, row: np.ndarray) -> np.ndarray:
    """``log p(x_obs | data, k)`` per component by scipy on the observed sub-vector."""
    observed = ~np.isnan(row)
    out = np.zeros(prior.mean.shape[0])
    for k in range(out.size):
        for features, location, shape, dof in student_t_parts(prior, k):
            kept = observed[features]
            if kept.any():
                student = scipy.stats.multivariate_t(
                    loc=location[kept], shape=shape[np.ix_(kept, kept)], df=dof
                )
                out[k] += student.logpdf(row[features][kept])
    return out


@pytest.mark.parametrize("kind", list(FITTED))
@settings(max_examples=25, deadline=None)
@given(st.data())
def test_the_predictive_of_observed_entries_is_scipys_marginal(kind: str, data: st.DataObject) -> None:
    model = FITTED[kind]
    prior = model.posterior_.components
    row = holed(1, 0.0, seed=data.draw(st.integers(0, 1000)))[0]
    missing = np.array(data.draw(st.lists(st.booleans(), min_size=4, max_size=4)))
    row[missing] = np.nan
    expected = scipy_predictive(prior, row)
    actual = prior.log_predictive_observed(np.where(missing, 100.0, row)[None], missing[None])[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", list(FITTED))
def test_score_samples_of_incomplete_rows_is_the_mixture_of_marginals(kind: str) -> None:
    model = FITTED[kind]
    x = holed(40, 0.3, seed=9)
    x[3] = np.nan  # nothing observed: density 1
    prior = model.posterior_.components
    log_weights = np.log(model.weights_)  # E[π]
    expected = [np.logaddexp.reduce(scipy_predictive(prior, row) + log_weights) for row in x]
    np.testing.assert_allclose(model.score_samples(x), expected, rtol=1e-10, atol=1e-10)
    assert model.score_samples(x)[3] == pytest.approx(0.0, abs=1e-12)
    complete = ~np.isnan(x).any(1)
    np.testing.assert_allclose(model.score_samples(x)[complete], model.score_samples(x[complete]), rtol=1e-12)


def test_complete_rows_agree_with_the_full_predictive() -> None:
    for model in FITTED.values():
        prior = model.posterior_.components
        x = holed(30, 0.0, seed=4)
        no_missing = np.zeros(x.shape, dtype=bool)
        np.testing.assert_allclose(prior.log_predictive_observed(x, no_missing), prior.log_predictive(x),
                                   rtol=1e-10)


def test_priors_without_a_marginal_predictive_refuse_naming_themselves() -> None:
    rng = np.random.default_rng(0)
    x = rng.poisson(3.0, size=(200, 3)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = mx.Mixture(mx.Poisson(), 2, inference="vb", max_iter=5, random_state=0).fit(x)
    with pytest.raises(ValueError, match=r"not available for a Gamma prior .*log_predictive_observed"):
        model.posterior_.components.log_predictive_observed(x[:2], np.eye(3, dtype=bool)[:2])


def test_tied_prior_is_covered() -> None:
    assert isinstance(FITTED["tied"].posterior_.components, TiedNormalWishart)
