"""Hypothesis strategies that draw valid datasets and parameters for any registered family.

Parameters are drawn family-agnostically: a weighted average of sufficient statistics of valid
data is a valid mean parameter (it lies in the convex hull of ``T`` over the support), and the
family's maximum-likelihood update turns such averages into natural parameters.
"""

from __future__ import annotations

import attrs
import numpy as np
from hypothesis import strategies as st
from numpy.typing import NDArray

from mixtures.families.base import ExponentialFamily
from mixtures.testing.registry import FamilyCase

__all__ = ["Problem", "natural_from_data", "problems"]

Array = NDArray[np.float64]


@attrs.frozen(eq=False)
class Problem:
    """A dataset ``x`` from a family's support and ``K`` valid components' natural parameters."""

    case: FamilyCase
    x: Array
    natural: Array
    seed: int

    @property
    def family(self) -> ExponentialFamily:
        return self.case.family

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed + 1)


def natural_from_data(
    case: FamilyCase, x: Array, n_components: int, rng: np.random.Generator
) -> Array:
    """``K`` natural parameters: the family's own M-step on random soft assignments of ``x``.

    Going through ``maximum_likelihood`` keeps constraints between components (a tied
    covariance) that per-component ``mean_to_natural`` would not.
    """
    responsibilities = rng.dirichlet(np.full(n_components, 0.5), size=x.shape[0])
    responsibilities = 0.05 / n_components + 0.95 * responsibilities  # no component left empty
    statistics = case.family.expected_statistics(x, responsibilities)
    return case.family.maximum_likelihood(statistics)


@st.composite
def problems(
    draw: st.DrawFn,
    case: FamilyCase,
    *,
    min_samples: int = 2,
    max_samples: int = 60,
    max_components: int = 3,
) -> Problem:
    """A dataset and component parameters for ``case``'s family."""
    seed = draw(st.integers(0, 2**31 - 1))
    n_features = draw(st.integers(case.min_features, case.max_features))
    fewest = max(min_samples, 3 * (n_features + 1))
    n_samples = draw(st.integers(fewest, max(max_samples, fewest + n_features + 1)))
    # a family that ties runs of components takes whole runs
    n_components = case.family.component_multiple * draw(st.integers(1, max_components))
    rng = np.random.default_rng(seed)
    x = case.sample_support(rng, n_samples, n_features)
    natural = natural_from_data(case, x, n_components, rng)
    return Problem(case, x, natural, seed)
