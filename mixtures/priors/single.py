"""Priors with one block of pseudo-counts: ``p(η | χ, ν) ∝ exp(⟨χ, η⟩ − ν A(η))``.

Their mode in natural coordinates solves ``∇A(η) = χ / ν``, so MAP is moment matching on
pseudo-count-smoothed statistics, and the posterior-mean point estimate is the family's own
mean parameter ``χ / ν`` wherever that is the posterior mean of the conventional parameter.
"""

from __future__ import annotations

from typing import Any, Self

import attrs
import numpy as np
import scipy.special
from numpy.typing import NDArray

from mixtures.families.base import ExponentialFamily
from mixtures.families.discrete import Poisson
from mixtures.priors.base import ConjugatePrior, broadcast_rows

__all__ = ["Gamma", "SingleBlockPrior"]

Array = NDArray[np.float64]


def _optional_positive(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is None:
        return
    array = np.asarray(value, dtype=np.float64)
    if not (np.all(np.isfinite(array)) and np.all(array > 0)):
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be positive; got {value!r}")


class SingleBlockPrior(ConjugatePrior):
    """Shared behaviour of one-block priors: the mode, the log density and sampling helpers."""

    def log_partition_blocks(self, natural: Array) -> Array:
        return self.family.log_partition(natural)[:, None]

    def mode(self) -> Array:
        chi, counts = self.natural_hyperparameters()
        return self.family.mean_to_natural(chi / counts)

    def log_density(self, natural: Array) -> Array:
        chi, counts = self.natural_hyperparameters()
        return (
            np.einsum("ks,ks->k", chi, natural)
            - counts[:, 0] * self.family.log_partition(natural)
            - self.log_normalizer()
        )

    def posterior_mean_natural(self) -> Array:
        chi, counts = self.natural_hyperparameters()
        return self.family.mean_to_natural(chi / counts)


@attrs.frozen(kw_only=True)
class Gamma(SingleBlockPrior):
    """Gamma prior on each Poisson rate: ``λ_d ~ Gamma(shape_d, rate)``, ``p ∝ λ^(shape−1) e^(−rate λ)``.

    In natural coordinates (``η = log λ``, base measure Lebesgue in ``η``): ``χ = shape``, ``ν = rate``
    (``rate`` pseudo-observations whose counts sum to ``shape``). Defaults: one pseudo-observation
    (``rate=1``) at the data mean (``shape = mean of x``, floored at 1e-3).
    """

    shape: Any = attrs.field(default=None, validator=_optional_positive)
    rate: Any = attrs.field(default=None, validator=_optional_positive)
    poisson: Poisson | None = attrs.field(default=None, repr=False)

    @property
    def family(self) -> ExponentialFamily:
        if self.poisson is None:
            raise ValueError("Gamma prior is not resolved; call for_data first")
        return self.poisson

    def for_data(self, family: ExponentialFamily, x: Array, weights: Array, n_components: int) -> Self:
        if not isinstance(family, Poisson):
            raise ValueError(f"a Gamma prior is for Poisson components, not {family.name}")
        n_features = x.shape[1]
        shape = np.maximum(np.average(x, axis=0, weights=weights), 1e-3) if self.shape is None else self.shape
        rate = 1.0 if self.rate is None else self.rate
        rate_rows = broadcast_rows(rate, n_components, 1, "Gamma.rate")
        return attrs.evolve(
            self,
            shape=broadcast_rows(shape, n_components, n_features, "Gamma.shape"),
            rate=rate_rows[:, 0],
            poisson=family,
        )

    def natural_hyperparameters(self) -> tuple[Array, Array]:
        return np.asarray(self.shape), np.asarray(self.rate)[:, None]

    def with_natural_hyperparameters(self, chi: Array, counts: Array) -> Self:
        return attrs.evolve(self, shape=chi, rate=counts[:, 0])

    def log_normalizer_of(self, chi: Array, counts: Array) -> Array:
        rate = counts[..., 0]
        return (scipy.special.gammaln(chi) - chi * np.log(rate)[..., None]).sum(-1)

    def expected_natural(self) -> Array:
        chi, counts = self.natural_hyperparameters()
        return scipy.special.digamma(chi) - np.log(counts)

    def expected_log_partition_blocks(self) -> Array:
        chi, counts = self.natural_hyperparameters()
        return (chi / counts).sum(1, keepdims=True)

    def sample_natural(self, n_draws: int, rng: np.random.Generator) -> Array:
        chi, counts = self.natural_hyperparameters()
        rates = rng.gamma(chi, 1.0 / counts, size=(n_draws, *chi.shape))
        return np.log(rates)
