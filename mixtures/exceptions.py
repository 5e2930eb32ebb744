"""Warnings and errors raised by mixtures."""

from __future__ import annotations

__all__ = ["ConvergenceWarning", "EmptyComponentWarning", "NotFittedError"]


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted model was called before ``fit``."""


class ConvergenceWarning(UserWarning):
    """The best run stopped at ``max_iter`` before its objective settled within ``tol``."""


class EmptyComponentWarning(UserWarning):
    """A component lost all its data; it kept its previous parameters and its weight fell to 0."""
