"""What a family knows about rows with missing entries, under the current parameters.

EM for incomplete data treats the missing entries as latent: a row's likelihood is the marginal
of its observed entries, and the M-step sees the expected statistics ``E_k[T(x) | x_obs]``
under each component (the classic EM for incomplete data, monotone in the observed-data
likelihood). A family gives both, for a batch of incomplete rows and all components at once, as
a ``Completion`` (``ExponentialFamily.completion``).
"""

from __future__ import annotations

import abc

import numpy as np
from numpy.typing import NDArray

__all__ = ["CannotMarginalise", "Completion"]

Array = NDArray[np.float64]


class CannotMarginalise(ValueError):
    """A family cannot integrate missing entries out of its density (``missing="marginalize"``
    refuses it); the message names the family and what to implement or do instead."""


class Completion(abc.ABC):
    """Incomplete rows under given parameters: their marginal log-likelihoods and the expected
    statistics of their missing entries, per component."""

    @property
    @abc.abstractmethod
    def log_likelihood(self) -> Array:
        """``log p(x_obs,n | η_k)``: ``(m, K)``; a row with nothing observed has 0."""

    @abc.abstractmethod
    def statistics(self, weighted_responsibilities: Array) -> Array:
        """``Σ_n r̃_nk E_k[T(x_n) | x_obs,n]``: ``(K, S)``, for responsibilities ``(m, K)``
        already multiplied by the rows' weights."""

    @abc.abstractmethod
    def conditional_means(self) -> Array:
        """``E_k[x_n | x_obs,n]`` in the data's units: ``(m, K, D)`` (observed entries as given, up to
        rounding)."""
