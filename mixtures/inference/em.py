"""Expectation–maximisation for a mixture of any exponential family.

The E-step turns each chunk's statistics into the (N, K) log-likelihood matrix (one matrix
product), the latent posterior (a softmax) and the chunk's expected statistics (one product
``rᵀ T(x)``); the statistics of all chunks are summed. The M-step reads only those sums.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import float_array
from mixtures.families.base import ExponentialFamily, empty_components
from mixtures.families.checks import checked_output
from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.data import Chunk, Data
from mixtures.inference.loop import Trajectory, iterate
from mixtures.latent.mixture import log_mixture_weights, mixture_posterior, mixture_weights
from mixtures.priors.base import ConjugatePrior

__all__ = [
    "EStep",
    "MixtureParameters",
    "Responsibilities",
    "boundary_report",
    "chunk_e_step",
    "chunk_posterior",
    "e_step",
    "fit_em",
    "floors_that_cost",
    "likelihood_rises",
    "m_step",
    "statistics_of_responsibilities",
]

Array = NDArray[np.float64]


def _weights_valid(instance: MixtureParameters, attribute: attrs.Attribute, value: Array) -> None:
    if value.ndim != 1 or value.shape[0] != instance.natural.shape[0]:
        raise ValueError(
            f"weights must have shape (K,) = ({instance.natural.shape[0]},); got {value.shape}"
        )
    if not (np.all(np.isfinite(value)) and np.all(value >= 0) and abs(value.sum() - 1) < 1e-8):
        raise ValueError(f"weights must be non-negative and sum to 1; got {value}")


def _natural_valid(instance: MixtureParameters, attribute: attrs.Attribute, value: Array) -> None:
    if value.ndim != 2 or not np.all(np.isfinite(value)):
        raise ValueError(f"natural parameters must be a finite (K, S) array; got {value.shape}")


@attrs.frozen(eq=False)
class MixtureParameters:
    """Mixing weights ``(K,)`` and component natural parameters ``(K, S)``."""

    natural: Array = attrs.field(converter=float_array, validator=_natural_valid)
    weights: Array = attrs.field(converter=float_array, validator=_weights_valid)

    @property
    def n_components(self) -> int:
        return int(self.weights.shape[0])


@attrs.frozen(eq=False)
class EStep:
    """What one pass over the data yields: ``Σ_n w_n log p(x_n)`` and the summed statistics."""

    log_likelihood: float
    statistics: SufficientStatistics

    def __add__(self, other: EStep) -> EStep:
        return EStep(self.log_likelihood + other.log_likelihood, self.statistics + other.statistics)


def chunk_posterior(
    family: ExponentialFamily,
    chunk: Chunk,
    natural: Array,
    log_weights: Array,
    log_partition: Array | None = None,
) -> tuple[Array, Array]:
    """Responsibilities ``(n, K)`` and ``log p(x_n)`` ``(n,)`` for one chunk.

    ``log_partition=None`` uses ``A(η)`` exactly (EM); VB passes ``E_q[A(η)]``.
    """
    log_likelihood = chunk.log_likelihood(family, natural, log_partition)
    posterior = mixture_posterior(log_likelihood, log_weights, overwrite=True)
    return posterior.responsibilities, posterior.log_evidence


def chunk_e_step(
    family: ExponentialFamily,
    natural: Array,
    log_weights: Array,
    log_partition: Array | None,
    chunk: Chunk,
) -> EStep:
    """The E-step of one chunk: its weighted log-evidence and expected statistics (the function
    ``e_step`` maps over the chunks, wherever they live)."""
    responsibilities, log_evidence = chunk_posterior(
        family, chunk, natural, log_weights, log_partition
    )
    counted = chunk.weights > 0
    if not np.all(np.isfinite(log_evidence[counted])):
        row = chunk.rows.start + int(np.argwhere(~np.isfinite(log_evidence) & counted)[0][0])
        raise ValueError(f"sample {row} has zero likelihood under every component of {family.name}")
    responsibilities *= chunk.weights[:, None]
    log_likelihood = float(chunk.weights[counted] @ log_evidence[counted])
    return EStep(log_likelihood, chunk.statistics_of(responsibilities))


def e_step(
    data: Data,
    natural: Array,
    log_weights: Array,
    log_partition: Array | None = None,
) -> EStep:
    """One pass over all chunks: summed log-evidence and expected statistics.

    ``log_partition=None`` uses ``A(η)`` exactly (EM); VB passes ``E_q[η]`` as ``natural`` and
    ``E_q[A(η)]`` here. The chunks' E-steps run where the data live (``data.map_sum``).
    """
    return data.map_sum(
        functools.partial(chunk_e_step, data.family, natural, log_weights, log_partition)
    )


def m_step(
    family: ExponentialFamily,
    statistics: SufficientStatistics,
    previous: MixtureParameters | None = None,
    prior: ConjugatePrior | None = None,
) -> MixtureParameters:
    """Weights and components from summed statistics alone: maximum likelihood, or with a
    ``prior`` the mode of its posterior (MAP; the weights stay maximum-likelihood)."""
    if prior is None:
        natural = family.maximum_likelihood(statistics, None if previous is None else previous.natural)
    else:
        natural = prior.update(statistics).mode()
    natural = checked_output(
        family, "mean_to_natural (in the M-step)", natural, statistics.sums.shape
    )
    counts = statistics.counts
    if previous is None and np.any(counts <= 0):
        counts = counts + np.finfo(np.float64).eps * counts.sum()  # every component starts alive
    return MixtureParameters(natural, mixture_weights(counts))


#: Starting responsibilities: an ``(N, K)`` matrix, or made chunk by chunk by a picklable
#: ``assign(chunk) -> (n, K)`` (see ``initialization``) so that no ``(N, K)`` matrix is formed.
Responsibilities = Array | Callable[[Chunk], Array]


def _weighted_statistics(chunk: Chunk, responsibilities: Array) -> SufficientStatistics:
    return chunk.statistics_of(responsibilities * chunk.weights[:, None])


def _statistics_of_assignment(
    assign: Callable[[Chunk], Array], chunk: Chunk
) -> SufficientStatistics:
    return _weighted_statistics(chunk, assign(chunk))


def statistics_of_responsibilities(
    data: Data, responsibilities: Responsibilities
) -> SufficientStatistics:
    """Summed statistics for given responsibilities (used to initialise): an ``(N, K)`` array,
    or ``assign(chunk) -> (n, K)`` called on every chunk where it lives."""
    if callable(responsibilities):
        return data.map_sum(functools.partial(_statistics_of_assignment, responsibilities))
    return data.map_sum(_weighted_statistics, responsibilities)


@attrs.frozen(eq=False)
class EMResult:
    trajectory: Trajectory[MixtureParameters]
    emptied: frozenset[int]


def fit_em(
    data: Data,
    initial: MixtureParameters,
    *,
    max_iter: int,
    tol: float,
    prior: ConjugatePrior | None = None,
) -> EMResult:
    """Iterate E- and M-steps from ``initial`` until the per-sample objective changes by less
    than ``tol`` or ``max_iter`` M-steps have run.

    The objective is the log-likelihood, plus with a ``prior`` (MAP-EM) the log prior density of
    the components in the coordinates whose mode the M-step takes; either never decreases. The
    returned trajectory's last objective is that of the returned parameters.
    """
    family = data.family
    emptied: set[int] = set()

    def evaluate(parameters: MixtureParameters) -> tuple[float, EStep]:
        result = e_step(data, parameters.natural, log_mixture_weights(parameters.weights))
        objective = result.log_likelihood
        if prior is not None:
            objective += float(prior.log_density(parameters.natural).sum())
        return objective / data.total_weight, result

    def update(result: EStep, parameters: MixtureParameters) -> MixtureParameters:
        emptied.update(int(k) for k in np.flatnonzero(empty_components(result.statistics)))
        return m_step(family, result.statistics, parameters, prior)

    trajectory = iterate(initial, evaluate, update, max_iter=max_iter, tol=tol)
    return EMResult(trajectory, frozenset(emptied))


#: A component's mean parameter counts as "at the boundary" when it is below this fraction of
#: the pooled data's and the family keeps it off zero (a probability or rate floor, a ridge).
NEAR_BOUNDARY = 1e-6


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


#: How far ``stuck_on_boundary`` moves a boundary value towards the interior to test it.
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
    log-likelihood, ``log_likelihood_of(natural)`` of any latent structure, by more than
    ``BOUNDARY_EVIDENCE`` (``floor_costs_likelihood``): EM is stuck there, since a value at the
    floor gets (almost) no responsibility to move it. A boundary that is a maximum is not
    reported. ``{k: (S,) mask of the floored columns}``."""
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
    data: Data, parameters: MixtureParameters, statistics: SufficientStatistics, log_likelihood: float
) -> dict[int, NDArray[np.bool_]]:
    """``floors_that_cost`` for a mixture: ``{k: (S,) mask of the floored columns}``."""
    log_weights = log_mixture_weights(parameters.weights)
    return floors_that_cost(
        data.family, parameters.natural, statistics, log_likelihood,
        lambda natural: e_step(data, natural, log_weights).log_likelihood,
    )


def _positions(mask: NDArray[np.bool_], limit: int = 6) -> str:
    places = [str(tuple(int(i) for i in index)) if mask.ndim > 1 else str(int(index[0]))
              for index in np.argwhere(mask)]
    more = f" and {len(places) - limit} more" if len(places) > limit else ""
    return ", ".join(places[:limit]) + more


def boundary_report(
    family: ExponentialFamily,
    stuck: dict[int, NDArray[np.bool_]],
    zeros: dict[str, NDArray[np.bool_]],
    component: str = "component",
) -> str | None:
    """The text of a ``BoundaryWarning``, or None: probabilities stuck at exactly 0
    (``{"transmat_": mask}``) and components with emission parameters stuck at the floor
    (``stuck_on_boundary``)."""
    found = [f"{name}[{_positions(mask)}] = 0" for name, mask in zeros.items() if mask.any()]
    found += [
        f"{component} {k}: {family.name} mean parameter column(s) {_positions(mask)} at the "
        f"family's floor"
        for k, mask in stuck.items()
    ]
    return "; ".join(found) if found else None
