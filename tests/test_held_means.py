"""A part of every component held while the rest is learnt: ``fixed=("means",)`` keeps a
Gaussian's means and learns its spread, as the constrained maximiser (EM), the constrained mode
(MAP-EM) and the constrained variational posterior (VB), for every covariance type, for the
mixture and the HMM (``mixtures.families.held``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import mixtures as mx
from mixtures.priors import default_prior

from helpers import quiet

MEANS = np.array([[0.5, 0.5], [3.0, 0.0]])
FAMILIES = {
    "full": mx.Gaussian,
    "diag": mx.DiagonalGaussian,
    "spherical": mx.SphericalGaussian,
    "tied": mx.TiedGaussian,
}


def data() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal([0, 0], [1, 2], (300, 2)), rng.normal([4, 1], [0.5, 1], (200, 2))])


def exact(kind: str) -> Any:
    """No ridge, statistics in the data's units: the closed forms below hold exactly."""
    return FAMILIES[kind](reg_covar=0.0, feature_scale=1.0)


def given_start(kind: str) -> tuple[np.ndarray, Any]:
    family = exact(kind)
    spread = {
        "full": np.stack([np.eye(2), 2 * np.eye(2)]),
        "diag": np.array([[1.0, 1.0], [2.0, 2.0]]),
        "spherical": np.array([1.0, 2.0]),
        "tied": np.eye(2),
    }[kind]
    return np.array([0.4, 0.6]), family.components_from(MEANS, spread)


def scatter_about(x: np.ndarray, r: np.ndarray, means: np.ndarray) -> np.ndarray:
    """``Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ``: ``(K, D, D)``."""
    offsets = x[None, :, :] - means[:, None, :]
    return np.einsum("nk,kni,knj->kij", r, offsets, offsets)


def spread_of(model: Any, kind: str) -> np.ndarray:
    return model.components_.variance if kind in ("diag", "spherical") else model.components_.covariance


def expected_spread(kind: str, scatter: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The maximum-likelihood spread about the held means, per covariance type."""
    if kind == "full":
        return scatter / counts[:, None, None]
    if kind == "diag":
        return np.diagonal(scatter, axis1=1, axis2=2) / counts[:, None]
    if kind == "spherical":
        return np.trace(scatter, axis1=1, axis2=2) / (2 * counts)
    return scatter.sum(0) / counts.sum()


@pytest.mark.parametrize("kind", sorted(FAMILIES))
def test_em_learns_the_spread_about_the_held_means(kind: str) -> None:
    """One EM step from a given start: the covariance is the responsibility-weighted spread
    about the held means, Σ* = Σ̂ + (μ̂ − μ₀)(μ̂ − μ₀)ᵀ, not the free covariance."""
    x, start = data(), given_start(kind)
    family = exact(kind)
    before = quiet(mx.Mixture(family, 2, init=start, max_iter=0).fit, x)
    r = before.predict_proba(x)
    held = quiet(mx.Mixture(family, 2, init=start, max_iter=1, fixed=("means",)).fit, x)
    free = quiet(mx.Mixture(family, 2, init=start, max_iter=1).fit, x)
    np.testing.assert_allclose(held.components_.mean, MEANS, rtol=1e-12, atol=1e-13)
    expected = expected_spread(kind, scatter_about(x, r, MEANS), r.sum(0))
    np.testing.assert_allclose(spread_of(held, kind), expected, rtol=1e-10)
    assert not np.allclose(spread_of(free, kind), expected, rtol=1e-3)
    np.testing.assert_allclose(held.weights_, r.mean(0), rtol=1e-12)


def test_map_em_is_the_constrained_mode() -> None:
    """Normal-Wishart prior, μ held at μ₀: Σ = (W₀⁻¹ + S_μ₀ + β₀(μ₀ − m₀)(μ₀ − m₀)ᵀ) / (N_k + ν₀ − D)."""
    x, start = data(), given_start("full")
    family = exact("full")
    m0, beta0, nu0, psi = np.array([1.0, -1.0]), 2.0, 6.0, np.array([[2.0, 0.3], [0.3, 1.0]])
    prior = mx.NormalWishart(mean=m0, mean_precision=beta0, dof=nu0, scale=np.linalg.inv(psi))
    r = quiet(mx.Mixture(family, 2, init=start, max_iter=0).fit, x).predict_proba(x)
    model = quiet(mx.Mixture(family, 2, init=start, max_iter=1, prior=prior, fixed=("means",)).fit, x)
    offsets = MEANS - m0
    spread = psi + scatter_about(x, r, MEANS) + beta0 * offsets[:, :, None] * offsets[:, None, :]
    expected = spread / (r.sum(0) + nu0 - 2)[:, None, None]
    np.testing.assert_allclose(model.components_.mean, MEANS, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(model.components_.covariance, expected, rtol=1e-10)


@pytest.mark.parametrize("kind", ["full", "diag", "spherical"])
def test_a_held_location_adds_its_offset_to_the_scale(kind: str) -> None:
    """``with_location(μ₀)``: ``m = μ₀``, ``β`` and the degrees of freedom unchanged, and the
    scale gains ``β (m − μ₀)(m − μ₀)ᵀ`` (its diagonal, or its trace for one spherical rate)."""
    family = exact(kind).for_data(data(), np.ones(500))
    prior = default_prior(family).for_data(family, data(), np.ones(500), 2)
    held_at = np.array([[0.2, -0.4], [1.0, 0.5]])
    held = prior.with_location(held_at)
    np.testing.assert_allclose(held.centred_mean, held_at, rtol=1e-12)
    np.testing.assert_allclose(held.mean_precision, prior.mean_precision, rtol=1e-12)
    offsets = np.asarray(prior.centred_mean) - held_at
    beta = np.broadcast_to(np.asarray(prior.mean_precision, dtype=float), (2,) if kind != "diag" else (2, 2))
    if kind == "full":
        gain = beta[:, None, None] * offsets[:, :, None] * offsets[:, None, :]
        np.testing.assert_allclose(held.inverse_scale, prior.inverse_scale + gain, rtol=1e-10)
        np.testing.assert_allclose(held.dof, prior.dof)
    elif kind == "diag":
        gain = 0.5 * beta * offsets**2
        np.testing.assert_allclose(held.standard_rate, prior.standard_rate + gain, rtol=1e-10)
        np.testing.assert_allclose(held.shape, prior.shape)
    else:
        gain = 0.5 * beta * (offsets**2).sum(1)
        np.testing.assert_allclose(held.rate, prior.rate + gain, rtol=1e-10)
        np.testing.assert_allclose(held.shape, prior.shape)


@pytest.mark.parametrize("kind", sorted(FAMILIES))
@pytest.mark.parametrize("inference", ["em", "map", "vb"])
@pytest.mark.parametrize("model_type", [mx.Mixture, mx.HMM])
def test_held_means_stay_and_the_objective_never_falls(model_type: Any, inference: str, kind: str) -> None:
    x = data()
    family = FAMILIES[kind]()
    settings: dict[str, Any] = {"fixed": ("means",), "max_iter": 30, "tol": 0.0, "random_state": 0}
    if inference == "vb":
        settings["inference"] = "vb"
    if inference == "map":
        settings["prior"] = default_prior(family)
    init = "kmeans++" if inference == "vb" else mx.PartialInit(means=MEANS)
    start = quiet(model_type(family, 2, init=init, max_iter=0, **{
        k: v for k, v in settings.items() if k not in ("fixed", "max_iter")}).fit, x)
    model = quiet(model_type(family, 2, init=init, **settings).fit, x)
    np.testing.assert_allclose(model.components_.mean, start.components_.mean, rtol=1e-12, atol=1e-12)
    assert not np.allclose(spread_of(model, kind), spread_of(start, kind))
    bounds = np.asarray(model.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))


def test_bic_stops_counting_held_means() -> None:
    x = data()
    free = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=0).fit, x)
    held = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=0, fixed=("means",)).fit, x)
    assert free.n_parameters() - held.n_parameters() == 2 * 2
    hmm = quiet(mx.HMM(mx.DiagonalGaussian(), 2, random_state=0, fixed=("means",)).fit, x)
    assert hmm.n_parameters() == 2 * 2 + 1 + 2  # variances, start, transition rows


def test_a_pass_of_batches_with_held_means_is_one_iteration() -> None:
    x, start = data(), given_start("full")
    family = exact("full")
    batch = quiet(mx.Mixture(family, 2, init=start, max_iter=1, fixed=("means",)).fit, x)
    online = mx.Mixture(family, 2, init=start, fixed=("means",), online=mx.ExactPasses())
    for rows in np.array_split(np.arange(500), 3):
        online.partial_fit(x[rows])
    online.end_pass()
    np.testing.assert_allclose(online.components_.covariance, batch.components_.covariance, rtol=1e-9)
    np.testing.assert_allclose(online.components_.mean, MEANS, rtol=1e-12, atol=1e-13)


def test_parts_a_family_cannot_hold_are_refused_naming_it() -> None:
    x = np.random.default_rng(0).poisson(3.0, (100, 2)).astype(float)
    with pytest.raises(ValueError, match=r"fixed must name.*Poisson cannot hold \['means'\]"):
        mx.Mixture(mx.Poisson(), 2, fixed=("means",)).fit(x)
    with pytest.raises(ValueError, match=r"Gaussian cannot hold \['covariances'\]"):
        mx.Mixture(mx.Gaussian(), 2, fixed=("covariances",)).fit(data())
    with pytest.raises(ValueError, match="fixed must"):
        mx.HMM(mx.Gaussian(), 2, fixed=("nonsense",)).fit(data())


def test_held_means_round_trip_through_model_files(tmp_path: Any) -> None:
    model = mx.Mixture(mx.Gaussian(), 2, init=mx.PartialInit(means=MEANS), fixed=("means",))
    quiet(model.fit, data())
    model.save(tmp_path / "held.npz")
    loaded = mx.load(tmp_path / "held.npz")
    assert loaded.fixed == ("means",)
    np.testing.assert_array_equal(loaded.components_.natural, model.components_.natural)
    quiet(loaded.fit, data())
    np.testing.assert_allclose(loaded.components_.mean, MEANS, rtol=1e-12, atol=1e-12)


def test_held_means_on_dask_give_the_numpy_fit() -> None:
    da = pytest.importorskip("dask.array")
    x, start = data(), given_start("diag")
    family = exact("diag")
    local = quiet(mx.Mixture(family, 2, init=start, max_iter=5, fixed=("means",)).fit, x)
    remote = quiet(
        mx.Mixture(family, 2, init=start, max_iter=5, fixed=("means",)).fit, da.from_array(x, chunks=150)
    )
    np.testing.assert_allclose(remote.components_.natural, local.components_.natural, rtol=1e-10)
    np.testing.assert_allclose(remote.components_.mean, MEANS, rtol=1e-12, atol=1e-13)
