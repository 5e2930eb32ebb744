"""Properties every exponential family must satisfy, as plain assertion functions.

Each takes a ``Problem`` (a family, a dataset from its support and valid natural parameters) so
it can be driven by hypothesis (see ``check_family``) or called directly in a user's own tests.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from hypothesis import reject
from numpy.typing import NDArray

from mixtures.exceptions import (
    ConvergenceWarning,
    DegenerateComponentError,
    EmptyComponentWarning,
)
from mixtures.testing.strategies import Problem

__all__ = [
    "assert_elbo_monotone",
    "assert_em_monotone",
    "assert_gradient_is_mean",
    "assert_map_em_monotone",
    "assert_round_trip",
    "assert_statistics_add",
    "assert_weights_duplicate",
]

Array = NDArray[np.float64]


def _close(actual: Array, expected: Array, rtol: float, what: str, atol: float = 0.0) -> None:
    scale = np.maximum(np.abs(expected), 1.0)
    error = np.abs(actual - expected) / scale
    if not np.all(error <= rtol + atol):
        worst = np.unravel_index(np.argmax(error), error.shape)
        raise AssertionError(
            f"{what}: mismatch at index {tuple(int(i) for i in worst)}: "
            f"{actual[worst]!r} vs {expected[worst]!r} (scaled error {error[worst]:.3g} > {rtol})"
        )


def assert_gradient_is_mean(problem: Problem, rtol: float = 1e-5) -> None:
    """``natural_to_mean(η)`` equals the central finite difference of ``log_partition`` at ``η``."""
    family, natural = problem.family, problem.natural
    n_components, n_statistics = natural.shape
    step = 1e-6 * np.maximum(np.abs(natural), 1.0)
    gradient = np.empty_like(natural)
    for s in range(n_statistics):  # one coordinate at a time, all components together
        shifted = np.zeros_like(natural)
        shifted[:, s] = step[:, s]
        upper = family.log_partition(natural + shifted)
        lower = family.log_partition(natural - shifted)
        gradient[:, s] = (upper - lower) / (2 * step[:, s])
    mean = family.natural_to_mean(natural)
    assert mean.shape == (n_components, n_statistics), f"natural_to_mean shape {mean.shape}"
    _close(gradient, mean, rtol, f"{family.name}: ∇A(η) vs natural_to_mean(η)")


def assert_round_trip(problem: Problem, rtol: float = 1e-7) -> None:
    """``mean_to_natural(natural_to_mean(η)) == η`` and back again."""
    family, natural = problem.family, problem.natural
    mean = family.natural_to_mean(natural)
    _close(family.mean_to_natural(mean), natural, rtol, f"{family.name}: natural→mean→natural")
    _close(family.natural_to_mean(family.mean_to_natural(mean)), mean, rtol,
           f"{family.name}: mean→natural→mean")


def assert_statistics_add(problem: Problem, n_parts: int = 3) -> None:
    """Statistics of a dataset split into parts add up to those of the whole."""
    family, x = problem.family, problem.x
    rng = problem.rng()
    responsibilities: Array = rng.dirichlet(np.ones(problem.natural.shape[0]), size=x.shape[0])
    weights = np.asarray(rng.uniform(0.0, 2.0, size=x.shape[0]), dtype=np.float64)
    whole = family.expected_statistics(x, responsibilities, weights)
    cuts = np.sort(rng.integers(0, x.shape[0] + 1, size=n_parts - 1))
    parts = [
        family.expected_statistics(x[a:b], responsibilities[a:b], weights[a:b])
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, x.shape[0]], strict=True)
    ]
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    _close(total.counts, whole.counts, 1e-12, f"{family.name}: split counts")
    _close(total.sums, whole.sums, 1e-10, f"{family.name}: split sums")


def assert_weights_duplicate(problem: Problem) -> None:
    """Integer sample weights give the statistics of duplicated rows."""
    family, x = problem.family, problem.x
    rng = problem.rng()
    responsibilities: Array = rng.dirichlet(np.ones(problem.natural.shape[0]), size=x.shape[0])
    repeats = rng.integers(0, 4, size=x.shape[0])
    weighted = family.expected_statistics(x, responsibilities, np.asarray(repeats, dtype=np.float64))
    duplicated = family.expected_statistics(
        np.repeat(x, repeats, axis=0), np.repeat(responsibilities, repeats, axis=0)
    )
    _close(weighted.counts, duplicated.counts, 1e-12, f"{family.name}: weighted counts")
    _close(weighted.sums, duplicated.sums, 1e-10, f"{family.name}: weighted sums")


def assert_em_monotone(problem: Problem, max_iter: int = 25, rtol: float = 1e-9) -> None:
    """EM's log-likelihood never decreases from one iteration to the next.

    Draws on which the maximum-likelihood estimate does not exist (a component collapses and its
    family raises ``DegenerateComponentError``) are rejected, not failed.
    """
    from mixtures.models.mixture import Mixture  # the estimator sits above the testing kit

    n_components = min(problem.natural.shape[0], problem.x.shape[0])
    model = Mixture(
        problem.family, n_components, init="random", max_iter=max_iter, tol=0.0,
        random_state=problem.seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", EmptyComponentWarning)
        try:
            model.fit(problem.x)
        except DegenerateComponentError:
            reject()
    bounds = np.asarray(model.lower_bounds_)
    drops = bounds[:-1] - bounds[1:]
    allowed = rtol * np.maximum(np.abs(bounds[:-1]), 1.0)
    if np.any(drops > allowed):
        step = int(np.argmax(drops - allowed))
        raise AssertionError(
            f"{problem.family.name}: EM log-likelihood decreased at iteration {step + 1}: "
            f"{bounds[step]!r} -> {bounds[step + 1]!r}"
        )


def _fit_quietly(model: Any, x: Array) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", EmptyComponentWarning)
        try:
            model.fit(x)
        except DegenerateComponentError:
            reject()


def _assert_non_decreasing(bounds: Array, rtol: float, what: str) -> None:
    drops = bounds[:-1] - bounds[1:]
    allowed = rtol * np.maximum(np.abs(bounds[:-1]), 1.0)
    if np.any(drops > allowed):
        step = int(np.argmax(drops - allowed))
        raise AssertionError(
            f"{what} decreased at iteration {step + 1}: {bounds[step]!r} -> {bounds[step + 1]!r}"
        )


def _default_prior_or_none(problem: Problem) -> Any:
    from mixtures.priors import default_prior

    try:
        return default_prior(problem.family)
    except ValueError:
        return None  # a family without a conjugate prior has no VB or MAP to check


def assert_elbo_monotone(problem: Problem, max_iter: int = 25, rtol: float = 1e-9) -> None:
    """Variational Bayes with the family's default prior never decreases its ELBO."""
    from mixtures.models.mixture import Mixture

    prior = _default_prior_or_none(problem)
    if prior is None:
        return
    n_components = min(problem.natural.shape[0], problem.x.shape[0])
    model = Mixture(
        problem.family, n_components, inference="vb", prior=prior, init="random",
        max_iter=max_iter, tol=0.0, random_state=problem.seed,
    )
    _fit_quietly(model, problem.x)
    _assert_non_decreasing(np.asarray(model.lower_bounds_), rtol, f"{problem.family.name}: ELBO")


def assert_map_em_monotone(problem: Problem, max_iter: int = 25, rtol: float = 1e-9) -> None:
    """MAP-EM (EM with the default prior) never decreases log-likelihood + log prior."""
    from mixtures.models.mixture import Mixture

    prior = _default_prior_or_none(problem)
    if prior is None:
        return
    n_components = min(problem.natural.shape[0], problem.x.shape[0])
    model = Mixture(
        problem.family, n_components, prior=prior, init="random", max_iter=max_iter, tol=0.0,
        random_state=problem.seed,
    )
    try:
        _fit_quietly(model, problem.x)
    except ValueError as error:  # a prior without a mode (e.g. too few degrees of freedom)
        if "no mode" in str(error):
            reject()
        raise
    _assert_non_decreasing(
        np.asarray(model.lower_bounds_), rtol, f"{problem.family.name}: MAP-EM objective"
    )
