"""Parameters stuck on the boundary of the parameter space after EM, for any structure.

EM cannot leave a value at the boundary: an emission parameter at the family's floor (a
probability of ``min_prob``, a rate of ``min_rate``, a ``reg_covar`` ridge) or a latent
probability at exactly 0 gets (almost) no responsibility to move it. Such a value is reported only
when the likelihood rises off it: a boundary that is a maximum is the floor doing its job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.base import ExponentialFamily, empty_components
from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.data import Data
from mixtures.inference.summary import Summary

__all__ = [
    "BOUNDARY_EVIDENCE",
    "BOUNDARY_STEP",
    "NEAR_BOUNDARY",
    "boundary_report",
    "floored_parameters",
    "floors_that_cost",
    "likelihood_rises",
    "stuck_on_boundary",
]

Array = NDArray[np.float64]

#: A component's mean parameter counts as "at the boundary" when it is below this fraction of
#: the pooled data's and the family keeps it off zero (a probability or rate floor, a ridge).
NEAR_BOUNDARY = 1e-6
#: How far a boundary value is moved towards the interior to test it.
BOUNDARY_STEP = 1e-4
#: The log-likelihood that moving an emission parameter off its floor by ``BOUNDARY_STEP`` must
#: gain (nats, over all the data) before it counts as stuck: an observation that needs a
#: probability left at the floor of 1e-10 gains about 10 nats from such a step.
BOUNDARY_EVIDENCE = 1.0


def likelihood_rises(before: float, after: float) -> bool:
    """Whether a log-likelihood rose by more than rounding."""
    return after - before > 1e-10 * max(1.0, abs(before))


def floor_costs_likelihood(before: float, after: float) -> bool:
    """Whether moving an emission parameter off its floor raised the (weighted, total)
    log-likelihood by more than ``BOUNDARY_EVIDENCE`` nats: a value the data really need. A floor
    that costs less is the floor doing its job (a Bernoulli mixture of the digits leaves pixels
    a cluster never shows at the floor, at a cost of thousandths of a nat), not a trap worth a
    warning."""
    return after - before > max(BOUNDARY_EVIDENCE, 1e-10 * abs(before))


def floored_parameters(
    family: ExponentialFamily, mean: Array, statistics: SufficientStatistics
) -> NDArray[np.bool_]:
    """``(K, S)`` mask of the mean parameters ``mean`` at the boundary: below ``NEAR_BOUNDARY``
    times the pooled data's (from ``statistics``), in coordinates the family holds off zero
    (``regularize_mean`` lifts them when they are 0: ``min_prob``, ``min_rate``, ``reg_covar``),
    for the components that hold data. The pooled data themselves are not at the boundary there."""
    pooled = np.abs(statistics.pooled().means())
    small = np.abs(mean) < NEAR_BOUNDARY * pooled
    small[empty_components(statistics)] = False
    if not small.any():
        return small
    zeroed = np.where(small, 0.0, mean)
    return small & (family.regularize_mean(zeroed) > 0)


def nudged(family: ExponentialFamily, natural: Array, k: int, target: Array) -> Array:
    """``natural`` ``(K, S)`` with component ``k``'s mean parameters moved by ``BOUNDARY_STEP``
    towards the mean parameters ``target`` ``(S,)``."""
    mean = family.natural_to_mean(natural[k : k + 1])
    out = natural.copy()
    out[k] = family.mean_to_natural((1.0 - BOUNDARY_STEP) * mean + BOUNDARY_STEP * target)[0]
    return out


def floors_that_cost(
    family: ExponentialFamily,
    natural: Array,
    statistics: SufficientStatistics,
    log_likelihood: float,
    log_likelihood_of: Callable[[Array], float],
) -> dict[int, NDArray[np.bool_]]:
    """Components whose emission parameters sit near the family's floor (``floored_parameters``)
    although moving them off it (towards the pooled data by ``BOUNDARY_STEP``) raises the
    log-likelihood ``log_likelihood_of(natural)`` by more than ``BOUNDARY_EVIDENCE``
    (``floor_costs_likelihood``). ``{k: (S,) mask of the floored columns}``."""
    floored = floored_parameters(family, family.natural_to_mean(natural), statistics)
    pooled = family.regularize_mean(statistics.pooled().means())[0]
    return {
        int(k): floored[k]
        for k in np.flatnonzero(floored.any(1))
        if floor_costs_likelihood(
            log_likelihood, log_likelihood_of(nudged(family, natural, int(k), pooled))
        )
    }


def stuck_on_boundary(
    problem: Any, data: Data, parameters: Any, summary: Summary, start: Any
) -> tuple[dict[int, NDArray[np.bool_]], dict[str, NDArray[np.bool_]]]:
    """What EM (``problem``, an ``ExpectationMaximisation``) left stuck on the boundary at
    ``parameters`` (``summary``: the E-step there): labels whose emission parameters sit at the
    family's floor, and latent probabilities at exactly 0 that are not structural (zero in
    ``start``), each only if the likelihood rises off it. Frozen parameters are not examined.
    Returns ``({label: floored columns}, {"transmat_": zeros, ...})``."""
    before = summary.log_likelihood

    def log_likelihood(moved: Any) -> float:
        return float(problem.e_step(data, moved).log_likelihood)

    stuck: dict[int, NDArray[np.bool_]] = {}
    if "natural" not in problem.frozen:
        stuck = floors_that_cost(
            problem.family, parameters.natural, summary.emissions, before,
            lambda natural: log_likelihood(attrs.evolve(parameters, natural=natural)),
        )
    zeros: dict[str, NDArray[np.bool_]] = {}
    for name, mask, moved in problem.structure.zeros_off_boundary(parameters, start):
        if name not in problem.frozen and likelihood_rises(before, log_likelihood(moved)):
            zeros[f"{name}_"] = zeros.get(f"{name}_", np.zeros_like(mask)) | mask
    return stuck, zeros


def _positions(mask: NDArray[np.bool_], limit: int = 6) -> str:
    places = [str(tuple(int(i) for i in index)) if mask.ndim > 1 else str(int(index[0]))
              for index in np.argwhere(mask)]
    more = f" and {len(places) - limit} more" if len(places) > limit else ""
    return ", ".join(places[:limit]) + more


def boundary_report(
    family: ExponentialFamily,
    stuck: dict[int, NDArray[np.bool_]],
    zeros: dict[str, NDArray[np.bool_]],
    unit: str = "component",
) -> str | None:
    """The text of a ``BoundaryWarning``, or None: probabilities stuck at exactly 0
    (``{"transmat_": mask}``) and labels with emission parameters stuck at the floor."""
    found = [f"{name}[{_positions(mask)}] = 0" for name, mask in zeros.items() if mask.any()]
    found += [
        f"{unit} {k}: {family.name} mean parameter column(s) {_positions(mask)} at the "
        f"family's floor"
        for k, mask in stuck.items()
    ]
    return "; ".join(found) if found else None
