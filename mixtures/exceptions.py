"""Warnings and errors raised by mixtures."""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "DegenerateComponentError",
    "EmptyComponentWarning",
    "NotFittedError",
    "UnvisitedStateWarning",
]


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted model was called before ``fit``."""


class ConvergenceWarning(UserWarning):
    """The best run stopped at ``max_iter`` before its objective settled within ``tol``."""


class EmptyComponentWarning(UserWarning):
    """A component lost all its data; it kept its previous parameters and its weight fell to 0."""


class DegenerateComponentError(ValueError):
    """A component's parameters are undefined: e.g. a Gaussian covariance that is not positive
    definite because its samples collapsed and no regularisation (``reg_covar``) is in effect."""


class UnvisitedStateWarning(UserWarning):
    """An HMM state was never left during the fit; its transition row kept its previous values."""
