"""Priors on a distribution over the ``K`` labels: a mixture's weights, an HMM's initial
distribution and each of its transition rows. A Dirichlet distribution or (for the weights) a
truncated stick-breaking process.

Both are conjugate to counts of the labels (``N_k``, or the initial-state and transition counts):
the posterior adds them to pseudo-counts, and the VB E-step needs only ``E_q[log π_k]``.
"""

from __future__ import annotations

import abc
from typing import Any, Self

import attrs
import numpy as np
import scipy  # scipy.special loads at first use, not with mixtures
from numpy.typing import NDArray

from mixtures._fields import positive, stochastic_rows
from mixtures._validation import as_float_values, optional_positive
from mixtures.exceptions import FieldError

__all__ = ["DirichletWeights", "StickBreaking", "WeightPrior"]

Array = NDArray[np.float64]


def _beta_kl(a_q: Array, b_q: Array, a_p: Array, b_p: Array) -> Array:
    """``KL(Beta(a_q, b_q) ‖ Beta(a_p, b_p))`` elementwise."""
    log_beta = scipy.special.betaln
    digamma = scipy.special.digamma
    total = digamma(a_q + b_q)
    return (
        log_beta(a_p, b_p)
        - log_beta(a_q, b_q)
        + (a_q - a_p) * (digamma(a_q) - total)
        + (b_q - b_p) * (digamma(b_q) - total)
    )


class WeightPrior(abc.ABC):
    """A conjugate distribution over the ``K`` mixing weights."""

    def check_resolved(self, n_components: int) -> None:
        """Raise ``ValueError`` unless this prior (or posterior) is resolved for ``n_components``
        weights: what a constructor cannot check, run when a model file is loaded.

        The base class checks that ``E[log π]`` is finite and ``E[π]`` a probability vector, of
        length ``n_components``. A prior checks its own fields first (raising
        ``mixtures.exceptions.FieldError`` naming the field), then calls this.

        Raises
        ------
        ValueError
            Naming the field and what is wrong.
        """
        with np.errstate(all="ignore"):
            expected_log_weights = np.asarray(self.expected_log_weights(), dtype=np.float64)
            mean_weights = np.asarray(self.mean_weights(), dtype=np.float64)
        if expected_log_weights.shape != (n_components,) or not np.all(np.isfinite(expected_log_weights)):
            raise ValueError(f"E[log π] must be {n_components} finite numbers")
        try:
            stochastic_rows(mean_weights, "E[π]", (n_components,))
        except FieldError as error:
            raise ValueError(str(error)) from None

    @abc.abstractmethod
    def for_data(self, n_components: int) -> Self:
        """This prior for ``n_components`` weights, with defaults filled in."""

    @abc.abstractmethod
    def update(self, counts: Array) -> Self:
        """The posterior after the expected counts ``N_k`` (exact addition of pseudo-counts)."""

    @abc.abstractmethod
    def expected_log_weights(self) -> Array:
        """``E_q[log π_k]``: ``(K,)``."""

    @abc.abstractmethod
    def mean_weights(self) -> Array:
        """``E_q[π_k]``, normalised to sum to one: ``(K,)``."""

    @abc.abstractmethod
    def kl_divergence(self, other: Self) -> float:
        """``KL(self ‖ other)``."""

    @abc.abstractmethod
    def data_counts(self, prior: Self) -> Array:
        """The counts ``N_k`` this posterior added to ``prior``'s pseudo-counts: ``(K,)``."""


@attrs.frozen(kw_only=True)
class DirichletWeights(WeightPrior):
    """``π ~ Dirichlet(α)``. ``concentration`` is ``α₀`` (scalar or ``(K,)``); default ``1/K``.

    Small ``α₀`` favours few occupied components: with a generous ``K``, the weights of unneeded
    components collapse towards zero.
    """

    concentration: Any = attrs.field(default=None, validator=optional_positive)

    def for_data(self, n_components: int) -> Self:
        value = 1.0 / n_components if self.concentration is None else self.concentration
        values = as_float_values(value, f"{type(self).__name__}.concentration")
        alpha = np.broadcast_to(values, (n_components,)).copy()
        return attrs.evolve(self, concentration=alpha)

    def check_resolved(self, n_components: int) -> None:
        positive(self.concentration, "concentration", shape=(n_components,))
        super().check_resolved(n_components)

    def update(self, counts: Array) -> Self:
        return attrs.evolve(self, concentration=np.asarray(self.concentration) + counts)

    def expected_log_weights(self) -> Array:
        alpha = np.asarray(self.concentration)
        return scipy.special.digamma(alpha) - scipy.special.digamma(alpha.sum())

    def mean_weights(self) -> Array:
        alpha = np.asarray(self.concentration)
        return alpha / alpha.sum()

    def data_counts(self, prior: Self) -> Array:
        return np.asarray(self.concentration) - np.asarray(prior.concentration)

    def check_map(self, name: str) -> None:
        """Refuse, naming ``name``, a concentration below 1: as a MAP prior (under EM) its density
        is then unbounded on the boundary, and its mode is not a point inside the simplex."""
        alpha = np.asarray(self.concentration)
        if np.any(alpha < 1.0):
            raise ValueError(
                f"{name}: under inference='em' a DirichletWeights prior is a MAP prior and needs "
                f"concentration >= 1 (1 is no prior; 1 + c adds c pseudo-counts, as hmmlearn's "
                f"startprob_prior and transmat_prior); got {alpha}"
            )

    def map_counts(self, counts: Array) -> Array:
        """``counts + α − 1``: normalised (by the caller, row by row for a matrix of rows), the
        mode of the posterior ``Dirichlet(α + counts)``, the MAP weights (``α >= 1``)."""
        return np.asarray(counts) + np.asarray(self.concentration) - 1.0

    def log_density(self, weights: Array) -> float:
        """``log Dirichlet(weights | α)`` (``α >= 1``: a weight of 0 costs nothing where ``α = 1``)."""
        alpha, w = np.asarray(self.concentration), np.asarray(weights)
        gammaln = scipy.special.gammaln
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(alpha == 1.0, 0.0, (alpha - 1.0) * np.log(w))
        return float(gammaln(alpha.sum()) - gammaln(alpha).sum() + terms.sum())

    def kl_divergence(self, other: Self) -> float:
        a, b = np.asarray(self.concentration), np.asarray(other.concentration)
        gammaln = scipy.special.gammaln
        return float(
            gammaln(a.sum()) - gammaln(a).sum() - gammaln(b.sum()) + gammaln(b).sum()
            + ((a - b) * self.expected_log_weights()).sum()
        )


@attrs.frozen(kw_only=True)
class StickBreaking(WeightPrior):
    """Truncated Dirichlet-process (stick-breaking) prior: ``π_k = v_k Π_{j<k} (1 − v_j)`` with
    ``v_k ~ Beta(1, γ)``. ``concentration`` is ``γ``; default ``1/K``.

    The posterior keeps a Beta per stick: ``a_k = 1 + N_k``, ``b_k = γ + Σ_{j>k} N_j`` (fields
    ``stick_a``, ``stick_b``); ``concentration`` stays the prior's ``γ``.
    """

    concentration: Any = attrs.field(default=None, validator=optional_positive)
    stick_a: Any = attrs.field(default=None, repr=False)
    stick_b: Any = attrs.field(default=None, repr=False)

    def for_data(self, n_components: int) -> Self:
        gamma = 1.0 / n_components if self.concentration is None else float(self.concentration)
        return attrs.evolve(
            self,
            concentration=gamma,
            stick_a=np.ones(n_components),
            stick_b=np.full(n_components, gamma),
        )

    def check_resolved(self, n_components: int) -> None:
        positive(self.concentration, "concentration", shape=())
        positive(self.stick_a, "stick_a", shape=(n_components,))
        positive(self.stick_b, "stick_b", shape=(n_components,))
        super().check_resolved(n_components)

    def update(self, counts: Array) -> Self:
        later = np.concatenate([np.cumsum(counts[::-1])[-2::-1], [0.0]])  # Σ_{j>k} N_j
        return attrs.evolve(
            self, stick_a=np.asarray(self.stick_a) + counts, stick_b=np.asarray(self.stick_b) + later
        )

    def expected_log_weights(self) -> Array:
        a, b = np.asarray(self.stick_a), np.asarray(self.stick_b)
        total = scipy.special.digamma(a + b)
        log_stick = scipy.special.digamma(a) - total
        log_rest = scipy.special.digamma(b) - total
        return log_stick + np.concatenate([[0.0], np.cumsum(log_rest[:-1])])

    def mean_weights(self) -> Array:
        a, b = np.asarray(self.stick_a), np.asarray(self.stick_b)
        stick = a / (a + b)
        weights = stick * np.concatenate([[1.0], np.cumprod(1.0 - stick[:-1])])
        return weights / weights.sum()

    def data_counts(self, prior: Self) -> Array:
        return np.asarray(self.stick_a) - np.asarray(prior.stick_a)

    def kl_divergence(self, other: Self) -> float:
        return float(
            _beta_kl(
                np.asarray(self.stick_a), np.asarray(self.stick_b),
                np.asarray(other.stick_a), np.asarray(other.stick_b),
            ).sum()
        )
