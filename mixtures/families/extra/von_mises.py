"""Angles (radians) with unknown mean direction and concentration: one von Mises per feature.

``p(x | m, κ) = exp(κ cos(x − m)) / (2π I₀(κ))``: ``T(x) = (cos x, sin x)`` (all cosines, then all
sines), ``η = κ (cos m, sin m)``, ``A(η) = Σ_d log(2π I₀(‖η_d‖))``, ``h = 1``. The mean
``μ_d = I₁(κ)/I₀(κ) · η_d/κ`` has no closed-form inverse, so ``mean_to_natural`` is left to the base
class's Newton method, started from the approximation ``κ ≈ R(2 − R²)/(1 − R²)``, ``R = ‖μ_d‖``.
"""

import attrs
import numpy as np
import scipy  # scipy.special loads at first use, not with mixtures

from mixtures.families.base import Components, ExponentialFamily


class VonMisesComponents(Components):
    conventional = ("mean_direction", "concentration")

    @property
    def mean_direction(self) -> np.ndarray:
        cos, sin = np.split(self.natural, 2, axis=1)
        return np.arctan2(sin, cos)

    @property
    def concentration(self) -> np.ndarray:
        return np.hypot(*np.split(self.natural, 2, axis=1))


@attrs.frozen
class VonMises(ExponentialFamily):
    max_concentration: float = 1e4  # caps κ for a component whose angles all coincide
    components_type = VonMisesComponents

    def sufficient_statistics(self, x: np.ndarray) -> np.ndarray:
        return np.concatenate([np.cos(x), np.sin(x)], axis=1)

    def log_base_measure(self, x: np.ndarray) -> np.ndarray:
        return np.zeros(len(x))

    def log_partition(self, natural: np.ndarray) -> np.ndarray:
        kappa = np.hypot(*np.split(natural, 2, axis=1))
        return (np.log(2 * np.pi * scipy.special.i0e(kappa)) + kappa).sum(1)  # I₀(κ) = i0e(κ) e^κ

    def natural_to_mean(self, natural: np.ndarray) -> np.ndarray:
        kappa = np.hypot(*np.split(natural, 2, axis=1))
        safe = np.maximum(kappa, 1e-8)
        bessel_ratio = scipy.special.i1e(safe) / scipy.special.i0e(safe)
        ratio = np.where(kappa > 1e-8, bessel_ratio / safe, 0.5)  # I₁(κ)/(κ I₀(κ))
        return natural * np.tile(ratio, 2)

    def initial_natural(self, mean: np.ndarray) -> np.ndarray:
        length = np.minimum(np.hypot(*np.split(mean, 2, axis=1)), 1 - 1e-12)
        return mean * np.tile((2 - length**2) / (1 - length**2), 2)

    def regularize_mean(self, mean: np.ndarray) -> np.ndarray:
        longest = scipy.special.i1e(self.max_concentration) / scipy.special.i0e(self.max_concentration)
        length = np.hypot(*np.split(mean, 2, axis=1))
        return mean * np.tile(np.minimum(1.0, longest / np.maximum(length, 1e-300)), 2)

    def feature_columns(self, n_features: int) -> np.ndarray:
        """Independent angles: feature ``d``'s statistics are ``cos x_d`` and ``sin x_d``."""
        first = np.arange(n_features)
        return np.stack([first, first + n_features], axis=1)

    def validate(self, x: np.ndarray) -> None:
        if np.any(x < -np.pi) or np.any(x > 2 * np.pi):
            raise ValueError("VonMises data must be angles in radians, in [−π, π] or [0, 2π]")

    def init_features(self, x: np.ndarray) -> np.ndarray:
        return self.sufficient_statistics(x)  # k-means on the circle, not across the cut at ±π

    def sample(self, natural: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        components = VonMisesComponents(family=self, natural=natural[labels])
        return rng.vonmises(components.mean_direction, components.concentration)
