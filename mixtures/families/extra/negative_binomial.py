"""Counts with a known number of successes ``r`` per feature (``r = 1``: the geometric distribution).

``p(x | p) = h(x) p^r (1 − p)^x`` on ``x ∈ {0, 1, 2, …}`` (failures before the ``r``-th success), with
``h(x) = Γ(x + r) / (Γ(r) x!)``; ``T(x) = x``, ``η = log(1 − p) < 0``, ``A(η) = −r Σ_d log(1 − e^η_d)``,
``μ = r e^η / (1 − e^η) = r(1 − p)/p`` and back ``η = log(μ / (r + μ))``.
"""

import attrs
import numpy as np
import scipy  # scipy.special loads at first use, not with mixtures

from mixtures.families.base import Components, DataSupport, ExponentialFamily
from mixtures.families.separable import one_statistic_per_feature


class NegativeBinomialComponents(Components):
    conventional = ("probs",)

    @property
    def probs(self) -> np.ndarray:
        """Success probability ``p`` of each feature: ``(K, D)``."""
        return -np.expm1(self.natural)


@attrs.frozen
class NegativeBinomial(ExponentialFamily):
    r: float = attrs.field(default=1.0, validator=attrs.validators.gt(0))
    min_mean: float = 1e-10  # a component that saw only zeros keeps a finite η
    components_type = NegativeBinomialComponents

    def sufficient_statistics(self, x: np.ndarray) -> np.ndarray:
        return x

    def log_base_measure(self, x: np.ndarray) -> np.ndarray:
        gammaln = scipy.special.gammaln
        return (gammaln(x + self.r) - gammaln(self.r) - gammaln(x + 1.0)).sum(1)

    def log_partition(self, natural: np.ndarray) -> np.ndarray:
        return -self.r * np.log(-np.expm1(natural)).sum(1)

    def natural_to_mean(self, natural: np.ndarray) -> np.ndarray:
        return self.r / np.expm1(-natural)  # r e^η / (1 − e^η)

    def mean_to_natural(self, mean: np.ndarray) -> np.ndarray:
        return -np.log1p(self.r / mean)  # log(μ / (r + μ))

    def regularize_mean(self, mean: np.ndarray) -> np.ndarray:
        return np.maximum(mean, self.min_mean)

    def feature_columns(self, n_features: int) -> np.ndarray:  # independent features
        return one_statistic_per_feature(n_features)

    def data_mean(self, natural: np.ndarray) -> np.ndarray:
        return self.natural_to_mean(natural)

    def data_support(self) -> DataSupport:
        return DataSupport(non_negative=True, integer=True)

    def validate(self, x: np.ndarray) -> None:
        if np.any(x < 0) or np.any(x != np.round(x)):
            raise ValueError("NegativeBinomial data must be counts: integers >= 0")

    def sample(self, natural: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.negative_binomial(self.r, -np.expm1(natural[labels])).astype(float)

