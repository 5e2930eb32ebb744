"""The latent-structure interface: what a mixture, a Markov chain or any other structure over
the component labels contributes to a fit.

A structure sees one chunk's ``(n, K)`` matrix of emission log-likelihoods and turns it into a
``Summary``: the log-evidence, the emission statistics weighted by the responsibilities, and its
own latent counts. It also says how its latent parameters follow from those counts, as a point
estimate (EM) or as conjugate distributions (the priors and the posterior of VB). It never sees
``x`` or a family; the inference (``mixtures.inference.problem``) adds those.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from mixtures.inference.data import Chunk
from mixtures.inference.summary import Summary

__all__ = ["LatentLogs", "LatentStructure"]

Array = NDArray[np.float64]
#: What the E-step uses of the latent parameters: their logs (``E_q[log]`` under VB), e.g.
#: ``(log π,)`` for a mixture and ``(log start, log transmat)`` for a Markov chain.
LatentLogs = tuple[Array, ...]

P = TypeVar("P")  # point parameters: latent parameters and ``natural`` (K, S)
Q = TypeVar("Q")  # distributions over them: latent distributions and ``components`` (a prior)


class LatentStructure(abc.ABC, Generic[P, Q]):
    """The latent side of a model (see the module notes).

    ``P`` is the structure's value of point parameters; it has a field ``natural``, the
    ``(K, S)`` emission natural parameters. ``Q`` is its value of distributions over the
    parameters (VB's priors and posterior); it has a field ``components``, a conjugate prior over
    the emissions. Implementations are frozen values (they travel to Dask workers).
    """

    #: How messages name one of the ``K`` labels: "component", "state".
    unit: ClassVar[str]
    #: The field of ``P`` whose rows ``never_left`` reports on (``None``: no such rows).
    row_field: ClassVar[str | None] = None

    # ------------------------------------------------------------------ the E-step
    @abc.abstractmethod
    def chunk_summary(self, chunk: Chunk, log_likelihood: Array, logs: LatentLogs) -> Summary:
        """The summary of one chunk from its emission log-likelihoods ``(n, K)`` (which may be
        overwritten) and the latent logs; statistics weighted by the rows' weights."""

    def one_pass_summary(
        self, chunk: Chunk, natural: Array, log_partition: Array | None, logs: LatentLogs
    ) -> Summary | None:
        """The summary of one chunk computed with its emission log-likelihoods in one pass over
        its rows (``Chunk.softmax_summary``), where the structure's posterior allows it;
        ``None`` (the default) when the E-step should form the log-likelihoods and call
        ``chunk_summary``. Both give the same summary: a subclass of ``Mixing`` that changes
        ``chunk_summary``, or whose ``label_log_prior`` gives a prior, gets ``None``."""
        return None

    @abc.abstractmethod
    def summary_of(self, chunk: Chunk, responsibilities: Array) -> Summary:
        """The statistics that given per-row responsibilities ``(n, K)`` imply (to start a fit),
        with a log-likelihood of 0."""

    @abc.abstractmethod
    def count_shapes(self, n_labels: int) -> tuple[tuple[int, ...], ...]:
        """The shapes of the latent counts (``Summary.latent``) for ``n_labels`` labels."""

    def independent(self, chunk: Chunk) -> Chunk:
        """The chunk as a clustering of independent rows sees it (starting responsibilities)."""
        return chunk

    def label_log_prior(self, chunk: Chunk, n_labels: int) -> Array | None:
        """``log q_n`` ``(n, n_labels)`` of the chunk's partial labels over this structure's
        labels (``None``: no labels). Users label what they see: a component, or a state."""
        return chunk.label_log_prior(n_labels)

    # ------------------------------------------------------------------ point estimates
    @abc.abstractmethod
    def logs(self, parameters: P) -> LatentLogs:
        """The latent logs of point parameters (``log 0 = −inf``)."""

    @abc.abstractmethod
    def maximised(
        self, summary: Summary, previous: P | None, natural: Array, prior: Any = None
    ) -> P:
        """Point parameters: the latent update of ``summary`` with the emission parameters
        ``natural``: maximum likelihood, or with a latent ``prior`` (the structure's value of
        Dirichlet priors) the MAP estimate. ``previous`` is ``None`` at a start; otherwise labels
        that received nothing keep their previous latent parameters."""

    def latent_log_density(self, parameters: P, prior: Any) -> float:
        """The log density of the latent parameters under a latent ``prior`` (MAP-EM's objective
        term); 0 without one."""
        return 0.0

    @abc.abstractmethod
    def implied_summary(self, parameters: P, means: Array, reference: Summary) -> Summary:
        """Statistics whose update gives ``parameters`` back (``means``: their emission mean
        parameters), at the scale of ``reference``."""

    def never_left(self, summary: Summary) -> NDArray[np.bool_]:
        """Labels whose latent parameters received no counts and so kept their previous values
        (default: none)."""
        return np.zeros(summary.emissions.counts.shape[0], dtype=bool)

    def zeros_off_boundary(self, parameters: P, start: P) -> Iterator[tuple[str, NDArray[np.bool_], P]]:
        """Latent probabilities at exactly 0 that are not structural (zero in ``start``), each
        with the parameters moved off the boundary to test it: ``(attribute, mask, moved)``
        (default: none)."""
        return iter(())

    # ------------------------------------------------------------------ distributions (VB)
    @abc.abstractmethod
    def expected_logs(self, q: Q) -> LatentLogs:
        """``E_q`` of the latent logs."""

    @abc.abstractmethod
    def posterior(self, priors: Q, summary: Summary) -> Q:
        """The conjugate update: ``priors`` (emissions and latent) given the summed statistics."""

    @abc.abstractmethod
    def latent_kl(self, q: Q, priors: Q) -> float:
        """``KL(q ‖ priors)`` of the latent distributions."""

    @abc.abstractmethod
    def data_weight(self, q: Q, priors: Q) -> float:
        """The weight of data ``q`` already summarises (its counts beyond the priors')."""

    @abc.abstractmethod
    def point_of(self, q: Q) -> P:
        """Posterior-mean point parameters of ``q``."""
