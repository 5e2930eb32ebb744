"""Values that older model files name and this version no longer uses: each is read as it was
written and upgraded to the value that replaced it (``Upgradable.upgraded``), so that those files
still load."""

from __future__ import annotations

import abc
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.summary import Summary

__all__ = ["ADDED_FIELDS", "LEGACY_VALUES", "EStep", "HMMStatistics", "Upgradable"]


class Upgradable(abc.ABC):
    """A value of an older model file."""

    @abc.abstractmethod
    def upgraded(self) -> Any:
        """The value of this version that replaced it."""


@attrs.frozen(eq=False)
class EStep(Upgradable):
    """A mixture's summed statistics, before every structure shared one ``Summary``."""

    log_likelihood: float
    statistics: SufficientStatistics

    def upgraded(self) -> Summary:
        return Summary(self.log_likelihood, self.statistics)


@attrs.frozen(eq=False)
class HMMStatistics(Upgradable):
    """An HMM's summed statistics, before every structure shared one ``Summary``."""

    log_likelihood: float
    emissions: SufficientStatistics
    initial_counts: NDArray[np.float64]
    transition_counts: NDArray[np.float64]

    def upgraded(self) -> Summary:
        return Summary(self.log_likelihood, self.emissions, (self.initial_counts, self.transition_counts))


LEGACY_VALUES: tuple[type[Upgradable], ...] = (EStep, HMMStatistics)

#: Fields added to a saved class after files were written without them (by the class's
#: registered name): an older file that lacks one is read with the field's default.
ADDED_FIELDS: dict[str, frozenset[str]] = {
    "TiedGaussian": frozenset({"group_size"}),
    "SufficientStatistics": frozenset({"reference"}),
}
