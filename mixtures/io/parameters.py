"""Checks of a fitted model's families, priors and weight priors against the fit's sizes.

Constructors have already run their validators when these checks run; what is left is what a
constructor cannot know: that every field has the fit's number of components ``K``, features
``D`` and statistics ``S``, that covariances are symmetric positive definite, that the views a
prior keeps of its hyperparameters agree, and that the distribution is proper (finite
normaliser and expectations). Each built-in class has a small check of its fields; every
family and prior, a user's own included, gets the generic checks.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mixtures.families import DiagonalGaussian, ExponentialFamily, Gaussian, Independent, SphericalGaussian
from mixtures.families.extra import GammaRate
from mixtures.io.checks import (
    positive,
    real_array,
    statistics_width,
    stochastic_rows,
    symmetric_positive_definite,
)
from mixtures.io.errors import ModelFileError, child, item, reading
from mixtures.io.values import same_value
from mixtures.latent.weight_priors import DirichletWeights, StickBreaking, WeightPrior
from mixtures.priors import (
    Beta,
    ConjugatePrior,
    Dirichlet,
    Gamma,
    IndependentPrior,
    NormalGamma,
    NormalWishart,
    SphericalNormalGamma,
    TiedNormalWishart,
)

__all__ = ["check_family", "check_resolved_prior", "check_weight_prior"]

Array = NDArray[np.float64]
#: How closely a stored Wishart scale must invert its stored inverse.
INVERSE_TOLERANCE = 1e-6


# ----------------------------------------------------------------------------- families
def check_family(family: Any, path: str, n_features: int) -> ExponentialFamily:
    """A configured family for ``n_features`` columns."""
    if not isinstance(family, ExponentialFamily):
        raise ModelFileError(path, f"must be a family; got {type(family).__name__}")
    if isinstance(family, Independent):
        _check_independent(family, path, n_features)
    statistics_width(family, n_features, path)
    return family


def _check_independent(family: Independent, path: str, n_features: int) -> None:
    with reading(path):
        family.check_columns(n_features)
    widths_path = child(path, "statistic_widths")
    if family.statistic_widths is None:
        raise ModelFileError(widths_path, "must be set in a fitted Independent family")
    for index, (part, columns, width) in enumerate(
        zip(family.parts, family.columns, family.statistic_widths, strict=True)
    ):
        part_path = item(child(path, "parts"), index)
        check_family(part, part_path, len(columns))
        actual = statistics_width(part, len(columns), part_path)
        if actual != width:
            raise ModelFileError(
                item(widths_path, index),
                f"part {index} ({part.name}) has {actual} statistics on its {len(columns)} columns; "
                f"the file says {width}",
            )


# ----------------------------------------------------------------------------- priors
def check_resolved_prior(
    prior: Any, path: str, family: ExponentialFamily, n_components: int, n_features: int, n_statistics: int
) -> ConjugatePrior:
    """A prior (or posterior) resolved for ``family`` on ``n_features`` columns, with
    ``n_components`` components of ``n_statistics`` statistics each."""
    if not isinstance(prior, ConjugatePrior):
        raise ModelFileError(path, f"must be a conjugate prior; got {type(prior).__name__}")
    with reading(path):
        prior_family = prior.family  # raises when the prior was never resolved
    if not same_value(prior_family, family):
        raise ModelFileError(path, f"is a prior over {prior_family!r}, but the model's family is {family!r}")
    check = _PRIOR_CHECKS.get(type(prior))
    if check is not None:
        check(prior, path, family, n_components, n_features)
    _check_distribution(prior, path, n_components, n_statistics)
    return prior


def _check_distribution(prior: ConjugatePrior, path: str, n_components: int, n_statistics: int) -> None:
    """Natural hyperparameters of the right shapes, a finite normaliser and finite expectations."""
    with reading(path), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chi, counts = prior.natural_hyperparameters()
        values = {
            "natural hyperparameters χ": np.asarray(chi, dtype=np.float64),
            "block counts ν": np.asarray(counts, dtype=np.float64),
            "log-normaliser": np.asarray(prior.log_normalizer(), dtype=np.float64),
            "E[η]": np.asarray(prior.expected_natural(), dtype=np.float64),
            "E[A(η)]": np.asarray(prior.expected_log_partition_blocks(), dtype=np.float64),
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
            raise ModelFileError(
                path,
                f"its {name} have shape {value.shape}; {n_components} components need {expected[name]}",
            )
        if not np.all(np.isfinite(value)):
            raise ModelFileError(
                path, f"its {name} are not finite: the hyperparameters lie outside the prior's domain"
            )


#: The families whose statistics are taken in standardised coordinates.
GAUSSIAN_FAMILIES = (Gaussian, DiagonalGaussian, SphericalGaussian)


def _data_location(family: ExponentialFamily, centred: Array) -> Array:
    if isinstance(family, GAUSSIAN_FAMILIES):
        return family.data_location(centred)
    origin = getattr(family, "origin", None)
    return centred if origin is None else centred + np.asarray(origin)


def _check_centred_mean(prior: Any, path: str, family: ExponentialFamily, shape: tuple[int, int]) -> None:
    """``mean`` in the data's coordinates is exactly ``centred_mean`` taken back to the data's
    units by the family (the priors compute it so)."""
    mean = real_array(prior.mean, child(path, "mean"), shape=shape, float64=False)
    centred = real_array(prior.centred_mean, child(path, "centred_mean"), shape=shape, float64=False)
    if not np.array_equal(mean, _data_location(family, centred)):
        raise ModelFileError(
            child(path, "mean"),
            "does not equal centred_mean in the data's units (origin + feature_scale · centred_mean)",
        )


def _check_normal_wishart(
    prior: NormalWishart, path: str, family: ExponentialFamily, n_components: int, n_features: int
) -> None:
    vectors, matrices = (n_components, n_features), (n_components, n_features, n_features)
    _check_centred_mean(prior, path, family, vectors)
    positive(prior.mean_precision, child(path, "mean_precision"), shape=(n_components,))
    dof = real_array(prior.dof, child(path, "dof"), shape=(n_components,), float64=False)
    if np.any(dof <= n_features - 1):
        raise ModelFileError(
            child(path, "dof"), f"must exceed D - 1 = {n_features - 1}; got minimum {dof.min():g}"
        )
    scale = symmetric_positive_definite(prior.scale, child(path, "scale"), matrices)
    inverse = symmetric_positive_definite(prior.inverse_scale, child(path, "inverse_scale"), matrices)
    feature_scale = (
        family.scale_for(n_features) if isinstance(family, GAUSSIAN_FAMILIES) else np.ones(n_features)
    )
    standard_scale = scale * (feature_scale[:, None] * feature_scale[None, :])
    product = np.einsum("kij,kjl->kil", standard_scale, inverse)
    if not np.allclose(product, np.eye(n_features), rtol=0.0, atol=INVERSE_TOLERANCE):
        raise ModelFileError(child(path, "scale"), "is not the inverse of inverse_scale")
    if isinstance(prior, TiedNormalWishart) and (np.ptp(dof) > 0 or np.ptp(inverse, axis=0).max() > 0):
        raise ModelFileError(path, "a TiedNormalWishart holds one dof and one scale shared by all components")


def _check_normal_gamma(
    prior: NormalGamma | SphericalNormalGamma,
    path: str,
    family: ExponentialFamily,
    n_components: int,
    n_features: int,
) -> None:
    _check_centred_mean(prior, path, family, (n_components, n_features))
    groups = (n_components, n_features) if isinstance(prior, NormalGamma) else (n_components,)
    for name in ("mean_precision", "shape", "rate"):
        positive(getattr(prior, name), child(path, name), shape=groups)
    if isinstance(prior, NormalGamma):
        standard = positive(prior.standard_rate, child(path, "standard_rate"), shape=groups)
        assert isinstance(family, GAUSSIAN_FAMILIES)
        if not np.array_equal(prior.rate, standard * family.scale_for(n_features) ** 2):
            raise ModelFileError(
                child(path, "rate"), "does not equal standard_rate · feature_scale² (the data's units)"
            )


def _check_gamma(
    prior: Gamma, path: str, family: ExponentialFamily, n_components: int, n_features: int
) -> None:
    positive(prior.shape, child(path, "shape"), shape=(n_components, n_features))
    positive(prior.rate, child(path, "rate"), shape=(n_components,))


def _check_beta(
    prior: Beta, path: str, family: ExponentialFamily, n_components: int, n_features: int
) -> None:
    positive(prior.a, child(path, "a"), shape=(n_components, n_features))
    positive(prior.b, child(path, "b"), shape=(n_components, n_features))


def _check_dirichlet(
    prior: Dirichlet, path: str, family: ExponentialFamily, n_components: int, n_features: int
) -> None:
    n_categories = getattr(family, "n_categories", None)
    if not isinstance(n_categories, int | np.integer):
        raise ModelFileError(path, "a Dirichlet prior needs a Categorical family with n_categories set")
    shape = (n_components, n_features, int(n_categories))
    positive(prior.concentration, child(path, "concentration"), shape=shape)
    real_array(prior.observed_weight, child(path, "observed_weight"), shape=(n_components,), float64=False)


def _check_gamma_rate(
    prior: GammaRate, path: str, family: ExponentialFamily, n_components: int, n_features: int
) -> None:
    positive(prior.shape, child(path, "shape"), shape=(n_components,))
    positive(prior.rate, child(path, "rate"), shape=(n_components, n_features))


def _check_independent_prior(
    prior: IndependentPrior, path: str, family: ExponentialFamily, n_components: int, n_features: int
) -> None:
    assert isinstance(family, Independent)  # prior.family is family (checked before)
    parts_path = child(path, "parts")
    if len(prior.parts) != family.n_parts:
        raise ModelFileError(
            parts_path, f"has {len(prior.parts)} priors for a family of {family.n_parts} parts"
        )
    if family.statistic_widths is None:
        raise ModelFileError(path, "is over an Independent family that was never configured")
    for index, (part, part_family, columns, width) in enumerate(
        zip(prior.parts, family.parts, family.columns, family.statistic_widths, strict=True)
    ):
        check_resolved_prior(part, item(parts_path, index), part_family, n_components, len(columns), width)


_PRIOR_CHECKS: dict[type, Callable[..., None]] = {
    NormalWishart: _check_normal_wishart,
    TiedNormalWishart: _check_normal_wishart,
    NormalGamma: _check_normal_gamma,
    SphericalNormalGamma: _check_normal_gamma,
    Gamma: _check_gamma,
    Beta: _check_beta,
    Dirichlet: _check_dirichlet,
    GammaRate: _check_gamma_rate,
    IndependentPrior: _check_independent_prior,
}


# ----------------------------------------------------------------------------- weight priors
def check_weight_prior(prior: Any, path: str, n_components: int) -> WeightPrior:
    """A weight prior (or posterior) resolved for ``n_components`` weights."""
    if not isinstance(prior, WeightPrior):
        raise ModelFileError(path, f"must be a weight prior; got {type(prior).__name__}")
    check = _WEIGHT_PRIOR_CHECKS.get(type(prior))
    if check is not None:
        check(prior, path, n_components)
    with reading(path), np.errstate(all="ignore"):
        expected_log_weights = np.asarray(prior.expected_log_weights(), dtype=np.float64)
        mean_weights = np.asarray(prior.mean_weights(), dtype=np.float64)
    if expected_log_weights.shape != (n_components,) or not np.all(np.isfinite(expected_log_weights)):
        raise ModelFileError(path, f"E[log π] must be {n_components} finite numbers")
    stochastic_rows(mean_weights, path, (n_components,))
    return prior


def _check_dirichlet_weights(prior: DirichletWeights, path: str, n_components: int) -> None:
    positive(prior.concentration, child(path, "concentration"), shape=(n_components,))


def _check_stick_breaking(prior: StickBreaking, path: str, n_components: int) -> None:
    positive(prior.concentration, child(path, "concentration"), shape=())
    positive(prior.stick_a, child(path, "stick_a"), shape=(n_components,))
    positive(prior.stick_b, child(path, "stick_b"), shape=(n_components,))


_WEIGHT_PRIOR_CHECKS: dict[type, Callable[..., None]] = {
    DirichletWeights: _check_dirichlet_weights,
    StickBreaking: _check_stick_breaking,
}
