"""The exponential-family component interface.

A family is ``p(x | η) = h(x) exp(⟨η, T(x)⟩ − A(η))``. A family implements five primitives on
flat arrays (the fifth, ``mean_to_natural``, has a numerical default); everything else (the
log-density of all components at once, weighted statistics, the maximum-likelihood update) is
derived here once, for every family.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, ClassVar, Protocol, Self

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import float_array
from mixtures.families.completion import CannotMarginalise, Completion
from mixtures.families.held import HeldPart
from mixtures.families.newton import finite_difference_hessian, newton_mean_to_natural
from mixtures.families.row_statistics import RowStatistics, StatisticsMatrix
from mixtures.families.separable import FeatureCompletion
from mixtures.families.statistics import SufficientStatistics

__all__ = [
    "EMPTY_COMPONENT_FRACTION",
    "Components",
    "DataSupport",
    "DefaultPrior",
    "ExponentialFamily",
]

Array = NDArray[np.float64]

#: A component whose weighted count is at most this fraction of the total is treated as empty:
#: its parameters cannot be estimated from the data it holds.
EMPTY_COMPONENT_FRACTION = 1e-10


def empty_components(statistics: SufficientStatistics) -> NDArray[np.bool_]:
    """Mask of components too light to estimate (see ``EMPTY_COMPONENT_FRACTION``)."""
    total = statistics.counts.sum()
    return ~statistics.occupied(EMPTY_COMPONENT_FRACTION * total)


class DefaultPrior(Protocol):
    """What ``ExponentialFamily.default_prior`` returns: a ``mixtures.priors.ConjugatePrior``.

    Only its role is named here, because priors are built on families and never the reverse.
    """

    def for_data(self, family: Any, x: Array, weights: Array, n_components: int) -> Any:
        """The prior for ``n_components`` components of ``family`` with unset hyperparameters
        filled from the data."""


#: The default prior of each family class that declared one (``declare_default_prior``), as a
#: function of the family. The prior modules fill it as they are imported.
_DEFAULT_PRIORS: dict[type, Callable[[Any], DefaultPrior]] = {}


@attrs.frozen
class DataSupport:
    """What values ``x`` can take, for tools outside the library (e.g. scikit-learn's input tags):
    only non-negative values, only integers."""

    non_negative: bool = False
    integer: bool = False


class ExponentialFamily(abc.ABC):
    """Base class of every component family.

    Subclasses implement, on flat arrays (``N`` observations, ``K`` components, ``S`` statistics):

    * ``sufficient_statistics(x) -> (N, S)``, the statistics ``T(x)``;
    * ``log_base_measure(x) -> (N,)``, ``log h(x)``;
    * ``log_partition(natural) -> (K,)``, ``A(η)`` for each row of ``natural`` of shape ``(K, S)``;
    * ``natural_to_mean(natural) -> (K, S)``, ``μ = ∇A(η) = E[T(x)]``;
    * ``mean_to_natural(mean) -> (K, S)``, the inverse map. A family without a closed form may
      leave it out: the base class then solves ``∇A(η) = μ`` numerically by a damped Newton
      method on the convex ``A(η) − ⟨μ, η⟩``, starting from ``initial_natural(mean)`` (zeros by
      default) with the Hessian ``fisher_information(natural)`` (the covariance of ``T(x)``; by
      default central differences of ``natural_to_mean``). It needs ``log_partition`` to be
      infinite or NaN outside the natural domain, and raises ``ValueError`` when the mean is not
      in the interior of the mean space (Newton then fails to converge).

    Optional: ``default_prior()`` (the conjugate prior for variational Bayes and MAP-EM; or
    declare it once with ``declare_default_prior``), ``validate(x)`` (raise ``ValueError`` for
    values outside the support), ``sample(natural, labels, rng)``, ``regularize_mean(mean)``
    (keep the M-step away from the boundary of the parameter space), ``for_data(x, weights)``
    (fix data-dependent settings such as a centring point before fitting),
    ``init_features(x)`` (coordinates for k-means++
    initialisation), ``feature_columns(n_features)`` (the density is a product over the
    features: missing values are then marginalised for free), ``row_statistics(x)`` (how the
    E-step reads rows, by default ``T(x)`` formed once) and a ``components_type`` that names the
    conventional parameters.
    """

    #: The view returned by ``components``; subclasses name their conventional parameters there.
    components_type: ClassVar[type[Components]]

    # ----------------------------------------------------------------- primitives
    @abc.abstractmethod
    def sufficient_statistics(self, x: Array) -> Array:
        """``T(x)`` for each row of ``x``: shape ``(N, S)``."""

    @abc.abstractmethod
    def log_base_measure(self, x: Array) -> Array:
        """``log h(x)`` for each row of ``x``: shape ``(N,)``."""

    @abc.abstractmethod
    def log_partition(self, natural: Array) -> Array:
        """``A(η)`` for each row of ``natural`` ``(K, S)``: shape ``(K,)``."""

    @abc.abstractmethod
    def natural_to_mean(self, natural: Array) -> Array:
        """Mean parameters ``∇A(η)`` for each row: shape ``(K, S)``."""

    def mean_to_natural(self, mean: Array) -> Array:
        """Natural parameters for each row of mean parameters: shape ``(K, S)``.

        The default solves ``∇A(η) = μ`` row by row (all rows at once) by Newton's method with a
        backtracking line search on the convex objective ``A(η) − ⟨μ, η⟩``; override it when the
        inverse has a closed form.
        """
        return newton_mean_to_natural(self, np.asarray(mean, dtype=np.float64))

    def initial_natural(self, mean: Array) -> Array:
        """Starting point of the numerical ``mean_to_natural`` (default: zeros, ``(K, S)``).

        Override it when ``η = 0`` lies outside the natural domain or a cheap approximation of
        the inverse is known."""
        return np.zeros_like(mean)

    def fisher_information(self, natural: Array) -> Array:
        """``∇²A(η) = Cov[T(x)]`` for each row: shape ``(K, S, S)``.

        Default: central differences of ``natural_to_mean``; override it with a closed form if
        one is known. Used only by the numerical ``mean_to_natural``.
        """
        return finite_difference_hessian(self, natural)

    # ----------------------------------------------------------------- optional hooks
    def default_prior(self) -> DefaultPrior:
        """The family's weakly-informative conjugate prior, with every hyperparameter unset.

        Variational Bayes and MAP-EM use it when no ``prior=`` is given; its ``for_data`` fills
        the hyperparameters from the data. The default looks up the prior declared with
        ``declare_default_prior`` for this class or the nearest parent class.

        Returns
        -------
        ConjugatePrior
            An unresolved prior over this family's natural parameters.

        Raises
        ------
        ValueError
            If neither this family's class nor a parent declared a default prior.
        """
        for family_type in type(self).__mro__:
            make_prior = _DEFAULT_PRIORS.get(family_type)
            if make_prior is not None:
                return make_prior(self)
        raise ValueError(
            f"no default conjugate prior for {self.name}; pass prior=... (a ConjugatePrior for "
            f"it), or give {type(self).__name__} one by overriding default_prior() or calling "
            f"{type(self).__name__}.declare_default_prior(...)"
        )

    @classmethod
    def declare_default_prior(cls, make_prior: Callable[[Any], DefaultPrior]) -> None:
        """Declare ``make_prior(family)`` the default prior of this family class and of its
        subclasses that declare none of their own.

        Priors import the families they are over, so a family cannot name its prior class
        itself; the module that defines the prior declares it instead, e.g.
        ``Gaussian.declare_default_prior(NormalWishart.default_for)``. ``import mixtures`` imports
        every built-in prior, so the declarations are in place before any family is used.

        Parameters
        ----------
        make_prior
            Called with the family instance; returns its unresolved default prior (a
            ``ConjugatePrior``), e.g. a prior class's ``default_for``.
        """
        _DEFAULT_PRIORS[cls] = make_prior

    def validate(self, x: Array) -> None:  # noqa: B027 - optional hook, no support restriction
        """Raise ``ValueError`` if a value of ``x`` (finite, 2-D) lies outside the support."""

    def data_support(self) -> DataSupport:
        """Whether ``x`` must be non-negative and integer (default: any real value)."""
        return DataSupport()

    def sample(self, natural: Array, labels: NDArray[np.intp], rng: np.random.Generator) -> Array:
        """Draw one observation from component ``labels[i]`` for each ``i``: ``(len(labels), D)``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement sample()")

    def regularize_mean(self, mean: Array) -> Array:
        """Move estimated mean parameters into the interior of the parameter space (default: as is)."""
        return mean

    def for_data(self, x: Array, weights: Array) -> Self:
        """This family with its data-dependent settings fixed from ``x`` (default: unchanged)."""
        return self

    def init_features(self, x: Array) -> Array:
        """Coordinates in which k-means++ chooses initial centres (default: ``x`` itself)."""
        return x

    def first_batch_caveat(self, x: Array, weights: Array) -> str | None:
        """What ``for_data`` would fix from these rows alone that later rows may contradict, as a
        sentence for ``partial_fit`` to warn with (default: nothing)."""
        return None

    def feature_columns(self, n_features: int) -> NDArray[np.intp] | None:
        """Declare the density a product over the features of ``x``: the columns of ``T(x)`` that
        belong to each feature, an integer ``(D, S_d)`` array (row ``d``: feature ``d``'s
        columns, each of the ``S`` columns once), or ``None`` (the default: not declared).

        Declaring it says that feature ``d`` alone follows this family on one column, ``x[:,
        [d]]``, with natural parameters ``natural[:, columns[d]]``: ``T``, ``log h`` and ``A`` of
        a row are the sums of the features' own. Missing values then come for free
        (``completion``): a missing feature drops out of the density, and its expected
        statistics are the component's mean parameters for it. ``mixtures.testing.
        check_family`` checks the declaration.
        """
        return None

    def data_mean(self, natural: Array) -> Array:
        """``E[x]`` under each component, in the data's units: ``(K, D)``. ``impute`` of a family
        that declares ``feature_columns`` fills missing entries with it; a family whose values
        have no meaningful average says so."""
        raise ValueError(
            f"{self.name} does not give E[x] (implement {type(self).__name__}.data_mean(natural)), "
            f"so it cannot impute missing entries"
        )

    def completion(self, x: Array, missing: NDArray[np.bool_], natural: Array) -> Completion:
        """Rows ``x`` ``(m, D)`` whose entries ``missing`` ``(m, D)`` are missing (their values
        in ``x`` are placeholders), under ``natural`` ``(K, S)``: the marginal log-likelihood of
        the observed entries and the expected statistics of the rows (``mixtures.families.
        completion``). Derived for a family that declares ``feature_columns``; a family that
        can do neither raises ``CannotMarginalise``: ``missing="marginalize"`` needs this."""
        if self.feature_columns(x.shape[1]) is not None:
            return FeatureCompletion.of(self, x, missing, natural)
        raise CannotMarginalise(
            f"{self.name} cannot marginalise missing values: declare {type(self).__name__}."
            f"feature_columns(n_features) if its density is a product over the features, or "
            f"implement {type(self).__name__}.completion(x, missing, natural) (see "
            f"docs/missing.md); or impute the missing entries before fitting"
        )

    def held_part(self, parts: frozenset[str]) -> HeldPart:
        """The value that holds ``parts`` of every component at their start while EM or VB
        learns the rest (``fixed=("means",)`` for a Gaussian; ``mixtures.families.held``). A
        family that cannot split its components so says."""
        raise ValueError(
            f"{self.name} cannot hold {sorted(parts)} of its components while learning the rest; "
            f"fix whole components with fixed=('components',)"
        )

    def n_free_parameters(self, natural: Array) -> int:
        """Number of free parameters of ``natural`` (``(K, S)``), for BIC and AIC."""
        return int(natural.size)

    @property
    def component_multiple(self) -> int:
        """The number of components must be a multiple of this (a family that ties runs of
        consecutive components says how long they are; 1: any number)."""
        return 1

    # ----------------------------------------------------------------- derived
    @property
    def name(self) -> str:
        return type(self).__name__

    def components(self, natural: Array) -> Components:
        """The component parameters ``natural`` ``(K, S)`` as a named, validated value."""
        return self.components_type(family=self, natural=natural)

    def with_parts(self, natural: Array, parts: dict[str, Any]) -> Array:
        """``natural`` ``(K, S)`` with some of the components' parameters replaced by given
        ``parts`` (a partial start, e.g. a Gaussian's ``means``). A family that cannot split its
        parameters so says; give whole components instead."""
        raise ValueError(
            f"{self.name} cannot start from parts of its components ({sorted(parts)}); give whole "
            f"components (family.components_from(...)) instead"
        )

    def natural_of(self, components: Components) -> Array:
        """``components``' natural parameters in this family's coordinates.

        They must come from the same kind of family; a family with data-dependent settings
        (e.g. a Gaussian's centring origin) re-expresses them exactly.
        """
        self.check_same_kind(components)
        return components.natural

    def check_same_kind(self, components: Components) -> None:
        """Raise ``ValueError`` unless ``components`` come from a family of this kind."""
        if type(components.family) is not type(self):
            raise ValueError(
                f"components of {components.family.name} cannot stand for {self.name} components"
            )

    def log_likelihood(self, x: Array, natural: Array) -> Array:
        """``log p(x_n | η_k)`` for every observation and component: shape ``(N, K)``."""
        return self.log_likelihood_of_statistics(
            self.sufficient_statistics(x), self.log_base_measure(x), natural
        )

    def row_statistics(self, x: Array, product_dtype: Any = np.float64) -> RowStatistics:
        """Rows ``x`` as the E-step reads them (``mixtures.families.row_statistics``), with
        products in ``product_dtype``.

        Default: ``T(x)`` and ``log h(x)`` formed once as matrices (``StatisticsMatrix``), whose
        log-densities and weighted sums are one matrix product each, in float64 only: a
        ``ValueError`` refuses float32. Override it when both can be computed without holding
        ``T(x)`` of every row (the Gaussians read ``x`` itself, in either precision)."""
        if np.dtype(product_dtype) != np.float64:
            raise ValueError(
                f"product_dtype={np.dtype(product_dtype).name}: {self.name} computes its E-step in "
                f"float64 only; single precision is offered by the Gaussian families (Gaussian, "
                f"DiagonalGaussian, SphericalGaussian, TiedGaussian); leave product_dtype at float64"
            )
        return StatisticsMatrix.of(self, x)

    def log_likelihood_of_statistics(
        self,
        statistics: Array,
        log_base: Array,
        natural: Array,
        log_partition: Array | None = None,
    ) -> Array:
        """``log h(x) + T(x) ηᵀ − A(η)``: one matrix product for all components at once.

        ``log_partition=None`` means ``A(η)`` itself. The variational E-step passes ``E_q[A(η)]``
        with ``E_q[η]`` in place of the point values.
        """
        if log_partition is None:
            log_partition = self.log_partition(natural)
        # (K, N) product viewed as (N, K): reductions over k then run along contiguous memory
        out = (natural @ statistics.T).T
        out += log_base[:, None]
        out -= log_partition[None, :]
        return out

    def expected_statistics(
        self, x: Array, responsibilities: Array, weights: Array | None = None
    ) -> SufficientStatistics:
        """Weighted statistics ``Σ_n w_n r_nk`` and ``Σ_n w_n r_nk T(x_n)``."""
        weighted = responsibilities if weights is None else responsibilities * weights[:, None]
        return SufficientStatistics(weighted.sum(0), weighted.T @ self.sufficient_statistics(x))

    def cancelled_components(self, statistics: SufficientStatistics) -> NDArray[np.bool_]:
        """``(K,)``: the components that ``regathered`` would gather again from these
        ``statistics`` (default: none). The one-pass E-step, which keeps no responsibilities to
        regather with, hands a chunk with any of them to the passes one at a time."""
        return np.zeros(statistics.n_components, dtype=bool)

    def regathered(
        self, statistics: SufficientStatistics, x: Array, weighted_responsibilities: Array
    ) -> SufficientStatistics:
        """``statistics`` summed by one product over rows ``x`` ``(n, D)`` with
        ``weighted_responsibilities`` ``(n, K)``, with any component whose sums lost precision
        to cancellation gathered again about a point among its data (``SufficientStatistics.
        reference``). Default: as they are (the Gaussians regather components far from the
        data centre that are tight compared with their distance from it)."""
        return statistics

    def coinciding_components(self, statistics: SufficientStatistics) -> NDArray[np.bool_]:
        """Components whose data in ``statistics`` coincide, so that the M-step's spread is its
        regularisation alone (default: none; a family without a spread has nothing to report)."""
        return np.zeros(statistics.n_components, dtype=bool)

    def maximum_likelihood(
        self, statistics: SufficientStatistics, previous: Array | None = None
    ) -> Array:
        """The M-step: average the statistics, regularise, map to natural parameters.

        Components that hold no data keep their ``previous`` parameters; without previous
        parameters they take those of all the data pooled.
        """
        empty = empty_components(statistics)
        occupied = ~empty
        if empty.any() and previous is not None:
            natural = np.array(previous, dtype=np.float64, copy=True)
            estimated = self.mean_to_natural(self.regularize_mean(statistics.means()[occupied]))
            natural[occupied] = statistics.placed(estimated, occupied)
            return natural
        means = statistics.means()
        if empty.any():  # a first M-step: the empty take all the data pooled
            if statistics.reference is not None:  # ... stated in the family's coordinates
                statistics = statistics.about(np.where(empty[:, None], 0.0, statistics.reference.points))
                means = statistics.means()
            means[empty] = statistics.pooled().means()[0]
        return statistics.placed(self.mean_to_natural(self.regularize_mean(means)))


def _finite_matrix(instance: Components, attribute: attrs.Attribute, value: Array) -> None:
    if value.ndim != 2:
        raise ValueError(f"natural parameters must have shape (K, S); got shape {value.shape}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"natural parameters of {instance.family.name} contain NaN or inf")


#: ``repr`` of components prints arrays with more values than this in part (numpy's ``threshold``).
REPR_THRESHOLD = 60


@attrs.frozen(eq=False, repr=False)
class Components:
    """The parameters of ``K`` components of one family, stored as natural parameters.

    Family-specific subclasses add the conventional names (``mean``, ``covariance``, ``probs``...)
    and list them in ``conventional``, which ``repr`` shows (subclasses are ``repr=False`` attrs
    classes so that this one ``__repr__`` serves them all).
    """

    family: ExponentialFamily
    natural: Array = attrs.field(converter=float_array, validator=_finite_matrix)

    #: The names of the conventional parameters, in the order ``repr`` shows them; empty: the
    #: mean parameters ``E[T(x)]`` (a family of your own).
    conventional: ClassVar[tuple[str, ...]] = ()

    def __len__(self) -> int:
        return int(self.natural.shape[0])

    @property
    def n_components(self) -> int:
        return len(self)

    @property
    def mean_parameters(self) -> Array:
        """``E[T(x)]`` under each component: shape ``(K, S)``."""
        return self.family.natural_to_mean(self.natural)

    @property
    def log_partition(self) -> Array:
        return self.family.log_partition(self.natural)

    def log_likelihood(self, x: Any) -> Array:
        """``log p(x_n | component k)``: shape ``(N, K)``."""
        return self.family.log_likelihood(float_array(x), self.natural)

    def conventional_parameters(self) -> dict[str, Any]:
        """The components' parameters in their conventional form by name (a Gaussian's ``mean``
        and ``covariance``, a Bernoulli's ``probs``...; ``mean_parameters`` for a family without
        ``conventional`` names): what ``repr`` shows."""
        if not self.conventional:
            return {"mean_parameters": self.mean_parameters}
        return {name: getattr(self, name) for name in self.conventional}

    def __repr__(self) -> str:
        try:
            shown = self.conventional_parameters()
        except (ValueError, ArithmeticError):  # parameters that do not convert: show the stored ones
            shown = {"natural": self.natural}
        fields = []
        with np.printoptions(precision=4, threshold=REPR_THRESHOLD, edgeitems=2, suppress=True):
            for name, value in shown.items():
                first, *rest = repr(value).split("\n")
                indent = " " * (len(name) + 5)  # under the value's first line
                rest_indented = "".join(f"\n{indent}{line}" if line else "\n" for line in rest)
                fields.append(f"    {name}={first}{rest_indented}")
        heading = f"{type(self).__name__}(n_components={len(self)}, family={type(self.family).__name__}"
        return ",\n".join([heading, *fields]) + ")"


ExponentialFamily.components_type = Components
