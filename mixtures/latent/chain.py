"""The hidden Markov chain as a latent structure: ``z_0 ~ startprob``,
``z_t | z_{t−1} ~ transmat[z_{t−1}]``.

The E-step of a chunk of whole sequences is forward–backward over its ``(T, K)`` emission
log-likelihoods (tempered by the rows' weights: ``p(x_t | z)^{w_t}``); its latent counts are the
expected initial states and transitions, weighted by the sequences' weights. The update
normalises them row by row; under VB each of the start and the ``K`` transition rows has a
Dirichlet distribution updated by the same counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import float_array, weighted_total
from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.boundary import BOUNDARY_STEP
from mixtures.inference.data import Chunk, Sequences
from mixtures.inference.summary import Summary
from mixtures.latent.markov import MarkovPosterior, forward_backward
from mixtures.latent.structure import LatentLogs, LatentStructure
from mixtures.priors.base import ConjugatePrior
from mixtures.priors.weights import DirichletWeights

__all__ = [
    "UNVISITED_COUNT",
    "ChainPrior",
    "HMMParameters",
    "HMMPosterior",
    "HMMPriors",
    "MarkovChain",
    "log_probabilities",
    "normalised_rows",
    "rows_off_boundary",
    "stochastic_rows",
    "tempered",
]

Array = NDArray[np.float64]
#: A state whose expected number of departures is at most this is "never visited".
UNVISITED_COUNT = 1e-10


def stochastic_rows(instance: object, attribute: attrs.Attribute, value: Array) -> None:
    """attrs validator: finite, non-negative rows summing to one (a vector is one row)."""
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

    startprob: Array = attrs.field(converter=float_array, validator=stochastic_rows)
    transmat: Array = attrs.field(converter=float_array, validator=stochastic_rows)
    natural: Array = attrs.field(converter=float_array)

    def __attrs_post_init__(self) -> None:
        n_states = self.natural.shape[0]
        if self.startprob.shape != (n_states,) or self.transmat.shape != (n_states, n_states):
            raise ValueError(
                f"startprob {self.startprob.shape} and transmat {self.transmat.shape} do not fit "
                f"{n_states} states"
            )


@attrs.frozen(eq=False)
class HMMPosterior:
    """Distributions over an HMM's parameters: emissions, initial distribution, one Dirichlet per
    transition row (VB's ``q``)."""

    components: ConjugatePrior
    start: DirichletWeights
    rows: tuple[DirichletWeights, ...]

    def expected_log_transition(self) -> Array:
        return np.stack([row.expected_log_weights() for row in self.rows])

    def mean_transmat(self) -> Array:
        return np.stack([row.mean_weights() for row in self.rows])


@attrs.frozen(eq=False)
class ChainPrior:
    """MAP-EM's Dirichlet priors on a Markov chain: on the initial distribution and on every
    transition row (each may be ``None``: no prior), with concentrations ``>= 1``."""

    start: DirichletWeights | None = None
    transition: DirichletWeights | None = None

    def map_counts(self, initial: Array, transitions: Array) -> tuple[Array, Array]:
        """The counts plus the priors' pseudo-counts ``α − 1``: normalised, the MAP estimates."""
        if self.start is not None:
            initial = self.start.map_counts(initial)
        if self.transition is not None:
            transitions = self.transition.map_counts(transitions)  # α − 1 on every row
        return initial, transitions

    def log_density(self, parameters: HMMParameters) -> float:
        total = 0.0 if self.start is None else self.start.log_density(parameters.startprob)
        if self.transition is not None:
            total += sum(self.transition.log_density(row) for row in parameters.transmat)
        return total


@attrs.frozen(eq=False)
class HMMPriors(HMMPosterior):
    """The priors of a variational HMM (``priors_``): the same form as its posterior."""


def log_probabilities(values: Array) -> Array:
    """``log p`` of probabilities, ``log 0 = −inf``: a structural zero forbids its paths."""
    with np.errstate(divide="ignore"):  # structural zeros are -inf in log space
        return np.log(values)


def _sequences(chunk: Chunk) -> Sequences:
    if chunk.sequences is None:
        raise ValueError("HMM statistics need chunks of whole sequences (data built with lengths)")
    return chunk.sequences


def tempered(chunk: Chunk, log_likelihood: Array) -> Array:
    """Emission log-likelihoods ``(n, K)`` tempered by the rows' weights (``p(x_t | z)^{w_t}``),
    C-contiguous for the recursions."""
    if not np.all(chunk.weights == 1.0):
        weights = chunk.weights[:, None]
        with np.errstate(invalid="ignore"):  # a row of weight 0 counts for nothing: p^0 = 1
            log_likelihood = np.where(weights > 0, log_likelihood * weights, 0.0)
    return np.ascontiguousarray(log_likelihood)


def normalised_rows(counts: Array, previous: Array | None) -> tuple[Array, NDArray[np.bool_]]:
    """Rows of ``counts`` (a vector is one row) normalised, and the mask of rows without counts,
    which keep ``previous`` (or become uniform)."""
    matrix = np.atleast_2d(counts)
    totals = matrix.sum(1)
    unvisited = totals <= UNVISITED_COUNT
    rows = matrix / np.where(unvisited, 1.0, totals)[:, None]
    fallback = np.full_like(matrix, 1.0 / matrix.shape[1]) if previous is None else np.atleast_2d(previous)
    rows[unvisited] = fallback[unvisited]
    return rows.reshape(counts.shape), unvisited


def _towards(values: Array, allowed: NDArray[np.bool_]) -> Array:
    """``values`` (a distribution) moved by ``BOUNDARY_STEP`` towards uniform over ``allowed``."""
    uniform = allowed / allowed.sum()
    return (1.0 - BOUNDARY_STEP) * values + BOUNDARY_STEP * uniform


def rows_off_boundary(
    rows: Array, structural: NDArray[np.bool_]
) -> Iterator[tuple[NDArray[np.bool_], Array]]:
    """For each row of the stochastic matrix ``rows`` with a zero that is not ``structural``:
    the mask of those zeros and the matrix with that row moved towards uniform over its allowed
    entries (to test whether the likelihood rises off the boundary)."""
    zero = (rows == 0) & ~structural
    for i in np.flatnonzero(zero.any(1)):
        moved = rows.copy()
        moved[i] = _towards(moved[i], ~structural[i])
        mask = np.zeros_like(zero)
        mask[i] = zero[i]
        yield mask, moved


@attrs.frozen
class MarkovChain(LatentStructure[HMMParameters, HMMPosterior]):
    """A first-order Markov chain over the labels of each sequence (see the module notes)."""

    unit: ClassVar[str] = "state"
    row_field: ClassVar[str | None] = "transmat"

    def chunk_summary(self, chunk: Chunk, log_likelihood: Array, logs: LatentLogs) -> Summary:
        posterior, latent = self.chunk_posterior(chunk, log_likelihood, logs)
        weighted = posterior.marginals * chunk.full_weights()[:, None]
        return Summary(weighted_total(_sequences(chunk).weights, posterior.log_evidence),
                       chunk.statistics_of(weighted), latent)

    def chunk_posterior(
        self, chunk: Chunk, log_likelihood: Array, logs: LatentLogs
    ) -> tuple[MarkovPosterior, tuple[Array, Array]]:
        """Forward–backward on one chunk's state log-likelihoods ``(n, K)``: the posterior and
        the chain's counts (initial states, transitions), weighted by the sequences' weights."""
        sequences = _sequences(chunk)
        log_start, log_transition = logs
        posterior = forward_backward(
            tempered(chunk, log_likelihood), sequences.lengths, log_start, log_transition
        )
        impossible = ~np.isfinite(posterior.log_evidence)
        if impossible.any():
            index = sequences.first + int(np.argmax(impossible))
            raise ValueError(
                f"sequence {index} has zero probability under the model (for example a transition "
                f"forbidden by a structural zero in transmat, or an impossible emission)"
            )
        return posterior, (
            np.einsum("s,sk->k", sequences.weights, posterior.initial_counts),  # not BLAS (weighted_total)
            np.einsum("s,sij->ij", sequences.weights, posterior.transition_counts),
        )

    def summary_of(self, chunk: Chunk, responsibilities: Array) -> Summary:
        """Emissions from the rows, initial counts from first rows, transitions from consecutive
        rows' outer products."""
        sequences = _sequences(chunk)
        rows = responsibilities
        first = np.concatenate([[0], np.cumsum(sequences.lengths)[:-1]])
        follows = np.ones(rows.shape[0], dtype=bool)
        follows[first] = False  # a sequence's first row has no predecessor
        transitions = np.einsum(
            "t,ti,tj->ij",
            sequences.of_rows()[follows],
            rows[np.flatnonzero(follows) - 1],
            rows[follows],
        )
        return Summary(
            0.0,
            chunk.statistics_of(rows * chunk.full_weights()[:, None]),
            (sequences.weights @ rows[first], transitions),
        )

    def count_shapes(self, n_labels: int) -> tuple[tuple[int, ...], ...]:
        return (n_labels,), (n_labels, n_labels)  # initial states, transitions

    def independent(self, chunk: Chunk) -> Chunk:
        return chunk.as_independent_rows()

    # ------------------------------------------------------------------ point estimates
    def logs(self, parameters: HMMParameters) -> LatentLogs:
        return log_probabilities(parameters.startprob), log_probabilities(parameters.transmat)

    def maximised(
        self,
        summary: Summary,
        previous: HMMParameters | None,
        natural: Array,
        prior: ChainPrior | None = None,
    ) -> HMMParameters:
        initial, transitions = summary.latent
        if prior is not None:  # MAP: the Dirichlet priors' pseudo-counts
            initial, transitions = prior.map_counts(initial, transitions)
        if previous is None:
            # hard starting assignments would start some transitions at exactly 0, and EM never
            # leaves a 0 (only zeros given in init are meant to be structural)
            initial, transitions = initial + 1.0, transitions + 1.0
        startprob, _ = normalised_rows(initial, None if previous is None else previous.startprob)
        transmat, _ = normalised_rows(transitions, None if previous is None else previous.transmat)
        return HMMParameters(startprob, transmat, natural)

    def latent_log_density(self, parameters: HMMParameters, prior: ChainPrior | None) -> float:
        return 0.0 if prior is None else prior.log_density(parameters)

    def implied_summary(self, parameters: HMMParameters, means: Array, reference: Summary) -> Summary:
        # state occupancy: the batch's, under these parameters; rows and start at the batch's scale
        occupancy = reference.emissions.counts
        share = occupancy / max(occupancy.sum(), np.finfo(np.float64).tiny)
        initial, transitions = reference.latent
        return Summary(
            0.0,
            SufficientStatistics(occupancy, occupancy[:, None] * means),
            (
                parameters.startprob * initial.sum(),
                share[:, None] * parameters.transmat * transitions.sum(),
            ),
        )

    def never_left(self, summary: Summary) -> NDArray[np.bool_]:
        return np.asarray(summary.latent[1].sum(1) <= UNVISITED_COUNT)

    def zeros_off_boundary(
        self, parameters: HMMParameters, start: HMMParameters
    ) -> Iterator[tuple[str, NDArray[np.bool_], HMMParameters]]:
        structural_start, structural_transmat = start.startprob == 0, start.transmat == 0
        start_zero = (parameters.startprob == 0) & ~structural_start
        if start_zero.any():
            moved = _towards(parameters.startprob, ~structural_start)
            yield "startprob", start_zero, attrs.evolve(parameters, startprob=moved)
        for mask, transmat in rows_off_boundary(parameters.transmat, structural_transmat):
            yield "transmat", mask, attrs.evolve(parameters, transmat=transmat)

    # ------------------------------------------------------------------ distributions (VB)
    def expected_logs(self, q: HMMPosterior) -> LatentLogs:
        return q.start.expected_log_weights(), q.expected_log_transition()

    def posterior(self, priors: HMMPosterior, summary: Summary) -> HMMPosterior:
        initial, transitions = summary.latent
        return HMMPosterior(
            priors.components.update(summary.emissions),
            priors.start.update(initial),
            tuple(row.update(counts) for row, counts in zip(priors.rows, transitions, strict=True)),
        )

    def latent_kl(self, q: HMMPosterior, priors: HMMPosterior) -> float:
        return float(
            q.start.kl_divergence(priors.start)
            + sum(row.kl_divergence(prior) for row, prior in zip(q.rows, priors.rows, strict=True))
        )

    def data_weight(self, q: HMMPosterior, priors: HMMPosterior) -> float:
        # every observation adds one to the start or to a transition row
        start = float(q.start.data_counts(priors.start).sum())
        return start + sum(
            float(row.data_counts(prior).sum()) for row, prior in zip(q.rows, priors.rows, strict=True)
        )

    def point_of(self, q: HMMPosterior) -> HMMParameters:
        return HMMParameters(
            q.start.mean_weights(), q.mean_transmat(), q.components.posterior_mean_natural()
        )
