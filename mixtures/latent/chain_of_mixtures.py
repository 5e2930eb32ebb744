"""A hidden Markov chain whose states emit mixtures: the Markov chain and the mixture composed.

State ``k`` emits from its own mixture of ``M`` components: ``z_t`` follows the chain, then
``c_t | z_t = k ~ mix_weights[k]`` and ``x_t | z_t = k, c_t = m ~ p(x | η_{k,m})``. The labels
the emissions see are the ``K·M`` pairs ``(k, m)``, numbered ``k·M + m`` (state-major): the
emission natural parameters are ``(K·M, S)``, one row per pair, of any family (hmmlearn's
``GMMHMM`` is the Gaussian case).

The E-step of a chunk is exact over the pairs: from the ``(n, K·M)`` pair log-likelihoods add
``log w_{k,m}``, log-sum-exp over ``m`` within each state (the state log-likelihoods ``(n, K)``),
run the chain's forward–backward on those, and split each state's marginal ``γ_t(k)`` over its
components by the within-state softmax. The chain's counts (initial states, transitions) are the
chain's; the components' counts per state are the emission counts ``N_{k,m}``, as a mixture's
weights read theirs. The update is the chain's for the start and transitions and the mixture's,
state by state, for the weights; under VB each state's weights have a Dirichlet beside the
chain's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import float_array
from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.data import Chunk
from mixtures.inference.summary import Summary
from mixtures.latent.chain import (
    ChainPrior,
    HMMParameters,
    HMMPosterior,
    MarkovChain,
    log_probabilities,
    normalised_rows,
    rows_off_boundary,
    stochastic_rows,
)
from mixtures.latent.structure import LatentLogs, LatentStructure
from mixtures.priors.weights import DirichletWeights

__all__ = [
    "MarkovMixtures",
    "MixtureChainPrior",
    "MixtureHMMParameters",
    "MixtureHMMPosterior",
    "pair_posterior",
]

Array = NDArray[np.float64]


@attrs.frozen(eq=False)
class MixtureHMMParameters:
    """Initial distribution ``(K,)``, transition matrix ``(K, K)``, each state's mixture weights
    ``(K, M)`` and the emission natural parameters ``(K·M, S)`` (row ``k·M + m``: component
    ``m`` of state ``k``)."""

    startprob: Array = attrs.field(converter=float_array, validator=stochastic_rows)
    transmat: Array = attrs.field(converter=float_array, validator=stochastic_rows)
    mix_weights: Array = attrs.field(converter=float_array, validator=stochastic_rows)
    natural: Array = attrs.field(converter=float_array)

    def __attrs_post_init__(self) -> None:
        n_states = self.startprob.shape[0]
        if (
            self.startprob.ndim != 1
            or self.transmat.shape != (n_states, n_states)
            or self.mix_weights.ndim != 2
            or self.mix_weights.shape[0] != n_states
            or self.natural.ndim != 2
            or self.natural.shape[0] != self.mix_weights.size
        ):
            raise ValueError(
                f"startprob {self.startprob.shape}, transmat {self.transmat.shape}, mix_weights "
                f"{self.mix_weights.shape} and natural {self.natural.shape} do not fit "
                f"{n_states} states of {self.mix_weights.shape[-1]} components each"
            )

    @property
    def n_states(self) -> int:
        return int(self.startprob.shape[0])

    @property
    def n_mix(self) -> int:
        return int(self.mix_weights.shape[1])


@attrs.frozen(eq=False)
class MixtureHMMPosterior(HMMPosterior):
    """Distributions over the parameters (VB's ``q``, or the priors): the chain's (emissions
    over the ``K·M`` pairs, start, transition rows) and one Dirichlet per state over its
    components."""

    mixes: tuple[DirichletWeights, ...]

    def expected_log_mix_weights(self) -> Array:
        return np.stack([mix.expected_log_weights() for mix in self.mixes])

    def mean_mix_weights(self) -> Array:
        return np.stack([mix.mean_weights() for mix in self.mixes])


@attrs.frozen(eq=False)
class MixtureChainPrior(ChainPrior):
    """MAP-EM's Dirichlet priors on a chain of mixtures: the chain's (start, transition rows)
    and ``mix`` on every state's mixture weights (each may be ``None``), concentrations ``>= 1``."""

    mix: DirichletWeights | None = None

    def map_mix_counts(self, counts: Array) -> Array:
        """Each state's component counts ``(K, M)`` plus the pseudo-counts ``α − 1``."""
        return counts if self.mix is None else self.mix.map_counts(counts)

    def log_density(self, parameters: HMMParameters) -> float:
        chain = super().log_density(parameters)
        if self.mix is None:
            return chain
        mix_weights = parameters.mix_weights  # type: ignore[attr-defined]
        return chain + sum(self.mix.log_density(row) for row in mix_weights)


def pair_posterior(log_likelihood: Array, log_mix_weights: Array) -> tuple[Array, Array]:
    """State log-likelihoods ``(n, K)`` and within-state responsibilities ``(n, K, M)`` from the
    pair log-likelihoods ``(n, K·M)`` and the log mixture weights ``(K, M)``. A state that
    cannot emit a row gets ``−inf`` and zero responsibilities (never NaN)."""
    n_states, n_mix = log_mix_weights.shape
    joint = log_likelihood.reshape(-1, n_states, n_mix) + log_mix_weights[None]
    top = joint.max(axis=2)
    finite_top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        within = np.exp(joint - finite_top[..., None])
        totals = within.sum(axis=2)
        state = np.log(totals) + finite_top
        within = np.where(totals[..., None] > 0, within / totals[..., None], 0.0)
    return state, within


def _sequences_weights(chunk: Chunk) -> Array:
    assert chunk.sequences is not None  # the chain's E-step has checked it
    return chunk.sequences.weights


@attrs.frozen
class MarkovMixtures(LatentStructure[MixtureHMMParameters, MixtureHMMPosterior]):
    """A Markov chain over ``K`` states, each emitting a mixture of ``n_mix`` components; the
    labels are the ``K·n_mix`` (state, component) pairs (see the module notes)."""

    n_mix: int = attrs.field(validator=attrs.validators.ge(1))
    chain: MarkovChain = attrs.field(factory=MarkovChain)

    unit: ClassVar[str] = "state-component pair"
    row_field: ClassVar[str | None] = "transmat"

    def n_states(self, n_labels: int) -> int:
        if n_labels % self.n_mix:
            raise ValueError(f"{n_labels} labels are not whole states of {self.n_mix} components")
        return n_labels // self.n_mix

    def _split(self, counts: Array) -> Array:
        """Pair counts ``(K·M,)`` as ``(K, M)``."""
        return np.reshape(counts, (-1, self.n_mix))

    # ------------------------------------------------------------------ the E-step
    def chunk_summary(self, chunk: Chunk, log_likelihood: Array, logs: LatentLogs) -> Summary:
        log_start, log_transition, log_mix_weights = logs
        state, within = pair_posterior(log_likelihood, log_mix_weights)
        # the chain's E-step on the state log-likelihoods: its marginals are γ_t(k)
        posterior, latent = self.chain.chunk_posterior(chunk, state, (log_start, log_transition))
        pairs = (posterior.marginals[..., None] * within).reshape(log_likelihood.shape)
        pairs *= chunk.full_weights()[:, None]
        evidence = float(_sequences_weights(chunk) @ posterior.log_evidence)
        return Summary(evidence, chunk.statistics_of(pairs), latent)

    def summary_of(self, chunk: Chunk, responsibilities: Array) -> Summary:
        """The chain's counts from the state responsibilities (the pairs' summed per state);
        emissions from the pairs'."""
        n_rows = responsibilities.shape[0]
        states = responsibilities.reshape(n_rows, -1, self.n_mix).sum(2)
        chain = self.chain.summary_of(chunk, states)
        emissions = chunk.statistics_of(responsibilities * chunk.full_weights()[:, None])
        return Summary(0.0, emissions, chain.latent)

    def count_shapes(self, n_labels: int) -> tuple[tuple[int, ...], ...]:
        return self.chain.count_shapes(self.n_states(n_labels))

    def independent(self, chunk: Chunk) -> Chunk:
        return self.chain.independent(chunk)

    def label_log_prior(self, chunk: Chunk, n_labels: int) -> Array | None:
        """Labels name states: a state's label holds for each of its components."""
        states = chunk.label_log_prior(self.n_states(n_labels))
        return None if states is None else np.repeat(states, self.n_mix, axis=1)

    # ------------------------------------------------------------------ point estimates
    def logs(self, parameters: MixtureHMMParameters) -> LatentLogs:
        return (*self.chain.logs(parameters), log_probabilities(parameters.mix_weights))  # type: ignore[arg-type]

    def maximised(
        self,
        summary: Summary,
        previous: MixtureHMMParameters | None,
        natural: Array,
        prior: MixtureChainPrior | None = None,
    ) -> MixtureHMMParameters:
        counts = self._split(summary.emissions.counts)
        if prior is not None:
            counts = prior.map_mix_counts(counts)
        n_states = counts.shape[0]
        placeholder = np.zeros((n_states, 0))  # the chain's update reads only its counts
        chain = self.chain.maximised(summary, previous, placeholder, prior)  # type: ignore[arg-type]
        if previous is None and np.any(counts <= 0):
            counts = counts + np.finfo(np.float64).eps * counts.sum()  # every component starts alive
        weights = normalised_rows(counts, None if previous is None else previous.mix_weights)[0]
        return MixtureHMMParameters(chain.startprob, chain.transmat, weights, natural)

    def latent_log_density(self, parameters: MixtureHMMParameters, prior: Any) -> float:
        """MAP-EM's priors: the chain's (start, transitions) and the mixture weights'."""
        return self.chain.latent_log_density(parameters, prior)  # type: ignore[arg-type]

    def implied_summary(
        self, parameters: MixtureHMMParameters, means: Array, reference: Summary
    ) -> Summary:
        occupancy = self._split(reference.emissions.counts).sum(1)
        as_chain = HMMParameters(parameters.startprob, parameters.transmat, np.zeros((occupancy.size, 0)))
        state_reference = Summary(
            0.0, SufficientStatistics(occupancy, np.zeros((occupancy.size, 0))), reference.latent
        )
        chain = self.chain.implied_summary(as_chain, np.zeros((occupancy.size, 0)), state_reference)
        pairs = (occupancy[:, None] * parameters.mix_weights).reshape(-1)
        return Summary(0.0, SufficientStatistics(pairs, pairs[:, None] * means), chain.latent)

    def never_left(self, summary: Summary) -> NDArray[np.bool_]:
        return np.repeat(self.chain.never_left(summary), self.n_mix)

    def zeros_off_boundary(
        self, parameters: MixtureHMMParameters, start: MixtureHMMParameters
    ) -> Iterator[tuple[str, NDArray[np.bool_], MixtureHMMParameters]]:
        yield from self.chain.zeros_off_boundary(parameters, start)  # type: ignore[arg-type, misc]
        for mask, mix_weights in rows_off_boundary(parameters.mix_weights, start.mix_weights == 0):
            yield "mix_weights", mask, attrs.evolve(parameters, mix_weights=mix_weights)

    # ------------------------------------------------------------------ distributions (VB)
    def expected_logs(self, q: MixtureHMMPosterior) -> LatentLogs:
        return (*self.chain.expected_logs(q), q.expected_log_mix_weights())

    def posterior(self, priors: MixtureHMMPosterior, summary: Summary) -> MixtureHMMPosterior:
        chain = self.chain.posterior(priors, summary)
        counts = self._split(summary.emissions.counts)
        return MixtureHMMPosterior(
            chain.components,
            chain.start,
            chain.rows,
            tuple(mix.update(row) for mix, row in zip(priors.mixes, counts, strict=True)),
        )

    def latent_kl(self, q: MixtureHMMPosterior, priors: MixtureHMMPosterior) -> float:
        mixes = sum(mix.kl_divergence(prior) for mix, prior in zip(q.mixes, priors.mixes, strict=True))
        return self.chain.latent_kl(q, priors) + float(mixes)

    def data_weight(self, q: MixtureHMMPosterior, priors: MixtureHMMPosterior) -> float:
        return self.chain.data_weight(q, priors)  # one observation: one start or transition count

    def point_of(self, q: MixtureHMMPosterior) -> MixtureHMMParameters:
        return MixtureHMMParameters(
            q.start.mean_weights(),
            q.mean_transmat(),
            q.mean_mix_weights(),
            q.components.posterior_mean_natural(),
        )
