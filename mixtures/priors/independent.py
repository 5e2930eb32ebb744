"""The conjugate prior of an ``Independent`` product family: independent priors on the parts.

``IndependentPrior(prior_1, prior_2, ...)`` puts ``prior_i`` on part ``i``'s natural parameters
(``None``: that part's default prior). The product of conjugate priors is the conjugate prior of
the product family: its natural hyperparameters concatenate (``χ`` block by block as the
statistics do, the block counts ``ν`` one part after the other), ``log Z`` adds, ``E[η]`` and
``E[A_b]`` concatenate, and the KL divergence, the mode, the log density, draws, the posterior
mean and the posterior predictive are the parts' own on their blocks (summed where they are
scalars per component).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.exceptions import FieldError
from mixtures.families.base import ExponentialFamily
from mixtures.families.independent import Independent, consecutive_slices
from mixtures.families.statistics import SufficientStatistics
from mixtures.priors.base import ConjugatePrior, default_prior

__all__ = ["IndependentPrior"]

Array = NDArray[np.float64]


def _check_part_priors(parts: Sequence[Any]) -> tuple[ConjugatePrior | None, ...]:
    for index, prior in enumerate(parts):
        if prior is not None and not isinstance(prior, ConjugatePrior):
            raise ValueError(
                f"IndependentPrior part {index} must be a ConjugatePrior or None (the part's "
                f"default prior); got {prior!r}"
            )
    return tuple(parts)


@attrs.frozen(init=False)
class IndependentPrior(ConjugatePrior):
    """Independent conjugate priors on the parts of an ``Independent`` family.

    ``IndependentPrior(Beta(a=2, b=2), None, Gamma(rate=0.5))``: one entry per part, in the order
    of the family's parts; ``None`` takes the part's default prior, and ``IndependentPrior()`` with
    no entries takes every part's default. ``for_data`` resolves each part's prior on its columns;
    afterwards ``parts[i]`` is part ``i``'s resolved prior (or posterior) with its conventional
    hyperparameters.
    """

    parts: tuple[ConjugatePrior | None, ...] = attrs.field(converter=_check_part_priors)
    independent: Independent | None = attrs.field(default=None, repr=False)

    def __init__(
        self,
        *priors: ConjugatePrior | None,
        parts: Sequence[ConjugatePrior | None] | None = None,
        independent: Independent | None = None,
    ) -> None:
        if parts is not None:
            if priors:
                raise ValueError("pass the part priors either positionally or as parts=, not both")
            priors = tuple(parts)
        self.__attrs_init__(parts=tuple(priors), independent=independent)

    def __repr__(self) -> str:
        return f"IndependentPrior({', '.join(repr(p) for p in self.parts)})"

    # ----------------------------------------------------------------- resolution
    @classmethod
    def default_for(cls, family: ExponentialFamily) -> Self:
        """The product of the parts' default priors (unresolved)."""
        if not isinstance(family, Independent):
            raise ValueError(f"an IndependentPrior is for Independent families, not {family.name}")
        return cls(*(default_prior(part) for part in family.parts))

    @property
    def family(self) -> ExponentialFamily:
        return self._independent()

    def _independent(self) -> Independent:
        if self.independent is None:
            raise ValueError("IndependentPrior is not resolved; call for_data first")
        return self.independent

    def _resolved_parts(self) -> tuple[ConjugatePrior, ...]:
        self._independent()
        return tuple(p for p in self.parts if p is not None)

    def for_data(
        self, family: ExponentialFamily, x: Array, weights: Array, n_components: int
    ) -> Self:
        if not isinstance(family, Independent):
            raise ValueError(f"an IndependentPrior is for Independent families, not {family.name}")
        parts = self.parts or (None,) * family.n_parts
        if len(parts) != family.n_parts:
            raise ValueError(
                f"IndependentPrior has {len(parts)} part priors but {family.name} has "
                f"{family.n_parts} parts; give one prior (or None) per part"
            )
        family.check_columns(x.shape[1])
        resolved = []
        for index, (prior, part) in enumerate(zip(parts, family.parts, strict=True)):
            chosen = default_prior(part) if prior is None else prior
            try:
                resolved.append(
                    chosen.for_data(part, family.part_columns(x, index), weights, n_components)
                )
            except ValueError as error:
                raise ValueError(f"IndependentPrior part {index} ({part.name}): {error}") from error
        return type(self)(parts=resolved, independent=family)

    def check_resolved(self, family: ExponentialFamily, n_components: int, n_features: int) -> None:
        """Each part's prior is over its part of the family and checks itself on the part's
        columns (a problem names the part: ``parts[i].field``); then the generic checks."""
        if not isinstance(family, Independent):
            raise ValueError(f"an IndependentPrior is for Independent families, not {family.name}")
        if len(self.parts) != family.n_parts:
            raise FieldError("parts", f"has {len(self.parts)} priors for a family of {family.n_parts} parts")
        parts = zip(self.parts, family.parts, family.columns, strict=True)
        for index, (prior, part, columns) in enumerate(parts):
            field = f"parts[{index}]"
            if not isinstance(prior, ConjugatePrior):
                raise FieldError(field, f"must be a conjugate prior; got {type(prior).__name__}")
            try:
                if prior.family != part:
                    raise ValueError(f"is a prior over {prior.family!r}, but part {index} is {part!r}")
                prior.check_resolved(part, n_components, len(columns))
            except FieldError as error:
                raise FieldError(f"{field}.{error.field}", error.problem) from error
            except ValueError as error:
                raise FieldError(field, str(error)) from error
        super().check_resolved(family, n_components, n_features)

    # ----------------------------------------------------------------- layout
    def _count_blocks(self) -> list[slice]:
        return consecutive_slices(
            p.natural_hyperparameters()[1].shape[-1] for p in self._resolved_parts()
        )

    def _split(self, chi: Array, counts: Array) -> list[tuple[Array, Array]]:
        count_blocks = self._count_blocks()
        if counts.shape[-1] != count_blocks[-1].stop:
            raise ValueError(
                f"IndependentPrior has {count_blocks[-1].stop} block counts; got {counts.shape[-1]}"
            )
        chis = self._independent().split(chi)
        return [(c, counts[..., block]) for c, block in zip(chis, count_blocks, strict=True)]

    def _concatenate(self, name: str) -> Array:
        return np.concatenate([getattr(p, name)() for p in self._resolved_parts()], axis=-1)

    # ----------------------------------------------------------------- natural coordinates
    def natural_hyperparameters(self) -> tuple[Array, Array]:
        pairs = [p.natural_hyperparameters() for p in self._resolved_parts()]
        return (
            np.concatenate([chi for chi, _ in pairs], axis=1),
            np.concatenate([counts for _, counts in pairs], axis=1),
        )

    def with_natural_hyperparameters(self, chi: Array, counts: Array) -> Self:
        parts = [
            prior.with_natural_hyperparameters(c, n)
            for prior, (c, n) in zip(self._resolved_parts(), self._split(chi, counts), strict=True)
        ]
        return attrs.evolve(self, parts=tuple(parts))

    def update(self, statistics: SufficientStatistics) -> Self:
        """Each part's own conjugate update with its block of the sums (the counts are shared)."""
        chi, _ = self.natural_hyperparameters()
        if statistics.sums.shape != chi.shape:
            raise ValueError(
                f"statistics of shape {statistics.sums.shape} do not fit a prior over "
                f"{chi.shape[0]} components with {chi.shape[1]} statistics"
            )
        sums = self._independent().split(statistics.sums)
        parts = [
            prior.update(SufficientStatistics(statistics.counts, block))
            for prior, block in zip(self._resolved_parts(), sums, strict=True)
        ]
        return attrs.evolve(self, parts=tuple(parts))

    def log_normalizer_of(self, chi: Array, counts: Array) -> Array:
        pieces = [
            prior.log_normalizer_of(c, n)
            for prior, (c, n) in zip(self._resolved_parts(), self._split(chi, counts), strict=True)
        ]
        return np.asarray(sum(pieces[1:], pieces[0]), dtype=np.float64)

    def log_normalizer(self) -> Array:
        pieces = [p.log_normalizer() for p in self._resolved_parts()]
        return np.asarray(sum(pieces[1:], pieces[0]), dtype=np.float64)

    def expected_natural(self) -> Array:
        return self._concatenate("expected_natural")

    def expected_log_partition_blocks(self) -> Array:
        return self._concatenate("expected_log_partition_blocks")

    def log_partition_blocks(self, natural: Array) -> Array:
        blocks = self._independent().split(natural)
        return np.concatenate(
            [p.log_partition_blocks(b) for p, b in zip(self._resolved_parts(), blocks, strict=True)],
            axis=-1,
        )

    def mode(self) -> Array:
        """Each part's mode, in the coordinates its own ``log_density`` uses."""
        return self._concatenate("mode")

    def log_density(self, natural: Array) -> Array:
        """The sum of the parts' log densities (each in its own coordinates, as its ``mode``)."""
        blocks = self._independent().split(natural)
        pieces = [p.log_density(b) for p, b in zip(self._resolved_parts(), blocks, strict=True)]
        return np.asarray(sum(pieces[1:], pieces[0]), dtype=np.float64)

    def sample_natural(self, n_draws: int, rng: np.random.Generator) -> Array:
        return np.concatenate(
            [p.sample_natural(n_draws, rng) for p in self._resolved_parts()], axis=-1
        )

    def posterior_mean_natural(self) -> Array:
        return self._concatenate("posterior_mean_natural")

    def kl_divergence(self, other: ConjugatePrior) -> float:
        """The sum of the parts' KL divergences (the generic formula when ``other`` is not an
        ``IndependentPrior`` over the same parts)."""
        if not (
            isinstance(other, IndependentPrior)
            and len(other.parts) == len(self.parts)
            and other.independent is not None
        ):
            return super().kl_divergence(other)
        return float(
            sum(
                mine.kl_divergence(theirs)
                for mine, theirs in zip(self._resolved_parts(), other._resolved_parts(), strict=True)
            )
        )

    def log_predictive(self, x: Array) -> Array:
        """``Σ_i log p_i(x[:, c_i] | data)``: the parts' own posterior predictives (for a
        Gaussian part, its Student-t) on their columns."""
        family = self._independent()
        family.check_columns(x.shape[1])
        pieces = [
            prior.log_predictive(family.part_columns(x, i))
            for i, prior in enumerate(self._resolved_parts())
        ]
        return np.asarray(sum(pieces[1:], pieces[0]), dtype=np.float64)


# the default prior of the family it is over (see ExponentialFamily.declare_default_prior)
Independent.declare_default_prior(IndependentPrior.default_for)
