"""Normal-Wishart prior for the full-covariance Gaussian (Bishop §10.2).

``Λ ~ Wishart(W, ν)``, ``μ | Λ ~ N(m, (βΛ)⁻¹)``. With respect to Lebesgue measure in ``(μ, Λ)``
and the Gaussian's statistics ``T = (z, packed z zᵀ)`` (``z = (x − origin) / feature_scale``) its natural
hyperparameters are ``χ = (βm, packed(W⁻¹ + βmmᵀ))`` and two block counts: ``β`` for
``A₁ = ½μᵀΛμ`` and ``ν − D`` for ``A₂ = −½ log|Λ|``. Bishop's updates (10.60–10.63) are exactly
``χ + M_k`` and ``counts + N_k``.

``β = 0`` is a flat (improper) prior on ``μ``, independent of ``Λ``, whose prior stays
``Wishart(W, ν)``: the density in ``(μ, Λ)`` is the Wishart's alone, so ``χ = (0, packed W⁻¹)``
and the counts are ``0`` and ``ν − D − 1`` (no ``|Λ|^½`` from a normal on ``μ``), and ``log Z``
is the Wishart's (the normal's ``½D log(2π/β)`` is infinite and dropped). After data the posterior
is an ordinary Normal-Wishart (``β = N``, ``ν + N − 1``). It has a mode, so MAP-EM takes it;
it has no normalised density, so variational Bayes, the posterior predictive and sampling refuse
it (``require_proper_mean``).
"""

from __future__ import annotations

from typing import Any, Self

import attrs
import numpy as np
import scipy  # scipy.special loads at first use, not with mixtures
from numpy.typing import NDArray

from mixtures._arrays import weighted_covariance, weighted_mean
from mixtures._fields import real_array, symmetric_positive_definite
from mixtures._validation import as_float_values
from mixtures.exceptions import FieldError
from mixtures.families.base import ExponentialFamily
from mixtures.families.gaussian import DiagonalGaussian, Gaussian, SphericalGaussian, TiedGaussian
from mixtures.families.gaussian_completion import ObservedPart
from mixtures.priors.base import ConjugatePrior, broadcast_rows, per_component
from mixtures.priors.student_t import log_student_t

__all__ = ["NormalWishart", "TiedNormalWishart", "check_centred_mean", "require_proper_mean"]

Array = NDArray[np.float64]
LOG_2PI = float(np.log(2 * np.pi))
LOG_2 = float(np.log(2.0))
#: How closely a stored Wishart scale must invert its stored inverse.
INVERSE_TOLERANCE = 1e-6


def _multi_digamma(half_dof: Array, n_features: int) -> Array:
    """``ψ_D(a) = Σ_{i=1..D} ψ(a + (1 − i)/2)``, elementwise."""
    offsets = (1.0 - np.arange(1, n_features + 1)) / 2.0
    return scipy.special.digamma(np.asarray(half_dof)[..., None] + offsets).sum(-1)


def _log_det_spd(matrices: Array, what: str) -> Array:
    sign, log_det = np.linalg.slogdet(matrices)
    if np.any(sign <= 0):
        raise ValueError(f"NormalWishart: {what} is not positive definite")
    return np.asarray(log_det, dtype=np.float64)


def _log_mean_normalizer(beta: Array, n_features: int) -> Array:
    """``½D log(2π/β)``, the normaliser of ``μ | Λ``; 0 where ``β = 0`` (a flat prior on the mean,
    whose infinite normaliser is dropped: the density is the Wishart's alone)."""
    positive = beta > 0
    return np.where(positive, 0.5 * n_features * (LOG_2PI - np.log(np.where(positive, beta, 1.0))), 0.0)


def _check_spd(matrices: Array, what: str) -> None:
    symmetric = np.allclose(matrices, np.swapaxes(matrices, -1, -2), rtol=1e-10, atol=0.0)
    try:
        np.linalg.cholesky(matrices)
    except np.linalg.LinAlgError:
        symmetric = False
    if not symmetric:
        raise ValueError(f"NormalWishart: {what} is not positive definite (symmetric)")


def _stacked(value: Any, n_components: int, shape: tuple[int, ...], name: str) -> Array:
    array = as_float_values(value, f"NormalWishart.{name}")
    if array.shape == shape:
        array = np.broadcast_to(array, (n_components, *shape)).copy()
    if array.shape != (n_components, *shape):
        raise ValueError(
            f"NormalWishart.{name} must have shape {shape} or {(n_components, *shape)}; "
            f"got {np.shape(value)}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"NormalWishart.{name} contains NaN or inf")
    return array


def check_centred_mean(
    prior: Any, family: Gaussian | DiagonalGaussian | SphericalGaussian, shape: tuple[int, int]
) -> None:
    """Raise ``FieldError`` unless a Gaussian prior's ``mean`` (the data's units) is exactly its
    ``centred_mean`` taken back to the data's units by ``family`` (the priors compute it so)."""
    mean = real_array(prior.mean, "mean", shape=shape, float64=False)
    centred = real_array(prior.centred_mean, "centred_mean", shape=shape, float64=False)
    if not np.array_equal(mean, family.data_location(centred)):
        raise FieldError(
            "mean", "does not equal centred_mean in the data's units (origin + feature_scale · centred_mean)"
        )


def require_proper_mean(prior_name: str, mean_precision: Any) -> None:
    """Raise ``ValueError`` if any ``mean_precision`` is 0: a flat prior on the mean has a mode
    (MAP-EM) but no normalised density, so no variational posterior, KL divergence, posterior
    predictive or draws."""
    if np.any(np.asarray(mean_precision) == 0):
        raise ValueError(
            f"{prior_name}.mean_precision is 0 (a flat, improper prior on the mean), which only "
            f"MAP-EM (inference='em') can use: variational Bayes, the posterior predictive and "
            f"sampling need a proper prior on the mean; give mean_precision > 0"
        )


def mean_precision_values(value: Any, n_components: int, name: str) -> Array:
    """A per-component mean precision ``β`` as ``(K,)``: ``>= 0`` (0 a flat prior on the mean)."""
    beta = per_component(value, n_components, name)
    if np.any(beta < 0):
        raise ValueError(f"{name} must be >= 0 (0: a flat prior on the mean, for MAP-EM); got {value!r}")
    return beta


def flat_mean_count(mean_precision: Array) -> Array:
    """1 where ``β = 0`` (the flat prior on the mean brings no ``|Λ|^½``), else 0."""
    return (np.asarray(mean_precision) == 0).astype(np.float64)


@attrs.frozen(kw_only=True)
class NormalWishart(ConjugatePrior):
    """Normal-Wishart prior on each full-covariance Gaussian component.

    Hyperparameters (``None`` takes the data-derived default):

    * ``mean`` ``m`` (``(D,)`` or ``(K, D)``): default the weighted data mean;
    * ``mean_precision`` ``β`` (``>= 0``): default 1; 0 is a flat prior on the mean, independent
      of ``Λ`` (whose prior stays ``Wishart(W, ν)``), for MAP-EM only (see the module docstring);
    * ``dof`` ``ν`` (must exceed ``D − 1``): default ``D + 2``, the fewest degrees of freedom
      for which the prior has a mode (MAP-EM needs one, ``ν > D``) and a finite mean covariance;
    * ``scale`` ``W`` (``(D, D)`` or ``(K, D, D)``): default the inverse of the weighted data
      covariance ``Σ̂`` (plus a ridge of 1e-3 of each feature's variance, so that a weak prior is
      not sure of directions the data never showed), as scikit-learn's default
      ``covariance_prior``: with the default ``ν = D + 2`` the prior mean covariance
      ``E[Σ] = W⁻¹/(ν − D − 1)`` is ``Σ̂`` (a component is expected to be no wider than all the
      data) and the mode of the precision is ``2 Σ̂⁻¹``. Being relative to each feature's spread,
      the default does not depend on the units of the features.

    After ``for_data`` the fields hold per-component arrays in the data's own coordinates (``mean``
    ``(K, D)``, ``mean_precision`` and ``dof`` ``(K,)``, ``scale`` ``(K, D, D)``); internally
    ``centred_mean`` is ``m`` and ``inverse_scale`` is ``W⁻¹``, both in the family's standardised
    coordinates ``z = (x − origin) / feature_scale`` (``W⁻¹`` is kept directly because the
    updates add to it).
    """

    mean: Any = None
    mean_precision: Any = None
    dof: Any = None
    scale: Any = None
    inverse_scale: Any = attrs.field(default=None, repr=False)
    centred_mean: Any = attrs.field(default=None, repr=False)
    gaussian: Gaussian | None = attrs.field(default=None, repr=False)

    def _centred_mean(self) -> Array:
        """``m`` in the family's standardised coordinates (what the natural coordinates use)."""
        return np.asarray(self.centred_mean)

    def _with_moments(self, centred_mean: Array, inverse_scale: Array, **fields: Any) -> Self:
        """Evolve with ``m`` and ``W⁻¹`` in standardised coordinates, keeping the conventional
        views (the data's units) in step."""
        gaussian = self._gaussian()
        inverse_scale = 0.5 * (inverse_scale + np.swapaxes(inverse_scale, -1, -2))
        feature_scale = gaussian.scale_for(centred_mean.shape[1])
        scale = np.linalg.inv(inverse_scale) / (feature_scale[:, None] * feature_scale[None, :])
        return attrs.evolve(
            self, centred_mean=centred_mean, mean=gaussian.data_location(centred_mean),
            inverse_scale=inverse_scale, scale=scale, **fields,
        )

    def _standard_wishart_scale(self) -> Array:
        """``W`` in standardised coordinates (what the expectations use): ``(K, D, D)``."""
        scale = np.linalg.inv(self.inverse_scale)
        return np.asarray(0.5 * (scale + np.swapaxes(scale, -1, -2)), dtype=np.float64)

    @property
    def family(self) -> ExponentialFamily:
        if self.gaussian is None:
            raise ValueError("NormalWishart prior is not resolved; call for_data first")
        return self.gaussian

    def _gaussian(self) -> Gaussian:
        assert isinstance(self.family, Gaussian)
        return self.family

    def for_data(
        self, family: ExponentialFamily, x: Array, weights: Array, n_components: int
    ) -> Self:
        if not isinstance(family, Gaussian) or isinstance(family, TiedGaussian):
            raise ValueError(
                f"a NormalWishart prior is for full-covariance Gaussians, not {family.name}"
            )
        n_features = x.shape[1]
        origin, feature_scale = family.origin_for(n_features), family.scale_for(n_features)
        outer_scale = feature_scale[:, None] * feature_scale[None, :]
        mean = weighted_mean(x, weights) if self.mean is None else self.mean
        mean_precision = 1.0 if self.mean_precision is None else self.mean_precision
        dof = n_features + 2.0 if self.dof is None else self.dof
        beta = mean_precision_values(mean_precision, n_components, "NormalWishart.mean_precision")
        nu = per_component(dof, n_components, "NormalWishart.dof")
        if np.any(nu <= n_features - 1):
            raise ValueError(f"NormalWishart.dof must exceed D - 1 = {n_features - 1}; got {dof!r}")
        if self.scale is None:
            covariance = weighted_covariance(x, weights) / outer_scale
            # a weak prior must not be sure of directions the data never showed (N <= D, or a
            # constant column): add 1e-3 of each feature's variance, or 1e-3 without spread
            variance = np.diag(covariance)
            covariance = covariance + np.diag(1e-3 * np.where(variance > 0, variance, 1.0))
            inverse_scale = np.broadcast_to(covariance, (n_components, n_features, n_features)).copy()
        else:
            scale = _stacked(self.scale, n_components, (n_features, n_features), "scale")
            _check_spd(scale, "scale")
            inverse_scale = np.asarray(np.linalg.inv(scale * outer_scale), dtype=np.float64)
        means = broadcast_rows(mean, n_components, n_features, "NormalWishart.mean")
        resolved = attrs.evolve(self, gaussian=family, mean_precision=beta, dof=nu)
        return resolved._with_moments((means - origin) / feature_scale, inverse_scale)

    # ----------------------------------------------------------------- conventional views
    @property
    def location(self) -> Array:
        """``m`` in the data's own coordinates: ``(K, D)`` (the same as ``mean`` once resolved)."""
        return np.asarray(self.mean)

    @property
    def wishart_scale(self) -> Array:
        """``W``: ``(K, D, D)`` (the same as ``scale`` once resolved)."""
        return np.asarray(self.scale)

    # ----------------------------------------------------------------- natural coordinates
    def natural_hyperparameters(self) -> tuple[Array, Array]:
        m, beta, nu = self._centred_mean(), np.asarray(self.mean_precision), np.asarray(self.dof)
        second = self.inverse_scale + beta[:, None, None] * m[:, :, None] * m[:, None, :]
        chi = np.concatenate([beta[:, None] * m, self._gaussian().pack(second, 1.0)], axis=1)
        counts = np.stack([beta, nu - m.shape[1] - flat_mean_count(beta)], axis=1)
        return chi, counts

    def with_location(self, centred_mean: Array) -> Self:
        """This distribution with ``μ``'s location held at ``centred_mean`` (standardised,
        ``(K, D)``), its scale gaining ``β (m − μ₀)(m − μ₀)ᵀ``: the posterior of ``Λ`` given
        ``μ = μ₀`` with ``q(μ | Λ)`` centred there (``mixtures.families.held``)."""
        chi, counts = self.natural_hyperparameters()
        held = self._gaussian().about_means(chi, counts[:, :1], centred_mean)
        return self.with_natural_hyperparameters(held, counts)

    def _unpack(self, chi: Array, counts: Array) -> tuple[Array, Array, Array, Array]:
        gaussian = self._gaussian()
        n_features = gaussian.n_features_of(chi.shape[-1])
        beta = counts[..., 0]
        nu = counts[..., 1] + n_features + flat_mean_count(beta)
        # β = 0: χ's mean part is 0 too, and the flat prior's location is taken as the origin
        m = chi[..., :n_features] / np.where(beta > 0, beta, 1.0)[..., None]
        second = gaussian.unpack(chi[..., n_features:], 1.0)
        inverse_scale = second - beta[..., None, None] * m[..., :, None] * m[..., None, :]
        return m, beta, nu, inverse_scale

    def with_natural_hyperparameters(self, chi: Array, counts: Array) -> Self:
        m, beta, nu, inverse_scale = self._unpack(chi, counts)
        return self._with_moments(m, inverse_scale, mean_precision=beta, dof=nu)

    def log_normalizer_of(self, chi: Array, counts: Array) -> Array:
        m, beta, nu, inverse_scale = self._unpack(chi, counts)
        n_features = m.shape[-1]
        return (
            _log_mean_normalizer(beta, n_features)
            + 0.5 * nu * n_features * LOG_2
            - 0.5 * nu * _log_det_spd(inverse_scale, "W⁻¹")
            + scipy.special.multigammaln(0.5 * nu, n_features)
        )

    def expected_precision(self) -> Array:
        """``E[Λ] = νW`` in the data's units: ``(K, D, D)``."""
        return np.asarray(self.dof)[:, None, None] * self.wishart_scale

    def _standard_expected_precision(self) -> Array:
        return np.asarray(self.dof)[:, None, None] * self._standard_wishart_scale()

    def expected_log_det_precision(self) -> Array:
        """``E[log|Λ|] = ψ_D(ν/2) + D log 2 − log|W⁻¹|``: ``(K,)``."""
        nu = np.asarray(self.dof)
        n_features = self.inverse_scale.shape[-1]
        return (
            _multi_digamma(0.5 * nu, n_features)
            + n_features * LOG_2
            - _log_det_spd(self.inverse_scale, "W⁻¹")
        )

    def require_proper_mean(self) -> None:
        """Raise ``ValueError`` if a component's ``mean_precision`` is 0 (see the module docstring):
        what needs a normalised density (VB's expectations and KL, predictive, draws) calls this."""
        require_proper_mean(type(self).__name__, self.mean_precision)

    def kl_divergence(self, other: ConjugatePrior) -> float:
        self.require_proper_mean()
        if isinstance(other, NormalWishart):
            other.require_proper_mean()
        return super().kl_divergence(other)

    def expected_natural(self) -> Array:
        self.require_proper_mean()
        precision = self._standard_expected_precision()
        first = np.einsum("kij,kj->ki", precision, self._centred_mean())
        return np.concatenate([first, self._gaussian().pack(-0.5 * precision, 2.0)], axis=1)

    def expected_log_partition_blocks(self) -> Array:
        self.require_proper_mean()
        m, beta = self._centred_mean(), np.asarray(self.mean_precision)
        quadratic = np.einsum("ki,kij,kj->k", m, self._standard_expected_precision(), m)
        first = 0.5 * (m.shape[1] / beta + quadratic)
        second = -0.5 * self.expected_log_det_precision()
        return np.stack([first, second], axis=1)

    def log_partition_blocks(self, natural: Array) -> Array:
        gaussian = self._gaussian()
        location, log_det_precision = gaussian.location_and_log_det(natural)
        n_features = location.shape[1]
        quadratic = 0.5 * np.einsum("kd,kd->k", location, natural[:, :n_features])
        return np.stack([quadratic, -0.5 * log_det_precision], axis=1)

    def mode(self) -> Array:
        """``μ = m``, ``Λ = (ν − D) W``: the mode in ``(μ, Λ)`` (requires ``ν > D``); with
        ``β = 0`` the Wishart's own mode ``Λ = (ν − D − 1) W`` (requires ``ν > D + 1``) and, the
        density being flat in ``μ``, ``μ = m``."""
        nu = np.asarray(self.dof)
        n_features = self.inverse_scale.shape[-1]
        count = nu - n_features - flat_mean_count(self.mean_precision)
        if np.any(count <= 0):
            raise ValueError(
                f"NormalWishart has no mode with dof <= D = {n_features} (dof <= D + 1 where "
                f"mean_precision is 0); raise the prior dof"
            )
        precision = count[:, None, None] * self._standard_wishart_scale()
        first = np.einsum("kij,kj->ki", precision, self._centred_mean())
        return np.concatenate([first, self._gaussian().pack(-0.5 * precision, 2.0)], axis=1)

    def check_resolved(self, family: ExponentialFamily, n_components: int, n_features: int) -> None:
        if not isinstance(family, Gaussian):
            raise ValueError(f"a {type(self).__name__} prior is over a Gaussian family, not {family.name}")
        matrices = (n_components, n_features, n_features)
        check_centred_mean(self, family, (n_components, n_features))
        beta = real_array(self.mean_precision, "mean_precision", shape=(n_components,), float64=False)
        if np.any(beta < 0):
            raise FieldError("mean_precision", f"must be >= 0; got minimum {beta.min():g}")
        dof = real_array(self.dof, "dof", shape=(n_components,), float64=False)
        if np.any(dof <= n_features - 1):
            raise FieldError("dof", f"must exceed D - 1 = {n_features - 1}; got minimum {dof.min():g}")
        scale = symmetric_positive_definite(self.scale, "scale", matrices)
        inverse = symmetric_positive_definite(self.inverse_scale, "inverse_scale", matrices)
        feature_scale = family.scale_for(n_features)
        standard_scale = scale * (feature_scale[:, None] * feature_scale[None, :])
        product = np.einsum("kij,kjl->kil", standard_scale, inverse)
        if not np.allclose(product, np.eye(n_features), rtol=0.0, atol=INVERSE_TOLERANCE):
            raise FieldError("scale", "is not the inverse of inverse_scale")
        # the shared checks need a normalised density: a flat prior on a mean (β = 0) is checked
        # with β = 1 there, its other hyperparameters being the same
        proper = attrs.evolve(self, mean_precision=np.where(beta == 0, 1.0, beta))
        super(NormalWishart, proper).check_resolved(family, n_components, n_features)

    def sample_natural(self, n_draws: int, rng: np.random.Generator) -> Array:
        self.require_proper_mean()
        gaussian = self._gaussian()
        m, beta, nu = self._centred_mean(), np.asarray(self.mean_precision), np.asarray(self.dof)
        scale = self._standard_wishart_scale()
        n_components, n_features = m.shape
        out = np.empty((n_draws, n_components, gaussian.pack(scale[:1], 1.0).shape[1] + n_features))
        for k in range(n_components):  # loop over components
            precision = _sample_wishart(scale[k], nu[k], n_draws, rng)
            factor = np.linalg.cholesky(beta[k] * precision)  # βΛ = F Fᵀ
            noise = rng.standard_normal((n_draws, n_features, 1))
            mu = m[k] + np.linalg.solve(np.swapaxes(factor, 1, 2), noise)[..., 0]
            first = np.einsum("nij,nj->ni", precision, mu)
            out[:, k] = np.concatenate([first, gaussian.pack(-0.5 * precision, 2.0)], axis=1)
        return out

    def log_predictive(self, x: Array) -> Array:
        """The multivariate Student-t posterior predictive (Bishop 10.81), in centred form."""
        self.require_proper_mean()
        gaussian = self._gaussian()
        z = gaussian.standardised(x)
        scale = self._standard_wishart_scale()
        m, beta, nu = self._centred_mean(), np.asarray(self.mean_precision), np.asarray(self.dof)
        n_features = m.shape[1]
        t_dof = nu + 1 - n_features
        out = np.empty((x.shape[0], m.shape[0]))
        for k in range(m.shape[0]):  # loop over components
            precision = (t_dof[k] * beta[k] / (1 + beta[k])) * scale[k]
            factor = np.linalg.cholesky(precision)
            whitened = (z - m[k]) @ factor
            distance = np.einsum("nd,nd->n", whitened, whitened)
            out[:, k] = (
                scipy.special.gammaln(0.5 * (t_dof[k] + n_features))
                - scipy.special.gammaln(0.5 * t_dof[k])
                - 0.5 * n_features * np.log(t_dof[k] * np.pi)
                + np.log(np.diag(factor)).sum()
                - 0.5 * (t_dof[k] + n_features) * np.log1p(distance / t_dof[k])
            )
        return out - gaussian.log_scale(n_features)

    def log_predictive_observed(self, x: Array, missing: NDArray[np.bool_]) -> Array:
        """The Student-t predictive's marginal over each row's observed entries: the same degrees
        of freedom, the observed sub-blocks of its location and shape (``student_t``)."""
        self.require_proper_mean()
        gaussian = self._gaussian()
        m, beta, nu = self._centred_mean(), np.asarray(self.mean_precision), np.asarray(self.dof)
        n_features = m.shape[1]
        t_dof = nu + 1 - n_features
        precisions = (t_dof * beta / (1 + beta))[:, None, None] * self._standard_wishart_scale()
        log_det_precision = np.linalg.slogdet(precisions)[1]
        part = ObservedPart.of(gaussian.standardised(x), missing, m, precisions, log_det_precision)
        observed = ~missing
        dimension = observed.sum(1)[:, None].astype(np.float64)
        out = log_student_t(part.quadratic, part.log_det, dimension, t_dof[None, :])
        out[~observed.any(1)] = 0.0  # nothing observed: density 1
        return out - (observed @ np.log(gaussian.scale_for(n_features)))[:, None]


def _sample_wishart(scale: Array, dof: float, n_draws: int, rng: np.random.Generator) -> Array:
    """Bartlett decomposition: ``Λ = L A Aᵀ Lᵀ`` with ``W = L Lᵀ``."""
    n_features = scale.shape[0]
    lower = np.linalg.cholesky(scale)
    bartlett = np.zeros((n_draws, n_features, n_features))
    rows, cols = np.tril_indices(n_features, -1)
    bartlett[:, rows, cols] = rng.standard_normal((n_draws, rows.shape[0]))
    chi_dof = dof - np.arange(n_features)
    bartlett[:, np.arange(n_features), np.arange(n_features)] = np.sqrt(
        rng.chisquare(chi_dof, size=(n_draws, n_features))
    )
    factor = lower @ bartlett
    return factor @ np.swapaxes(factor, 1, 2)


@attrs.frozen(kw_only=True)
class TiedNormalWishart(NormalWishart):
    """Normal-Wishart prior for the tied Gaussian: one ``Λ ~ Wishart(W, ν)`` shared by each
    group of components (all of them, or runs of the family's ``group_size``),
    ``μ_k | Λ ~ N(m_k, (β_k Λ)⁻¹)``.

    To stay additive per component, the shared hyperparameters are held in equal shares within
    each group: component ``k`` of a group of ``g`` carries ``W⁻¹/g + β_k m_k m_kᵀ`` and a count
    share, and the shares sum to the shared values, so adding each component's statistics to its
    own share adds the group's total to its shared scale (the tied update). ``log_normalizer``
    gives each component ``1/g`` of its group's joint normaliser. Defaults as for
    ``NormalWishart``; a ``dof`` or ``scale`` given per component must be the same within each
    group. A component with ``mean_precision`` 0 has a flat prior on its mean, bringing no
    ``|Λ|^½`` (and no normaliser) to its group's joint density (``NormalWishart``).
    """

    def for_data(
        self, family: ExponentialFamily, x: Array, weights: Array, n_components: int
    ) -> Self:
        if not isinstance(family, TiedGaussian):
            raise ValueError(f"a TiedNormalWishart prior is for TiedGaussian, not {family.name}")
        full = NormalWishart(
            mean=self.mean, mean_precision=self.mean_precision, dof=self.dof, scale=self.scale
        ).for_data(
            Gaussian(reg_covar=family.reg_covar, origin=family.origin, feature_scale=family.feature_scale),
            x, weights, n_components,
        )
        if not _shared_within_groups(family, np.asarray(full.dof), full.inverse_scale):
            raise ValueError(
                "TiedNormalWishart takes one dof and one scale shared by all components"
                + ("" if family.group_size is None else f" of each group of {family.group_size}")
            )
        resolved = attrs.evolve(
            self, gaussian=family, mean_precision=full.mean_precision, dof=full.dof
        )
        return resolved._with_moments(full._centred_mean(), full.inverse_scale)

    def _tied(self) -> TiedGaussian:
        family = self.family
        assert isinstance(family, TiedGaussian)
        return family

    def _normal_members(self, mean_precision: Array) -> Array:
        """How many members of each component's group have a normal prior on their mean
        (``β > 0``), per component: ``(K,)``."""
        tied = self._tied()
        size = self._group_size(mean_precision.shape[0])
        return np.repeat(tied.grouped((mean_precision > 0).astype(np.float64)).sum(1), size)

    def _shared_count(self, dof: Array, normal_members: Array, n_features: int) -> Array:
        """Total exponent count of ``½ log|Λ|`` in a group's joint density: ``g' + ν − D − 1``,
        ``g'`` the members with ``β > 0`` (each of whose normals brings ``|Λ|^½``)."""
        return normal_members + dof - n_features - 1.0

    def _group_size(self, n_components: int) -> int:
        return n_components // self._tied().n_groups(n_components)

    def natural_hyperparameters(self) -> tuple[Array, Array]:
        m, beta, nu = self._centred_mean(), np.asarray(self.mean_precision), np.asarray(self.dof)
        n_components, n_features = m.shape
        size = self._group_size(n_components)
        second = self.inverse_scale / size + beta[:, None, None] * m[:, :, None] * m[:, None, :]
        chi = np.concatenate([beta[:, None] * m, self._gaussian().pack(second, 1.0)], axis=1)
        share = self._shared_count(nu, self._normal_members(beta), n_features) / size
        return chi, np.stack([beta, share], axis=1)

    def _pooled(self, chi: Array, counts: Array) -> tuple[Array, Array, Array, Array]:
        """Per component ``m`` and ``β``; per group ``ν`` ``(G,)`` and ``W⁻¹`` ``(G, D, D)``."""
        tied = self._tied()
        n_features = tied.n_features_of(chi.shape[1])
        size = self._group_size(chi.shape[0])
        beta = counts[:, 0]
        m = chi[:, :n_features] / np.where(beta > 0, beta, 1.0)[:, None]  # β = 0: the origin
        second = tied.unpack(tied.grouped(chi[:, n_features:]).sum(1), 1.0)
        inverse_scale = second - tied.grouped(np.einsum("k,ki,kj->kij", beta, m, m)).sum(1)
        normal_members = self._normal_members(beta)[::size]
        nu = tied.grouped(counts[:, 1]).sum(1) - normal_members + n_features + 1.0
        return m, beta, nu, 0.5 * (inverse_scale + np.swapaxes(inverse_scale, 1, 2))

    def with_natural_hyperparameters(self, chi: Array, counts: Array) -> Self:
        m, beta, nu, inverse_scale = self._pooled(chi, counts)
        size = self._group_size(chi.shape[0])
        return self._with_moments(
            m, np.repeat(inverse_scale, size, axis=0), mean_precision=beta, dof=np.repeat(nu, size)
        )

    def log_normalizer_of(self, chi: Array, counts: Array) -> Array:
        if chi.ndim != 2:
            raise ValueError("TiedNormalWishart's normaliser couples the components; pass (K, S)")
        m, beta, nu, inverse_scale = self._pooled(chi, counts)
        n_features = m.shape[1]
        size = self._group_size(chi.shape[0])
        joint = (
            self._tied().grouped(_log_mean_normalizer(beta, n_features)).sum(1)
            + 0.5 * nu * n_features * LOG_2
            - 0.5 * nu * _log_det_spd(inverse_scale, "W⁻¹")
            + scipy.special.multigammaln(0.5 * nu, n_features)
        )
        return np.repeat(joint / size, size)

    def mode(self) -> Array:
        """``μ_k = m_k``, ``Λ = (g + ν − D − 1) W`` per group: the joint mode in ``(μ, Λ)`` (``g``
        counting the members with ``mean_precision > 0``)."""
        m, nu = self._centred_mean(), np.asarray(self.dof)
        n_features = m.shape[1]
        count = self._shared_count(nu, self._normal_members(np.asarray(self.mean_precision)), n_features)
        if np.any(count <= 0):
            raise ValueError(
                "TiedNormalWishart has no mode: g + dof − D − 1 must be positive (g: the members "
                "of a group with mean_precision > 0)"
            )
        precision = count[:, None, None] * self._standard_wishart_scale()
        first = np.einsum("kij,kj->ki", precision, m)
        return np.concatenate([first, self._gaussian().pack(-0.5 * precision, 2.0)], axis=1)

    def check_resolved(self, family: ExponentialFamily, n_components: int, n_features: int) -> None:
        super().check_resolved(family, n_components, n_features)
        if not isinstance(family, TiedGaussian):
            raise ValueError(f"a TiedNormalWishart prior is for TiedGaussian, not {family.name}")
        if not _shared_within_groups(family, np.asarray(self.dof), np.asarray(self.inverse_scale)):
            raise ValueError(
                "a TiedNormalWishart holds one dof and one scale shared by each group of components"
            )

    def sample_natural(self, n_draws: int, rng: np.random.Generator) -> Array:
        self.require_proper_mean()
        tied = self._tied()
        m, beta, nu = self._centred_mean(), np.asarray(self.mean_precision), np.asarray(self.dof)
        n_components, n_features = m.shape
        size = self._group_size(n_components)
        scale = self._standard_wishart_scale()
        out = []
        for group in range(tied.n_groups(n_components)):  # loop over groups; Λ is shared in each
            first_member = group * size
            precision = _sample_wishart(scale[first_member], float(nu[first_member]), n_draws, rng)
            for k in range(first_member, first_member + size):
                factor = np.linalg.cholesky(beta[k] * precision)
                noise = rng.standard_normal((n_draws, n_features, 1))
                mu = m[k] + np.linalg.solve(np.swapaxes(factor, 1, 2), noise)[..., 0]
                first = np.einsum("nij,nj->ni", precision, mu)
                out.append(np.concatenate([first, tied.pack(-0.5 * precision, 2.0)], axis=1))
        return np.stack(out, axis=1)


def _shared_within_groups(family: TiedGaussian, dof: Array, inverse_scale: Array) -> bool:
    """Whether ``dof`` ``(K,)`` and ``inverse_scale`` ``(K, D, D)`` are equal within each group."""
    dofs, scales = family.grouped(dof), family.grouped(inverse_scale)
    return bool(np.all(np.ptp(dofs, axis=1) == 0) and np.all(np.ptp(scales, axis=1) == 0))


# the default prior of the family it is over (see ExponentialFamily.declare_default_prior)
Gaussian.declare_default_prior(NormalWishart.default_for)
TiedGaussian.declare_default_prior(TiedNormalWishart.default_for)
