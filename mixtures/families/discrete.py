"""Discrete families: Bernoulli (binary features), Poisson (counts), Categorical (symbols),
Multinomial (count vectors with a number of trials per row)."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import attrs
import numpy as np
import scipy  # scipy.special loads at first use, not with mixtures
from numpy.typing import NDArray

from mixtures._arrays import float_array, weighted_mean
from mixtures._validation import is_real_number
from mixtures.families.base import Components, DataSupport, ExponentialFamily
from mixtures.families.completion import CannotMarginalise, Completion
from mixtures.families.separable import one_statistic_per_feature

__all__ = [
    "Bernoulli",
    "BernoulliComponents",
    "Categorical",
    "CategoricalComponents",
    "Multinomial",
    "MultinomialComponents",
    "Poisson",
    "PoissonComponents",
]

Array = NDArray[np.float64]


def _open_unit_fraction(instance: Any, attribute: attrs.Attribute, value: float) -> None:
    if not (is_real_number(value) and 0 < value < 0.5):
        raise ValueError(f"{attribute.name} must lie in (0, 0.5); got {value!r}")


def _positive(instance: Any, attribute: attrs.Attribute, value: float) -> None:
    if not (is_real_number(value) and value > 0):
        raise ValueError(f"{attribute.name} must be a finite number > 0; got {value!r}")


def _first_bad(mask: NDArray[np.bool_]) -> tuple[int, int]:
    row, col = np.argwhere(mask)[0]
    return int(row), int(col)


def _check_counts(x: Array, family: str) -> None:
    """Non-negative whole numbers, or a ``ValueError`` naming the first cell that is not."""
    negative = x < 0
    if negative.any():
        row, col = _first_bad(negative)
        raise ValueError(
            f"Negative values in data: {family} counts must be >= 0; X[{row}, {col}] = "
            f"{x[row, col]:g}"
        )
    _check_integral(x, family)


def _check_integral(x: Array, family: str) -> None:
    not_integral = x != np.round(x)
    if not_integral.any():
        row, col = _first_bad(not_integral)
        raise ValueError(
            f"{family} data must be integers; X[{row}, {col}] = {x[row, col]:g} is not"
        )


@attrs.frozen(kw_only=True)
class Bernoulli(ExponentialFamily):
    """Independent binary features: ``p(x | p) = Π_d p_d^x_d (1 − p_d)^(1 − x_d)``, ``x ∈ {0,1}^D``.

    ``T(x) = x``, ``η = logit(p)``, ``A(η) = Σ_d log(1 + e^η_d)``, ``h = 1``. The M-step clips
    probabilities to ``[min_prob, 1 − min_prob]`` so no log-density is ever −inf.
    """

    min_prob: float = attrs.field(default=1e-10, validator=_open_unit_fraction)

    def sufficient_statistics(self, x: Array) -> Array:
        return np.asarray(x, dtype=np.float64)

    def log_base_measure(self, x: Array) -> Array:
        return np.zeros(x.shape[0])

    def log_partition(self, natural: Array) -> Array:
        return np.logaddexp(0.0, natural).sum(1)

    def natural_to_mean(self, natural: Array) -> Array:
        return scipy.special.expit(natural)

    def mean_to_natural(self, mean: Array) -> Array:
        return scipy.special.logit(mean)

    def regularize_mean(self, mean: Array) -> Array:
        return np.clip(mean, self.min_prob, 1.0 - self.min_prob)

    def feature_columns(self, n_features: int) -> NDArray[np.intp]:
        return one_statistic_per_feature(n_features)

    def data_mean(self, natural: Array) -> Array:
        return self.natural_to_mean(natural)

    def data_support(self) -> DataSupport:
        return DataSupport(non_negative=True, integer=True)

    def validate(self, x: Array) -> None:
        outside = (x != 0) & (x != 1)
        if outside.any():
            negative = x < 0  # reported first, with the wording scikit-learn's checks expect
            row, col = _first_bad(negative if negative.any() else outside)
            kind = "Negative values in data: " if negative.any() else ""
            raise ValueError(
                f"{kind}Bernoulli data must be 0 or 1; X[{row}, {col}] = {x[row, col]:g}"
            )

    def sample(self, natural: Array, labels: NDArray[np.intp], rng: np.random.Generator) -> Array:
        probs = self.natural_to_mean(natural)[labels]
        return (rng.random(probs.shape) < probs).astype(np.float64)

    def components_from(self, probs: Any) -> BernoulliComponents:
        """Components from success probabilities ``probs`` ``(K, D)``, strictly inside (0, 1)."""
        probs = float_array(probs)
        if probs.ndim != 2 or not np.all((probs > 0) & (probs < 1)):
            raise ValueError(f"probs must be a (K, D) array inside (0, 1); got shape {probs.shape}")
        return BernoulliComponents(family=self, natural=self.mean_to_natural(probs))


@attrs.frozen(eq=False, repr=False)
class BernoulliComponents(Components):
    family: Bernoulli
    conventional = ("probs",)

    @property
    def probs(self) -> Array:
        """Success probability of each feature: ``(K, D)``."""
        return self.family.natural_to_mean(self.natural)


Bernoulli.components_type = BernoulliComponents


@attrs.frozen(kw_only=True)
class Poisson(ExponentialFamily):
    """Independent counts: ``p(x | λ) = Π_d λ_d^x_d e^−λ_d / x_d!``, ``x ∈ ℕ^D``.

    ``T(x) = x``, ``η = log λ``, ``A(η) = Σ_d e^η_d``, ``log h(x) = −Σ_d log x_d!``. The M-step keeps
    rates at least ``min_rate`` so a component that saw only zeros stays finite.
    """

    min_rate: float = attrs.field(default=1e-10, validator=_positive)

    def sufficient_statistics(self, x: Array) -> Array:
        return np.asarray(x, dtype=np.float64)

    def log_base_measure(self, x: Array) -> Array:
        return -scipy.special.gammaln(x + 1.0).sum(1)

    def log_partition(self, natural: Array) -> Array:
        return np.exp(natural).sum(1)

    def natural_to_mean(self, natural: Array) -> Array:
        return np.exp(natural)

    def mean_to_natural(self, mean: Array) -> Array:
        with np.errstate(divide="ignore"):
            return np.log(mean)

    def regularize_mean(self, mean: Array) -> Array:
        return np.maximum(mean, self.min_rate)

    def feature_columns(self, n_features: int) -> NDArray[np.intp]:
        return one_statistic_per_feature(n_features)

    def data_mean(self, natural: Array) -> Array:
        return self.natural_to_mean(natural)

    def data_support(self) -> DataSupport:
        return DataSupport(non_negative=True, integer=True)

    def validate(self, x: Array) -> None:
        _check_counts(x, "Poisson")

    def sample(self, natural: Array, labels: NDArray[np.intp], rng: np.random.Generator) -> Array:
        return rng.poisson(self.natural_to_mean(natural)[labels]).astype(np.float64)

    def components_from(self, rate: Any) -> PoissonComponents:
        """Components from positive rates ``rate`` ``(K, D)``."""
        rate = float_array(rate)
        if rate.ndim != 2 or not np.all(rate > 0):
            raise ValueError(f"rate must be a positive (K, D) array; got shape {rate.shape}")
        return PoissonComponents(family=self, natural=self.mean_to_natural(rate))


@attrs.frozen(eq=False, repr=False)
class PoissonComponents(Components):
    family: Poisson
    conventional = ("rate",)

    @property
    def rate(self) -> Array:
        """Expected count of each feature: ``(K, D)``."""
        return self.family.natural_to_mean(self.natural)


Poisson.components_type = PoissonComponents


def _optional_count(instance: Any, attribute: attrs.Attribute, value: int | None) -> None:
    """attrs validator: ``None`` (left to the data) or an integer >= 1, named in the error."""
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1
    ):
        raise ValueError(f"{attribute.name} must be None or an integer >= 1; got {value!r}")


@attrs.frozen(kw_only=True)
class Categorical(ExponentialFamily):
    """Independent categorical features: each ``x_d`` is a symbol in ``{0, …, C−1}``.

    ``T(x)`` is the one-hot code of every feature, flattened to ``D·C`` columns; ``η = log p`` (an
    over-complete form, normalised so that ``A(η) = Σ_d log Σ_c e^η_dc`` is zero at ``log p``).
    ``n_categories=None`` takes ``C = max(x) + 1`` from the training data, up to
    ``MAX_INFERRED_CATEGORIES`` (1000): a larger symbol is refused with a ``ValueError`` (pass
    ``n_categories`` to allow more, or recode the symbols). Whether given or inferred, ``D·C``
    may be at most ``MAX_STATISTICS_PER_ROW`` (2**20), since every row, chunk and component
    holds that many numbers. The M-step keeps each probability at least ``min_prob``.
    """

    #: ``n_categories=None`` infers at most this many categories from the data: a symbol of 10**6
    #: is more likely an identifier than a category, and would cost 8 MB of statistics per row.
    MAX_INFERRED_CATEGORIES: ClassVar[int] = 1000
    #: At most this many one-hot statistics ``D·C`` per row (8 MiB per row, per component).
    MAX_STATISTICS_PER_ROW: ClassVar[int] = 2**20

    n_categories: int | None = attrs.field(default=None, validator=_optional_count)
    min_prob: float = attrs.field(default=1e-10, validator=_open_unit_fraction)

    def _count(self) -> int:
        if self.n_categories is None:
            raise ValueError("Categorical.n_categories is not set; fit the model or pass it")
        return self.n_categories

    def _cube(self, params: Array) -> Array:
        count = self._count()
        if params.shape[-1] % count:
            raise ValueError(
                f"Categorical with {count} categories needs D·{count} parameters per component; "
                f"got {params.shape[-1]}"
            )
        return params.reshape(params.shape[0], -1, count)

    def sufficient_statistics(self, x: Array) -> Array:
        count = self._count()
        n_samples, n_features = x.shape
        out = np.zeros((n_samples, n_features * count))
        columns = np.arange(n_features) * count + x.astype(np.intp)
        out[np.arange(n_samples)[:, None], columns] = 1.0
        return out

    def log_base_measure(self, x: Array) -> Array:
        return np.zeros(x.shape[0])

    def log_partition(self, natural: Array) -> Array:
        return scipy.special.logsumexp(self._cube(natural), axis=2).sum(1)

    def natural_to_mean(self, natural: Array) -> Array:
        return scipy.special.softmax(self._cube(natural), axis=2).reshape(natural.shape)

    def mean_to_natural(self, mean: Array) -> Array:
        with np.errstate(divide="ignore"):
            return np.log(mean)

    def regularize_mean(self, mean: Array) -> Array:
        floored = np.maximum(self._cube(mean), self.min_prob)
        return (floored / floored.sum(axis=2, keepdims=True)).reshape(mean.shape)

    def feature_columns(self, n_features: int) -> NDArray[np.intp]:
        """Feature ``d``'s one-hot block, columns ``d·C .. d·C + C − 1``."""
        count = self._count()
        return np.arange(n_features * count, dtype=np.intp).reshape(n_features, count)

    def data_mean(self, natural: Array) -> Array:
        raise ValueError(
            "Categorical symbols are labels, and an average of labels is no symbol: impute "
            "cannot fill them; read the components' probs for each symbol's probability instead"
        )

    def data_support(self) -> DataSupport:
        return DataSupport(non_negative=True, integer=True)

    def validate(self, x: Array) -> None:
        negative = x < 0
        if negative.any():
            row, col = _first_bad(negative)
            raise ValueError(
                f"Negative values in data: Categorical symbols must be >= 0; X[{row}, {col}] = "
                f"{x[row, col]:g}"
            )
        _check_integral(x, "Categorical")
        if self.n_categories is not None:
            too_large = x >= self.n_categories
            if too_large.any():
                row, col = _first_bad(too_large)
                raise ValueError(
                    f"Categorical symbols must be < n_categories={self.n_categories}; "
                    f"X[{row}, {col}] = {x[row, col]:g}"
                )

    def for_data(self, x: Array, weights: Array) -> Self:
        if self.n_categories is not None:
            self._check_statistics_size(self.n_categories, x.shape[1], "n_categories=")
            return self
        largest = float(x.max())
        if largest + 1 > self.MAX_INFERRED_CATEGORIES:
            where = ""
            if isinstance(x, np.ndarray):
                row, col = np.unravel_index(int(np.argmax(x)), x.shape)
                where = f" (X[{row}, {col}])"
            fits = (largest + 1) * x.shape[1] <= self.MAX_STATISTICS_PER_ROW
            explicit = (
                f"If the symbols really run up to that, pass the count: "
                f"Categorical(n_categories={largest + 1:.0f}); if they are codes or identifiers, "
                if fits else "Pass n_categories=C explicitly, or "
            )
            raise ValueError(
                f"Categorical(n_categories=None) infers the number of categories as the largest "
                f"symbol + 1, but X's largest symbol is {largest:.0f}{where}; inferred counts are "
                f"capped at {self.MAX_INFERRED_CATEGORIES}. {explicit}recode each feature to "
                f"0..C-1 first (e.g. np.unique(column, return_inverse=True))"
            )
        count = int(largest) + 1
        self._check_statistics_size(count, x.shape[1], "inferred n_categories=")
        return attrs.evolve(self, n_categories=count)

    def _check_statistics_size(self, count: int, n_features: int, what: str) -> None:
        """Refuse one-hot statistics too wide to hold (``D·C`` numbers per row and component)."""
        width = int(count) * int(n_features)
        if width > self.MAX_STATISTICS_PER_ROW:
            raise ValueError(
                f"Categorical with {what}{count} on {n_features} feature(s) needs {width:,} one-hot "
                f"statistics per row ({8 * width / 2**20:,.0f} MiB per row and per component); at "
                f"most {self.MAX_STATISTICS_PER_ROW:,} are supported. Recode each feature's "
                f"symbols to 0..C-1 with C as small as the data allow (e.g. "
                f"np.unique(column, return_inverse=True))"
            )

    def init_features(self, x: Array) -> Array:
        return self.sufficient_statistics(x)

    def n_free_parameters(self, natural: Array) -> int:
        count = self._count()
        return natural.shape[0] * (natural.shape[1] // count) * (count - 1)

    def sample(self, natural: Array, labels: NDArray[np.intp], rng: np.random.Generator) -> Array:
        cumulative = np.cumsum(self._cube(self.natural_to_mean(natural)), axis=2)[labels]
        draws = rng.random((*cumulative.shape[:2], 1))
        symbols = (cumulative[..., :-1] < draws).sum(axis=2)
        return symbols.astype(np.float64)

    def components_from(self, probs: Any) -> CategoricalComponents:
        """Components from probabilities ``probs`` ``(K, D, C)``, each ``probs[k, d]`` summing to 1."""
        probs = float_array(probs)
        if probs.ndim != 3 or probs.shape[2] != self._count():
            raise ValueError(f"probs must have shape (K, D, {self._count()}); got {probs.shape}")
        if not np.all(probs > 0) or not np.allclose(probs.sum(2), 1.0):
            raise ValueError("probs must be positive and sum to 1 over the last axis")
        natural = self.mean_to_natural(probs.reshape(probs.shape[0], -1))
        return CategoricalComponents(family=self, natural=natural)


@attrs.frozen(eq=False, repr=False)
class CategoricalComponents(Components):
    family: Categorical
    conventional = ("probs",)

    @property
    def probs(self) -> Array:
        """Probability of each symbol of each feature: ``(K, D, C)``."""
        return self.family._cube(self.family.natural_to_mean(self.natural))


Categorical.components_type = CategoricalComponents


@attrs.frozen(kw_only=True)
class Multinomial(ExponentialFamily):
    """Count vectors over ``C`` categories, each row with its own number of trials ``n = Σ_c x_c``:
    ``p(x | p) = n! / Π_c x_c! · Π_c p_c^x_c`` (bag-of-words rows, hmmlearn's ``MultinomialHMM``).

    ``T(x) = x`` (``C`` columns), ``log h(x) = log n! − Σ_c log x_c!`` and ``η = log p``, the
    over-complete form ``Categorical`` uses. The density is conditional on each row's ``n``, which
    the statistics carry (``n = Σ_c T_c(x)``): a row scores ``log h(x) + ⟨η, x⟩ − n a(η)`` with the
    per-trial log-partition ``a(η) = log Σ_c e^η_c``, zero at normalised ``η = log p`` (every fit
    produces those, and ``E_q[a] = 0`` under a Dirichlet).

    The family as an exponential family is the multinomial with ``n_trials`` trials:
    ``A(η) = n_trials · a(η)`` and mean parameters ``μ = E[x] = n_trials · softmax(η)``;
    ``mean_to_natural`` normalises, ``log(μ / Σ_c μ_c)``, whatever the scale. So the M-step, the
    average count vector ``M_k / N_k = n̄_k p_k`` mapped back, is ``p_k = M_k / Σ_c M_kc`` for any
    mix of trials, and ``regularize_mean`` floors each probability at ``min_prob``, renormalises and
    rescales to ``n_trials``. ``n_trials`` is also the number of trials ``sample`` draws per row.
    ``n_trials=None`` is one trial until ``fit`` records the data's average number of trials
    (rounded, at least 1) in ``model.family_``; with equal trials in every row, that is the
    number itself.
    """

    n_trials: int | None = attrs.field(default=None, validator=_optional_count)
    min_prob: float = attrs.field(default=1e-10, validator=_open_unit_fraction)

    def _trials(self) -> float:
        return 1.0 if self.n_trials is None else float(self.n_trials)

    def sufficient_statistics(self, x: Array) -> Array:
        return np.asarray(x, dtype=np.float64)

    def log_base_measure(self, x: Array) -> Array:
        return scipy.special.gammaln(x.sum(1) + 1.0) - scipy.special.gammaln(x + 1.0).sum(1)

    def log_partition(self, natural: Array) -> Array:
        return self._trials() * scipy.special.logsumexp(natural, axis=1)

    def natural_to_mean(self, natural: Array) -> Array:
        return self._trials() * scipy.special.softmax(natural, axis=1)

    def mean_to_natural(self, mean: Array) -> Array:
        with np.errstate(divide="ignore"):
            return np.log(mean / mean.sum(1, keepdims=True))

    def regularize_mean(self, mean: Array) -> Array:
        total = mean.sum(1, keepdims=True)
        # a component that saw only rows of zero trials has no evidence: uniform probabilities
        with np.errstate(invalid="ignore", divide="ignore"):
            probs = np.where(total > 0, mean / total, 1.0 / mean.shape[1])
        floored = np.maximum(probs, self.min_prob)
        return self._trials() * floored / floored.sum(1, keepdims=True)

    def log_likelihood_of_statistics(
        self,
        statistics: Array,
        log_base: Array,
        natural: Array,
        log_partition: Array | None = None,
    ) -> Array:
        """``log h(x) + x ηᵀ − n a(η)`` with each row's own number of trials ``n = Σ_c x_c``;
        ``log_partition`` (``A`` or ``E_q[A]``, for ``n_trials`` trials) is rescaled per trial."""
        per_trial = (
            scipy.special.logsumexp(natural, axis=1)
            if log_partition is None
            else np.asarray(log_partition) / self._trials()
        )
        out = (natural @ statistics.T).T
        out += log_base[:, None]
        out -= np.outer(statistics.sum(1), per_trial)
        return out

    def data_support(self) -> DataSupport:
        return DataSupport(non_negative=True, integer=True)

    def completion(self, x: Array, missing: NDArray[np.bool_], natural: Array) -> Completion:
        """Refused: the density is conditional on each row's number of trials ``Σ_c x_c``,
        which a missing count leaves unknown, so no marginal exists without a model of it."""
        raise CannotMarginalise(
            f"{self.name} cannot marginalise a missing count: a row's density is conditional on "
            f"its number of trials (the sum of its counts), which a missing count leaves "
            f"unknown; drop the rows with missing counts, or impute them before fitting"
        )

    def validate(self, x: Array) -> None:
        _check_counts(x, "Multinomial")

    def for_data(self, x: Array, weights: Array) -> Self:
        if self.n_trials is not None:
            return self
        average = float(np.asarray(weighted_mean(x, weights)).sum())
        return attrs.evolve(self, n_trials=max(1, int(np.rint(average))))

    def first_batch_caveat(self, x: Array, weights: Array) -> str | None:
        if self.n_trials is not None:
            return None
        trials = np.asarray(x).sum(1)
        if trials.size == 0 or trials.min() == trials.max():
            return None
        fixed = self.for_data(x, weights).n_trials
        return (
            f"{self.name}: the rows have between {trials.min():g} and {trials.max():g} trials, "
            f"so n_trials (the trials sample() draws per row, and the scale of the mean "
            f"parameters) is fixed at this batch's average, {fixed}; give "
            f"{self.name}(n_trials=...) if later batches differ"
        )

    def init_features(self, x: Array) -> Array:
        """k-means++ runs on each row's proportions ``x / n``, not on its raw counts."""
        totals = np.asarray(x).sum(1, keepdims=True)
        return np.asarray(x) / np.maximum(totals, 1.0)

    def n_free_parameters(self, natural: Array) -> int:
        return natural.shape[0] * (natural.shape[1] - 1)

    def sample(self, natural: Array, labels: NDArray[np.intp], rng: np.random.Generator) -> Array:
        """``n_trials`` trials per row (one if it is unset)."""
        probs = scipy.special.softmax(natural, axis=1)[labels]
        return rng.multinomial(int(self._trials()), probs).astype(np.float64)

    def components_from(self, probabilities: Any) -> MultinomialComponents:
        """Components from probabilities ``(K, C)``, positive, each row summing to 1."""
        probs = float_array(probabilities)
        if probs.ndim != 2:
            raise ValueError(f"probabilities must have shape (K, C); got {probs.shape}")
        if not np.all(probs > 0) or not np.allclose(probs.sum(1), 1.0):
            raise ValueError("probabilities must be positive and sum to 1 over each row")
        return MultinomialComponents(family=self, natural=np.log(probs))


@attrs.frozen(eq=False, repr=False)
class MultinomialComponents(Components):
    family: Multinomial
    conventional = ("probs",)

    @property
    def probabilities(self) -> Array:
        """Probability of each category per trial: ``(K, C)``."""
        return scipy.special.softmax(self.natural, axis=1)

    @property
    def probs(self) -> Array:
        """The same as ``probabilities``, under the name the other discrete families use."""
        return self.probabilities


Multinomial.components_type = MultinomialComponents
