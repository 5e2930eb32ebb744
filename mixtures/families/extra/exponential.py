"""Exponential rates on ``x ≥ 0``: ``T(x) = x``, ``η = −λ``, ``A(η) = −Σ_d log(−η_d)``, ``h = 1``.

Conjugate prior ``λ_d ~ Gamma(shape, rate_d)``: in ``η``, w.r.t. ``dλ/λ``, ``exp(⟨χ, η⟩ − ν A(η) − log Z)``
with ``χ = rate``, ``ν = shape``, ``log Z = Σ_d log Γ(ν) − ν log χ_d``, ``E[η] = −ν/χ``,
``E[A(η)] = Σ_d log χ_d − ψ(ν)``. The update adds ``Σ x`` to the rates and ``N`` to the shape."""

from typing import Any, Self

import attrs
import numpy as np
import scipy  # scipy.special loads at first use, not with mixtures

from mixtures.families.base import ExponentialFamily
from mixtures.families.separable import one_statistic_per_feature
from mixtures.priors.single import SingleBlockPrior


@attrs.frozen
class Exponential(ExponentialFamily):
    """Independent exponential features; a component's rates are ``-natural`` (``1 / mean``)."""
    def sufficient_statistics(self, x: np.ndarray) -> np.ndarray:
        return x

    def log_base_measure(self, x: np.ndarray) -> np.ndarray:
        return np.zeros(len(x))

    def log_partition(self, natural: np.ndarray) -> np.ndarray:
        return -np.log(-natural).sum(1)

    def natural_to_mean(self, natural: np.ndarray) -> np.ndarray:
        return -1.0 / natural

    def mean_to_natural(self, mean: np.ndarray) -> np.ndarray:
        return -1.0 / mean

    feature_columns = staticmethod(one_statistic_per_feature)  # independent features: missing values
    data_mean = natural_to_mean  # E[x] = μ, as T(x) = x

    def regularize_mean(self, mean: np.ndarray) -> np.ndarray:
        return np.maximum(mean, 1e-10)  # a component that saw only zeros keeps a finite rate

    def validate(self, x: np.ndarray) -> None:
        if np.any(x < 0):
            raise ValueError(f"Exponential data must be >= 0; got {x.min():g}")

    def sample(self, natural: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.exponential(-1.0 / natural[labels])

    def default_prior(self) -> "GammaRate":  # the conjugate prior below, for VB and MAP-EM
        return GammaRate()


@attrs.frozen
class GammaRate(SingleBlockPrior):
    """``λ_d ~ Gamma(shape, rate_d)``; by default one pseudo-observation (``shape = 1``) at the data mean."""
    shape: Any = None  # a scalar; resolved per component (K,)
    rate: Any = None  # a scalar or per feature (D,); resolved to (K, D)
    family: ExponentialFamily = Exponential()

    def for_data(self, family: ExponentialFamily, x: np.ndarray, weights: np.ndarray, k: int) -> Self:
        if not isinstance(family, Exponential):
            raise ValueError(f"a GammaRate prior is for Exponential components, not {family.name}")
        shape = np.full(k, 1.0 if self.shape is None else self.shape)
        rate = shape[:, None] * np.average(x, 0, weights) if self.rate is None else self.rate
        return attrs.evolve(self, shape=shape, rate=rate * np.ones((k, x.shape[1])), family=family)

    def natural_hyperparameters(self) -> tuple[np.ndarray, np.ndarray]:
        return self.rate, self.shape[:, None]

    def with_natural_hyperparameters(self, chi: np.ndarray, counts: np.ndarray) -> Self:
        return attrs.evolve(self, shape=counts[:, 0], rate=chi)

    def log_normalizer_of(self, chi: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return (scipy.special.gammaln(counts) - counts * np.log(chi)).sum(-1)

    def expected_natural(self) -> np.ndarray:
        return -self.shape[:, None] / self.rate

    def expected_log_partition_blocks(self) -> np.ndarray:
        return (np.log(self.rate) - scipy.special.digamma(self.shape)[:, None]).sum(1, keepdims=True)

    def sample_natural(self, n_draws: int, rng: np.random.Generator) -> np.ndarray:
        return -rng.gamma(self.shape[:, None], size=(n_draws, *self.rate.shape)) / self.rate
