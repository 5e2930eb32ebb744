"""How a Gaussian family lays out its statistics ``T(z)``, as the E-step's compiled kernels read
them (``mixtures.families.gaussian_kernels``): a module of its own, so that the families and the
kernels both read it without importing each other."""

from __future__ import annotations

import enum

__all__ = ["StatisticsLayout"]


class StatisticsLayout(enum.IntEnum):
    """How a Gaussian family lays out ``T(z)`` (``sufficient_statistics``), as the compiled
    kernels read it: ``z`` first, then the packed upper triangle of ``z zᵀ`` row by row (FULL),
    ``z²`` (DIAGONAL) or ``‖z‖²`` (SPHERICAL)."""

    FULL = 0
    DIAGONAL = 1
    SPHERICAL = 2
