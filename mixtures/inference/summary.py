"""What one pass of the E-step over data yields: values that add across chunks, Dask blocks and
``partial_fit`` batches."""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.statistics import SufficientStatistics

__all__ = ["Summary"]

Array = NDArray[np.float64]


def _arrays(values: object) -> tuple[Array, ...]:
    return tuple(np.asarray(value, dtype=np.float64) for value in values)  # type: ignore[attr-defined]


@attrs.frozen(eq=False)
class Summary:
    """The summed statistics of a pass: ``Σ_n w_n log p(x_n)`` (the structure's log-evidence,
    with ``E_q`` terms under VB), the emission statistics (``N_k``, ``Σ r_nk T(x_n)``), and the
    latent structure's own expected counts (none for a mixture, whose weights read ``N_k``;
    initial-state and transition counts for a Markov chain).

    Summaries add (``+``) and scale (``scaled``), so every way of visiting the data (chunks, Dask
    blocks, batches, passes) sums the same values.
    """

    log_likelihood: float
    emissions: SufficientStatistics
    latent: tuple[Array, ...] = attrs.field(default=(), converter=_arrays)

    def __add__(self, other: Summary) -> Summary:
        return Summary(
            self.log_likelihood + other.log_likelihood,
            self.emissions + other.emissions,
            tuple(a + b for a, b in zip(self.latent, other.latent, strict=True)),
        )

    def scaled(self, factor: float) -> Summary:
        """``factor`` times every sum (the log-likelihood, the counts, the statistics)."""
        return Summary(
            factor * self.log_likelihood,
            self.emissions.scaled(factor),
            tuple(factor * counts for counts in self.latent),
        )
