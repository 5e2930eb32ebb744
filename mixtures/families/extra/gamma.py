"""Gamma-distributed features with a known shape ``α`` and unknown rates ``λ``, on ``x > 0``.

``p(x | λ) = Π_d λ_d^α x_d^(α−1) e^(−λ_d x_d) / Γ(α)``: ``T(x) = x``, ``η = −λ``,
``A(η) = −α Σ_d log(−η_d)``, ``h(x) = Π_d x_d^(α−1) / Γ(α)``, ``μ = α/λ = −α/η``.
``α = 1`` is the exponential distribution (on ``x > 0``).
"""

import attrs
import numpy as np
import scipy  # scipy.special loads at first use, not with mixtures

from mixtures.families.base import Components, ExponentialFamily
from mixtures.families.separable import one_statistic_per_feature


class GammaKnownShapeComponents(Components):
    conventional = ("rate",)

    @property
    def rate(self) -> np.ndarray:
        """Rate ``λ`` of each feature: ``(K, D)``."""
        return -self.natural


@attrs.frozen
class GammaKnownShape(ExponentialFamily):
    shape: float = attrs.field(default=2.0, validator=attrs.validators.gt(0))
    min_mean: float = 1e-10  # keeps λ finite whatever the data
    components_type = GammaKnownShapeComponents

    def sufficient_statistics(self, x: np.ndarray) -> np.ndarray:
        return x

    def log_base_measure(self, x: np.ndarray) -> np.ndarray:
        return ((self.shape - 1.0) * np.log(x) - scipy.special.gammaln(self.shape)).sum(1)

    def log_partition(self, natural: np.ndarray) -> np.ndarray:
        return -self.shape * np.log(-natural).sum(1)

    def natural_to_mean(self, natural: np.ndarray) -> np.ndarray:
        return -self.shape / natural

    def mean_to_natural(self, mean: np.ndarray) -> np.ndarray:
        return -self.shape / mean

    def regularize_mean(self, mean: np.ndarray) -> np.ndarray:
        return np.maximum(mean, self.min_mean)

    def feature_columns(self, n_features: int) -> np.ndarray:  # independent features
        return one_statistic_per_feature(n_features)

    def data_mean(self, natural: np.ndarray) -> np.ndarray:
        return self.natural_to_mean(natural)

    def validate(self, x: np.ndarray) -> None:
        if np.any(x <= 0):
            raise ValueError(f"GammaKnownShape data must be > 0; got {x.min():g}")

    def sample(self, natural: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.gamma(self.shape, -1.0 / natural[labels])
