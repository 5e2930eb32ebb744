"""The tied Normal-Wishart prior couples its components through one Wishart, so its normaliser is
checked jointly: gradients of the summed log-normaliser, Monte Carlo expectations, KL, splits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mixtures as mx


def _resolved(seed: int, n_components: int, n_features: int):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8 * (n_features + 1), n_features)) @ np.triu(
        rng.uniform(0.3, 1.0, (n_features, n_features))
    ) + rng.uniform(-3, 3, n_features)
    family = mx.TiedGaussian().for_data(x, np.ones(x.shape[0]))
    prior = mx.TiedNormalWishart(
        mean_precision=rng.uniform(0.3, 2.0, n_components), dof=n_features + 1.5
    ).for_data(family, x, np.ones(x.shape[0]), n_components)
    responsibilities = rng.dirichlet(np.ones(n_components), size=x.shape[0])
    return x, family, prior, responsibilities


cases = st.tuples(st.integers(0, 2**31 - 1), st.integers(1, 3), st.integers(1, 3))


@given(cases)
def test_gradient_of_joint_normaliser(case) -> None:
    _, _, prior, _ = _resolved(*case)
    chi, counts = prior.natural_hyperparameters()

    def total(c: np.ndarray, n: np.ndarray) -> float:
        return float(prior.log_normalizer_of(c, n).sum())

    gradient = np.zeros_like(chi)
    for index in np.ndindex(*chi.shape):
        step = np.zeros_like(chi)
        step[index] = 1e-6 * max(1.0, abs(chi[index]))
        gradient[index] = (total(chi + step, counts) - total(chi - step, counts)) / (2 * step[index])
    np.testing.assert_allclose(gradient, prior.expected_natural(), rtol=1e-5, atol=1e-6)
    blocks = np.zeros_like(counts)
    for index in np.ndindex(*counts.shape):
        step = np.zeros_like(counts)
        step[index] = 1e-6
        blocks[index] = -(total(chi, counts + step) - total(chi, counts - step)) / 2e-6
    np.testing.assert_allclose(blocks, prior.expected_log_partition_blocks(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_monte_carlo_expectations(seed: int) -> None:
    _, family, prior, _ = _resolved(seed, 2, 2)
    draws = prior.sample_natural(40000, np.random.default_rng(seed))
    error = draws.std(0) / np.sqrt(draws.shape[0])
    assert np.all(np.abs(draws.mean(0) - prior.expected_natural()) < 6 * error + 1e-12)
    partitions = np.array([family.log_partition(d) for d in draws[:20000]])
    error = partitions.std(0) / np.sqrt(partitions.shape[0])
    assert np.all(np.abs(partitions.mean(0) - prior.expected_log_partition()) < 6 * error)


@given(cases)
def test_kl_and_split_additivity(case) -> None:
    x, family, prior, responsibilities = _resolved(*case)
    posterior = prior.update(family.expected_statistics(x, responsibilities))
    assert posterior.kl_divergence(posterior) == pytest.approx(0.0, abs=1e-9)
    assert posterior.kl_divergence(prior) > 0
    assert prior.kl_divergence(posterior) > 0
    half = x.shape[0] // 2
    split = prior.update(family.expected_statistics(x[:half], responsibilities[:half])).update(
        family.expected_statistics(x[half:], responsibilities[half:])
    )
    np.testing.assert_allclose(split.inverse_scale, posterior.inverse_scale, rtol=1e-12)
    np.testing.assert_allclose(split.mean, posterior.mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(split.dof, posterior.dof, rtol=1e-14)
    # the shared Wishart: one dof and one scale, counting every sample once
    assert np.ptp(posterior.dof) == 0 and posterior.dof[0] == pytest.approx(prior.dof[0] + x.shape[0])


def test_tied_map_em_mode_and_predictive() -> None:
    x, family, prior, responsibilities = _resolved(3, 2, 2)
    posterior = prior.update(family.expected_statistics(x, responsibilities))
    mode = posterior.mode()
    best = posterior.log_density(mode).sum()
    rng = np.random.default_rng(0)
    for _ in range(20):  # perturbations that keep the tie: shift means, scale the shared precision
        components = family.components(mode)
        moved = family.components_from(
            components.mean + 1e-3 * rng.standard_normal(components.mean.shape),
            components.covariance * (1 + 1e-3 * rng.standard_normal()),
        )
        assert posterior.log_density(family.natural_of(moved)).sum() < best
    predictive = posterior.log_predictive(x)
    assert predictive.shape == (x.shape[0], 2) and np.all(np.isfinite(predictive))
