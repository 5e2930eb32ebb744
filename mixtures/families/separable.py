"""Completions of product densities: a family that is a product over the features of ``x``, and
a product of families over groups of columns (``Independent``).

When the density of a row is a product of independent pieces given the component, a missing
piece integrates to one: the marginal of the observed entries is the product of the observed
pieces, and under component ``k`` the expected statistics of a missing piece are that
component's mean parameters for it, whatever else is observed. So nothing is conditioned, only
left out.

* ``FeatureCompletion``: a family that declares ``feature_columns`` (feature ``d`` of ``x`` alone
  follows the family on one column, with the natural parameters ``natural[:, columns[d]]``). All
  features are evaluated at once by stacking them as rows of one column: one call of each
  primitive and a few matrix products, no loop over rows or features.
* ``PartsCompletion``: ``Independent``'s parts, each completed on its own columns by its own
  completion (rows where a part has nothing missing use its plain density), then joined.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.completion import Completion

__all__ = [
    "CompleteRows",
    "FeatureCompletion",
    "PartsCompletion",
    "checked_feature_columns",
    "one_statistic_per_feature",
]

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]


def one_statistic_per_feature(n_features: int) -> NDArray[np.intp]:
    """``feature_columns`` of a family whose ``T(x)`` has one column per feature, in the
    features' order (``T(x) = x``, ``log x``...): column ``d`` is feature ``d``'s."""
    return np.arange(n_features, dtype=np.intp)[:, None]


def checked_feature_columns(family: Any, n_features: int, n_statistics: int) -> NDArray[np.intp]:
    """``family.feature_columns(n_features)`` checked: an integer ``(D, S_d)`` array whose rows
    share out the ``S`` columns of ``T(x)`` among the features, each column once."""
    columns = np.asarray(family.feature_columns(n_features))
    expected = f"(n_features={n_features}, S_d) holding each of the {n_statistics} statistics once"
    if (
        columns.ndim != 2
        or columns.shape[0] != n_features
        or columns.size != n_statistics
        or not np.issubdtype(columns.dtype, np.integer)
        or not np.array_equal(np.sort(columns, axis=None), np.arange(n_statistics))
    ):
        raise ValueError(
            f"{family.name}.feature_columns must return an integer array of shape {expected}; got "
            f"shape {columns.shape} ({columns.dtype})"
        )
    return columns.astype(np.intp)


@attrs.frozen(eq=False)
class FeatureCompletion(Completion):
    """Incomplete rows of a family that is a product over features: ``observed_statistics``
    ``(m, D, S_d)`` holds ``T_d(x_nd)`` where ``x_nd`` is observed and zero where it is missing;
    ``feature_means`` ``(K, D, S_d)`` each component's mean parameters per feature."""

    family: Any
    x: Array
    missing: Mask
    columns: NDArray[np.intp]
    observed_statistics: Array
    feature_means: Array
    natural: Array
    marginal: Array

    @classmethod
    def of(cls, family: Any, x: Array, missing: Mask, natural: Array) -> FeatureCompletion:
        n_rows, n_features = x.shape
        n_components = natural.shape[0]
        columns = checked_feature_columns(family, n_features, natural.shape[1])
        width = columns.shape[1]
        by_feature = natural[:, columns].reshape(n_components * n_features, width)
        log_partition = np.asarray(family.log_partition(by_feature)).reshape(n_components, n_features)
        feature_means = np.asarray(family.natural_to_mean(by_feature)).reshape(
            n_components, n_features, width
        )
        one_column = x.reshape(n_rows * n_features, 1)  # every feature alone, as rows
        statistics = np.asarray(family.sufficient_statistics(one_column)).reshape(n_rows, n_features, width)
        log_base = np.asarray(family.log_base_measure(one_column)).reshape(n_rows, n_features)
        observed = ~missing
        statistics = np.where(observed[:, :, None], statistics, 0.0)  # placeholders never count
        marginal = (
            statistics.reshape(n_rows, -1) @ natural[:, columns].reshape(n_components, -1).T
            + np.where(observed, log_base, 0.0).sum(1)[:, None]
            - observed.astype(np.float64) @ log_partition.T
        )
        return cls(family, x, missing, columns, statistics, feature_means, natural, marginal)

    @property
    def log_likelihood(self) -> Array:
        return self.marginal

    def statistics(self, weighted_responsibilities: Array) -> Array:
        r = weighted_responsibilities
        n_components = r.shape[1]
        by_feature = (r.T @ self.observed_statistics.reshape(r.shape[0], -1)).reshape(
            self.feature_means.shape
        )
        by_feature += (r.T @ self.missing.astype(np.float64))[:, :, None] * self.feature_means
        out = np.empty((n_components, self.columns.size))
        out[:, self.columns] = by_feature
        return out

    def conditional_means(self) -> Array:
        means = np.asarray(self.family.data_mean(self.natural))  # (K, D): E_k[x_d]
        return np.where(self.missing[:, None, :], means[None, :, :], self.x[:, None, :])


@attrs.frozen(eq=False)
class CompleteRows(Completion):
    """Rows with nothing missing, in a completion's terms: their density ``(m, K)``, their
    statistics ``T(x)`` ``(m, S)`` and the rows themselves."""

    x: Array
    marginal: Array
    row_statistics: Array

    @classmethod
    def of(cls, family: Any, x: Array, natural: Array) -> CompleteRows:
        log_likelihood = np.asarray(family.log_likelihood(x, natural), dtype=np.float64)
        return cls(x, log_likelihood, np.asarray(family.sufficient_statistics(x), dtype=np.float64))

    @property
    def log_likelihood(self) -> Array:
        return self.marginal

    def statistics(self, weighted_responsibilities: Array) -> Array:
        return np.asarray(weighted_responsibilities.T @ self.row_statistics)

    def conditional_means(self) -> Array:
        n_rows, n_components = self.marginal.shape
        return np.broadcast_to(self.x[:, None, :], (n_rows, n_components, self.x.shape[1]))


Pieces = tuple[tuple[NDArray[np.intp], Completion], ...]


@attrs.frozen(eq=False)
class PartsCompletion(Completion):
    """A product of families over groups of columns: part ``i`` sees ``columns[i]`` of the rows.
    ``pieces[i]`` splits the rows for part ``i``: those where it has a missing entry, with the
    part's own completion, and the others (``CompleteRows``)."""

    n_features: int
    columns: tuple[NDArray[np.intp], ...]
    pieces: tuple[Pieces, ...]
    marginal: Array

    @classmethod
    def of(
        cls,
        parts: Sequence[Any],
        columns: Sequence[Sequence[int]],
        x: Array,
        missing: Mask,
        naturals: Sequence[Array],
    ) -> PartsCompletion:
        groups = tuple(np.asarray(group, dtype=np.intp) for group in columns)
        marginal = np.zeros((x.shape[0], naturals[0].shape[0]))
        pieces = []
        for part, group, natural in zip(parts, groups, naturals, strict=True):
            part_x, part_missing = x[:, group], missing[:, group]
            incomplete: NDArray[np.bool_] = np.asarray(part_missing.any(1))
            gaps, whole = np.flatnonzero(incomplete), np.flatnonzero(~incomplete)
            own: list[tuple[NDArray[np.intp], Completion]] = []
            if gaps.size:
                own.append((gaps, part.completion(part_x[gaps], part_missing[gaps], natural)))
            if whole.size:  # a part with nothing missing in a row keeps its plain density
                own.append((whole, CompleteRows.of(part, part_x[whole], natural)))
            for rows, completion in own:
                marginal[rows] += completion.log_likelihood
            pieces.append(tuple(own))
        return cls(x.shape[1], groups, tuple(pieces), marginal)

    @property
    def log_likelihood(self) -> Array:
        return self.marginal

    def statistics(self, weighted_responsibilities: Array) -> Array:
        blocks = []
        for own in self.pieces:
            (rows, completion), *others = own
            block = completion.statistics(weighted_responsibilities[rows])
            for rows, completion in others:
                block = block + completion.statistics(weighted_responsibilities[rows])
            blocks.append(block)
        return np.concatenate(blocks, axis=1)

    def conditional_means(self) -> Array:
        n_rows, n_components = self.marginal.shape
        out = np.empty((n_rows, n_components, self.n_features))
        for group, own in zip(self.columns, self.pieces, strict=True):
            for rows, completion in own:
                out[np.ix_(rows, np.arange(n_components), group)] = completion.conditional_means()
        return out
