"""EM (Baum-Welch) and variational Bayes for hidden Markov models over any family.

The same machinery as the mixture: each chunk of whole sequences gives the (T, K) component
log-likelihood matrix (one matrix product), the latent posterior comes from forward–backward
instead of a softmax, and the expected statistics — the family's, plus initial-state and
transition counts — are summed over chunks. The updates read only those sums.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import float_array
from mixtures.families.base import ExponentialFamily, empty_components
from mixtures.families.checks import checked_output
from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.data import Chunk, SequenceData
from mixtures.inference.em import (
    BOUNDARY_STEP,
    Responsibilities,
    floors_that_cost,
    likelihood_rises,
)
from mixtures.inference.loop import Trajectory, iterate
from mixtures.inference.sequences import Sequences
from mixtures.latent.markov import forward_backward
from mixtures.latent.weight_priors import DirichletWeights
from mixtures.priors.base import ConjugatePrior

__all__ = [
    "HMMParameters",
    "HMMPosterior",
    "HMMStatistics",
    "chunk_hmm_statistics",
    "emission_log_likelihood",
    "fit_hmm_em",
    "fit_hmm_vb",
    "hmm_e_step",
    "hmm_m_step",
    "statistics_of_responsibilities",
    "stuck_on_boundary",
]

Array = NDArray[np.float64]
#: A state whose expected number of departures is at most this is "never visited".
UNVISITED_COUNT = 1e-10


def _stochastic_rows(instance: object, attribute: attrs.Attribute, value: Array) -> None:
    rows = np.atleast_2d(value)
    if not (
        np.all(np.isfinite(rows))
        and np.all(rows >= 0)
        and np.allclose(rows.sum(-1), 1.0, atol=1e-8)
    ):
        raise ValueError(f"{attribute.name} must be non-negative with rows summing to 1")


@attrs.frozen(eq=False)
class HMMParameters:
    """Initial distribution ``(K,)``, transition matrix ``(K, K)``, emission natural parameters."""

    startprob: Array = attrs.field(converter=float_array, validator=_stochastic_rows)
    transmat: Array = attrs.field(converter=float_array, validator=_stochastic_rows)
    natural: Array = attrs.field(converter=float_array)

    def __attrs_post_init__(self) -> None:
        n_states = self.natural.shape[0]
        if self.startprob.shape != (n_states,) or self.transmat.shape != (n_states, n_states):
            raise ValueError(
                f"startprob {self.startprob.shape} and transmat {self.transmat.shape} do not fit "
                f"{n_states} states"
            )


@attrs.frozen(eq=False)
class HMMStatistics:
    """Summed expected statistics: emissions, initial-state counts, transition counts, and the
    (weighted) log-evidence of the sequences."""

    log_likelihood: float
    emissions: SufficientStatistics
    initial_counts: Array
    transition_counts: Array

    def __add__(self, other: HMMStatistics) -> HMMStatistics:
        return HMMStatistics(
            self.log_likelihood + other.log_likelihood,
            self.emissions + other.emissions,
            self.initial_counts + other.initial_counts,
            self.transition_counts + other.transition_counts,
        )


def emission_log_likelihood(
    family: ExponentialFamily, chunk: Chunk, natural: Array, log_partition: Array | None
) -> Array:
    """Per-row, per-state emission log-likelihoods of a chunk, tempered by its row weights."""
    log_likelihood = chunk.log_likelihood(family, natural, log_partition)
    if not np.all(chunk.weights == 1.0):  # tempered: p(x_t | z)^{w_t}
        log_likelihood = log_likelihood * chunk.weights[:, None]
    return np.ascontiguousarray(log_likelihood)


def _sequences(chunk: Chunk) -> Sequences:
    if chunk.sequences is None:
        raise ValueError("HMM statistics need chunks of whole sequences (data built with lengths)")
    return chunk.sequences


def chunk_hmm_statistics(
    family: ExponentialFamily,
    natural: Array,
    log_initial: Array,
    log_transition: Array,
    log_partition: Array | None,
    chunk: Chunk,
) -> HMMStatistics:
    """Forward–backward over the sequences of one chunk, and their weighted statistics (the
    function ``hmm_e_step`` maps over the chunks, wherever they live)."""
    sequences = _sequences(chunk)
    posterior = forward_backward(
        emission_log_likelihood(family, chunk, natural, log_partition),
        sequences.lengths,
        log_initial,
        log_transition,
    )
    impossible = ~np.isfinite(posterior.log_evidence)
    if impossible.any():
        index = sequences.first + int(np.argmax(impossible))
        raise ValueError(
            f"sequence {index} has zero probability under the model (for example a transition "
            f"forbidden by a structural zero in transmat, or an impossible emission)"
        )
    weighted = posterior.marginals * chunk.full_weights()[:, None]
    return HMMStatistics(
        float(sequences.weights @ posterior.log_evidence),
        chunk.statistics_of(weighted),
        sequences.weights @ posterior.initial_counts,
        np.einsum("s,sij->ij", sequences.weights, posterior.transition_counts),
    )


def hmm_e_step(
    data: SequenceData,
    natural: Array,
    log_initial: Array,
    log_transition: Array,
    log_partition: Array | None = None,
) -> HMMStatistics:
    """Forward–backward over every chunk; statistics weighted by row and sequence weights."""
    return data.data.map_sum(
        functools.partial(
            chunk_hmm_statistics, data.family, natural, log_initial, log_transition, log_partition
        )
    )


def _chunk_statistics_of_responsibilities(chunk: Chunk, rows: Array) -> HMMStatistics:
    """Emissions from the rows, initial counts from first rows, transitions from consecutive
    rows' outer products."""
    sequences = _sequences(chunk)
    first = np.concatenate([[0], np.cumsum(sequences.lengths)[:-1]])
    follows = np.ones(rows.shape[0], dtype=bool)
    follows[first] = False  # a sequence's first row has no predecessor
    transitions = np.einsum(
        "t,ti,tj->ij",
        sequences.of_rows()[follows],
        rows[np.flatnonzero(follows) - 1],
        rows[follows],
    )
    return HMMStatistics(
        0.0,
        chunk.statistics_of(rows * chunk.full_weights()[:, None]),
        sequences.weights @ rows[first],
        transitions,
    )


def _chunk_statistics_of_assignment(
    assign: Callable[[Chunk], Array], chunk: Chunk
) -> HMMStatistics:
    return _chunk_statistics_of_responsibilities(chunk, assign(chunk.as_independent_rows()))


def statistics_of_responsibilities(
    data: SequenceData, responsibilities: Responsibilities
) -> HMMStatistics:
    """Statistics implied by given per-row state probabilities (to initialise): emissions from
    the rows, initial counts from first rows, transitions from consecutive rows' outer products.
    The probabilities are an ``(N, K)`` array, or ``assign(chunk) -> (n, K)`` called on every
    chunk where it lives (it sees the rows as independent, with their full weights)."""
    if callable(responsibilities):
        return data.data.map_sum(
            functools.partial(_chunk_statistics_of_assignment, responsibilities)
        )
    return data.data.map_sum(_chunk_statistics_of_responsibilities, responsibilities)


def _normalised_rows(counts: Array, previous: Array | None) -> tuple[Array, NDArray[np.bool_]]:
    """Rows of ``counts`` (a vector is one row) normalised, and the mask of rows without counts,
    which keep ``previous`` (or become uniform)."""
    matrix = np.atleast_2d(counts)
    totals = matrix.sum(1)
    unvisited = totals <= UNVISITED_COUNT
    rows = matrix / np.where(unvisited, 1.0, totals)[:, None]
    fallback = np.full_like(matrix, 1.0 / matrix.shape[1]) if previous is None else np.atleast_2d(previous)
    rows[unvisited] = fallback[unvisited]
    return rows.reshape(counts.shape), unvisited


def hmm_m_step(
    family: ExponentialFamily,
    statistics: HMMStatistics,
    previous: HMMParameters | None = None,
    prior: ConjugatePrior | None = None,
    fixed: Iterable[str] = (),
) -> tuple[HMMParameters, NDArray[np.bool_]]:
    """New parameters from summed statistics, and the mask of states never left (unvisited).

    ``fixed`` names parameters kept at their previous values: ``"startprob"``, ``"transmat"``,
    ``"components"``.
    """
    keep = frozenset(fixed) if previous is not None else frozenset()
    if "components" in keep:
        natural = previous.natural  # type: ignore[union-attr]
    elif prior is not None:
        natural = prior.update(statistics.emissions).mode()
    else:
        natural = family.maximum_likelihood(
            statistics.emissions, None if previous is None else previous.natural
        )
    natural = checked_output(
        family, "mean_to_natural (in the M-step)", natural, statistics.emissions.sums.shape
    )
    startprob, _ = _normalised_rows(
        statistics.initial_counts, None if previous is None else previous.startprob
    )
    transmat, unvisited = _normalised_rows(
        statistics.transition_counts, None if previous is None else previous.transmat
    )
    return (
        HMMParameters(
            previous.startprob if "startprob" in keep else startprob,  # type: ignore[union-attr]
            previous.transmat if "transmat" in keep else transmat,  # type: ignore[union-attr]
            natural,
        ),
        unvisited,
    )


@attrs.frozen(eq=False)
class HMMFit:
    trajectory: Trajectory
    unvisited: frozenset[int]
    emptied: frozenset[int]


def _log(values: Array) -> Array:
    with np.errstate(divide="ignore"):
        return np.log(values)


def fit_hmm_em(
    data: SequenceData,
    initial: HMMParameters,
    *,
    max_iter: int,
    tol: float,
    prior: ConjugatePrior | None = None,
    fixed: Iterable[str] = (),
) -> HMMFit:
    """Baum-Welch from ``initial``; the objective (per unit weight) is the log-likelihood, plus the
    log prior density of the emissions with a ``prior`` (MAP). It never decreases."""
    family = data.family
    unvisited: set[int] = set()
    emptied: set[int] = set()
    fixed = tuple(fixed)

    def evaluate(parameters: HMMParameters) -> tuple[float, HMMStatistics]:
        statistics = hmm_e_step(
            data, parameters.natural, _log(parameters.startprob), _log(parameters.transmat)
        )
        objective = statistics.log_likelihood
        if prior is not None:
            objective += float(prior.log_density(parameters.natural).sum())
        return objective / data.total_weight, statistics

    def update(statistics: HMMStatistics, parameters: HMMParameters) -> HMMParameters:
        new, never_left = hmm_m_step(family, statistics, parameters, prior, fixed)
        if "transmat" not in fixed:  # a fixed row is not re-estimated, so nothing was kept
            unvisited.update(int(k) for k in np.flatnonzero(never_left))
        emptied.update(int(k) for k in np.flatnonzero(empty_components(statistics.emissions)))
        return new

    trajectory = iterate(initial, evaluate, update, max_iter=max_iter, tol=tol)
    return HMMFit(trajectory, frozenset(unvisited), frozenset(emptied))


@attrs.frozen(eq=False)
class HMMPosterior:
    """``q`` of a variational HMM: emissions, initial distribution, one Dirichlet per row."""

    components: ConjugatePrior
    start: DirichletWeights
    rows: tuple[DirichletWeights, ...]

    def expected_log_transition(self) -> Array:
        return np.stack([row.expected_log_weights() for row in self.rows])

    def mean_transmat(self) -> Array:
        return np.stack([row.mean_weights() for row in self.rows])


@attrs.frozen(eq=False)
class HMMPriors:
    components: ConjugatePrior
    start: DirichletWeights
    rows: tuple[DirichletWeights, ...]

    def update(self, statistics: HMMStatistics) -> HMMPosterior:
        return HMMPosterior(
            self.components.update(statistics.emissions),
            self.start.update(statistics.initial_counts),
            tuple(
                row.update(counts)
                for row, counts in zip(self.rows, statistics.transition_counts, strict=True)
            ),
        )


def vb_e_step(data: SequenceData, q: HMMPosterior) -> HMMStatistics:
    """Forward–backward under the sub-normalised ``E_q[log]`` parameters."""
    return hmm_e_step(
        data,
        q.components.expected_natural(),
        q.start.expected_log_weights(),
        q.expected_log_transition(),
        q.components.expected_log_partition(),
    )


def elbo(statistics: HMMStatistics, q: HMMPosterior, priors: HMMPriors) -> float:
    """``Σ_s w_s log Z̃_s − KL(emissions) − KL(start) − Σ_i KL(row i)``: the log-evidence of the
    forward pass under sub-normalised parameters, minus the KL terms."""
    return (
        statistics.log_likelihood
        - q.components.kl_divergence(priors.components)
        - q.start.kl_divergence(priors.start)
        - sum(row.kl_divergence(prior) for row, prior in zip(q.rows, priors.rows, strict=True))
    )


def fit_hmm_vb(
    data: SequenceData, priors: HMMPriors, initial: HMMPosterior, *, max_iter: int, tol: float
) -> Trajectory:
    """Coordinate ascent on the ELBO (per unit weight) until it changes by less than ``tol``."""

    def evaluate(q: HMMPosterior) -> tuple[float, HMMStatistics]:
        statistics = vb_e_step(data, q)
        return elbo(statistics, q, priors) / data.total_weight, statistics

    def update(statistics: HMMStatistics, q: HMMPosterior) -> HMMPosterior:
        return priors.update(statistics)

    return iterate(initial, evaluate, update, max_iter=max_iter, tol=tol)


def _towards(values: Array, allowed: NDArray[np.bool_]) -> Array:
    """``values`` (a distribution) moved by ``BOUNDARY_STEP`` towards uniform over ``allowed``."""
    uniform = allowed / allowed.sum()
    return (1.0 - BOUNDARY_STEP) * values + BOUNDARY_STEP * uniform


def stuck_on_boundary(
    data: SequenceData,
    parameters: HMMParameters,
    statistics: HMMStatistics,
    structural: tuple[NDArray[np.bool_], NDArray[np.bool_]],
    fixed: Iterable[str] = (),
) -> tuple[dict[int, NDArray[np.bool_]], dict[str, NDArray[np.bool_]]]:
    """What Baum-Welch left stuck on the boundary: states whose emission parameters sit at the
    family's floor, and start or transition probabilities at exactly 0 (other than the
    ``structural`` zeros of the start and ``fixed`` parameters), each only if the likelihood
    rises when the value is moved off the boundary by ``BOUNDARY_STEP`` (towards the pooled
    data, or towards uniform). Returns ``({state: floored columns}, {"startprob_": zeros,
    "transmat_": zeros})``."""
    family, fixed = data.family, frozenset(fixed)
    before = statistics.log_likelihood

    def log_likelihood(startprob: Array, transmat: Array, natural: Array) -> float:
        return hmm_e_step(data, natural, _log(startprob), _log(transmat)).log_likelihood

    stuck: dict[int, NDArray[np.bool_]] = {}
    if "components" not in fixed:
        stuck = floors_that_cost(
            family, parameters.natural, statistics.emissions, before,
            lambda natural: log_likelihood(parameters.startprob, parameters.transmat, natural),
        )
    zeros = {
        "startprob_": np.zeros(parameters.startprob.shape, dtype=bool),
        "transmat_": np.zeros(parameters.transmat.shape, dtype=bool),
    }
    start_zero = (parameters.startprob == 0) & ~structural[0]
    if "startprob" not in fixed and start_zero.any():
        moved = _towards(parameters.startprob, ~structural[0])
        if likelihood_rises(before, log_likelihood(moved, parameters.transmat, parameters.natural)):
            zeros["startprob_"] = start_zero
    transition_zero = (parameters.transmat == 0) & ~structural[1]
    for i in np.flatnonzero(transition_zero.any(1)) if "transmat" not in fixed else ():
        transmat = parameters.transmat.copy()
        transmat[i] = _towards(transmat[i], ~structural[1][i])
        if likelihood_rises(before, log_likelihood(parameters.startprob, transmat, parameters.natural)):
            zeros["transmat_"][i] = transition_zero[i]
    return stuck, zeros
