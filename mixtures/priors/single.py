"""Priors of the discrete families: ``Gamma`` (Poisson), ``Beta`` (Bernoulli), ``Dirichlet``
(Categorical and Multinomial).

``Gamma`` and ``Beta`` are ``SingleBlockPrior``s: each block count pairs with its own statistics, so
the density in natural coordinates ``p(η | χ, ν) ∝ exp(⟨χ, η⟩ − Σ_b ν_b A_b(η))`` has its mode where
``∇A(η) = χ / ν``. MAP is then moment matching on pseudo-count-smoothed statistics, and the
posterior-mean point estimate is the family's own mean parameter ``χ / ν`` wherever that is the
posterior mean of the conventional parameter.
"""

from __future__ import annotations

from typing import Any, Self

import attrs
import numpy as np
import scipy  # scipy.special loads at first use, not with mixtures
from numpy.typing import NDArray

from mixtures._arrays import weighted_mean
from mixtures._fields import positive, real_array
from mixtures._validation import optional_finite, optional_positive
from mixtures.families.base import ExponentialFamily
from mixtures.families.discrete import Bernoulli, Categorical, Multinomial, Poisson
from mixtures.priors.base import ConjugatePrior, broadcast_rows, per_component

__all__ = ["Beta", "Dirichlet", "Gamma", "SingleBlockPrior", "log_gamma_draws"]

Array = NDArray[np.float64]


def log_gamma_draws(shape: Array, rng: np.random.Generator, size: tuple[int, ...]) -> Array:
    """``log X`` for ``X ~ Gamma(shape, 1)`` of the given ``size``, finite even for tiny shapes.

    A small shape puts so much mass near 0 that ``X`` underflows; ``X = Y·U^(1/shape)`` with
    ``Y ~ Gamma(shape + 1)`` and ``U`` uniform lets the logarithm be formed without ever forming ``X``.
    """
    shape = np.broadcast_to(shape, size)
    uniform = 1.0 - rng.random(size)  # in (0, 1]: its logarithm is finite
    return np.log(rng.gamma(shape + 1.0, size=size)) + np.log(uniform) / shape


class SingleBlockPrior(ConjugatePrior):
    """Shared behaviour of priors whose counts are one per statistic or one in all (``B = S`` or
    ``B = 1``): the mode ``∇A(η) = χ / ν`` in natural coordinates and the density there.

    ``log_density`` is the density with respect to the prior's base measure, Lebesgue in ``η``.
    """

    def log_partition_blocks(self, natural: Array) -> Array:
        """``A_b(η)`` for each row of ``natural``: ``(K, B)``."""
        return self.family.log_partition(natural)[:, None]

    def check_resolved(self, family: ExponentialFamily, n_components: int, n_features: int) -> None:
        """As ``ConjugatePrior.check_resolved``, and the block counts ``ν`` must be positive: with a
        single block the prior is proper only then."""
        counts = np.asarray(self.natural_hyperparameters()[1], dtype=np.float64)
        if counts.size and not np.all(counts > 0):
            raise ValueError(f"its block counts ν must be positive; got minimum {counts.min():g}")
        super().check_resolved(family, n_components, n_features)

    def mode(self) -> Array:
        chi, counts = self.natural_hyperparameters()
        return self.family.mean_to_natural(chi / counts)

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

    shape: Any = attrs.field(default=None, validator=optional_positive)
    rate: Any = attrs.field(default=None, validator=optional_positive)
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
        shape = np.maximum(weighted_mean(x, weights), 1e-3) if self.shape is None else self.shape
        rate = 1.0 if self.rate is None else self.rate
        return attrs.evolve(
            self,
            shape=broadcast_rows(shape, n_components, n_features, "Gamma.shape"),
            rate=per_component(rate, n_components, "Gamma.rate"),
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

    def check_resolved(self, family: ExponentialFamily, n_components: int, n_features: int) -> None:
        positive(self.shape, "shape", shape=(n_components, n_features))
        positive(self.rate, "rate", shape=(n_components,))
        super().check_resolved(family, n_components, n_features)

    def sample_natural(self, n_draws: int, rng: np.random.Generator) -> Array:
        chi, counts = self.natural_hyperparameters()
        return log_gamma_draws(chi, rng, (n_draws, *chi.shape)) - np.log(counts)


@attrs.frozen(kw_only=True)
class Beta(SingleBlockPrior):
    """Beta prior on each Bernoulli success probability: ``p_d ~ Beta(a_d, b_d)``.

    In natural coordinates ``η_d = logit p_d`` with base measure Lebesgue in ``η``, the density is
    ``p^a (1 − p)^b / B(a, b) = exp(a η − (a + b) log(1 + e^η) − log B(a, b))``. Each feature is a
    block of its own, ``A_d(η) = log(1 + e^η_d)``, so ``a`` and ``b`` are free per feature:
    ``χ_d = a_d`` (pseudo-successes) and ``ν_d = a_d + b_d`` (pseudo-trials); the update adds the
    component's count to every ``ν_d``. ``log Z = Σ_d log B(a_d, b_d)``.

    The mode is taken in ``η`` (see ``SingleBlockPrior``): ``p = a / (a + b)``, which always exists;
    with the defaults the MAP estimate ``(Σx + 1) / (N + 2)`` is Laplace smoothing.

    ``a`` and ``b``: a scalar, one value per feature ``(D,)`` or per component and feature ``(K, D)``.
    Defaults: ``a = b = 1`` (uniform on each ``p_d``).
    """

    a: Any = attrs.field(default=None, validator=optional_positive)
    b: Any = attrs.field(default=None, validator=optional_positive)
    bernoulli: Bernoulli | None = attrs.field(default=None, repr=False)

    @property
    def family(self) -> ExponentialFamily:
        if self.bernoulli is None:
            raise ValueError("Beta prior is not resolved; call for_data first")
        return self.bernoulli

    def for_data(self, family: ExponentialFamily, x: Array, weights: Array, n_components: int) -> Self:
        if not isinstance(family, Bernoulli):
            raise ValueError(f"a Beta prior is for Bernoulli components, not {family.name}")
        n_features = x.shape[1]
        a = 1.0 if self.a is None else self.a
        b = 1.0 if self.b is None else self.b
        return attrs.evolve(
            self,
            a=broadcast_rows(a, n_components, n_features, "Beta.a"),
            b=broadcast_rows(b, n_components, n_features, "Beta.b"),
            bernoulli=family,
        )

    def natural_hyperparameters(self) -> tuple[Array, Array]:
        a, b = np.asarray(self.a), np.asarray(self.b)
        return a, a + b

    def with_natural_hyperparameters(self, chi: Array, counts: Array) -> Self:
        return attrs.evolve(self, a=chi, b=counts - chi)

    def log_normalizer_of(self, chi: Array, counts: Array) -> Array:
        return scipy.special.betaln(chi, counts - chi).sum(-1)

    def expected_natural(self) -> Array:
        a, b = np.asarray(self.a), np.asarray(self.b)
        return scipy.special.digamma(a) - scipy.special.digamma(b)

    def expected_log_partition_blocks(self) -> Array:
        # E[log(1 + e^η)] = −E[log(1 − p)]
        a, b = np.asarray(self.a), np.asarray(self.b)
        return scipy.special.digamma(a + b) - scipy.special.digamma(b)

    def log_partition_blocks(self, natural: Array) -> Array:
        return np.logaddexp(0.0, natural)

    def check_resolved(self, family: ExponentialFamily, n_components: int, n_features: int) -> None:
        positive(self.a, "a", shape=(n_components, n_features))
        positive(self.b, "b", shape=(n_components, n_features))
        super().check_resolved(family, n_components, n_features)

    def sample_natural(self, n_draws: int, rng: np.random.Generator) -> Array:
        # logit of G_a / (G_a + G_b) is log G_a − log G_b: no probability is ever rounded to 0 or 1
        a, b = np.asarray(self.a), np.asarray(self.b)
        size = (n_draws, *a.shape)
        return log_gamma_draws(a, rng, size) - log_gamma_draws(b, rng, size)


def _simplices(family: ExponentialFamily, n_features: int) -> tuple[int, int]:
    """How many probability vectors ``D`` of how many categories ``C`` a Dirichlet prior is over:
    one per feature of a ``Categorical``, one over the columns of a ``Multinomial``."""
    if isinstance(family, Multinomial):
        return 1, n_features
    if isinstance(family, Categorical):
        if family.n_categories is None:
            raise ValueError(
                "a Dirichlet prior needs a Categorical with n_categories set (configure the "
                "family with for_data first)"
            )
        return n_features, family.n_categories
    raise ValueError(
        f"a Dirichlet prior is for Categorical or Multinomial components, not {family.name}"
    )


@attrs.frozen(kw_only=True)
class Dirichlet(ConjugatePrior):
    """Dirichlet prior on the symbol probabilities of each categorical feature:
    ``p_d ~ Dirichlet(concentration_d)`` over the ``C`` symbols; for a ``Multinomial`` family,
    on its one probability vector over its ``C`` columns (``D = 1`` below).

    The family's natural parameters are the over-complete ``η = log p``. With base measure
    ``Π_c p_c^(−1)`` on each simplex, the density is ``exp(⟨α, η⟩ − log Z)``: ``χ = α`` laid out
    like the statistics (``D·C`` columns, feature-major), ``log Z = Σ_d [Σ_c log Γ(α_dc) −
    log Γ(Σ_c α_dc)]``. ``A(log p) = 0`` on the simplex, so the one block contributes nothing: its
    count ``observed_weight`` is carried (the update adds the component's count to it) but the
    density never depends on it, and ``E[A] = 0``.

    ``mode`` and ``log_density`` are in the conventional coordinates, the probabilities ``p_d`` on
    their simplex (Lebesgue measure on ``C − 1`` of them): the mode ``(α − 1) / (Σα − C)`` needs
    every ``α > 1``. ``log_density`` reads any natural parameters as ``p = softmax(η)`` per feature.
    The posterior-mean point estimate is ``p = α / Σα``; the predictive is ``α_x / Σα`` per feature.

    ``concentration``: a scalar, one value per symbol ``(C,)``, per feature and symbol ``(D, C)``
    or per component ``(K, D, C)``; resolved to ``(K, D, C)``. Default ``1.0`` (uniform on each
    simplex). ``observed_weight``: default ``0``; it only records the data absorbed.
    """

    concentration: Any = attrs.field(default=None, validator=optional_positive)
    observed_weight: Any = attrs.field(default=None, repr=False, validator=optional_finite)
    #: The family it is over: a ``Categorical`` or a ``Multinomial`` (the field keeps its name
    #: for model files).
    categorical: Categorical | Multinomial | None = attrs.field(default=None, repr=False)

    @property
    def family(self) -> ExponentialFamily:
        if self.categorical is None:
            raise ValueError("Dirichlet prior is not resolved; call for_data first")
        return self.categorical

    def _n_categories(self) -> int:
        return int(self._alpha().shape[-1])

    def for_data(self, family: ExponentialFamily, x: Array, weights: Array, n_components: int) -> Self:
        if not isinstance(family, Categorical | Multinomial):
            raise ValueError(
                f"a Dirichlet prior is for Categorical or Multinomial components, not {family.name}"
            )
        n_features, n_categories = _simplices(family, x.shape[1])
        value = np.asarray(1.0 if self.concentration is None else self.concentration, dtype=np.float64)
        wanted = (n_components, n_features, n_categories)
        if value.ndim > 3 or value.shape != wanted[3 - value.ndim :]:
            raise ValueError(
                f"Dirichlet.concentration must be a scalar or of shape {wanted[2:]}, {wanted[1:]} "
                f"or {wanted}; got shape {value.shape}"
            )
        weight = 0.0 if self.observed_weight is None else self.observed_weight
        return attrs.evolve(
            self,
            concentration=np.broadcast_to(value, wanted).copy(),
            observed_weight=per_component(weight, n_components, "Dirichlet.observed_weight"),
            categorical=family,
        )

    def _alpha(self) -> Array:
        """The concentration as ``(K, D, C)``."""
        return np.asarray(self.concentration)

    def natural_hyperparameters(self) -> tuple[Array, Array]:
        alpha = self._alpha()
        return alpha.reshape(alpha.shape[0], -1), np.asarray(self.observed_weight)[:, None]

    def with_natural_hyperparameters(self, chi: Array, counts: Array) -> Self:
        n_categories = self._n_categories()
        return attrs.evolve(
            self,
            concentration=chi.reshape(chi.shape[0], -1, n_categories),
            observed_weight=counts[:, 0],
        )

    def log_normalizer_of(self, chi: Array, counts: Array) -> Array:
        alpha = chi.reshape(*chi.shape[:-1], -1, self._n_categories())
        return (
            scipy.special.gammaln(alpha).sum((-2, -1))
            - scipy.special.gammaln(alpha.sum(-1)).sum(-1)
        )

    def expected_natural(self) -> Array:
        alpha = self._alpha()
        expected = scipy.special.digamma(alpha) - scipy.special.digamma(alpha.sum(-1, keepdims=True))
        return expected.reshape(alpha.shape[0], -1)

    def expected_log_partition_blocks(self) -> Array:
        return np.zeros((self._alpha().shape[0], 1))

    def log_partition_blocks(self, natural: Array) -> Array:
        """The one (inert) block: the family's ``A(η)``, zero at normalised ``log p``."""
        return self.family.log_partition(natural)[:, None]

    def mode(self) -> Array:
        """The mode in log-ratio coordinates (Lebesgue measure in ``η``, as for ``Beta``):
        ``p = α / Σα``, which exists for every ``α > 0``."""
        alpha = self._alpha()
        return np.log(alpha / alpha.sum(-1, keepdims=True)).reshape(alpha.shape[0], -1)

    def log_density(self, natural: Array) -> Array:
        """Log density in log-ratio coordinates: ``Σ α log p − log B(α)`` (the Dirichlet density
        on the simplex times the Jacobian ``Π p``)."""
        alpha = self._alpha()
        cube = natural.reshape(alpha.shape)
        log_probs = cube - scipy.special.logsumexp(cube, axis=-1, keepdims=True)
        return np.einsum("kdc,kdc->k", alpha, log_probs) - self.log_normalizer()

    def posterior_mean_natural(self) -> Array:
        alpha = self._alpha()
        return np.log(alpha / alpha.sum(-1, keepdims=True)).reshape(alpha.shape[0], -1)

    def check_resolved(self, family: ExponentialFamily, n_components: int, n_features: int) -> None:
        shape = (n_components, *_simplices(family, n_features))
        positive(self.concentration, "concentration", shape=shape)
        real_array(self.observed_weight, "observed_weight", shape=(n_components,), float64=False)
        super().check_resolved(family, n_components, n_features)

    def sample_natural(self, n_draws: int, rng: np.random.Generator) -> Array:
        # normalised Gamma draws, in log space so that tiny concentrations give finite log p
        alpha = self._alpha()
        log_gammas = log_gamma_draws(alpha, rng, (n_draws, *alpha.shape))
        log_probs = log_gammas - scipy.special.logsumexp(log_gammas, axis=-1, keepdims=True)
        return log_probs.reshape(n_draws, alpha.shape[0], -1)


# the default prior of the family it is over (see ExponentialFamily.declare_default_prior)
Bernoulli.declare_default_prior(Beta.default_for)
Poisson.declare_default_prior(Gamma.default_for)
Categorical.declare_default_prior(Dirichlet.default_for)
Multinomial.declare_default_prior(Dirichlet.default_for)
