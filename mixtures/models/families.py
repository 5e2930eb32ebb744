"""String aliases for the built-in families (sugar for the estimators' ``family`` argument)."""

from __future__ import annotations

from collections.abc import Callable

from mixtures.families import (
    Bernoulli,
    Categorical,
    DiagonalGaussian,
    ExponentialFamily,
    Gaussian,
    Multinomial,
    Poisson,
    SphericalGaussian,
    TiedGaussian,
)

__all__ = ["FAMILY_ALIASES", "resolve_family"]

FAMILY_ALIASES: dict[str, Callable[[], ExponentialFamily]] = {
    "gaussian": Gaussian,
    "full": Gaussian,
    "diag": DiagonalGaussian,
    "diagonal": DiagonalGaussian,
    "spherical": SphericalGaussian,
    "tied": TiedGaussian,
    "bernoulli": Bernoulli,
    "poisson": Poisson,
    "categorical": Categorical,
    "multinomial": Multinomial,
}


def resolve_family(family: ExponentialFamily | str | None) -> ExponentialFamily:
    """The family instance for ``family`` (an instance, an alias, or ``None`` for ``Gaussian()``)."""
    if family is None:
        return Gaussian()
    if isinstance(family, ExponentialFamily):
        return family
    if isinstance(family, str) and family.lower() in FAMILY_ALIASES:
        return FAMILY_ALIASES[family.lower()]()
    if isinstance(family, type) and issubclass(family, ExponentialFamily):
        raise ValueError(f"family must be an instance, e.g. {family.__name__}(); got the class")
    raise ValueError(
        f"family must be an ExponentialFamily instance or one of {sorted(FAMILY_ALIASES)}; "
        f"got {family!r}"
    )
