"""Checks of a fitted model's families, priors and weight priors against the fit's sizes.

Constructors have already run their validators when these checks run; what is left is what a
constructor cannot know: that every field has the fit's number of components ``K``, features
``D`` and statistics ``S``, that covariances are symmetric positive definite, that the views a
prior keeps of its hyperparameters agree, and that the distribution is proper (finite
normaliser and expectations). Priors and weight priors check themselves
(``ConjugatePrior.check_resolved``, ``WeightPrior.check_resolved``), so a user's own prior is
checked as the built-in ones are; a problem becomes a ``ModelFileError`` naming the field.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from mixtures.exceptions import FieldError
from mixtures.families import ExponentialFamily, Independent
from mixtures.io.checks import statistics_width
from mixtures.io.errors import ModelFileError, child, item, reading
from mixtures.io.values import same_value
from mixtures.priors import ConjugatePrior
from mixtures.priors.weights import WeightPrior

__all__ = ["check_family", "check_resolved_prior", "check_weight_prior", "naming_fields"]


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
    ``n_components`` components (of ``n_statistics`` statistics each: the family's own, which
    the prior's check reads off the family)."""
    if not isinstance(prior, ConjugatePrior):
        raise ModelFileError(path, f"must be a conjugate prior; got {type(prior).__name__}")
    with reading(path):
        prior_family = prior.family  # raises when the prior was never resolved
    if not same_value(prior_family, family):
        raise ModelFileError(path, f"is a prior over {prior_family!r}, but the model's family is {family!r}")
    with reading(path), naming_fields(path):
        prior.check_resolved(family, n_components, n_features)
    return prior


# ----------------------------------------------------------------------------- weight priors
def check_weight_prior(prior: Any, path: str, n_components: int) -> WeightPrior:
    """A weight prior (or posterior) resolved for ``n_components`` weights."""
    if not isinstance(prior, WeightPrior):
        raise ModelFileError(path, f"must be a weight prior; got {type(prior).__name__}")
    with reading(path), naming_fields(path):
        prior.check_resolved(n_components)
    return prior


@contextlib.contextmanager
def naming_fields(path: str) -> Iterator[None]:
    """A ``FieldError`` raised inside (a value checking its own fields) becomes a
    ``ModelFileError`` naming that field inside ``path``."""
    try:
        yield
    except FieldError as error:
        raise ModelFileError(child(path, error.field), error.problem) from error
