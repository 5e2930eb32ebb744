"""Properties every exponential family must satisfy, as plain assertion functions.

Each takes a ``Problem`` (a family, a dataset from its support and valid natural parameters) so
it can be driven by hypothesis (see ``check_family``) or called directly in a user's own tests.
"""

from __future__ import annotations

import itertools
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
from mixtures.priors.base import default_prior
from mixtures.testing.strategies import Problem
from mixtures.testing.support import Support, support_of

__all__ = [
    "assert_density_normalises",
    "assert_elbo_monotone",
    "assert_em_monotone",
    "assert_gradient_is_mean",
    "assert_map_em_monotone",
    "assert_missing_is_marginal",
    "assert_ml_matches_empirical_mean",
    "assert_prior_expectations",
    "assert_round_trip",
    "assert_sample_moments",
    "assert_statistics_add",
    "assert_weights_duplicate",
    "support",
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
    # near the edge of a bounded natural domain (a rate of 1e-7 is η = −1e-7) an absolute step
    # leaves the domain: there the step is relative to η alone
    step_inside = np.where(natural != 0.0, 1e-6 * np.abs(natural), step)
    gradient = np.empty_like(natural)
    for s in range(n_statistics):  # one coordinate at a time, all components together
        difference = np.full(n_components, np.nan)
        for steps in (step, step_inside):
            redo = ~np.isfinite(difference)
            if not redo.any():
                break
            shifted = np.zeros_like(natural)
            shifted[:, s] = steps[:, s]
            with np.errstate(invalid="ignore", divide="ignore"):
                upper = family.log_partition(natural + shifted)
                lower = family.log_partition(natural - shifted)
            difference[redo] = ((upper - lower) / (2 * steps[:, s]))[redo]
        gradient[:, s] = difference
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


def _assert_fit_monotone(
    problem: Problem, what: str, max_iter: int, rtol: float, **settings: Any
) -> None:
    """Fit ``Mixture(family, K, **settings)`` from random responsibilities with ``tol=0`` and
    check its objective never falls by more than ``rtol`` (relative) from one iteration to the next.

    Draws on which the estimate does not exist — a component collapses and its family raises
    ``DegenerateComponentError``, or a prior has no mode — are rejected, not failed.
    """
    from mixtures.models.mixture import Mixture  # the estimator sits above the testing kit

    n_components = min(problem.natural.shape[0], problem.x.shape[0])
    model = Mixture(
        problem.family, n_components, init="random", max_iter=max_iter, tol=0.0,
        random_state=problem.seed, **settings,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", EmptyComponentWarning)
        try:
            model.fit(problem.x)
        except DegenerateComponentError:
            reject()
        except ValueError as error:
            if "no mode" not in str(error):
                raise
            reject()
    bounds = np.asarray(model.lower_bounds_)
    drops = bounds[:-1] - bounds[1:]
    allowed = rtol * np.maximum(np.abs(bounds[:-1]), 1.0)
    if np.any(drops > allowed):
        step = int(np.argmax(drops - allowed))
        raise AssertionError(
            f"{problem.family.name}: {what} decreased at iteration {step + 1}: "
            f"{bounds[step]!r} -> {bounds[step + 1]!r}"
        )


def _default_prior_or_none(problem: Problem) -> Any:
    try:
        return default_prior(problem.family)
    except ValueError:
        return None  # a family without a conjugate prior has no VB or MAP to check


def assert_em_monotone(problem: Problem, max_iter: int = 25, rtol: float = 1e-9) -> None:
    """EM's log-likelihood never decreases from one iteration to the next."""
    _assert_fit_monotone(problem, "EM log-likelihood", max_iter, rtol)


def assert_elbo_monotone(problem: Problem, max_iter: int = 25, rtol: float = 1e-9) -> None:
    """Variational Bayes with the family's default prior never decreases its ELBO."""
    prior = _default_prior_or_none(problem)
    if prior is not None:
        _assert_fit_monotone(problem, "ELBO", max_iter, rtol, inference="vb", prior=prior)


def assert_map_em_monotone(problem: Problem, max_iter: int = 25, rtol: float = 1e-9) -> None:
    """MAP-EM (EM with the default prior) never decreases log-likelihood + log prior."""
    prior = _default_prior_or_none(problem)
    if prior is not None:
        _assert_fit_monotone(problem, "MAP-EM objective", max_iter, rtol, prior=prior)


def support(problem: Problem, feature: int = 0) -> Support:
    """The support of one feature of the problem's family (see ``mixtures.testing.support``)."""
    return support_of(problem.family, problem.x, feature, bounds=problem.case.support_bounds)


def _integer_grid(problem: Problem, where: Support, feature: int = 0) -> Array:
    """The integers of the support of ``feature`` around the data: a wide margin on each
    unbounded side, and only the values ``validate`` accepts (in the first row of the data)."""
    family, column = problem.family, problem.x[:, feature]
    width = 3.0 * float(np.abs(column).max()) + 60.0
    low = max(where.low, float(np.floor(column.min())) - width)
    high = min(where.high, float(np.ceil(column.max())) + width)
    grid = np.arange(low, high + 1.0)

    def rows(values: Array) -> Array:
        out = np.repeat(problem.x[:1], values.size, axis=0)
        out[:, feature] = values
        return out

    if _accepted(family, rows(grid)):  # one call in the usual case of an interval
        return grid
    return grid[[_accepted(family, rows(np.array([value]))) for value in grid]]


def _integral(problem: Problem, integrand: Any, feature: int = 0, pieces: int = 32) -> Array:
    """``∫ integrand(t) dt`` over the support of ``feature`` (a sum over its integers for a
    discrete family); ``integrand`` maps points ``(n,)`` to values ``(n, ...)``. Continuous
    supports are integrated piecewise between quantiles of the data (parameters come from the
    data, so their mass lies among them, and narrow peaks are resolved), plus the tails."""
    import scipy.integrate

    where = support(problem, feature)
    if where.integer:
        return np.asarray(integrand(_integer_grid(problem, where, feature)).sum(0), dtype=np.float64)
    column = problem.x[:, feature]
    inner = np.unique(np.quantile(column, np.linspace(0.0, 1.0, pieces + 1)))
    spread = float(inner[-1] - inner[0]) + 1.0
    edges = np.concatenate([[inner[0] - 10 * spread], inner, [inner[-1] + 10 * spread]])
    edges = np.unique(np.clip(edges, where.low, where.high))
    edges = np.concatenate([[where.low], edges, [where.high]])
    with np.errstate(over="ignore", invalid="ignore"):
        total = sum(
            scipy.integrate.quad_vec(lambda t: integrand(np.array([t]))[0], a, b, epsabs=1e-12,
                                     epsrel=1e-10)[0]
            for a, b in itertools.pairwise(edges)
            if b > a
        )
    return np.asarray(total, dtype=np.float64)


def _accepted(family: Any, x: Array) -> bool:
    try:
        family.validate(x)
    except ValueError:
        return False
    return True


def assert_density_normalises(problem: Problem, atol: float = 1e-6) -> None:
    """Each component's density sums (discrete) or integrates (continuous) to one over the
    family's support, in 1-D. The support comes from the family (``support_bounds``,
    ``data_support()``) or from what its ``validate`` accepts; failures name the bounds used."""
    family, natural, x = problem.family, problem.natural, problem.x
    if x.shape[1] != 1:
        return  # checked in one dimension
    where = support(problem)

    def density(points: Array) -> Array:
        return np.exp(family.log_likelihood(points[:, None], natural))

    mass = _integral(problem, density)
    mass = np.asarray(mass, dtype=np.float64)
    error = np.where(np.isfinite(mass), np.abs(mass - 1.0), np.inf)  # a NaN mass is a failure
    if np.any(error > atol):
        k = int(np.argmax(error))
        raise AssertionError(
            f"{family.name}: density does not normalise over {where.describe()}: component {k} "
            f"has total mass {mass[k]!r}"
        )


def assert_sample_moments(problem: Problem, n_draws: int = 20000) -> None:
    """Samples of each component lie in the support (``validate`` accepts them) and have mean
    sufficient statistics ``natural_to_mean`` (6 s.e.)."""
    family, natural = problem.family, problem.natural
    rng = problem.rng()
    try:
        labels = np.repeat(np.arange(natural.shape[0]), n_draws)
        draws = family.sample(natural, labels, rng)
    except NotImplementedError:
        return  # a family that cannot sample has nothing to check here
    try:
        family.validate(draws)
    except ValueError as refusal:
        raise AssertionError(
            f"{family.name}: sample() drew values outside the support its validate accepts: "
            f"{refusal}"
        ) from refusal
    statistics = family.sufficient_statistics(draws).reshape(natural.shape[0], n_draws, -1)
    error = statistics.std(1) / np.sqrt(n_draws)
    gap = np.abs(statistics.mean(1) - family.natural_to_mean(natural))
    if np.any(gap > 6 * error + 1e-9 * (1 + np.abs(family.natural_to_mean(natural)))):
        k, s = (int(i) for i in np.unravel_index(np.argmax(gap - 6 * error), gap.shape))
        raise AssertionError(
            f"{family.name}: sample mean of statistic {s} of component {k} is "
            f"{statistics.mean(1)[k, s]!r}, natural_to_mean says {family.natural_to_mean(natural)[k, s]!r}"
        )


def assert_ml_matches_empirical_mean(problem: Problem) -> None:
    """The maximum-likelihood update of one component is moment matching: its mean parameters
    are the empirical mean of ``T(x)`` (up to the family's boundary regularisation). A family
    that ties runs of components gets one run, each member holding an equal share of every row."""
    family, x = problem.family, problem.x
    run = family.component_multiple
    statistics = family.expected_statistics(x, np.full((x.shape[0], run), 1.0 / run))
    try:
        natural = family.maximum_likelihood(statistics)
    except DegenerateComponentError:
        reject()
    empirical = family.sufficient_statistics(x).mean(0, keepdims=True)
    expected = np.repeat(family.regularize_mean(empirical), run, axis=0)
    _close(family.natural_to_mean(natural), expected, 1e-7,
           f"{family.name}: maximum-likelihood mean parameters vs empirical mean of T(x)", atol=1e-9)


def assert_prior_expectations(problem: Problem, n_draws: int = 20000) -> None:
    """With a conjugate prior: ``E_q[η]`` and ``E_q[A(η)]`` of a posterior match Monte Carlo
    (6 s.e.), ``KL(q‖q) = 0`` and ``KL(q‖p) ≥ 0``."""
    prior = _default_prior_or_none(problem)
    if prior is None:
        return
    family, x = problem.family, problem.x
    k = problem.natural.shape[0]
    resolved = prior.for_data(family, x, np.ones(x.shape[0]), k)
    rng = problem.rng()
    posterior = resolved.update(
        family.expected_statistics(x, rng.dirichlet(np.ones(k), size=x.shape[0]))
    )
    draws = posterior.sample_natural(n_draws, rng)
    error = draws.std(0) / np.sqrt(n_draws)
    if np.any(np.abs(draws.mean(0) - posterior.expected_natural()) > 6 * error + 1e-9):
        raise AssertionError(f"{family.name}: prior E_q[η] does not match Monte Carlo")
    subset = draws[: n_draws // 4]  # one batched call: log_partition takes any number of rows
    partitions = family.log_partition(subset.reshape(-1, subset.shape[-1])).reshape(subset.shape[:2])
    error = partitions.std(0) / np.sqrt(partitions.shape[0])
    if np.any(np.abs(partitions.mean(0) - posterior.expected_log_partition()) > 6 * error + 1e-9):
        raise AssertionError(f"{family.name}: prior E_q[A(η)] does not match Monte Carlo")
    if abs(posterior.kl_divergence(posterior)) > 1e-9 or posterior.kl_divergence(resolved) < -1e-9:
        raise AssertionError(f"{family.name}: KL(q‖q) must be 0 and KL(q‖p) >= 0")


def assert_missing_is_marginal(problem: Problem, atol: float = 1e-6) -> None:
    """For a family that marginalises missing values (``completion``): the density of a row
    with a set ``M`` of entries missing, integrated (or summed) over one more entry ``j``, is
    the density with ``M ∪ {j}`` missing, so the completion's densities are the marginals; with
    nothing missing it is the family's density, with everything missing 1. From the complete
    row, the expected statistics of ``x_j`` given the rest match the integral of ``T(x)``
    against the conditional density.

    A family that cannot marginalise raises ``CannotMarginalise`` (``check_family`` skips this
    property for it, with a note).
    """
    family, natural, x = problem.family, problem.natural, problem.x
    rng = problem.rng()
    n_components, n_features = natural.shape[0], x.shape[1]
    row = x[rng.integers(x.shape[0])][None, :]
    nothing = np.zeros_like(row, dtype=bool)
    _close(family.completion(row, nothing, natural).log_likelihood, family.log_likelihood(row, natural),
           1e-10, f"{family.name}: completion of a row with nothing missing vs its density", atol=1e-10)
    _close(family.completion(row, ~nothing, natural).log_likelihood, np.zeros((1, n_components)), 0.0,
           f"{family.name}: completion of a row with everything missing (density 1)", atol=1e-10)
    feature = int(rng.integers(n_features))
    missing: NDArray[np.bool_] = np.asarray(rng.random(n_features) < 0.5)
    missing[feature] = False
    if missing.all():
        return
    more = missing.copy()
    more[feature] = True
    completion = family.completion(row, more[None, :], natural)
    reference = completion.log_likelihood[0]  # log p(x_o), M ∪ {j} missing
    with_statistics = not missing.any()

    def conditional(points: Array) -> Array:
        rows = np.repeat(row, points.size, axis=0)
        rows[:, feature] = points
        mask = np.repeat(missing[None, :], points.size, axis=0)
        ratio = np.exp(family.completion(rows, mask, natural).log_likelihood - reference)
        if not with_statistics:
            return ratio
        moments = ratio[:, :, None] * family.sufficient_statistics(rows)[:, None, :]
        return np.concatenate([ratio, moments.reshape(points.size, -1)], axis=1)

    total = _integral(problem, conditional, feature, pieces=4)  # a smooth conditional density
    mass = total[:n_components]
    error = np.where(np.isfinite(mass), np.abs(mass - 1.0), np.inf)
    if np.any(error > atol):
        k = int(np.argmax(error))
        raise AssertionError(
            f"{family.name}: with entries {np.flatnonzero(missing).tolist()} of a row missing, its "
            f"density integrated over entry {feature} is not the density with that entry missing "
            f"too: component {k} gives a ratio {mass[k]!r}, not 1"
        )
    if with_statistics:
        expected = total[n_components:].reshape(n_components, -1)
        for k in range(n_components):
            one_hot = np.zeros((1, n_components))
            one_hot[0, k] = 1.0
            _close(completion.statistics(one_hot)[k], expected[k], 1e-6,
                   f"{family.name}: expected statistics of entry {feature} given the rest, "
                   f"component {k}", atol=1e-8)
