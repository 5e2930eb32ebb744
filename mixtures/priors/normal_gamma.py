"""Normal-Gamma priors for the diagonal and spherical Gaussians.

Features fall in precision groups that share one precision ``λ_g``: one group per feature for
``DiagonalGaussian`` (``NormalGamma``), one group of all ``D`` features for ``SphericalGaussian``
(``SphericalNormalGamma``). Per group of ``d`` features, in the family's standardised coordinates
``z = (x − origin) / feature_scale``:

    λ ~ Gamma(shape, rate),    μ | λ ~ N(m, (β λ)⁻¹ I_d).

Natural parameters ``η = (λ μ, −λ/2)`` make ``A = Σ_g [A_mean,g + A_precision,g]`` with
``A_mean,g = ½ λ_g ‖μ_g‖²`` and ``A_precision,g = −(d/2) log λ_g``. With base measure Lebesgue in
``(μ, λ)`` the joint density above is ``exp(⟨χ, η⟩ − Σ_b ν_b A_b(η) − log Z)`` for

    χ = (β m, 2·rate + β ‖m‖²),  ν_mean = β,  ν_precision = 1 + 2(shape − 1)/d,
    log Z = log Γ(shape) − shape·log(rate) + (d/2) log(2π/β),

so the update ``ν + N`` is ``β + N`` and ``shape + N d/2``, the textbook posterior. ``χ`` is laid
out like the family's statistics (``(z, z²)`` per feature, or ``(z, ‖z‖²)``); the counts are
``(β_g…, ν_precision,g…)``, two blocks per group.

``β = 0`` is a flat (improper) prior on the group's mean, independent of ``λ``, whose prior stays
``Gamma(shape, rate)``: no ``λ^(d/2)`` from a normal on ``μ``, so ``ν_precision = 2(shape − 1)/d``
and ``log Z`` drops the normal's ``(d/2) log(2π/β)``, which is infinite. The posterior after data
is an ordinary Normal-Gamma (``β = N``, ``shape + (N − 1) d/2``). MAP-EM takes it (the mode is the
Gamma's, ``λ = (shape − 1)/rate``); variational Bayes, the posterior predictive and sampling
refuse it (``require_proper_mean``).

As for ``NormalWishart``, ``mean`` is in the data's own coordinates, before and after ``for_data``;
a resolved prior also keeps ``centred_mean``, ``m`` in standardised coordinates, which is what the
natural coordinates use (so updates stay exact for data far from 0, in any units). A
``NormalGamma``'s ``rate`` is in the data's units too (``standard_rate`` holds it in standardised
units); a ``SphericalNormalGamma``'s ``rate`` is in standardised units, like the family's
``variance``.
"""

from __future__ import annotations

import abc
from typing import Any, Self

import attrs
import numpy as np
import scipy  # scipy.special loads at first use, not with mixtures
from numpy.typing import NDArray

from mixtures._arrays import weighted_mean, weighted_variance
from mixtures._fields import positive, real_array
from mixtures._validation import as_float_values, optional_finite, optional_positive
from mixtures.exceptions import FieldError
from mixtures.families.base import ExponentialFamily
from mixtures.families.gaussian import DiagonalGaussian, SphericalGaussian
from mixtures.priors.base import ConjugatePrior, broadcast_rows, per_component
from mixtures.priors.normal_wishart import check_centred_mean, require_proper_mean
from mixtures.priors.student_t import log_student_t

__all__ = ["NormalGamma", "SphericalNormalGamma"]

Array = NDArray[np.float64]
LOG_2PI = float(np.log(2 * np.pi))
#: Smallest data variance a default ``rate`` is built from (a constant feature has variance 0).
VARIANCE_FLOOR = 1e-12


def _optional_non_negative(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: ``None`` (a data-derived default) or finite values all >= 0."""
    if value is None:
        return
    array = as_float_values(value, f"{type(instance).__name__}.{attribute.name}")
    if not (np.all(np.isfinite(array)) and np.all(array >= 0)):
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name} must be >= 0 (0: a flat prior on the mean, "
            f"for MAP-EM); got {value!r}"
        )


def _normal_mean(mean_precision: Array) -> Array:
    """1 where ``β > 0`` (the normal on ``μ`` brings ``λ^(d/2)``), 0 where the mean's prior is flat."""
    return (mean_precision > 0).astype(np.float64)


class _NormalGammaPrior(ConjugatePrior):
    """The shared algebra; subclasses say how features group and how they store hyperparameters.

    Every method works on ``(m, β, shape, rate)`` with ``m`` centred ``(..., D)`` and the others
    one value per group ``(..., G)``; a ``(…, 1)`` group value broadcasts over its ``D`` features.
    """

    mean: Any
    mean_precision: Any
    centred_mean: Any
    gaussian: Any

    @property
    def family(self) -> ExponentialFamily:
        if self.gaussian is None:
            raise ValueError(f"{type(self).__name__} prior is not resolved; call for_data first")
        return self.gaussian

    def _gaussian(self) -> DiagonalGaussian | SphericalGaussian:
        family = self.family
        assert isinstance(family, DiagonalGaussian | SphericalGaussian)
        return family

    # ----------------------------------------------------------------- per subclass
    @staticmethod
    @abc.abstractmethod
    def _group_sum(values: Array) -> Array:
        """Sum ``(..., D)`` over the features of each precision group: ``(..., G)``."""

    @staticmethod
    @abc.abstractmethod
    def _group_size(n_features: int) -> int:
        """Features per precision group."""

    @staticmethod
    @abc.abstractmethod
    def _split(params: Array) -> tuple[Array, Array]:
        """The location part ``(..., D)`` and the precision part ``(..., G)`` of ``χ`` or ``η``."""

    @abc.abstractmethod
    def _conventional(self) -> tuple[Array, Array, Array, Array]:
        """Resolved ``(m, β, shape, rate)``: ``(K, D)`` and three ``(K, G)``."""

    @abc.abstractmethod
    def _with_conventional(self, mean: Array, mean_precision: Array, shape: Array, rate: Array) -> Self:
        """The resolved prior with these hyperparameters (shapes as ``_conventional`` returns;
        ``mean`` centred)."""

    # ----------------------------------------------------------------- natural coordinates
    def _conventional_of(self, chi: Array, counts: Array) -> tuple[Array, Array, Array, Array]:
        """``(m, β, shape, rate)`` of natural hyperparameters ``(..., S)`` and ``(..., 2G)``."""
        first, second = self._split(chi)
        n_groups = counts.shape[-1] // 2
        beta, precision_count = counts[..., :n_groups], counts[..., n_groups:]
        group_size = self._group_size(first.shape[-1])
        mean = first / np.where(beta > 0, beta, 1.0)  # β = 0: χ's mean part is 0, and so is m
        shape = 1.0 + 0.5 * group_size * (precision_count - _normal_mean(beta))
        rate = 0.5 * (second - self._group_sum(first * mean))
        return mean, beta, shape, rate

    def natural_hyperparameters(self) -> tuple[Array, Array]:
        mean, beta, shape, rate = self._conventional()
        group_size = self._group_size(mean.shape[1])
        first = beta * mean
        second = 2.0 * rate + self._group_sum(first * mean)
        precision_count = _normal_mean(beta) + 2.0 * (shape - 1.0) / group_size
        return np.concatenate([first, second], axis=1), np.concatenate([beta, precision_count], axis=1)

    def with_natural_hyperparameters(self, chi: Array, counts: Array) -> Self:
        return self._with_conventional(*self._conventional_of(chi, counts))

    def with_location(self, centred_mean: Array) -> Self:
        """This distribution with ``μ``'s location held at ``centred_mean`` (standardised,
        ``(K, D)``), each rate gaining ``½ β (m − μ₀)²`` (summed over a spherical group): the
        posterior of the precisions given ``μ = μ₀`` (``mixtures.families.held``)."""
        chi, counts = self.natural_hyperparameters()
        beta = self._conventional()[1]
        return self.with_natural_hyperparameters(self.gaussian.about_means(chi, beta, centred_mean), counts)

    # ----------------------------------------------------------------- the distribution
    def log_normalizer_of(self, chi: Array, counts: Array) -> Array:
        mean, beta, shape, rate = self._conventional_of(chi, counts)
        group_size = self._group_size(mean.shape[-1])
        normal = beta > 0  # a flat prior on the mean: its infinite normaliser is dropped
        mean_normalizer = 0.5 * group_size * (LOG_2PI - np.log(np.where(normal, beta, 1.0)))
        per_group = (
            scipy.special.gammaln(shape) - shape * np.log(rate) + np.where(normal, mean_normalizer, 0.0)
        )
        return per_group.sum(-1)

    def require_proper_mean(self) -> None:
        """Raise ``ValueError`` if a ``mean_precision`` is 0 (see the module docstring): what
        needs a normalised density (VB's expectations and KL, predictive, draws) calls this."""
        require_proper_mean(type(self).__name__, self._conventional()[1])

    def kl_divergence(self, other: ConjugatePrior) -> float:
        self.require_proper_mean()
        if isinstance(other, _NormalGammaPrior):
            other.require_proper_mean()
        return super().kl_divergence(other)

    def log_predictive(self, x: Array) -> Array:
        self.require_proper_mean()
        return super().log_predictive(x)

    def expected_natural(self) -> Array:
        self.require_proper_mean()
        mean, _, shape, rate = self._conventional()
        expected_precision = shape / rate
        return np.concatenate([mean * expected_precision, -0.5 * expected_precision], axis=1)

    def expected_log_partition_blocks(self) -> Array:
        self.require_proper_mean()
        mean, beta, shape, rate = self._conventional()
        group_size = self._group_size(mean.shape[1])
        # E[λ‖μ‖²] = ‖m‖² E[λ] + d/β;  E[log λ] = ψ(shape) − log(rate)
        mean_block = 0.5 * (self._group_sum(mean * mean) * shape / rate + group_size / beta)
        precision_block = -0.5 * group_size * (scipy.special.digamma(shape) - np.log(rate))
        return np.concatenate([mean_block, precision_block], axis=1)

    def log_partition_blocks(self, natural: Array) -> Array:
        """``(A_mean,g, A_precision,g)`` for each row of ``natural``: ``(K, 2G)``; the precision
        block is ``−inf`` where ``λ ≤ 0`` (outside the support)."""
        first, second = self._split(natural)
        precision = -2.0 * second
        group_size = self._group_size(first.shape[1])
        valid = precision > 0
        safe = np.where(valid, precision, 1.0)
        mean_block = 0.5 * self._group_sum(first * first) / safe
        precision_block = np.where(valid, -0.5 * group_size * np.log(safe), -np.inf)
        return np.concatenate([mean_block, precision_block], axis=1)

    def mode(self) -> Array:
        """Natural parameters at the mode of the density in ``(μ, λ)``: ``μ = m`` and
        ``λ = (shape − 1 + d/2) / rate``, which needs ``shape > 1 − d/2``; with ``β = 0`` the
        Gamma's own mode ``λ = (shape − 1) / rate``, which needs ``shape > 1``."""
        mean, beta, shape, rate = self._conventional()
        group_size = self._group_size(mean.shape[1])
        power = shape - 1.0 + 0.5 * group_size * _normal_mean(beta)
        if not np.all(power > 0):
            raise ValueError(
                f"{type(self).__name__}.mode needs shape > {1.0 - 0.5 * group_size:g} (shape > 1 "
                f"where mean_precision is 0; otherwise the density in (μ, λ) peaks at λ = 0); the "
                f"smallest shape is {shape.min():g}"
            )
        precision = power / rate
        return np.concatenate([mean * precision, -0.5 * precision], axis=1)

    def log_density(self, natural: Array) -> Array:
        """Log density in ``(μ, λ)`` at the component parameters ``natural``: ``(K,)``, ``−inf``
        where a precision is not positive."""
        chi, counts = self.natural_hyperparameters()
        blocks = self.log_partition_blocks(natural)
        outside = np.isinf(blocks).any(1)
        blocks = np.where(np.isinf(blocks), 0.0, blocks)  # no 0·inf: those rows are −inf anyway
        inside = (
            np.einsum("ks,ks->k", chi, natural)
            - np.einsum("kb,kb->k", counts, blocks)
            - self.log_normalizer()
        )
        return np.where(outside, -np.inf, inside)

    def posterior_mean_natural(self) -> Array:
        """Natural parameters of mean ``m`` and precision ``E[λ] = shape / rate`` (``= E[η]``)."""
        self.require_proper_mean()
        mean, _, shape, rate = self._conventional()
        precision = shape / rate
        return np.concatenate([mean * precision, -0.5 * precision], axis=1)

    def check_resolved(self, family: ExponentialFamily, n_components: int, n_features: int) -> None:
        if not isinstance(family, DiagonalGaussian | SphericalGaussian):
            raise ValueError(f"a {type(self).__name__} prior is over a Gaussian family, not {family.name}")
        check_centred_mean(self, family, (n_components, n_features))
        groups = (n_components, n_features) if isinstance(self, NormalGamma) else (n_components,)
        beta = real_array(self.mean_precision, "mean_precision", shape=groups, float64=False)
        if np.any(beta < 0):
            raise FieldError("mean_precision", f"must be >= 0; got minimum {beta.min():g}")
        for name in ("shape", "rate"):
            positive(getattr(self, name), name, shape=groups)
        if isinstance(self, NormalGamma):  # rate in the data's units, standard_rate in the family's
            standard = positive(self.standard_rate, "standard_rate", shape=groups)
            if not np.array_equal(self.rate, standard * family.scale_for(n_features) ** 2):
                raise FieldError("rate", "does not equal standard_rate · feature_scale² (the data's units)")
        # the shared checks need a normalised density: a flat prior on a mean (β = 0) is checked
        # with β = 1 there, its other hyperparameters being the same
        mean, group_beta, shape, rate = self._conventional()
        proper = self._with_conventional(mean, np.where(group_beta == 0, 1.0, group_beta), shape, rate)
        super(_NormalGammaPrior, proper).check_resolved(family, n_components, n_features)

    def sample_natural(self, n_draws: int, rng: np.random.Generator) -> Array:
        self.require_proper_mean()
        mean, beta, shape, rate = self._conventional()
        precision = rng.gamma(shape, 1.0 / rate, size=(n_draws, *shape.shape))
        noise = rng.standard_normal((n_draws, *mean.shape))
        location = mean + noise / np.sqrt(beta * precision)
        return np.concatenate([location * precision, -0.5 * precision], axis=-1)

    # ----------------------------------------------------------------- defaults
    def _resolve_mean(
        self, family: DiagonalGaussian | SphericalGaussian, x: Array, weights: Array | None, n_components: int
    ) -> tuple[Array, Array]:
        """The mean ``(K, D)`` (of ``mean``, or the data mean) and the data's variance ``(D,)``,
        both in the family's standardised coordinates."""
        n_features = x.shape[1]
        scale = family.scale_for(n_features)
        data_mean = weighted_mean(x, weights, shift=family.origin_for(n_features)) / scale
        variance = weighted_variance(x, weights) / scale**2
        name = f"{type(self).__name__}.mean"
        if self.mean is None:
            return broadcast_rows(data_mean, n_components, n_features, name), variance
        given = broadcast_rows(self.mean, n_components, n_features, name)  # the data's coordinates
        return (given - family.origin_for(n_features)) / scale, variance

    def log_predictive_observed(self, x: Array, missing: NDArray[np.bool_]) -> Array:
        """The predictive of each row's observed entries: per group of features sharing a
        precision, a Student-t (``2·shape`` degrees of freedom, shape ``rate (β+1)/(shape β)``
        times the identity) over the group's observed entries (``student_t``); a group with none
        observed contributes nothing."""
        self.require_proper_mean()
        gaussian = self._gaussian()
        mean, beta, shape, rate = self._conventional()
        spread = rate * (beta + 1) / (shape * beta)  # (K, G)
        offsets = np.where(missing[:, None, :], 0.0, gaussian.standardised(x)[:, None, :] - mean)
        dimension = self._group_sum((~missing).astype(np.float64))[:, None, :]  # (N, 1, G)
        per_group = log_student_t(
            self._group_sum(offsets**2) / spread, dimension * np.log(spread), dimension, 2 * shape
        )
        log_scale = np.log(gaussian.scale_for(x.shape[1]))
        return np.asarray(per_group.sum(-1) - ((~missing) @ log_scale)[:, None], dtype=np.float64)


@attrs.frozen(kw_only=True)
class NormalGamma(_NormalGammaPrior):
    """Normal-Gamma prior for ``DiagonalGaussian`` components, independent per feature:
    ``λ_d ~ Gamma(shape_d, rate_d)``, ``μ_d | λ_d ~ N(mean_d, 1/(mean_precision_d · λ_d))``.

    Natural hyperparameters (the module docstring with groups of ``d = 1``): ``χ = (β m, 2·rate +
    β m²)`` per feature, in the family's ``(z, z²)`` layout, ``m`` the centred mean; ``2D`` counts
    ``(β_1 … β_D, 2·shape_1 − 1 … 2·shape_D − 1)``; base measure Lebesgue in ``(μ_d, λ_d)``. The
    mode (in ``(μ, λ)``) is ``μ = mean``, ``λ = (shape − ½)/rate`` and needs ``shape > ½``.
    ``mean_precision_d = 0`` is a flat prior on ``μ_d`` (``λ_d ~ Gamma(shape_d, rate_d)`` alone;
    count ``2·shape_d − 2``, mode ``λ = (shape − 1)/rate``), for MAP-EM only (the module docstring).

    Each hyperparameter is a scalar, one value per feature ``(D,)`` or per component and feature
    ``(K, D)``; ``mean`` and ``rate`` are in the data's own units (``centred_mean`` and
    ``standard_rate`` are internal, in standardised units).
    Defaults, from the (weighted) data: ``mean`` = the data mean; ``mean_precision = 1`` (the mean
    is worth one observation); ``shape = 1`` (the precision is worth two observations, and the
    prior has a mode); ``rate = shape × variance`` of each feature (floored at ``reg_covar``, or
    1e-12, in standardised units), so that ``E[λ_d]`` is the inverse data variance.
    """

    mean: Any = attrs.field(default=None, validator=optional_finite)
    mean_precision: Any = attrs.field(default=None, validator=_optional_non_negative)
    shape: Any = attrs.field(default=None, validator=optional_positive)
    rate: Any = attrs.field(default=None, validator=optional_positive)
    centred_mean: Any = attrs.field(default=None, repr=False)
    standard_rate: Any = attrs.field(default=None, repr=False)
    gaussian: DiagonalGaussian | None = attrs.field(default=None, repr=False)

    @staticmethod
    def _group_sum(values: Array) -> Array:
        return values

    @staticmethod
    def _group_size(n_features: int) -> int:
        return 1

    @staticmethod
    def _split(params: Array) -> tuple[Array, Array]:
        n_features = params.shape[-1] // 2
        return params[..., :n_features], params[..., n_features:]

    def _conventional(self) -> tuple[Array, Array, Array, Array]:
        return (
            np.asarray(self.centred_mean),
            np.asarray(self.mean_precision),
            np.asarray(self.shape),
            np.asarray(self.standard_rate),
        )

    def _with_conventional(self, mean: Array, mean_precision: Array, shape: Array, rate: Array) -> Self:
        gaussian = self._gaussian()
        return attrs.evolve(
            self,
            mean=gaussian.data_location(mean),
            centred_mean=mean,
            mean_precision=mean_precision,
            shape=shape,
            rate=rate * gaussian.scale_for(mean.shape[1]) ** 2,
            standard_rate=rate,
        )

    def for_data(self, family: ExponentialFamily, x: Array, weights: Array, n_components: int) -> Self:
        if not isinstance(family, DiagonalGaussian):
            raise ValueError(f"a NormalGamma prior is for DiagonalGaussian components, not {family.name}")
        n_features = x.shape[1]
        mean, variance = self._resolve_mean(family, x, weights, n_components)

        def rows(value: Any, name: str) -> Array:
            return broadcast_rows(value, n_components, n_features, f"NormalGamma.{name}")

        shape = rows(1.0 if self.shape is None else self.shape, "shape")
        if self.rate is None:
            rate = shape * np.maximum(variance, max(family.reg_covar, VARIANCE_FLOOR))
        else:  # λ_z = scale² λ_x: the rate of a Gamma divides by scale²
            rate = rows(self.rate, "rate") / family.scale_for(n_features) ** 2
        given_precision = 1.0 if self.mean_precision is None else self.mean_precision
        mean_precision = rows(given_precision, "mean_precision")
        resolved = attrs.evolve(self, gaussian=family)
        return resolved._with_conventional(mean, mean_precision, shape, rate)


@attrs.frozen(kw_only=True)
class SphericalNormalGamma(_NormalGammaPrior):
    """Normal-Gamma prior for ``SphericalGaussian`` components: one precision for all ``D``
    features, ``λ ~ Gamma(shape, rate)``, ``μ | λ ~ N(mean, 1/(mean_precision · λ) I)``.

    Natural hyperparameters (the module docstring with ``d = D``): ``χ = (β m, 2·rate + β ‖m‖²)``
    in the family's ``(z, ‖z‖²)`` layout, ``m`` the centred mean; counts
    ``(β, 1 + 2(shape − 1)/D)``; base measure Lebesgue in ``(μ, λ)``. The mode (in ``(μ, λ)``) is
    ``μ = mean``, ``λ = (shape − 1 + D/2)/rate``, which exists whenever ``shape > 1 − D/2``.
    ``mean_precision = 0`` is a flat prior on ``μ`` (``λ ~ Gamma(shape, rate)`` alone; count
    ``2(shape − 1)/D``, mode ``λ = (shape − 1)/rate``), for MAP-EM only (the module docstring).

    ``mean`` is a scalar, ``(D,)`` or ``(K, D)`` in the data's own coordinates (``centred_mean`` is
    internal); the others are a scalar or one value per component ``(K,)``, and ``rate`` is in the
    family's standardised units (``λ`` is the precision of ``z = (x − origin) / feature_scale``;
    the data's own units with ``SphericalGaussian(feature_scale=1.0)``). Defaults, from the
    (weighted) data: ``mean`` = the data mean; ``mean_precision = 1``; ``shape = D`` (the
    precision is worth two observations, like ``NormalGamma``'s default per feature);
    ``rate = shape × variance``, the standardised variance averaged over features (floored at
    ``max(reg_covar, 1e-12)``), so that ``E[λ]`` is its inverse.
    """

    mean: Any = attrs.field(default=None, validator=optional_finite)
    mean_precision: Any = attrs.field(default=None, validator=_optional_non_negative)
    shape: Any = attrs.field(default=None, validator=optional_positive)
    rate: Any = attrs.field(default=None, validator=optional_positive)
    centred_mean: Any = attrs.field(default=None, repr=False)
    gaussian: SphericalGaussian | None = attrs.field(default=None, repr=False)

    @staticmethod
    def _group_sum(values: Array) -> Array:
        return values.sum(-1, keepdims=True)

    @staticmethod
    def _group_size(n_features: int) -> int:
        return n_features

    @staticmethod
    def _split(params: Array) -> tuple[Array, Array]:
        return params[..., :-1], params[..., -1:]

    def _conventional(self) -> tuple[Array, Array, Array, Array]:
        return (
            np.asarray(self.centred_mean),
            np.asarray(self.mean_precision)[:, None],
            np.asarray(self.shape)[:, None],
            np.asarray(self.rate)[:, None],
        )

    def _with_conventional(self, mean: Array, mean_precision: Array, shape: Array, rate: Array) -> Self:
        return attrs.evolve(
            self,
            mean=self._gaussian().data_location(mean),
            centred_mean=mean,
            mean_precision=mean_precision[:, 0],
            shape=shape[:, 0],
            rate=rate[:, 0],
        )

    def for_data(self, family: ExponentialFamily, x: Array, weights: Array, n_components: int) -> Self:
        if not isinstance(family, SphericalGaussian):
            raise ValueError(
                f"a SphericalNormalGamma prior is for SphericalGaussian components, not {family.name}"
            )
        mean, variance = self._resolve_mean(family, x, weights, n_components)

        def scalars(value: Any, name: str) -> Array:
            return per_component(value, n_components, f"SphericalNormalGamma.{name}")

        shape = scalars(float(x.shape[1]) if self.shape is None else self.shape, "shape")
        if self.rate is None:
            rate = shape * max(float(variance.mean()), family.reg_covar, VARIANCE_FLOOR)
        else:
            rate = scalars(self.rate, "rate")
        given_precision = 1.0 if self.mean_precision is None else self.mean_precision
        mean_precision = scalars(given_precision, "mean_precision")
        resolved = attrs.evolve(self, gaussian=family)
        return resolved._with_conventional(mean, mean_precision[:, None], shape[:, None], rate[:, None])


# the default prior of the family it is over (see ExponentialFamily.declare_default_prior)
DiagonalGaussian.declare_default_prior(NormalGamma.default_for)
SphericalGaussian.declare_default_prior(SphericalNormalGamma.default_for)
