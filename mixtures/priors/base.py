"""Conjugate priors: exponential families over a component family's natural parameters.

For a family ``p(x | η) = h(x) exp(⟨η, T(x)⟩ − A(η))`` whose log-partition splits into blocks
``A = Σ_b A_b`` (one block for most families; the Normal-Wishart has a mean block and a precision
block), the conjugate prior of one component is

    p(η | χ, ν) = exp(⟨χ, η⟩ − Σ_b ν_b A_b(η) − log Z(χ, ν))

with respect to a base measure fixed by each prior. Its own sufficient statistics are
``(η, −A_b(η))``, so its mean parameters are ``E[η]`` and ``−E[A_b(η)]`` and, written once here:

* the posterior after data is exact addition: ``χ' = χ + Σ r T(x)``, ``ν'_b = ν_b + Σ r``;
* ``KL(q ‖ p) = ⟨χ_q − χ_p, E_q[η]⟩ − Σ_b (ν_q − ν_p)_b E_q[A_b] − log Z_q + log Z_p``;
* the posterior predictive is ``log h(x) + log Z(χ + T(x), ν + 1) − log Z(χ, ν)``.

A prior implements ``log_normalizer`` (vectorised), the two expectations, its mode (for MAP-EM),
its density at a point (the MAP objective) and sampling (for Monte Carlo checks).
"""

from __future__ import annotations

import abc
import warnings
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

from mixtures._validation import as_float_values
from mixtures.families.base import ExponentialFamily
from mixtures.families.statistics import SufficientStatistics

__all__ = ["ConjugatePrior", "default_prior"]

Array = NDArray[np.float64]


class ConjugatePrior(abc.ABC):
    """``K`` independent conjugate distributions over a family's natural parameters.

    A user constructs a prior with conventional hyperparameters, any of which may be ``None``
    (a weakly-informative default taken from the data by ``for_data``). Once resolved, the same
    class holds one set of hyperparameters per component; posteriors are values of that class.
    """

    # ----------------------------------------------------------------- per prior
    @classmethod
    def default_for(cls, family: ExponentialFamily) -> Self:
        """This prior as ``family``'s default: every hyperparameter unset (filled from the data
        by ``for_data``). What a prior module passes to ``ExponentialFamily.declare_default_prior``."""
        return cls()

    @abc.abstractmethod
    def for_data(
        self, family: ExponentialFamily, x: Array, weights: Array, n_components: int
    ) -> Self:
        """This prior for ``n_components`` components of ``family`` with every unset
        hyperparameter filled from the data ``x`` (validated, with sample ``weights``)."""

    @property
    @abc.abstractmethod
    def family(self) -> ExponentialFamily:
        """The (configured) component family this prior is over."""

    @abc.abstractmethod
    def natural_hyperparameters(self) -> tuple[Array, Array]:
        """``χ`` ``(K, S)`` and the block counts ``ν`` ``(K, B)``."""

    @abc.abstractmethod
    def with_natural_hyperparameters(self, chi: Array, counts: Array) -> Self:
        """The member of this prior family with natural hyperparameters ``(χ, ν)``."""

    @abc.abstractmethod
    def log_normalizer_of(self, chi: Array, counts: Array) -> Array:
        """``log Z(χ, ν)`` for ``χ`` ``(..., S)`` and ``ν`` ``(..., B)``: shape ``(...)``."""

    @abc.abstractmethod
    def expected_natural(self) -> Array:
        """``E_q[η]`` for each component: ``(K, S)``."""

    @abc.abstractmethod
    def expected_log_partition_blocks(self) -> Array:
        """``E_q[A_b(η)]`` for each component and block: ``(K, B)``."""

    @abc.abstractmethod
    def mode(self) -> Array:
        """Natural parameters at the density's mode (for MAP-EM): ``(K, S)``.

        The mode depends on the coordinates the density is taken in; each prior documents its
        own (``η`` for Gamma and Beta, log-ratios for Dirichlet, ``(μ, Λ)`` or ``(μ, λ)`` for the
        Gaussian priors) and ``log_density`` uses the same, so MAP-EM's objective
        (log-likelihood + log prior density) never decreases."""

    @abc.abstractmethod
    def log_partition_blocks(self, natural: Array) -> Array:
        """``A_b(η)`` for each row of ``natural`` ``(K, S)``: ``(K, B)``, summing to ``A(η)``."""

    def log_density(self, natural: Array) -> Array:
        """Log density at ``natural`` ``(K, S)`` w.r.t. the prior's base measure, the coordinates
        ``mode`` maximises: ``⟨χ, η⟩ − Σ_b ν_b A_b(η) − log Z``, shape ``(K,)``."""
        chi, counts = self.natural_hyperparameters()
        return (
            np.einsum("ks,ks->k", chi, natural)
            - np.einsum("kb,kb->k", counts, self.log_partition_blocks(natural))
            - self.log_normalizer()
        )

    @abc.abstractmethod
    def sample_natural(self, n_draws: int, rng: np.random.Generator) -> Array:
        """Draws of the natural parameters: ``(n_draws, K, S)``."""

    def check_resolved(self, family: ExponentialFamily, n_components: int, n_features: int) -> None:
        """Raise ``ValueError`` unless this prior (or posterior) is resolved for ``n_components``
        components of ``family`` on ``n_features`` columns: what a constructor cannot check, run
        when a model file is loaded.

        The base class checks what every prior must satisfy: natural hyperparameters of the
        shapes the family's statistics need, a finite normaliser and finite expectations (the
        hyperparameters lie in the prior's domain). A prior checks its own fields first
        (shapes, signs, views that must agree), raising ``mixtures.exceptions.FieldError`` naming
        the field, then calls this.

        Parameters
        ----------
        family
            The model's family (the prior's own ``family`` is known to equal it).
        n_components
            The model's number of components.
        n_features
            The number of columns of the data.

        Raises
        ------
        ValueError
            Naming the hyperparameter and what is wrong (a ``FieldError`` names it as a field).
        """
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            n_statistics = np.shape(family.sufficient_statistics(np.zeros((1, n_features))))[-1]
            chi, counts = self.natural_hyperparameters()
            values = {
                "natural hyperparameters χ": np.asarray(chi, dtype=np.float64),
                "block counts ν": np.asarray(counts, dtype=np.float64),
                "log-normaliser": np.asarray(self.log_normalizer(), dtype=np.float64),
                "E[η]": np.asarray(self.expected_natural(), dtype=np.float64),
                "E[A(η)]": np.asarray(self.expected_log_partition_blocks(), dtype=np.float64),
            }
        n_blocks = values["block counts ν"].shape[-1]
        expected = {
            "natural hyperparameters χ": (n_components, n_statistics),
            "block counts ν": (n_components, n_blocks),
            "log-normaliser": (n_components,),
            "E[η]": (n_components, n_statistics),
            "E[A(η)]": (n_components, n_blocks),
        }
        for name, value in values.items():
            if value.shape != expected[name]:
                raise ValueError(
                    f"its {name} have shape {value.shape}; {n_components} components need {expected[name]}"
                )
            if not np.all(np.isfinite(value)):
                raise ValueError(
                    f"its {name} are not finite: the hyperparameters lie outside the prior's domain"
                )

    # ----------------------------------------------------------------- derived
    @property
    def n_components(self) -> int:
        return int(self.natural_hyperparameters()[0].shape[0])

    def update(self, statistics: SufficientStatistics) -> Self:
        """The posterior after adding summed statistics: ``χ + M``, ``ν_b + N`` (exact addition)."""
        chi, counts = self.natural_hyperparameters()
        # χ is stated in the family's coordinates; far tight components lose some spread there,
        # but the prior's pull β(x̄ − m)(x̄ − m)ᵀ on such a component dwarfs what is lost
        statistics = statistics.about(None)
        if statistics.sums.shape != chi.shape:
            raise ValueError(
                f"statistics of shape {statistics.sums.shape} do not fit a prior over "
                f"{chi.shape[0]} components with {chi.shape[1]} statistics"
            )
        return self.with_natural_hyperparameters(
            chi + statistics.sums, counts + statistics.counts[:, None]
        )

    def log_normalizer(self) -> Array:
        """``log Z`` of each component's distribution: ``(K,)``."""
        return self.log_normalizer_of(*self.natural_hyperparameters())

    def expected_log_partition(self) -> Array:
        """``E_q[A(η)]`` for each component: ``(K,)``."""
        return self.expected_log_partition_blocks().sum(1)

    def kl_divergence(self, other: ConjugatePrior) -> float:
        """``KL(self ‖ other)``, summed over components (a prior may couple its components)."""
        chi_q, counts_q = self.natural_hyperparameters()
        chi_p, counts_p = other.natural_hyperparameters()
        per_component = (
            np.einsum("ks,ks->k", chi_q - chi_p, self.expected_natural())
            - np.einsum("kb,kb->k", counts_q - counts_p, self.expected_log_partition_blocks())
            - self.log_normalizer()
            + other.log_normalizer()
        )
        return float(per_component.sum())

    def log_predictive(self, x: Array) -> Array:
        """Posterior predictive ``log ∫ p(x_n | η) q_k(η) dη`` for each row and component:
        ``(N, K)``."""
        family = self.family
        chi, counts = self.natural_hyperparameters()
        statistics = family.sufficient_statistics(x)
        updated = self.log_normalizer_of(chi[None, :, :] + statistics[:, None, :], counts[None] + 1.0)
        return family.log_base_measure(x)[:, None] + updated - self.log_normalizer()[None, :]

    def log_predictive_observed(self, x: Array, missing: NDArray[np.bool_]) -> Array:
        """Posterior predictive of each row's observed entries, the missing ones integrated out:
        ``log ∫ p(x_obs,n | η) q_k(η) dη``, ``(N, K)`` (0 for a row with nothing observed).

        ``missing`` ``(N, D)`` marks the missing entries, where ``x`` holds placeholders. A prior
        whose predictive has a closed-form marginal implements this (the Gaussian priors: the
        Student-t's marginal); the others refuse, naming themselves."""
        raise ValueError(
            f"the posterior predictive density of rows with missing values is not available for "
            f"a {type(self).__name__} prior (it has no log_predictive_observed); after VB, "
            f"predict_proba and predict work on such rows, as do EM fits' score_samples"
        )

    def posterior_mean_natural(self) -> Array:
        """Natural parameters of the posterior-mean point estimate reported as ``components_``:
        ``E_q[η]`` (for a Gaussian, ``E[Λ]`` and ``E[Λ]⁻¹E[Λμ]``)."""
        return self.expected_natural()


def default_prior(family: ExponentialFamily) -> ConjugatePrior:
    """The weakly-informative default prior of ``family`` (all hyperparameters unset).

    Each family declares its own (``ExponentialFamily.default_prior``): the built-in priors
    declare themselves for their families where they are defined, so neither this module nor
    the families keep a table of pairs.

    Parameters
    ----------
    family
        A component family, built-in or a user's own.

    Returns
    -------
    ConjugatePrior
        ``family.default_prior()``, unresolved.

    Raises
    ------
    ValueError
        If the family has no default prior.
    TypeError
        If the family's ``default_prior`` returns something other than a ``ConjugatePrior``.
    """
    prior = family.default_prior()
    if not isinstance(prior, ConjugatePrior):
        raise TypeError(f"{family.name}.default_prior() must return a ConjugatePrior; got {prior!r}")
    return prior


def broadcast_rows(value: Any, n_components: int, width: int, name: str) -> Array:
    """``value`` as ``(K, width)``: a scalar, a row of ``width``, or already ``(K, width)``."""
    array = as_float_values(value, name)
    if array.ndim == 0:
        array = np.full((n_components, width), float(array))
    elif array.ndim == 1 and array.shape[0] == width:
        array = np.broadcast_to(array, (n_components, width)).copy()
    if array.shape != (n_components, width):
        raise ValueError(
            f"{name} must be a scalar, a vector of length {width} or an array of shape "
            f"({n_components}, {width}); got shape {np.shape(value)}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    return array


def per_component(value: Any, n_components: int, name: str) -> Array:
    """A per-component scalar hyperparameter as ``(K,)``: a scalar or a length-``K`` vector."""
    array = as_float_values(value, name)
    if array.ndim == 0:
        array = np.full(n_components, float(array))
    if array.shape != (n_components,):
        raise ValueError(
            f"{name} must be a scalar or a vector of length {n_components}; got shape {np.shape(value)}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    return array
