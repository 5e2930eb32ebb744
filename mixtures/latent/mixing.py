"""The i.i.d. mixture as a latent structure: each row's label is drawn from the weights ``π``.

The E-step of a chunk is a softmax of ``L_nk + log π_k`` (``mixture_posterior``); the weights'
update normalises the expected counts ``N_k``; under VB ``q(π)`` is a ``WeightPrior``
(Dirichlet or stick-breaking) updated by the same counts.
"""

from __future__ import annotations

from typing import ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import float_array, weighted_total
from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.data import Chunk
from mixtures.inference.summary import Summary
from mixtures.latent.mixture import log_mixture_weights, mixture_posterior, mixture_weights
from mixtures.latent.structure import LatentLogs, LatentStructure
from mixtures.priors.base import ConjugatePrior
from mixtures.priors.weights import DirichletWeights, WeightPrior

__all__ = ["Mixing", "MixtureParameters", "VariationalPosterior", "chunk_posterior"]

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
class VariationalPosterior:
    """Distributions over a mixture's parameters: ``q(η_k)`` for every component and ``q(π)``
    after VB (``posterior_``), or the priors they start from."""

    components: ConjugatePrior
    weights: WeightPrior


def chunk_posterior(
    chunk: Chunk, log_likelihood: Array, log_weights: Array, row_weights: Array | None = None
) -> tuple[Array, Array]:
    """Responsibilities ``(n, K)`` (times ``row_weights``, if given) and ``log p(x_n)`` ``(n,)``
    of one chunk's rows, from their component log-likelihoods (overwritten)."""
    posterior = mixture_posterior(log_likelihood, log_weights, overwrite=True, row_weights=row_weights)
    return posterior.responsibilities, posterior.log_evidence


@attrs.frozen
class Mixing(LatentStructure[MixtureParameters, VariationalPosterior]):
    """Independent labels drawn from mixing weights (see the module notes)."""

    unit: ClassVar[str] = "component"

    def chunk_summary(self, chunk: Chunk, log_likelihood: Array, logs: LatentLogs) -> Summary:
        # responsibilities times the row weights: what the statistics sum
        responsibilities, log_evidence = chunk_posterior(chunk, log_likelihood, logs[0], chunk.weights)
        counted = chunk.weights > 0
        every_row = bool(counted.all())
        evidence = log_evidence if every_row else log_evidence[counted]
        if not np.all(np.isfinite(evidence)):
            row = chunk.rows.start + int(np.argwhere(~np.isfinite(log_evidence) & counted)[0][0])
            raise ValueError(
                f"sample {row} has zero likelihood under every component (that its label allows)"
            )
        weights = chunk.weights if every_row else chunk.weights[counted]
        log_evidence_total = weighted_total(weights, evidence)
        return Summary(log_evidence_total, chunk.statistics_of(responsibilities))

    def one_pass_summary(
        self, chunk: Chunk, natural: Array, log_partition: Array | None, logs: LatentLogs
    ) -> Summary | None:
        # a row's posterior is the softmax of its own log-likelihoods plus log π, unless labels
        # add a prior of their own to each row, or a subclass's chunk_summary does more
        if type(self).chunk_summary is not Mixing.chunk_summary:
            return None
        if self.label_log_prior(chunk, natural.shape[0]) is not None:
            return None
        found = chunk.softmax_summary(natural, log_partition, logs[0])
        if found is None:
            return None
        return Summary(*found)

    def summary_of(self, chunk: Chunk, responsibilities: Array) -> Summary:
        return Summary(0.0, chunk.statistics_of(responsibilities * chunk.weights[:, None]))

    def count_shapes(self, n_labels: int) -> tuple[tuple[int, ...], ...]:
        return ()  # the weights read the emission counts N_k

    # ------------------------------------------------------------------ point estimates
    def logs(self, parameters: MixtureParameters) -> LatentLogs:
        return (log_mixture_weights(parameters.weights),)

    def maximised(
        self,
        summary: Summary,
        previous: MixtureParameters | None,
        natural: Array,
        prior: DirichletWeights | None = None,
    ) -> MixtureParameters:
        counts = summary.emissions.counts if prior is None else prior.map_counts(summary.emissions.counts)
        if previous is None and np.any(counts <= 0):
            counts = counts + np.finfo(np.float64).eps * counts.sum()  # every component starts alive
        return MixtureParameters(natural, mixture_weights(counts))

    def latent_log_density(self, parameters: MixtureParameters, prior: DirichletWeights | None) -> float:
        return 0.0 if prior is None else prior.log_density(parameters.weights)

    def implied_summary(
        self, parameters: MixtureParameters, means: Array, reference: Summary
    ) -> Summary:
        counts = parameters.weights * reference.emissions.counts.sum()
        return Summary(0.0, SufficientStatistics(counts, counts[:, None] * means))

    # ------------------------------------------------------------------ distributions (VB)
    def expected_logs(self, q: VariationalPosterior) -> LatentLogs:
        return (q.weights.expected_log_weights(),)

    def posterior(self, priors: VariationalPosterior, summary: Summary) -> VariationalPosterior:
        return VariationalPosterior(
            priors.components.update(summary.emissions), priors.weights.update(summary.emissions.counts)
        )

    def latent_kl(self, q: VariationalPosterior, priors: VariationalPosterior) -> float:
        return float(q.weights.kl_divergence(priors.weights))

    def data_weight(self, q: VariationalPosterior, priors: VariationalPosterior) -> float:
        return float(q.weights.data_counts(priors.weights).sum())

    def point_of(self, q: VariationalPosterior) -> MixtureParameters:
        return MixtureParameters(q.components.posterior_mean_natural(), q.weights.mean_weights())
