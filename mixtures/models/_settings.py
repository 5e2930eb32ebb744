"""Settings shared by the latent-variable estimators, checked in one place."""

from __future__ import annotations

from typing import Any

from mixtures._validation import check_int, check_real
from mixtures.families.base import ExponentialFamily
from mixtures.models.families import resolve_family
from mixtures.priors import ConjugatePrior

__all__ = ["INFERENCE_METHODS", "check_common_settings"]

INFERENCE_METHODS = ("em", "vb")


def check_common_settings(model: Any, size_name: str) -> ExponentialFamily:
    """Check the settings ``Mixture`` and ``HMM`` share (``size_name`` is ``n_components`` or
    ``n_states``) and return the resolved family."""
    family = resolve_family(model.family)
    check_int(getattr(model, size_name), size_name, 1)
    check_int(model.max_iter, "max_iter", 1)
    check_int(model.n_init, "n_init", 1)
    if model.tol is not None:
        check_real(model.tol, "tol", 0.0)
    if model.chunk_size is not None:
        check_int(model.chunk_size, "chunk_size", 1)
    if model.inference not in INFERENCE_METHODS:
        raise ValueError(f"inference must be one of {INFERENCE_METHODS}; got {model.inference!r}")
    if model.prior is not None and not isinstance(model.prior, ConjugatePrior):
        raise ValueError(f"prior must be a ConjugatePrior (e.g. NormalWishart()); got {model.prior!r}")
    return family
