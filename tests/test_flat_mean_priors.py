"""Gaussian priors with ``mean_precision = 0``: a flat prior on the mean, for MAP-EM only.

The density is the precision's prior alone (Wishart or Gamma, in ``(μ, Λ)``), the posterior an
ordinary Normal-Wishart / Normal-Gamma, the mode the maximiser of log-likelihood + that density;
variational Bayes refuses it, naming ``mean_precision``; every prior with ``β > 0`` is unchanged.
"""

from __future__ import annotations

import warnings
from typing import Any

import attrs
import numpy as np
import pytest
import scipy.stats

import mixtures as mx
from mixtures.families import DiagonalGaussian, Gaussian, SphericalGaussian, TiedGaussian
from mixtures.priors import NormalGamma, NormalWishart, SphericalNormalGamma, TiedNormalWishart

INVERSE_SCALE = np.diag([2.0, 3.0, 1.0])  # W⁻¹
RATES = np.array([1.0, 2.0, 3.0])


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)) * [1.0, 2.0, 3.0] + 5.0
    responsibilities = np.zeros((50, 2))
    responsibilities[:30, 0] = responsibilities[30:, 1] = 1.0
    return x, np.ones(50), responsibilities


def _scatter(x: np.ndarray) -> np.ndarray:
    centred = x - x.mean(0)
    return centred.T @ centred


# each case: (family in the data's own units, flat prior, its β = 1 twin)
CASES: dict[str, tuple[Any, Any, Any]] = {
    "full": (
        Gaussian(feature_scale=1.0),
        NormalWishart(mean=0.0, mean_precision=0.0, dof=6.0, scale=np.linalg.inv(INVERSE_SCALE)),
        NormalWishart(mean=0.0, mean_precision=1.0, dof=6.0, scale=np.linalg.inv(INVERSE_SCALE)),
    ),
    "tied": (
        TiedGaussian(feature_scale=1.0),
        TiedNormalWishart(mean=0.0, mean_precision=0.0, dof=5.0, scale=np.linalg.inv(INVERSE_SCALE)),
        TiedNormalWishart(mean=0.0, mean_precision=1.0, dof=5.0, scale=np.linalg.inv(INVERSE_SCALE)),
    ),
    "diag": (
        DiagonalGaussian(feature_scale=1.0),
        NormalGamma(mean=0.0, mean_precision=0.0, shape=2.0, rate=RATES),
        NormalGamma(mean=0.0, mean_precision=1.0, shape=2.0, rate=RATES),
    ),
    "spherical": (
        SphericalGaussian(feature_scale=1.0),
        SphericalNormalGamma(mean=0.0, mean_precision=0.0, shape=2.0, rate=3.0),
        SphericalNormalGamma(mean=0.0, mean_precision=1.0, shape=2.0, rate=3.0),
    ),
}


def _resolved(kind: str, which: int) -> tuple[Any, Any]:
    x, weights, _ = _data()
    family = CASES[kind][0].for_data(x, weights)
    return family, CASES[kind][which].for_data(family, x, weights, 2)


def _precision_log_prior(kind: str, components: Any) -> np.ndarray:
    """The precision's own prior (Wishart or Gamma) at ``components``, per component."""
    if kind == "full":
        wishart = scipy.stats.wishart(df=6.0, scale=np.linalg.inv(INVERSE_SCALE))
        return np.array([wishart.logpdf(np.linalg.inv(c)) for c in components.covariance])
    if kind == "tied":  # one shared precision: its density split evenly over the two components
        wishart = scipy.stats.wishart(df=5.0, scale=np.linalg.inv(INVERSE_SCALE))
        return np.full(2, wishart.logpdf(np.linalg.inv(components.covariance)) / 2)
    if kind == "diag":
        return scipy.stats.gamma(2.0, scale=1 / RATES).logpdf(1 / components.variance).sum(1)
    return scipy.stats.gamma(2.0, scale=1 / 3.0).logpdf(1 / components.variance)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_flat_mean_prior_is_the_precisions_prior_alone(kind: str) -> None:
    """log_density at any point is the Wishart's / Gamma's, whatever the means."""
    family, prior = _resolved(kind, 1)
    x, weights, responsibilities = _data()
    natural = prior.update(family.expected_statistics(x, responsibilities, weights)).mode()
    components = family.components(natural)
    expected = _precision_log_prior(kind, components)
    np.testing.assert_allclose(prior.log_density(natural), expected, rtol=1e-10)
    if kind == "tied":
        moved = family.components_from(components.mean + 7.0, components.covariance)
    else:
        spread = components.variance if kind in ("diag", "spherical") else components.covariance
        moved = family.components_from(components.mean + 7.0, spread)
    np.testing.assert_allclose(prior.log_density(family.natural_of(moved)), expected, rtol=1e-10)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_posterior_and_mode_of_a_flat_mean_prior(kind: str) -> None:
    """Posterior β = N and the data mean; the mode maximises log-likelihood + the precision's
    prior: Σ = (W⁻¹ + S)/(ν + N − D − 1) (tied: pooled), σ² = (2·rate + S)/(2·shape − 2 + N·d)."""
    family, prior = _resolved(kind, 1)
    x, weights, responsibilities = _data()
    posterior = prior.update(family.expected_statistics(x, responsibilities, weights))
    counts = np.asarray(posterior.mean_precision).reshape(2, -1)
    np.testing.assert_allclose(counts, np.array([[30.0], [20.0]]) * np.ones_like(counts))
    components = family.components(posterior.mode())
    parts = (x[:30], x[30:])
    np.testing.assert_allclose(components.mean, [part.mean(0) for part in parts], rtol=1e-12)
    if kind == "full":
        expected = [(INVERSE_SCALE + _scatter(part)) / (6.0 + len(part) - 4) for part in parts]
        np.testing.assert_allclose(components.covariance, expected, rtol=1e-10)
        np.testing.assert_allclose(posterior.dof, [6.0 + 29, 6.0 + 19])  # ν + N − 1
    elif kind == "tied":
        pooled = INVERSE_SCALE + _scatter(parts[0]) + _scatter(parts[1])
        np.testing.assert_allclose(components.covariance, pooled / (5.0 + 50 - 4), rtol=1e-10)
    elif kind == "diag":
        expected = [(2 * RATES + np.diag(_scatter(part))) / (2 * 2.0 - 2 + len(part)) for part in parts]
        np.testing.assert_allclose(components.variance, expected, rtol=1e-10)
        np.testing.assert_allclose(posterior.shape, [[2.0 + 29 / 2] * 3, [2.0 + 19 / 2] * 3])
    else:
        expected = [(6.0 + np.trace(_scatter(part))) / (2 * 2.0 - 2 + 3 * len(part)) for part in parts]
        np.testing.assert_allclose(components.variance, expected, rtol=1e-10)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_natural_hyperparameters_round_trip(kind: str) -> None:
    """β = 0 survives χ, ν and back (the same dof or shape, the same scale or rate); its precision
    counts are one less than its β > 0 twin's, whose are as before (ν − D, 1 + 2(shape − 1)/d)."""
    _, flat = _resolved(kind, 1)
    chi, counts = flat.natural_hyperparameters()
    back = flat.with_natural_hyperparameters(chi, counts)
    for name in ("mean_precision", "dof", "shape", "rate", "scale"):
        if hasattr(flat, name):
            np.testing.assert_allclose(getattr(back, name), getattr(flat, name), rtol=1e-12)
    _, proper = _resolved(kind, 2)
    proper_counts = proper.natural_hyperparameters()[1]
    n_groups = counts.shape[1] // 2
    np.testing.assert_allclose(proper_counts[:, n_groups:] - counts[:, n_groups:], 1.0, rtol=1e-12)
    expected = {
        "full": 6.0 - 3,
        "tied": (2 + 5.0 - 3 - 1) / 2,
        "diag": 1 + 2 * (2.0 - 1),
        "spherical": 1 + 2 * (2.0 - 1) / 3,
    }
    np.testing.assert_allclose(proper_counts[:, n_groups:], expected[kind], rtol=1e-12)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_map_em_with_a_flat_mean_prior_never_decreases_its_objective(kind: str) -> None:
    x, _, _ = _data()
    prior = CASES[kind][1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        model = mx.Mixture(kind, 2, prior=prior, max_iter=30, tol=0.0, random_state=0).fit(x)
    bounds = np.asarray(model.lower_bounds_)
    assert len(bounds) > 5 and np.all(np.diff(bounds) >= -1e-12 * np.abs(bounds[1:]))


@pytest.mark.parametrize("kind", sorted(CASES))
def test_variational_bayes_refuses_a_flat_mean_prior(kind: str) -> None:
    x, _, _ = _data()
    name = type(CASES[kind][1]).__name__
    with pytest.raises(ValueError, match=rf"{name}\.mean_precision is 0 .* MAP-EM"):
        mx.Mixture(kind, 2, prior=CASES[kind][1], inference="vb", random_state=0).fit(x)
    _, resolved = _resolved(kind, 1)
    for use in (resolved.expected_natural, lambda: resolved.sample_natural(1, np.random.default_rng(0))):
        with pytest.raises(ValueError, match="mean_precision"):
            use()
    with pytest.raises(ValueError, match="mean_precision"):
        resolved.log_predictive(x)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_resolved_flat_mean_prior_passes_its_checks(kind: str) -> None:
    """What a model file's loading runs: β = 0 is in the domain, β < 0 is not."""
    family, prior = _resolved(kind, 1)
    prior.check_resolved(family, 2, 3)
    negative = {"mean_precision": -np.asarray(_resolved(kind, 2)[1].mean_precision)}
    with pytest.raises(ValueError, match="mean_precision"):
        attrs.evolve(prior, **negative).check_resolved(family, 2, 3)


def test_tied_members_with_and_without_a_normal_on_their_mean() -> None:
    """A group's Λ gains |Λ|^½ only from members whose β > 0: mixed β keep the shared dof."""
    x, weights, responsibilities = _data()
    family = TiedGaussian(feature_scale=1.0).for_data(x, weights)
    prior = TiedNormalWishart(
        mean=0.0, mean_precision=[0.0, 2.0], dof=5.0, scale=np.linalg.inv(INVERSE_SCALE)
    ).for_data(family, x, weights, 2)
    back = prior.with_natural_hyperparameters(*prior.natural_hyperparameters())
    np.testing.assert_allclose(back.dof, [5.0, 5.0])
    np.testing.assert_allclose(back.mean_precision, [0.0, 2.0])
    posterior = prior.update(family.expected_statistics(x, responsibilities, weights))
    components = family.components(posterior.mode())
    second = x[30:]
    mean = (2.0 * 0.0 + second.sum(0)) / (2.0 + 20)  # the prior's mean is 0 in the data's units
    np.testing.assert_allclose(components.mean[1], mean, rtol=1e-10)
    scatter = _scatter(x[:30]) + (second - mean).T @ (second - mean) + 2.0 * np.outer(mean, mean)
    # |Λ| exponent: (ν − D − 1) + 1 (the member with β > 0) + N
    expected = (INVERSE_SCALE + scatter) / (5.0 - 4 + 1 + 50)
    np.testing.assert_allclose(components.covariance, expected, rtol=1e-10)
