"""Warnings and errors raised by mixtures."""

from __future__ import annotations

import functools
import sys
from typing import TypeVar, cast

__all__ = [
    "BoundaryWarning",
    "CoincidingPointsWarning",
    "CollapsedFitWarning",
    "ConvergenceWarning",
    "DegenerateComponentError",
    "EmptyComponentWarning",
    "FieldError",
    "NotFittedError",
    "UnvisitedStateWarning",
    "not_fitted_error",
    "with_sklearn_base",
]

E = TypeVar("E", bound=BaseException)


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted model was called before ``fit``."""


def not_fitted_error(message: str) -> NotFittedError:
    """A ``NotFittedError`` that, when scikit-learn is loaded, is also an instance of scikit-learn's
    ``NotFittedError``, so its tools recognise it (scikit-learn is never imported here)."""
    return with_sklearn_base(NotFittedError)(message)


def with_sklearn_base(own: type[E]) -> type[E]:
    """``own`` (one of this module's classes), or, when scikit-learn is loaded, a subclass of it
    that is also scikit-learn's class of the same name, so that code catching or filtering
    scikit-learn's errors and warnings (``NotFittedError``, ``ConvergenceWarning``) sees ours too.
    scikit-learn is never imported here."""
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    if sklearn_exceptions is None:
        return own
    combined: type[E] = _with_sklearn_base(cast(type, own), getattr(sklearn_exceptions, own.__name__))
    return combined


@functools.cache
def _with_sklearn_base(own: type, sklearn_class: type) -> type:
    return type(own.__name__, (own, sklearn_class), {"__module__": __name__, "__doc__": own.__doc__})


class ConvergenceWarning(UserWarning):
    """The best run stopped at ``max_iter`` before its objective settled within ``tol``."""


class EmptyComponentWarning(UserWarning):
    """A component lost all its data; it kept its previous parameters and its weight fell to 0."""


class CoincidingPointsWarning(UserWarning):
    """A component's data coincide (it holds a single point, or copies of one): it has no spread
    of its own, and its covariance is the ridge ``reg_covar`` alone."""


class DegenerateComponentError(ValueError):
    """A component's parameters are undefined: e.g. a Gaussian covariance that is not positive
    definite because its samples collapsed and no regularisation (``reg_covar``) is in effect."""


class FieldError(ValueError):
    """A field of a value (a prior's hyperparameter, say) is invalid.

    Attributes
    ----------
    field : str
        The field at fault, as a path inside the value: ``"scale"``, ``"parts[1].rate"``.
    problem : str
        What is wrong with it.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class UnvisitedStateWarning(UserWarning):
    """An HMM state was never left during the fit; its transition row kept its previous values."""


class BoundaryWarning(UserWarning):
    """A fit from a built-in start ended with a probability or rate on the boundary of the
    parameter space: a weight, start or transition probability of exactly 0, or an emission
    parameter held at the family's floor (``min_prob``, ``min_rate``, ``reg_covar``) where the
    data as a whole are not and moving it gains more than a nat of log-likelihood. EM never (or
    only very slowly) leaves such a value, and data that need it (a transition taken, a symbol
    emitted) get probability 0 or nearly so under the fitted model."""


class CollapsedFitWarning(UserWarning):
    """Variational Bayes ended with one effective component although the data support more
    (maximum likelihood with the same number of components is better by BIC): the prior
    outweighs the data, for example a prior stated in the data's units for features whose scales
    differ by orders of magnitude."""
