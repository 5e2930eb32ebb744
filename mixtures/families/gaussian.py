"""Gaussian families: full, diagonal, spherical and tied covariance.

All four share three settings:

* ``origin`` and ``scale``: statistics are formed on standardised coordinates
  ``z = (x − origin) / scale`` (per feature), and the natural parameters refer to ``z``.
  ``for_data`` sets ``origin`` to the weighted data mean and, unless it was given, ``scale`` to each
  feature's weighted standard deviation, both over each feature's bulk (``bulk_moments``: values
  more than 10 standard deviations out set neither, so one outlier cannot inflate the ridge of
  every component). Centring keeps second moments from cancelling for offset
  data; scaling makes a fit independent of the units of each feature: the ridge, the k-means++
  start and the default priors all live in ``z``. The conventional views (``mean``,
  ``covariance``, ``variance``) are in the data's own units. ``scale=1.0`` states the model in the
  data's own units (scikit-learn's convention).
* ``reg_covar``: a ridge added to every variance in the M-step (``Σ_z + reg_covar·I``), which keeps
  components of identical points or constant columns well defined. It is in standardised units,
  so by default a fraction of each feature's variance; with ``scale=1.0`` it is absolute, as
  scikit-learn's ``reg_covar``.
"""

from __future__ import annotations

import abc
import functools
from typing import Any, ClassVar, Self

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import (
    bulk_moments,
    column_magnitude,
    constant_feature_scale,
    constant_features,
    float_array,
    relative_weights,
    weighted_mean,
    weighted_spread,
)
from mixtures._validation import as_float_values, is_real_number
from mixtures.exceptions import DegenerateComponentError
from mixtures.families.base import EMPTY_COMPONENT_FRACTION, Components, ExponentialFamily, empty_components
from mixtures.families.completion import Completion
from mixtures.families.gaussian_completion import GaussianCompletion
from mixtures.families.gaussian_layout import StatisticsLayout
from mixtures.families.gaussian_rows import GaussianRows, TiedGaussianRows
from mixtures.families.held import HeldMeans, HeldPart
from mixtures.families.row_statistics import RowStatistics
from mixtures.families.statistics import ReferencePoints, SufficientStatistics

__all__ = [
    "DiagonalGaussian",
    "DiagonalGaussianComponents",
    "Gaussian",
    "GaussianComponents",
    "SphericalGaussian",
    "SphericalGaussianComponents",
    "TiedGaussian",
    "TiedGaussianComponents",
]

Array = NDArray[np.float64]
LOG_2PI = float(np.log(2 * np.pi))
#: Accepted rounding error of one log-density entry computed in product form.
PRODUCT_FORM_TOLERANCE = 1e-10
#: The same, for products in single precision (``product_dtype=float32``): the error the user
#: accepts there, about 1e5 of float32's rounding steps, as 1e-10 is about 1e5 of float64's.
SINGLE_PRODUCT_FORM_TOLERANCE = 1e-2
#: A covariance whose smallest Cholesky pivot² (or variance) is below this fraction of its largest
#: diagonal entry (or second moment) is numerically singular: float64 cannot represent it.
CONDITION_FLOOR = 1e-13
#: A component whose second moments about the family's origin exceed its smallest variance by
#: more than this factor loses more than about ``eps · CANCELLATION_RATIO`` of that variance to
#: cancellation (``E[zzᵀ] − E[z]E[z]ᵀ``): its statistics are gathered again about its own mean.
CANCELLATION_RATIO = 1e5


def _non_negative(instance: Any, attribute: attrs.Attribute, value: float) -> None:
    if not (is_real_number(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be a finite number >= 0; got {value!r}")


def _optional_vector(value: Any, name: str) -> Array | None:
    """``None``, or numbers as a float64 vector (anything else is a ``ValueError`` naming the
    setting ``name``)."""
    return None if value is None else np.atleast_1d(as_float_values(value, name))


def _origin_vector(value: Any) -> Array | None:
    return _optional_vector(value, "origin")


def _scale_vector(value: Any) -> Array | None:
    return _optional_vector(value, "feature_scale")


def _arrays_equal(a: Array | None, b: Array | None) -> bool:
    if a is None or b is None:
        return a is b
    return bool(np.array_equal(a, b))


def _positive_vector(instance: Any, attribute: attrs.Attribute, value: Array | None) -> None:
    if value is not None and not (np.all(np.isfinite(value)) and np.all(value > 0)):
        raise ValueError(f"{attribute.name} must hold finite numbers > 0; got {value!r}")


@attrs.frozen(kw_only=True)
class _GaussianFamily(ExponentialFamily):
    reg_covar: float = attrs.field(default=1e-6, validator=_non_negative)
    origin: Array | None = attrs.field(
        default=None, converter=_origin_vector, eq=attrs.cmp_using(eq=_arrays_equal)
    )
    feature_scale: Array | None = attrs.field(
        default=None,
        converter=_scale_vector,
        validator=_positive_vector,
        eq=attrs.cmp_using(eq=_arrays_equal),
    )

    #: The component view that ``components_from`` takes beside the means ("covariance" or
    #: "variance"), and whether it is a matrix (its precision is then its inverse).
    spread_view: ClassVar[str] = "covariance"
    spread_is_matrix: ClassVar[bool] = True
    #: How ``sufficient_statistics`` lays out ``T(z)``, for the E-step's compiled kernels.
    statistics_layout: ClassVar[StatisticsLayout] = StatisticsLayout.FULL

    def held_part(self, parts: frozenset[str]) -> HeldPart:
        if set(parts) != {"means"}:
            return super().held_part(parts)
        return HeldMeans()

    def completion(self, x: Array, missing: NDArray[np.bool_], natural: Array) -> Completion:
        """The marginal of each row's observed entries and the conditional moments of its
        missing ones (``mixtures.families.gaussian_completion``)."""
        return GaussianCompletion.of(self, x, missing, natural)

    @abc.abstractmethod
    def standard_covariances(self, natural: Array) -> Array:
        """Each component's covariance in standardised coordinates: ``(K, D, D)``."""

    def standard_means(self, natural: Array) -> Array:
        """The components' means in standardised coordinates: ``(K, D)``."""
        return self.natural_to_mean(natural)[:, : self.n_features_of_natural(natural)]

    def about_means(self, sums: Array, weights: Array, means: Array) -> Array:
        """Summed statistics ``sums`` ``(K, S)`` of points of total weight ``weights`` (``(K, 1)``,
        or ``(K, D)`` per feature) re-expressed about ``means`` (standardised, ``(K, D)``): the
        sums of points with the same spread about ``means`` whose own mean is ``means``, so
        first moments ``w μ₀`` and second moments ``S₂ − (s₁μ₀ᵀ + μ₀s₁ᵀ) + 2 w μ₀μ₀ᵀ`` (each in
        the family's layout of ``z zᵀ``). Prior hyperparameters in natural coordinates are such
        sums too, with the mean precision ``β`` as weight (``mixtures.families.held``)."""
        n_features = means.shape[1]
        weights = np.broadcast_to(weights, means.shape)
        first = sums[:, :n_features]
        cross = first[:, :, None] * means[:, None, :]
        root = np.sqrt(weights) * means
        own = root[:, :, None] * root[:, None, :]
        second = (
            sums[:, n_features:]
            - self.second_statistics(cross + np.swapaxes(cross, 1, 2))
            + 2.0 * self.second_statistics(own)
        )
        return np.concatenate([weights * means, second], axis=1)

    @abc.abstractmethod
    def second_statistics(self, matrices: Array) -> Array:
        """Symmetric ``(K, D, D)`` in the layout of the second-moment statistics: ``(K, S − D)``."""

    @abc.abstractmethod
    def scatter_statistics(self, offsets: Array, weights: Array) -> Array:
        """``Σ_n w_n y_n y_nᵀ`` of rows ``offsets`` ``(n, D)`` in the layout of the second-moment
        statistics: ``(S − D,)``."""

    @abc.abstractmethod
    def second_moment_trace(self, mean: Array) -> Array:
        """``E[‖z‖²]`` from mean parameters ``(K, S)``: ``(K,)``."""

    @abc.abstractmethod
    def feature_variances(self, mean: Array) -> Array:
        """Each feature's variance ``E[z_d²] − E[z_d]²`` from mean parameters ``(K, S)`` (a
        spherical component's one variance in every column): ``(K, D)``."""

    @abc.abstractmethod
    def cancellation(self, mean: Array) -> Array:
        """From mean parameters ``(K, S)``: how many times each component's second moments
        about the origin exceed its variance (in the direction where the ratio is largest;
        ``inf`` where the variance computed as ``E[zzᵀ] − E[z]E[z]ᵀ`` is not positive): ``(K,)``."""

    def maximum_likelihood(
        self, statistics: SufficientStatistics, previous: Array | None = None
    ) -> Array:
        self._check_resolved(statistics)
        return super().maximum_likelihood(statistics, previous)

    def _check_resolved(self, statistics: SufficientStatistics) -> None:
        """Raise ``DegenerateComponentError`` for an occupied component whose spread, ridge
        included, is below what float64 resolves at its location: a standard deviation under one
        rounding step of its coordinates, ``eps · |x|``. Its points coincide (a single point,
        other rows holding it by vanishing responsibilities), so with ``reg_covar=0`` no finite
        maximum-likelihood variance exists: gathered about its own point its variance is
        computed exactly, however small, and its precision would overflow the log-densities."""
        occupied = ~empty_components(statistics)
        mean = statistics.means()
        n_features = self.n_features_of_natural(mean)
        offset = mean[:, :n_features]
        variance = self.feature_variances(mean)
        points = 0.0 if statistics.reference is None else statistics.reference.points
        step = np.finfo(np.float64).eps * np.abs(self.data_location(points + offset))
        resolution = (step / self.scale_for(n_features)) ** 2
        bad = occupied[:, None] & ~(variance + self.reg_covar > resolution)
        if bad.any():
            k, d = (int(i) for i in np.argwhere(bad)[0])
            raise DegenerateComponentError(
                f"{self.name}: component {k}: its variance, {float(variance[k, d]):.3g} (in units "
                f"of the data's variance), is zero to float64 precision. {_DEGENERATE_VARIANCE}"
            )

    def coinciding_components(self, statistics: SufficientStatistics) -> NDArray[np.bool_]:
        """Occupied components whose variance about their point is zero to float64 precision
        (``CONDITION_FLOOR``): their covariance is the ridge ``reg_covar`` alone."""
        occupied = ~empty_components(statistics)
        mean = statistics.means()
        location = mean[:, : self.n_features_of_natural(mean)]
        second = self.second_moment_trace(mean)
        spread = second - np.einsum("kd,kd->k", location, location)
        return occupied & ~(spread > CONDITION_FLOOR * second)

    def shifted_statistics(self, counts: Array, sums: Array, shift: Array) -> Array:
        """Sums of points ``y`` re-expressed as sums of ``y − δ`` (``δ = shift``, ``(K, D)``):
        ``s₁ − N δ`` and ``S₂ − (s₁δᵀ + δs₁ᵀ) + N δδᵀ`` in the family's layout."""
        n_features = shift.shape[1]
        first = sums[:, :n_features]
        cross = first[:, :, None] * shift[:, None, :]
        root = np.sqrt(counts)[:, None] * shift
        second = (
            sums[:, n_features:]
            - self.second_statistics(cross + np.swapaxes(cross, 1, 2))
            + self.second_statistics(root[:, :, None] * root[:, None, :])
        )
        return np.concatenate([first - counts[:, None] * shift, second], axis=1)

    def shifted_natural(self, natural: Array, points: Array) -> Array:
        """Components stated about ``points`` ``(K, D)`` in the family's coordinates: the
        precision is the same and ``Λμ`` gains ``Λc``."""
        out = np.array(natural, dtype=np.float64, copy=True)
        out[:, : points.shape[1]] += self.precision_times(natural, points)
        return out

    def cancelled_components(self, statistics: SufficientStatistics) -> NDArray[np.bool_]:
        """The occupied components whose sums about the origin lost their spread to
        cancellation (``regathered`` gathers them again)."""
        ratio = self.cancellation(statistics.means())
        return (statistics.counts > 0) & ~(ratio < CANCELLATION_RATIO)

    def regathered(
        self, statistics: SufficientStatistics, x: Array, weighted_responsibilities: Array
    ) -> SufficientStatistics:
        """The components whose sums about the origin lost their spread to cancellation (tight
        compared with their distance from the data centre, see ``CANCELLATION_RATIO``) gathered
        again about their weighted mean in these rows: ``N·D²`` work for each such component."""
        cancelled = self.cancelled_components(statistics)
        if not cancelled.any():
            return statistics
        mean = statistics.means()
        n_features = x.shape[1]
        scale = self.scale_for(n_features)
        points = np.zeros((statistics.n_components, n_features))
        sums = statistics.sums.copy()
        for k in np.flatnonzero(cancelled):  # loop over the few cancelled components
            points[k] = mean[k, :n_features]
            # from x itself: z = (x − origin)/scale already rounded each row by eps·|x|
            offsets = (x - self.data_location(points[k])) / scale
            weights = weighted_responsibilities[:, k]
            sums[k, :n_features] = weights @ offsets
            sums[k, n_features:] = self.scatter_statistics(offsets, weights)
        return SufficientStatistics(
            statistics.counts, sums, reference=ReferencePoints(self, points)
        )

    def with_parts(self, natural: Array, parts: dict[str, Any]) -> Array:
        """Replace the components' ``means`` ``(K, D)`` and/or their ``covariances`` or
        ``precisions`` (scikit-learn's shapes: ``(K, D, D)`` full, ``(D, D)`` tied (``(G, D, D)``
        with groups), ``(K, D)`` diagonal, ``(K,)`` spherical, as ``components_from`` takes them)."""
        unknown = set(parts) - {"means", "covariances", "precisions"}
        if unknown or {"covariances", "precisions"} <= set(parts):
            raise ValueError(
                f"a {self.name} start takes means and covariances or precisions; got {sorted(parts)}"
            )
        current: Any = self.components(natural)
        means = parts.get("means", current.mean)
        spread = getattr(current, self.spread_view)
        if "covariances" in parts:
            spread = parts["covariances"]
        elif "precisions" in parts:
            given = as_float_values(parts["precisions"], "init precisions")
            spread = np.linalg.inv(given) if self.spread_is_matrix else 1.0 / given
        family: Any = self  # each Gaussian family names its spread argument after its view
        return self.natural_of(family.components_from(means, spread))

    def standardised(self, x: Array) -> Array:
        """``z = (x − origin) / feature_scale``, the coordinates of the statistics."""
        z = x if self.origin is None else x - self.origin
        return z if self.feature_scale is None else z / self.feature_scale

    def origin_for(self, n_features: int) -> Array:
        return np.zeros(n_features) if self.origin is None else self.origin

    def scale_for(self, n_features: int) -> Array:
        """``feature_scale`` as ``(D,)`` (ones while unset)."""
        if self.feature_scale is None:
            return np.ones(n_features)
        return np.broadcast_to(self.feature_scale, (n_features,))

    def data_location(self, z: Array) -> Array:
        """Points in standardised coordinates back in the data's units: ``origin + scale·z``."""
        n_features = z.shape[-1]
        return self.origin_for(n_features) + self.scale_for(n_features) * z

    def data_covariance(self, covariance: Array) -> Array:
        """``(…, D, D)`` covariances in standardised coordinates back in the data's units."""
        scale = self.scale_for(covariance.shape[-1])
        return covariance * scale[:, None] * scale[None, :]

    def log_scale(self, n_features: int) -> float:
        """``Σ_d log scale_d``: the log-Jacobian between densities in ``x`` and in ``z``."""
        return float(np.log(self.scale_for(n_features)).sum())

    def for_data(self, x: Array, weights: Array) -> Self:
        origin, spread = bulk_moments(x, weights)  # outliers set neither
        if not np.all(np.isfinite(origin)):
            raise ValueError(
                f"X is too large for {self.name}: its weighted mean overflows float64 (largest "
                f"|x| about {float(np.max(column_magnitude(x))):.3g}); rescale X"
            )
        scale = self.feature_scale
        if scale is None:
            scale = np.where(constant_features(spread, origin), constant_feature_scale(origin), spread)
        elif scale.shape[0] not in (1, x.shape[1]):
            raise ValueError(
                f"{self.name}.feature_scale has {scale.shape[0]} entries but X has {x.shape[1]} "
                f"features"
            )
        return attrs.evolve(self, origin=origin, feature_scale=scale)

    def init_features(self, x: Array) -> Array:
        return self.standardised(x)

    def first_batch_caveat(self, x: Array, weights: Array) -> str | None:
        if self.feature_scale is not None:
            return None
        origin = weighted_mean(x, relative_weights(weights))
        constant = np.flatnonzero(constant_features(weighted_spread(x, weights), origin))
        if constant.size == 0:
            return None
        return (
            f"{self.name}: feature(s) {constant.tolist()} are constant in these rows, so their "
            f"feature_scale (and with it the ridge reg_covar·scale² and the default prior's "
            f"spread) comes from their magnitude; if they vary in later batches, give "
            f"{self.name}(feature_scale=...) a spread for every feature"
        )

    def log_base_measure(self, x: Array) -> Array:
        return np.full(x.shape[0], self.log_base_constant(x.shape[1]))

    def log_base_constant(self, n_features: int) -> float:
        """``log h(x)``, the same for every row: ``−D/2 log 2π − Σ_d log scale_d``."""
        return -0.5 * n_features * LOG_2PI - self.log_scale(n_features)

    def row_statistics(self, x: Array, product_dtype: Any = np.float64) -> RowStatistics:
        """The rows as the E-step reads them: ``x`` itself, whose statistics compiled kernels
        form block by block in the cache, never for all rows at once (``GaussianRows``), in
        products of ``product_dtype`` (float64 or float32)."""
        return GaussianRows.of(self, x, product_dtype=np.dtype(product_dtype))

    # The product form ``T(z) ηᵀ − A(η)`` cancels terms of size ``‖z‖² tr Λ``; where that exceeds
    # ``1/(eps · PRODUCT_FORM_TOLERANCE)`` (tight components far from the origin), the column is
    # recomputed in centred form ``−½ (z − μ)ᵀ Λ (z − μ) + ½ log|Λ|``, which never forms A(η).
    def log_likelihood_of_statistics(
        self,
        statistics: Array,
        log_base: Array,
        natural: Array,
        log_partition: Array | None = None,
    ) -> Array:
        out = super().log_likelihood_of_statistics(statistics, log_base, natural, log_partition)
        n_features = self.n_features_of_natural(natural)
        z = statistics[:, :n_features]
        radius = float(np.einsum("nd,nd->n", z, z).max())
        cancelling = self.cancelling_components(radius, natural)
        self.write_centred_columns(out, z, cancelling, log_base, natural, log_partition)
        return out

    def cancelling_components(
        self, largest_squared_norm: float, natural: Array, product_dtype: Any = np.float64
    ) -> NDArray[np.intp]:
        """The components whose log-densities in product form, computed in ``product_dtype``,
        would carry a rounding error above ``PRODUCT_FORM_TOLERANCE`` (float64) or
        ``SINGLE_PRODUCT_FORM_TOLERANCE`` (float32) on rows with ``‖z‖²`` up to
        ``largest_squared_norm``."""
        single = np.dtype(product_dtype) == np.float32
        tolerance = SINGLE_PRODUCT_FORM_TOLERANCE if single else PRODUCT_FORM_TOLERANCE
        eps = np.finfo(product_dtype).eps
        bound = eps * largest_squared_norm * self.precision_trace(natural)
        return np.flatnonzero(bound > tolerance)

    def write_centred_columns(
        self,
        out: Array,
        z: Array,
        components: NDArray[np.intp],
        log_base: Any,
        natural: Array,
        log_partition: Array | None,
    ) -> None:
        """``out[:, k]`` for each of ``components``: their log-densities of rows ``z``
        (standardised) in centred form ``log h − ½ (z − μ)ᵀ Λ (z − μ) + ½ log|Λ|`` (with
        ``log_partition``: VB's ``½ μᵀ E[Λμ] − E[A]`` in place of the log-determinant term)."""
        n_features = z.shape[1]
        for k in components:  # loop over the few components the product form fails
            location, log_det_precision = self.location_and_log_det(natural[k : k + 1])
            column = log_base - 0.5 * self.quadratic_form(z - location[0], natural[k])
            if log_partition is None:
                out[:, k] = column + 0.5 * log_det_precision[0]
            else:
                out[:, k] = column + (0.5 * location[0] @ natural[k, :n_features] - log_partition[k])

    def natural_of(self, components: Components) -> Array:
        # Moving the origin by δ keeps Λ and shifts the centred mean by −δ: η₁ ← η₁ − Λδ; then
        # stretching the coordinates by a (z' = a z) divides η₁ by a and Λ by a aᵀ.
        natural = np.array(super().natural_of(components), dtype=np.float64, copy=True)
        n_features = self.n_features_of_natural(natural)
        source = components.family
        assert isinstance(source, _GaussianFamily)
        source_scale = source.scale_for(n_features)
        shift = (self.origin_for(n_features) - source.origin_for(n_features)) / source_scale
        natural[:, :n_features] -= self.precision_times(natural, shift)
        stretch = source_scale / self.scale_for(n_features)
        if np.array_equal(stretch, np.ones(n_features)):
            return natural
        return self.stretched(natural, stretch)

    @abc.abstractmethod
    def stretched(self, natural: Array, stretch: Array) -> Array:
        """The same components in coordinates ``z' = stretch · z`` (``stretch`` ``(D,)``)."""

    @abc.abstractmethod
    def n_features_of_natural(self, natural: Array) -> int:
        """``D`` from the shape of the natural parameters."""

    @abc.abstractmethod
    def precision_times(self, natural: Array, vector: Array) -> Array:
        """``Λ_k v`` for each component: ``(K, D)``."""

    @abc.abstractmethod
    def precision_trace(self, natural: Array) -> Array:
        """``tr Λ_k`` for each component: ``(K,)``."""

    @abc.abstractmethod
    def location_and_log_det(self, natural: Array) -> tuple[Array, Array]:
        """Centred means ``(K, D)`` and ``log|Λ_k|`` ``(K,)``."""

    @abc.abstractmethod
    def quadratic_form(self, offsets: Array, natural_row: Array) -> Array:
        """``dᵀ Λ d`` for each row ``d`` of ``offsets`` under one component's parameters."""

    def _check_origin(self, x: Array) -> None:
        n_features = x.shape[1]
        for name, lengths in (("origin", (n_features,)), ("feature_scale", (1, n_features))):
            value = getattr(self, name)
            if value is not None and value.shape[0] not in lengths:
                raise ValueError(
                    f"{self.name} has {name} of length {value.shape[0]} but x has "
                    f"{n_features} features"
                )


def _spd_factor(matrices: Array, family: str) -> Array:
    """The Cholesky factors ``L`` ``(K, D, D)`` of symmetric positive-definite matrices, from one
    batched factorisation; a ``DegenerateComponentError`` naming the first component whose
    matrix is not positive definite or is numerically singular."""
    try:
        factor = np.linalg.cholesky(matrices)
    except np.linalg.LinAlgError:
        factor = None
    if factor is None or not np.all(np.isfinite(factor)):
        k = next((k for k, matrix in enumerate(matrices) if not _has_cholesky(matrix)), 0)
        raise DegenerateComponentError(
            f"{family}: covariance of component {k} is not positive definite. "
            f"{_DEGENERATE_VARIANCE}"
        )
    diagonal = np.diagonal(factor, axis1=1, axis2=2)
    largest = np.diagonal(matrices, axis1=1, axis2=2).max(1)
    singular = ~(diagonal.min(1) ** 2 >= CONDITION_FLOOR * largest)
    if singular.any():
        raise DegenerateComponentError(
            f"{family}: covariance of component {int(np.argmax(singular))} is numerically "
            f"singular. {_DEGENERATE_VARIANCE}"
        )
    return np.asarray(factor, dtype=np.float64)


def _log_determinant(factor: Array) -> Array:
    """``log |M|`` of each matrix from its Cholesky factor: ``(K,)``."""
    return 2.0 * np.log(np.diagonal(factor, axis1=1, axis2=2)).sum(1)


def _spd_inverse(matrices: Array, family: str) -> tuple[Array, Array]:
    """Inverse and log-determinant of each symmetric positive-definite matrix in ``(K, D, D)``,
    from one batched Cholesky factorisation (``_spd_factor``, which checks them)."""
    factor = _spd_factor(matrices, family)
    inverse_factor = np.linalg.solve(factor, np.broadcast_to(np.eye(matrices.shape[1]), matrices.shape))
    inverse = np.swapaxes(inverse_factor, 1, 2) @ inverse_factor  # Σ⁻¹ = L⁻ᵀ L⁻¹
    inverse = 0.5 * (inverse + np.swapaxes(inverse, 1, 2))
    return inverse, _log_determinant(factor)


def _spd_solve(matrices: Array, vectors: Array, family: str) -> tuple[Array, Array]:
    """``M⁻¹ v`` ``(K, D)`` and ``log |M|`` ``(K,)`` for symmetric positive-definite ``M``
    ``(K, D, D)`` (checked as ``_spd_inverse`` checks them) and ``v`` ``(K, D)``: what the log
    partition needs, at about half the cost of the inverses (every chunk of every E-step asks)."""
    factor = _spd_factor(matrices, family)
    solution = np.asarray(np.linalg.solve(matrices, vectors[:, :, None])[:, :, 0], dtype=np.float64)
    return solution, _log_determinant(factor)


def _has_cholesky(matrix: Array) -> bool:
    """Whether ``matrix`` has a finite Cholesky factor (it is numerically positive definite)."""
    try:
        return bool(np.all(np.isfinite(np.linalg.cholesky(matrix))))
    except np.linalg.LinAlgError:
        return False


@attrs.frozen(kw_only=True)
class Gaussian(_GaussianFamily):
    """Multivariate normal with a full covariance matrix per component.

    ``T(x) = (z, z_i z_j for i ≤ j)`` with ``z = x − origin`` (the upper triangle of ``z zᵀ``,
    packed row by row), ``η = (Λμ, −½Λ_ii, −Λ_ij for i < j)``, ``A(η) = ½ μᵀΛμ − ½ log|Λ|`` and
    ``log h(x) = −D/2 log 2π``.
    """

    @staticmethod
    def n_features_of(n_statistics: int) -> int:
        n_features = round((np.sqrt(9 + 8 * n_statistics) - 3) / 2)
        if n_features + n_features * (n_features + 1) // 2 != n_statistics:
            raise ValueError(f"{n_statistics} statistics do not fit a full Gaussian")
        return n_features

    @staticmethod
    def _triangle(n_features: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        return _upper_triangle(n_features)

    def pack(self, matrices: Array, off_diagonal_scale: float) -> Array:
        """Upper triangles of ``(K, D, D)`` as ``(K, P)``; off-diagonal entries scaled."""
        rows, cols = self._triangle(matrices.shape[-1])
        scale = np.where(rows == cols, 1.0, off_diagonal_scale)
        return matrices[..., rows, cols] * scale

    def unpack(self, packed: Array, off_diagonal_scale: float) -> Array:
        """Symmetric ``(K, D, D)`` from packed upper triangles (inverse of ``pack``)."""
        n_features = self.n_features_of_packed(packed)
        rows, cols = self._triangle(n_features)
        values = packed / np.where(rows == cols, 1.0, off_diagonal_scale)
        out = np.zeros((*packed.shape[:-1], n_features, n_features))
        out[..., rows, cols] = values
        out[..., cols, rows] = values
        return out

    @staticmethod
    def n_features_of_packed(packed: Array) -> int:
        """``D`` such that ``D(D+1)/2`` equals the packed length."""
        return round((np.sqrt(1 + 8 * packed.shape[-1]) - 1) / 2)

    def _split(self, params: Array) -> tuple[Array, Array, int]:
        n_features = self.n_features_of(params.shape[-1])
        return params[:, :n_features], params[:, n_features:], n_features

    def precision_of(self, natural: Array) -> Array:
        _, second, _ = self._split(natural)
        return self.unpack(-2.0 * second, 2.0)

    def n_features_of_natural(self, natural: Array) -> int:
        return self.n_features_of(natural.shape[1])

    def second_statistics(self, matrices: Array) -> Array:
        return self.pack(matrices, 1.0)

    def scatter_statistics(self, offsets: Array, weights: Array) -> Array:
        return self.pack(((offsets * weights[:, None]).T @ offsets)[None], 1.0)[0]

    def second_moment_trace(self, mean: Array) -> Array:
        _, second, n_features = self._split(mean)
        rows, cols = self._triangle(n_features)
        return second[:, rows == cols].sum(1)

    def feature_variances(self, mean: Array) -> Array:
        location, second, n_features = self._split(mean)
        rows, cols = self._triangle(n_features)
        return second[:, rows == cols] - location * location

    def cancellation(self, mean: Array) -> Array:
        location, second, n_features = self._split(mean)
        # the symmetric matrices by one gather (every chunk of every pass asks)
        covariance = second[:, _packed_positions(n_features)]
        size = np.diagonal(covariance, axis1=1, axis2=2).max(1)
        covariance -= location[:, :, None] * location[:, None, :]
        return _ratio(size, _smallest_pivots(covariance))

    def standard_covariances(self, natural: Array) -> Array:
        return _spd_inverse(self.precision_of(natural), self.name)[0]

    def precision_times(self, natural: Array, vector: Array) -> Array:
        precision = self.precision_of(natural)
        return np.einsum("kij,kj->ki", precision, np.broadcast_to(vector, precision.shape[:2]))

    def precision_trace(self, natural: Array) -> Array:
        n_features = self.n_features_of(natural.shape[1])
        rows, cols = self._triangle(n_features)
        return -2.0 * natural[:, n_features:][:, rows == cols].sum(1)

    def location_and_log_det(self, natural: Array) -> tuple[Array, Array]:
        first, _, _ = self._split(natural)
        return _spd_solve(self.precision_of(natural), first, self.name)

    def stretched(self, natural: Array, stretch: Array) -> Array:
        first, second, n_features = self._split(natural)
        rows, cols = self._triangle(n_features)
        return np.concatenate([first / stretch, second / (stretch[rows] * stretch[cols])], axis=1)

    def quadratic_form(self, offsets: Array, natural_row: Array) -> Array:
        factor = np.linalg.cholesky(self.precision_of(natural_row[None, :])[0])
        whitened = offsets @ factor  # Λ = F Fᵀ, so dᵀΛd = ‖dᵀF‖²
        return np.einsum("nd,nd->n", whitened, whitened)

    # ------------------------------------------------------------- primitives
    def sufficient_statistics(self, x: Array) -> Array:
        self._check_origin(x)
        z = np.asfortranarray(self.standardised(x))  # column-major: each product is one contiguous run
        n_features = z.shape[1]
        out = np.empty((z.shape[0], n_features + n_features * (n_features + 1) // 2), order="F")
        out[:, :n_features] = z
        start = n_features
        for i in range(n_features):  # row i of the upper triangle: z_i * z_j for j >= i
            stop = start + n_features - i
            np.multiply(z[:, i : i + 1], z[:, i:], out=out[:, start:stop])
            start = stop
        return out

    def log_partition(self, natural: Array) -> Array:
        first, _, _ = self._split(natural)
        mean, log_det_precision = _spd_solve(self.precision_of(natural), first, self.name)
        return 0.5 * np.einsum("ki,ki->k", mean, first) - 0.5 * log_det_precision

    def natural_to_mean(self, natural: Array) -> Array:
        first, _, _ = self._split(natural)
        covariance, _ = _spd_inverse(self.precision_of(natural), self.name)
        mean = np.einsum("kij,kj->ki", covariance, first)
        second = covariance + mean[:, :, None] * mean[:, None, :]
        return np.concatenate([mean, self.pack(second, 1.0)], axis=1)

    def mean_to_natural(self, mean: Array) -> Array:
        location, second, _ = self._split(mean)
        second_moment = self.unpack(second, 1.0)
        covariance = second_moment - location[:, :, None] * location[:, None, :]
        _check_positive(
            np.diagonal(covariance, axis1=1, axis2=2),
            np.diagonal(second_moment, axis1=1, axis2=2),
            self.name,
        )
        return self._natural_from_moments(location, covariance)

    def _natural_from_moments(self, location: Array, covariance: Array) -> Array:
        precision, _ = _spd_inverse(covariance, self.name)
        first = np.einsum("kij,kj->ki", precision, location)
        return np.concatenate([first, self.pack(-0.5 * precision, 2.0)], axis=1)

    # ------------------------------------------------------------- hooks
    def regularize_mean(self, mean: Array) -> Array:
        if self.reg_covar == 0:
            return mean
        n_features = self.n_features_of(mean.shape[1])
        rows, cols = self._triangle(n_features)
        out = mean.copy()
        out[:, n_features:][:, rows == cols] += self.reg_covar
        return out

    def sample(self, natural: Array, labels: NDArray[np.intp], rng: np.random.Generator) -> Array:
        first, _, n_features = self._split(natural)
        covariance, _ = _spd_inverse(self.precision_of(natural), self.name)
        location = np.einsum("kij,kj->ki", covariance, first)
        noise = rng.standard_normal((labels.shape[0], n_features))
        out = np.empty_like(noise)
        for k in range(natural.shape[0]):  # loop over components
            chosen = labels == k
            factor = np.linalg.cholesky(covariance[k])
            out[chosen] = location[k] + noise[chosen] @ factor.T
        return self.data_location(out)

    def components_from(self, mean: Any, covariance: Any) -> GaussianComponents:
        """Components from conventional parameters: ``mean`` ``(K, D)``, ``covariance`` ``(K, D, D)``."""
        mean, covariance = float_array(mean), float_array(covariance)
        if mean.ndim != 2 or covariance.shape != (*mean.shape, mean.shape[1]):
            raise ValueError(
                f"need mean (K, D) and covariance (K, D, D); got {mean.shape} and {covariance.shape}"
            )
        _check_given(mean, covariance, self.name)
        location, standard = self._standardised_moments(mean, covariance)
        return GaussianComponents(family=self, natural=self._natural_from_moments(location, standard))

    def _standardised_moments(self, mean: Array, covariance: Array) -> tuple[Array, Array]:
        """Means and covariances given in the data's units, in this family's coordinates."""
        scale = self.scale_for(mean.shape[1])
        location = (mean - self.origin_for(mean.shape[1])) / scale
        return location, covariance / (scale[:, None] * scale[None, :])


@attrs.frozen(eq=False, repr=False)
class GaussianComponents(Components):
    family: Gaussian
    conventional = ("mean", "covariance")

    def _standard_covariance(self) -> Array:
        return _spd_inverse(self.family.precision_of(self.natural), self.family.name)[0]

    @property
    def precision(self) -> Array:
        """Precision matrices ``Λ = Σ⁻¹`` in the data's units: ``(K, D, D)``."""
        scale = self.family.scale_for(self.family.n_features_of(self.natural.shape[1]))
        return self.family.precision_of(self.natural) / (scale[:, None] * scale[None, :])

    @property
    def covariance(self) -> Array:
        """Covariance matrices ``Σ`` in the data's units: ``(K, D, D)``."""
        return self.family.data_covariance(self._standard_covariance())

    @property
    def mean(self) -> Array:
        """Component means in the data's units: ``(K, D)``."""
        first, _, _ = self.family._split(self.natural)
        return self.family.data_location(np.einsum("kij,kj->ki", self._standard_covariance(), first))


Gaussian.components_type = GaussianComponents


def _group_size(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    whole = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if value is not None and not (whole and value >= 1):
        raise ValueError(f"group_size must be None or a whole number >= 1; got {value!r}")


@attrs.frozen(kw_only=True)
class TiedGaussian(Gaussian):
    """Multivariate normal whose components share full covariance matrices.

    The statistics and density are those of ``Gaussian``; only the M-step differs: the second
    moments are pooled into one covariance per group of components. ``group_size`` (default
    ``None``: one group of all components) ties each run of ``group_size`` consecutive
    components: components ``0 … g−1`` share one covariance, ``g … 2g−1`` the next, and so on;
    the number of components must be a multiple of it. ``HMM(n_mix=M)`` orders its components
    state by state, so ``group_size=M`` gives each state one covariance that its mixture
    components share.
    """

    group_size: int | None = attrs.field(default=None, validator=_group_size)

    @property
    def component_multiple(self) -> int:
        return 1 if self.group_size is None else int(self.group_size)

    def row_statistics(self, x: Array, product_dtype: Any = np.float64) -> RowStatistics:
        """As ``Gaussian``'s, with log-densities that form each group's shared quadratic term
        once (``TiedGaussianRows``)."""
        return TiedGaussianRows.of(
            self, x, group_size=self.group_size or 0, product_dtype=np.dtype(product_dtype)
        )

    def n_groups(self, n_components: int) -> int:
        """How many groups ``n_components`` components form (``ValueError`` unless they split
        into whole groups)."""
        if self.group_size is None:
            return 1
        if n_components % self.group_size:
            raise ValueError(
                f"TiedGaussian(group_size={self.group_size}) ties runs of {self.group_size} "
                f"consecutive components; {n_components} components do not split into them"
            )
        return n_components // self.group_size

    def grouped(self, values: Array) -> Array:
        """Per-component ``values`` ``(K, …)`` as ``(G, K/G, …)``, one row per group."""
        return values.reshape(self.n_groups(values.shape[0]), -1, *values.shape[1:])

    def maximum_likelihood(
        self, statistics: SufficientStatistics, previous: Array | None = None
    ) -> Array:
        empty = empty_components(statistics)
        n_features = self.n_features_of(statistics.sums.shape[1])
        points = np.zeros((statistics.n_components, n_features))
        if statistics.reference is not None:  # the empty are estimated about no point
            points = np.where(empty[:, None], 0.0, statistics.reference.points)
            statistics = statistics.about(points)
        centred = statistics.means()[:, :n_features]  # about each component's point
        means = points + centred
        if empty.any():
            fallback = (
                statistics.pooled().means()[:, :n_features]
                if previous is None
                else self.natural_to_mean(previous)[:, :n_features]
            )
            means[empty] = fallback if previous is None else fallback[empty]
        counts = self.grouped(statistics.counts)
        # scatter about each component's mean, summed over its group: S₂ − N m mᵀ about its point
        second = self.unpack(self.grouped(statistics.sums[:, n_features:]).sum(1), 1.0)
        outer = self.grouped(np.einsum("k,ki,kj->kij", statistics.counts, centred, centred)).sum(1)
        totals = counts.sum(1)
        # a group without data (all the components of an HMM state empty) keeps its covariance,
        # or at a first M-step takes that of all the groups pooled
        light = totals <= EMPTY_COMPONENT_FRACTION * totals.sum()
        divisor = np.where(light, 1.0, totals)[:, None, None]
        shared = (second - outer) / divisor
        ridge = self.reg_covar * np.eye(n_features)
        shared += ridge
        scale = np.diagonal(second, axis1=1, axis2=2) / divisor[:, :, 0] + self.reg_covar
        _check_positive(np.diagonal(shared, axis1=1, axis2=2)[~light], scale[~light], self.name)
        if light.any():
            shared[light] = (
                (second.sum(0) - outer.sum(0)) / totals.sum() + ridge
                if previous is None
                else self.grouped(self.standard_covariances(previous))[light, 0]
            )
        covariance = np.repeat(shared, counts.shape[1], axis=0)
        return self._natural_from_moments(means, covariance)

    def coinciding_components(self, statistics: SufficientStatistics) -> NDArray[np.bool_]:
        """None: a component of coinciding points still has its group's shared covariance."""
        return np.zeros(statistics.n_components, dtype=bool)

    def n_free_parameters(self, natural: Array) -> int:
        n_features = self.n_features_of(natural.shape[1])
        per_covariance = n_features * (n_features + 1) // 2
        return natural.shape[0] * n_features + self.n_groups(natural.shape[0]) * per_covariance

    def components_from(self, mean: Any, covariance: Any) -> GaussianComponents:
        """Components from ``mean`` ``(K, D)`` and the shared ``covariance``: ``(D, D)``, or
        ``(G, D, D)`` (one per group of ``group_size`` components) when ``group_size`` is set."""
        mean, covariance = float_array(mean), float_array(covariance)
        n_features = mean.shape[1] if mean.ndim == 2 else -1
        matrix = (n_features, n_features)
        if self.group_size is None:
            expected: tuple[int, ...] = matrix
        else:
            expected = (self.n_groups(mean.shape[0]) if mean.ndim == 2 else -1, *matrix)
        if mean.ndim != 2 or covariance.shape != expected:
            shape = "(D, D)" if self.group_size is None else f"(K / {self.group_size}, D, D)"
            raise ValueError(
                f"need mean (K, D) and covariance {shape}; got {mean.shape} and {covariance.shape}"
            )
        matrices = covariance.reshape(-1, *matrix)
        _check_given(mean, matrices, self.name)
        stacked = np.repeat(matrices, mean.shape[0] // len(matrices), axis=0)
        location, standard = self._standardised_moments(mean, stacked)
        return TiedGaussianComponents(family=self, natural=self._natural_from_moments(location, standard))


@attrs.frozen(eq=False, repr=False)
class TiedGaussianComponents(GaussianComponents):
    family: TiedGaussian

    @property
    def covariance(self) -> Array:
        """The shared covariance matrix ``(D, D)``, or one per group ``(G, D, D)`` when the
        family's ``group_size`` is set."""
        shared = self.family.grouped(self._standard_covariance())[:, 0]
        return self.family.data_covariance(shared[0] if self.family.group_size is None else shared)

    @property
    def mean(self) -> Array:
        if self.family.group_size is not None:
            return super().mean
        first, _, _ = self.family._split(self.natural)
        return self.family.data_location(first @ self._standard_covariance()[0])


TiedGaussian.components_type = TiedGaussianComponents


@attrs.frozen(kw_only=True)
class DiagonalGaussian(_GaussianFamily):
    """Multivariate normal with a diagonal covariance (independent features) per component.

    ``T(x) = (z, z²)``, ``η = (μ/σ², −1/(2σ²))`` per feature, ``A(η) = Σ_d μ_d²/(2σ_d²) + ½ log σ_d²``.
    """

    spread_view: ClassVar[str] = "variance"
    spread_is_matrix: ClassVar[bool] = False
    statistics_layout: ClassVar[StatisticsLayout] = StatisticsLayout.DIAGONAL

    def sufficient_statistics(self, x: Array) -> Array:
        self._check_origin(x)
        z = self.standardised(x)
        return np.concatenate([z, z * z], axis=1)

    @staticmethod
    def _halves(params: Array) -> tuple[Array, Array]:
        n_features = params.shape[1] // 2
        return params[:, :n_features], params[:, n_features:]

    def n_features_of_natural(self, natural: Array) -> int:
        return natural.shape[1] // 2

    def second_statistics(self, matrices: Array) -> Array:
        return np.diagonal(matrices, axis1=1, axis2=2).copy()

    def scatter_statistics(self, offsets: Array, weights: Array) -> Array:
        return weights @ (offsets * offsets)

    def second_moment_trace(self, mean: Array) -> Array:
        return self._halves(mean)[1].sum(1)

    def feature_variances(self, mean: Array) -> Array:
        location, second = self._halves(mean)
        return second - location * location

    def cancellation(self, mean: Array) -> Array:
        location, second = self._halves(mean)
        return _ratio(second, second - location * location).max(1)

    def standard_covariances(self, natural: Array) -> Array:
        n_features = natural.shape[1] // 2
        variances = -0.5 / natural[:, n_features:]
        return variances[:, :, None] * np.eye(n_features)

    def precision_times(self, natural: Array, vector: Array) -> Array:
        return -2.0 * self._halves(natural)[1] * vector

    def precision_trace(self, natural: Array) -> Array:
        return -2.0 * self._halves(natural)[1].sum(1)

    def location_and_log_det(self, natural: Array) -> tuple[Array, Array]:
        first, second = self._halves(natural)
        precision = -2.0 * second
        return first / precision, np.log(precision).sum(1)

    def stretched(self, natural: Array, stretch: Array) -> Array:
        first, second = self._halves(natural)
        return np.concatenate([first / stretch, second / stretch**2], axis=1)

    def quadratic_form(self, offsets: Array, natural_row: Array) -> Array:
        precision = -2.0 * natural_row[offsets.shape[1] :]
        return (offsets * offsets) @ precision

    def log_partition(self, natural: Array) -> Array:
        first, second = self._halves(natural)
        variance = -0.5 / second
        return (0.5 * first * first * variance + 0.5 * np.log(variance)).sum(1)

    def natural_to_mean(self, natural: Array) -> Array:
        first, second = self._halves(natural)
        variance = -0.5 / second
        mean = first * variance
        return np.concatenate([mean, variance + mean * mean], axis=1)

    def mean_to_natural(self, mean: Array) -> Array:
        location, second = self._halves(mean)
        variance = second - location * location
        _check_positive(variance, second, self.name)
        return np.concatenate([location / variance, -0.5 / variance], axis=1)

    def regularize_mean(self, mean: Array) -> Array:
        n_features = mean.shape[1] // 2
        out = mean.copy()
        out[:, n_features:] += self.reg_covar
        return out

    def sample(self, natural: Array, labels: NDArray[np.intp], rng: np.random.Generator) -> Array:
        first, second = self._halves(natural)
        variance = -0.5 / second
        noise = rng.standard_normal((labels.shape[0], first.shape[1]))
        return self.data_location((first * variance)[labels] + noise * np.sqrt(variance[labels]))

    def components_from(self, mean: Any, variance: Any) -> DiagonalGaussianComponents:
        """Components from ``mean`` ``(K, D)`` and ``variance`` ``(K, D)``."""
        mean, variance = float_array(mean), float_array(variance)
        if mean.ndim != 2 or variance.shape != mean.shape:
            raise ValueError(
                f"need mean and variance of shape (K, D); got {mean.shape}, {variance.shape}"
            )
        _check_given(mean, variance, self.name)
        scale = self.scale_for(mean.shape[1])
        centred = (mean - self.origin_for(mean.shape[1])) / scale
        variance = variance / scale**2
        natural = np.concatenate([centred / variance, -0.5 / variance], axis=1)
        return DiagonalGaussianComponents(family=self, natural=natural)


@attrs.frozen(eq=False, repr=False)
class DiagonalGaussianComponents(Components):
    family: DiagonalGaussian
    conventional = ("mean", "variance")

    @property
    def variance(self) -> Array:
        """Per-feature variances in the data's units: ``(K, D)``."""
        first, second = self.family._halves(self.natural)
        return -0.5 / second * self.family.scale_for(first.shape[1]) ** 2

    @property
    def mean(self) -> Array:
        """Component means in the data's units: ``(K, D)``."""
        first, second = self.family._halves(self.natural)
        return self.family.data_location(first * (-0.5 / second))


DiagonalGaussian.components_type = DiagonalGaussianComponents


@attrs.frozen(kw_only=True)
class SphericalGaussian(_GaussianFamily):
    """Multivariate normal with covariance ``σ_k² I`` per component.

    ``T(x) = (z, ‖z‖²)``, ``η = (μ/σ², −1/(2σ²))``, ``A(η) = ‖μ‖²/(2σ²) + D/2 log σ²``.
    """

    spread_view: ClassVar[str] = "variance"
    spread_is_matrix: ClassVar[bool] = False
    statistics_layout: ClassVar[StatisticsLayout] = StatisticsLayout.SPHERICAL

    def sufficient_statistics(self, x: Array) -> Array:
        self._check_origin(x)
        z = self.standardised(x)
        return np.concatenate([z, np.einsum("nd,nd->n", z, z)[:, None]], axis=1)

    def n_features_of_natural(self, natural: Array) -> int:
        return natural.shape[1] - 1

    def second_statistics(self, matrices: Array) -> Array:
        return np.trace(matrices, axis1=1, axis2=2)[:, None]

    def scatter_statistics(self, offsets: Array, weights: Array) -> Array:
        return np.atleast_1d(weights @ np.einsum("nd,nd->n", offsets, offsets))

    def second_moment_trace(self, mean: Array) -> Array:
        return mean[:, -1].copy()

    def feature_variances(self, mean: Array) -> Array:
        location, second = mean[:, :-1], mean[:, -1]
        variance = (second - np.einsum("kd,kd->k", location, location)) / location.shape[1]
        return np.repeat(variance[:, None], location.shape[1], axis=1)

    def cancellation(self, mean: Array) -> Array:
        location, second = mean[:, :-1], mean[:, -1]
        return _ratio(second, second - np.einsum("kd,kd->k", location, location))

    def standard_covariances(self, natural: Array) -> Array:
        variance = -0.5 / natural[:, -1]
        return variance[:, None, None] * np.eye(natural.shape[1] - 1)

    def precision_times(self, natural: Array, vector: Array) -> Array:
        return -2.0 * natural[:, -1:] * vector

    def precision_trace(self, natural: Array) -> Array:
        return -2.0 * natural[:, -1] * (natural.shape[1] - 1)

    def location_and_log_det(self, natural: Array) -> tuple[Array, Array]:
        precision = -2.0 * natural[:, -1]
        n_features = natural.shape[1] - 1
        return natural[:, :-1] / precision[:, None], n_features * np.log(precision)

    def stretched(self, natural: Array, stretch: Array) -> Array:
        if not np.allclose(stretch, stretch[0], rtol=1e-12, atol=0.0):
            raise ValueError(
                f"{self.name} components given in one feature scale cannot be re-expressed in "
                f"another that stretches the features unequally (ratios {stretch}): a spherical "
                f"covariance is spherical in its own standardised coordinates. Build the "
                f"components with the fit's family (model.family_), or fit in the data's own "
                f"units with SphericalGaussian(feature_scale=1.0)"
            )
        factor = float(stretch[0])
        return np.concatenate([natural[:, :-1] / factor, natural[:, -1:] / factor**2], axis=1)

    def quadratic_form(self, offsets: Array, natural_row: Array) -> Array:
        return -2.0 * natural_row[-1] * np.einsum("nd,nd->n", offsets, offsets)

    def log_partition(self, natural: Array) -> Array:
        first, second = natural[:, :-1], natural[:, -1]
        variance = -0.5 / second
        n_features = first.shape[1]
        return 0.5 * variance * np.einsum("kd,kd->k", first, first) + 0.5 * n_features * np.log(
            variance
        )

    def natural_to_mean(self, natural: Array) -> Array:
        first, second = natural[:, :-1], natural[:, -1]
        variance = -0.5 / second
        mean = first * variance[:, None]
        squared = np.einsum("kd,kd->k", mean, mean) + first.shape[1] * variance
        return np.concatenate([mean, squared[:, None]], axis=1)

    def mean_to_natural(self, mean: Array) -> Array:
        location, second = mean[:, :-1], mean[:, -1]
        variance = (second - np.einsum("kd,kd->k", location, location)) / location.shape[1]
        _check_positive(variance, second / location.shape[1], self.name)
        return np.concatenate([location / variance[:, None], (-0.5 / variance)[:, None]], axis=1)

    def regularize_mean(self, mean: Array) -> Array:
        out = mean.copy()
        out[:, -1] += (mean.shape[1] - 1) * self.reg_covar
        return out

    def n_free_parameters(self, natural: Array) -> int:
        return int(natural.size)

    def sample(self, natural: Array, labels: NDArray[np.intp], rng: np.random.Generator) -> Array:
        variance = -0.5 / natural[:, -1]
        location = natural[:, :-1] * variance[:, None]
        noise = rng.standard_normal((labels.shape[0], location.shape[1]))
        return self.data_location(location[labels] + noise * np.sqrt(variance[labels])[:, None])

    def components_from(self, mean: Any, variance: Any) -> SphericalGaussianComponents:
        """Components from ``mean`` ``(K, D)`` (the data's units) and ``variance`` ``(K,)`` in
        standardised units (the data's own units when ``feature_scale`` is 1 or unset)."""
        mean, variance = float_array(mean), float_array(variance)
        if mean.ndim != 2 or variance.shape != mean.shape[:1]:
            raise ValueError(
                f"need mean (K, D) and variance (K,); got {mean.shape}, {variance.shape}"
            )
        _check_given(mean, variance, self.name)
        centred = (mean - self.origin_for(mean.shape[1])) / self.scale_for(mean.shape[1])
        natural = np.concatenate([centred / variance[:, None], (-0.5 / variance)[:, None]], axis=1)
        return SphericalGaussianComponents(family=self, natural=natural)


@attrs.frozen(eq=False, repr=False)
class SphericalGaussianComponents(Components):
    family: SphericalGaussian
    conventional = ("mean", "variance")

    @property
    def variance(self) -> Array:
        """One variance per component, ``σ_k²`` ``(K,)``, in standardised units: the covariance
        is ``σ_k² diag(feature_scale²)`` (see ``covariance``); in the data's own units when the
        family has ``feature_scale=1.0``."""
        return -0.5 / self.natural[:, -1]

    @property
    def covariance(self) -> Array:
        """Covariance matrices in the data's units: ``(K, D, D)``, diagonal."""
        n_features = self.natural.shape[1] - 1
        return self.variance[:, None, None] * self.family.data_covariance(np.eye(n_features))

    @property
    def mean(self) -> Array:
        """Component means in the data's units: ``(K, D)``."""
        return self.family.data_location(self.natural[:, :-1] * self.variance[:, None])


SphericalGaussian.components_type = SphericalGaussianComponents


def _check_given(mean: Array, spread: Array, family: str) -> None:
    """Conventional parameters a user passes to ``components_from``: finite means, and variances
    (``(K, D)`` or ``(K,)``) or covariance matrices (``(K, D, D)``) that are positive (definite)."""
    if not np.all(np.isfinite(mean)):
        raise ValueError(f"{family}.components_from: mean contains NaN or inf")
    name = "covariance" if spread.ndim == 3 else "variance"
    if not np.all(np.isfinite(spread)):
        raise ValueError(f"{family}.components_from: {name} contains NaN or inf")
    if spread.ndim != 3:
        bad = np.argwhere(~(spread > 0))
        if bad.size:
            raise ValueError(
                f"{family}.components_from: variance of component {int(bad[0][0])} is not positive "
                f"(got {float(spread[tuple(bad[0])]):.3g})"
            )
        return
    for k, matrix in enumerate(spread):  # loop over components
        if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=0.0):
            raise ValueError(f"{family}.components_from: covariance of component {k} is not symmetric")
        smallest = float(np.linalg.eigvalsh(matrix)[0])
        if not smallest > 0:
            raise ValueError(
                f"{family}.components_from: covariance of component {k} is not positive definite "
                f"(smallest eigenvalue {smallest:.3g})"
            )


@functools.cache
def _upper_triangle(n_features: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """``np.triu_indices(D)``, read-only: the packed layout's rows and columns (every E-step and
    M-step asks several times; numpy builds them anew each time, 10 µs at D = 10)."""
    rows, cols = np.triu_indices(n_features)
    rows.flags.writeable = cols.flags.writeable = False
    return rows, cols


@functools.cache
def _packed_positions(n_features: int) -> NDArray[np.intp]:
    """``(D, D)``: the position of entry ``(i, j)`` in a packed upper triangle (``Gaussian.pack``)."""
    rows, cols = _upper_triangle(n_features)
    positions = np.empty((n_features, n_features), dtype=np.intp)
    positions[rows, cols] = np.arange(rows.size)
    positions[cols, rows] = np.arange(rows.size)
    return positions


def _smallest_pivots(matrices: Array) -> Array:
    """Each symmetric matrix's smallest squared Cholesky pivot (the variance left in its last
    direction given the others, as ``_spd_inverse`` judges conditioning), ``-1`` where it is not
    positive definite: ``(K,)``. One batched factorisation; eigenvalues cost fifteen times more."""
    try:
        factors = np.linalg.cholesky(matrices)
    except np.linalg.LinAlgError:  # some are not: factor them one by one
        out = np.empty(matrices.shape[0])
        for k, matrix in enumerate(matrices):  # loop over components
            try:
                out[k] = float(np.diagonal(np.linalg.cholesky(matrix)).min() ** 2)
            except np.linalg.LinAlgError:
                out[k] = -1.0
        return out
    return np.asarray(np.diagonal(factors, axis1=1, axis2=2).min(1) ** 2, dtype=np.float64)


def _ratio(size: Array, variance: Array) -> Array:
    """``size / variance``, ``inf`` where the variance is not positive (or NaN)."""
    positive = variance > 0
    return np.where(positive, size / np.where(positive, variance, 1.0), np.inf)


def _check_positive(variance: Array, second_moment: Array, family: str) -> None:
    """Variances must be positive and not lost in the cancellation ``E[y²] − E[y]²`` (``y``
    about the component's reference point, ``SufficientStatistics.reference``)."""
    bad = ~(variance > CONDITION_FLOOR * np.abs(second_moment))
    if bad.any():
        position = tuple(np.argwhere(bad)[0])
        raise DegenerateComponentError(
            f"{family}: component {int(position[0])}: its variance, {float(variance[position]):.3g} "
            f"(in units of the data's variance), is zero to float64 precision. {_DEGENERATE_VARIANCE}"
        )


_DEGENERATE_VARIANCE = (
    "Either its data coincide (for example it holds a single point): with reg_covar=0 no finite "
    "maximum-likelihood variance exists, so set reg_covar > 0; or it is thin across a direction "
    "in which it spans a distance over 1e6 times larger (a condition number float64 cannot hold, "
    "e.g. a start that gives it a share of a far-away group when reg_covar=0 or the ridge is "
    "absolute): keep the default reg_covar, or start from hard responsibilities (init=...)"
)
