"""Independent products of families over groups of columns, for mixed data.

``Independent((DiagonalGaussian(), [0, 1, 2]), (Bernoulli(), slice(3, 10)), (Poisson(), [10, 11]))``
is one exponential family whose density is the product of its parts' densities, each on its own
columns: ``p(x | η) = Π_i p_i(x[:, c_i] | η_i)``. A product of exponential families is one:

* ``T(x)`` concatenates the parts' statistics (in the order of the parts, not of the columns);
* ``log h(x)`` and ``A(η)`` add; ``η`` and ``μ`` concatenate, and the maps between them act on
  each part's block of columns of the ``(K, S)`` arrays;
* every hook (``validate``, ``for_data``, ``regularize_mean``, ``maximum_likelihood``, ``sample``,
  ``init_features``, ``n_free_parameters``, ``natural_of``, ``completion``) is the parts' own on
  their blocks, so
  a part's special M-step (the tied Gaussian's pooled covariance) and its numerically stable
  log-density (the Gaussian's centred form) still apply.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Sequence
from typing import Any, Self

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.base import Components, DataSupport, ExponentialFamily
from mixtures.families.completion import CannotMarginalise, Completion
from mixtures.families.separable import PartsCompletion
from mixtures.families.statistics import SufficientStatistics

__all__ = ["Independent", "IndependentComponents"]

Array = NDArray[np.float64]
Columns = tuple[int, ...]

_CELL = re.compile(r"X\[(\d+), (\d+)\]")


def _canonical_columns(spec: Any, where: str) -> Columns:
    """A part's columns as a tuple of non-negative ints (a list, range, array, int or slice)."""
    if isinstance(spec, slice):
        bounds = (spec.start, spec.stop, spec.step)
        if any(b is not None and not _is_int(b) for b in bounds):
            raise ValueError(f"{where}: slice bounds must be integers; got {spec!r}")
        if spec.stop is None:
            raise ValueError(
                f"{where}: a slice of columns needs an explicit stop (e.g. slice(3, 10)); got {spec!r}"
            )
        start = 0 if spec.start is None else int(spec.start)
        step = 1 if spec.step is None else int(spec.step)
        if start < 0 or int(spec.stop) < 0 or step <= 0:
            raise ValueError(
                f"{where}: slice of columns must have non-negative start and stop and a positive "
                f"step (negative indices are not allowed); got {spec!r}"
            )
        columns = tuple(range(start, int(spec.stop), step))
    elif _is_int(spec):
        columns = (int(spec),)
    elif isinstance(spec, str | bytes) or not isinstance(spec, Iterable):
        raise ValueError(
            f"{where}: columns must be a list of column indices or a slice; got {spec!r}"
        )
    else:
        values = list(spec)
        if not all(_is_int(v) for v in values):
            raise ValueError(f"{where}: column indices must be integers; got {spec!r}")
        columns = tuple(int(v) for v in values)
    if not columns:
        raise ValueError(f"{where}: the group of columns {spec!r} is empty")
    negative = [c for c in columns if c < 0]
    if negative:
        raise ValueError(
            f"{where}: column indices must be >= 0 (negative indices are not allowed); "
            f"got {negative[0]}"
        )
    if len(set(columns)) != len(columns):
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        raise ValueError(f"{where}: column {repeated[0]} is listed more than once")
    return columns


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _selector(columns: Columns) -> slice | NDArray[np.intp]:
    """A basic slice (a view, no copy) for contiguous ascending columns, else an index array."""
    if columns == tuple(range(columns[0], columns[0] + len(columns))):
        return slice(columns[0], columns[0] + len(columns))
    return np.asarray(columns, dtype=np.intp)


def _describe(columns: Columns) -> str:
    if len(columns) > 1 and columns == tuple(range(columns[0], columns[-1] + 1)):
        return f"columns {columns[0]}..{columns[-1]}"
    if len(columns) == 1:
        return f"column {columns[0]}"
    return f"columns {list(columns)}"


def _parse_groups(groups: Sequence[Any]) -> tuple[tuple[ExponentialFamily, ...], tuple[Columns, ...]]:
    if not groups:
        raise ValueError(
            "Independent needs at least one (family, columns) pair, e.g. "
            "Independent((DiagonalGaussian(), [0, 1]), (Bernoulli(), slice(2, 5)))"
        )
    parts: list[ExponentialFamily] = []
    columns: list[Columns] = []
    for index, group in enumerate(groups):
        where = f"Independent part {index}"
        if not isinstance(group, tuple | list) or len(group) != 2:
            raise ValueError(f"{where}: expected a (family, columns) pair; got {group!r}")
        family, spec = group
        if isinstance(family, type) and issubclass(family, ExponentialFamily):
            raise ValueError(f"{where}: family must be an instance, e.g. {family.__name__}()")
        if not isinstance(family, ExponentialFamily):
            raise ValueError(
                f"{where}: {family!r} is not an ExponentialFamily (pairs are (family, columns))"
            )
        parts.append(family)
        columns.append(_canonical_columns(spec, f"{where} ({family.name})"))
    _check_disjoint(parts, columns)
    return tuple(parts), tuple(columns)


def _check_disjoint(parts: Sequence[ExponentialFamily], columns: Sequence[Columns]) -> None:
    owner: dict[int, int] = {}
    for index, group in enumerate(columns):
        for column in group:
            if column in owner:
                first = owner[column]
                raise ValueError(
                    f"Independent: column {column} belongs to part {first} "
                    f"({parts[first].name}) and to part {index} ({parts[index].name}); the "
                    f"groups of columns must not overlap"
                )
            owner[column] = index


def _in_original_columns(message: str, columns: Columns) -> str:
    """A part's message with its cells ``X[row, j]`` (``j`` counted among the part's own
    columns) renamed to the columns of the full ``X``."""

    def rename(cell: re.Match[str]) -> str:
        local = int(cell.group(2))
        return f"X[{cell.group(1)}, {columns[local]}]" if local < len(columns) else cell.group(0)

    return _CELL.sub(rename, message)


def consecutive_slices(widths: Iterable[int]) -> list[slice]:
    """Slices of consecutive blocks of the given widths, starting at 0."""
    out, start = [], 0
    for width in widths:
        out.append(slice(start, start + int(width)))
        start += int(width)
    return out


def _tuple_of_columns(value: Any) -> tuple[Columns, ...]:
    return tuple(tuple(int(c) for c in group) for group in value)


@attrs.frozen(init=False)
class Independent(ExponentialFamily):
    """The product of independent families, each over its own group of columns.

    ``Independent((family, columns), (family, columns), ...)``; ``columns`` is a list of column
    indices (an int, a range, an array) or a slice with an explicit stop. Groups must be non-empty,
    non-negative and disjoint (a ``ValueError`` otherwise); at fit time they must cover every
    column of ``X`` exactly once.

    Its statistics are the parts' concatenated in the order of the parts, so natural and mean
    parameters ``(K, S)`` hold each part's block in turn; ``components.parts[i]`` is part ``i``'s
    own ``Components`` (with ``.mean``, ``.probs``, ``.rate``...).

    Stored fields: ``parts`` (the families), ``columns`` (a tuple of tuples of ints, the canonical
    form of the column groups) and ``statistic_widths`` (each part's number of statistics, fixed by
    ``for_data``; ``None`` before, when it is found by evaluating each part at a row of zeros).
    """

    parts: tuple[ExponentialFamily, ...]
    columns: tuple[Columns, ...] = attrs.field(converter=_tuple_of_columns)
    statistic_widths: tuple[int, ...] | None = attrs.field(default=None, repr=False, eq=False)

    def __init__(
        self,
        *groups: Any,
        parts: Sequence[ExponentialFamily] | None = None,
        columns: Sequence[Any] | None = None,
        statistic_widths: Sequence[int] | None = None,
    ) -> None:
        if parts is not None or columns is not None:
            if groups:
                raise ValueError("pass either (family, columns) pairs or parts=/columns=, not both")
            if parts is None or columns is None or len(parts) != len(columns):
                raise ValueError("parts= and columns= must be given together, of equal length")
            groups = tuple(zip(parts, columns, strict=True))
        parsed_parts, parsed_columns = _parse_groups(groups)
        widths = None if statistic_widths is None else tuple(int(w) for w in statistic_widths)
        self.__attrs_init__(parts=parsed_parts, columns=parsed_columns, statistic_widths=widths)

    def __repr__(self) -> str:
        pairs = ", ".join(
            f"({part!r}, {list(group)})" for part, group in zip(self.parts, self.columns, strict=True)
        )
        return f"Independent({pairs})"

    # ----------------------------------------------------------------- layout
    @property
    def name(self) -> str:
        return f"Independent({', '.join(part.name for part in self.parts)})"

    @property
    def n_parts(self) -> int:
        return len(self.parts)

    @property
    def n_features(self) -> int:
        """The number of columns of ``X`` the groups cover: the largest index plus one."""
        return max(max(group) for group in self.columns) + 1

    def part_columns(self, x: Array, index: int) -> Array:
        """Part ``index``'s columns of ``x`` (a view when they are contiguous)."""
        return x[:, _selector(self.columns[index])]

    def _widths(self) -> tuple[int, ...]:
        if self.statistic_widths is not None:
            return self.statistic_widths
        widths = []
        for index, (part, group) in enumerate(zip(self.parts, self.columns, strict=True)):
            try:
                with np.errstate(all="ignore"):
                    probe = np.asarray(part.sufficient_statistics(np.zeros((1, len(group)))))
            except Exception as error:
                raise ValueError(
                    f"{self.name}: cannot tell how many statistics part {index} ({part.name}) has "
                    f"before it is configured ({error}); fit the model or call for_data first"
                ) from error
            widths.append(int(probe.shape[-1]))
        return tuple(widths)

    def _blocks(self) -> list[slice]:
        return consecutive_slices(self._widths())

    def split(self, params: Array) -> list[Array]:
        """Each part's block of the last axis of ``params`` (``(..., S)``: natural, mean, T(x))."""
        blocks = self._blocks()
        if params.shape[-1] != blocks[-1].stop:
            raise ValueError(
                f"{self.name} has {blocks[-1].stop} statistics per component "
                f"({' + '.join(str(b.stop - b.start) for b in blocks)}); got {params.shape[-1]}"
            )
        return [params[..., block] for block in blocks]

    def check_columns(self, n_features: int) -> None:
        """``ValueError`` unless the groups cover columns ``0 .. n_features − 1`` exactly."""
        for index, (part, group) in enumerate(zip(self.parts, self.columns, strict=True)):
            outside = [c for c in group if c >= n_features]
            if outside:
                raise ValueError(
                    f"{self.name}: part {index} ({part.name}) uses column {outside[0]}, but X has "
                    f"only {n_features} column(s) (0..{n_features - 1})"
                )
        covered = {c for group in self.columns for c in group}
        missing = [c for c in range(n_features) if c not in covered]
        if missing:
            raise ValueError(
                f"{self.name}: column(s) {missing} of X belong to no part; every column of X "
                f"must belong to exactly one part"
            )

    def _map(self, name: str, params: Array) -> Array:
        """Apply each part's ``name`` method to its block and concatenate."""
        pieces = [
            getattr(part, name)(block) for part, block in zip(self.parts, self.split(params), strict=True)
        ]
        return np.concatenate(pieces, axis=-1)

    # ----------------------------------------------------------------- primitives
    def sufficient_statistics(self, x: Array) -> Array:
        self.check_columns(x.shape[1])
        pieces = [part.sufficient_statistics(self.part_columns(x, i)) for i, part in enumerate(self.parts)]
        return np.concatenate([np.asarray(p, dtype=np.float64) for p in pieces], axis=1)

    def log_base_measure(self, x: Array) -> Array:
        self.check_columns(x.shape[1])
        total = np.zeros(x.shape[0])
        for i, part in enumerate(self.parts):
            total = total + part.log_base_measure(self.part_columns(x, i))
        return total

    def log_partition(self, natural: Array) -> Array:
        return self._sum_over_parts("log_partition", natural)

    def _sum_over_parts(self, name: str, natural: Array) -> Array:
        blocks = self.split(natural)
        total = np.asarray(getattr(self.parts[0], name)(blocks[0]), dtype=np.float64)
        for part, block in zip(self.parts[1:], blocks[1:], strict=True):
            total = total + getattr(part, name)(block)
        return total

    def natural_to_mean(self, natural: Array) -> Array:
        return self._map("natural_to_mean", natural)

    def mean_to_natural(self, mean: Array) -> Array:
        return self._map("mean_to_natural", mean)

    # ----------------------------------------------------------------- hooks
    def data_support(self) -> DataSupport:
        supports = [part.data_support() for part in self.parts]
        return DataSupport(
            non_negative=all(s.non_negative for s in supports), integer=all(s.integer for s in supports)
        )

    def validate(self, x: Array) -> None:
        self.check_columns(x.shape[1])
        for index, (part, group) in enumerate(zip(self.parts, self.columns, strict=True)):
            try:
                part.validate(self.part_columns(x, index))
            except ValueError as error:
                raise ValueError(
                    f"{self.name}: part {index} ({part.name}, {_describe(group)} of X): "
                    f"{_in_original_columns(str(error), group)}"
                ) from error

    def for_data(self, x: Array, weights: Array) -> Self:
        self.check_columns(x.shape[1])
        parts = [
            part.for_data(self.part_columns(x, i), weights) for i, part in enumerate(self.parts)
        ]
        widths = [
            int(np.asarray(part.sufficient_statistics(self.part_columns(x[:1], i))).shape[1])
            for i, part in enumerate(parts)
        ]
        return type(self)(parts=parts, columns=self.columns, statistic_widths=widths)

    def regularize_mean(self, mean: Array) -> Array:
        return self._map("regularize_mean", mean)

    def first_batch_caveat(self, x: Array, weights: Array) -> str | None:
        notes = [
            note
            for i, part in enumerate(self.parts)
            if (note := part.first_batch_caveat(self.part_columns(x, i), weights)) is not None
        ]
        return " ".join(f"Part {note}" for note in notes) or None

    def init_features(self, x: Array) -> Array:
        pieces = [
            np.asarray(part.init_features(self.part_columns(x, i)), dtype=np.float64)
            for i, part in enumerate(self.parts)
        ]
        return np.concatenate(pieces, axis=1)

    def n_free_parameters(self, natural: Array) -> int:
        return sum(
            int(part.n_free_parameters(block))
            for part, block in zip(self.parts, self.split(natural), strict=True)
        )

    def sample(self, natural: Array, labels: NDArray[np.intp], rng: np.random.Generator) -> Array:
        out = np.empty((labels.shape[0], self.n_features))
        for i, (part, block) in enumerate(zip(self.parts, self.split(natural), strict=True)):
            out[:, _selector(self.columns[i])] = part.sample(block, labels, rng)
        return out

    def maximum_likelihood(
        self, statistics: SufficientStatistics, previous: Array | None = None
    ) -> Array:
        """Each part's own M-step on its block of the sums (the counts are shared), so a part's
        special update (the tied Gaussian's pooled covariance) applies unchanged."""
        sums = self.split(statistics.sums)
        before = [None] * self.n_parts if previous is None else self.split(np.asarray(previous))
        pieces = [
            part.maximum_likelihood(SufficientStatistics(statistics.counts, block), old)
            for part, block, old in zip(self.parts, sums, before, strict=True)
        ]
        return np.concatenate(pieces, axis=1)

    def completion(self, x: Array, missing: NDArray[np.bool_], natural: Array) -> Completion:
        """Each part's own completion on its columns, for the rows where it has a missing entry
        (its plain density elsewhere), joined: the parts are independent given the component."""
        self.check_columns(x.shape[1])
        try:
            return PartsCompletion.of(self.parts, self.columns, x, missing, self.split(natural))
        except CannotMarginalise as refusal:
            raise CannotMarginalise(f"{self.name}: {refusal}") from refusal

    # ----------------------------------------------------------------- derived
    def log_likelihood(self, x: Array, natural: Array) -> Array:
        """``Σ_i log p_i(x[:, c_i] | η_i)``: each part's own log-likelihood on its columns."""
        self.check_columns(x.shape[1])
        blocks = self.split(natural)
        total = self.parts[0].log_likelihood(self.part_columns(x, 0), blocks[0])
        for i in range(1, self.n_parts):
            total = total + self.parts[i].log_likelihood(self.part_columns(x, i), blocks[i])
        return total

    def log_likelihood_of_statistics(
        self,
        statistics: Array,
        log_base: Array,
        natural: Array,
        log_partition: Array | None = None,
    ) -> Array:
        """The sum of the parts' own (possibly stabilised) log-likelihoods of their statistics.

        ``log_base`` is the summed ``log h`` of all parts; every part's log-likelihood is affine
        in its ``log_base`` with unit slope, so the first part takes all of it and the others
        zero. A given ``log_partition`` (VB's ``E_q[A(η)]``) cannot be split among the parts:
        each part uses its own ``A_i(η_i)`` (the most stable form, e.g. the Gaussian's centred
        one) and the total gap ``E_q[A] − Σ_i A_i(η_i)`` is subtracted once, per component.
        """
        stats = self.split(statistics)
        blocks = self.split(natural)
        zeros = np.zeros_like(log_base)
        out = self.parts[0].log_likelihood_of_statistics(stats[0], log_base, blocks[0])
        for part, stat, block in zip(self.parts[1:], stats[1:], blocks[1:], strict=True):
            out = out + part.log_likelihood_of_statistics(stat, zeros, block)
        if log_partition is not None:
            gap = np.asarray(log_partition, dtype=np.float64) - self.log_partition(natural)
            out -= gap[None, :]
        return np.asarray(out, dtype=np.float64)

    def check_same_kind(self, components: Components) -> None:
        super().check_same_kind(components)
        assert isinstance(components, IndependentComponents)
        other = components.family
        if other.columns != self.columns:
            raise ValueError(
                f"components over columns {other.columns} cannot stand for {self.name} over "
                f"columns {self.columns}"
            )
        for part, theirs in zip(self.parts, components.parts, strict=True):
            part.check_same_kind(theirs)

    def natural_of(self, components: Components) -> Array:
        self.check_same_kind(components)
        assert isinstance(components, IndependentComponents)
        pieces = [
            part.natural_of(theirs) for part, theirs in zip(self.parts, components.parts, strict=True)
        ]
        return np.concatenate(pieces, axis=1)

    def components_from(self, *parts: Components) -> IndependentComponents:
        """Components over this family's columns made of each part's own ``Components`` (e.g.
        built by the part's ``components_from``), one per part in order, all with the same number
        of components. Each must be of its part's kind; the result's parts are the given
        components' families (with their settings, e.g. ``Categorical(n_categories=3)``), and
        an estimator re-expresses them in its data-configured family when they start a fit."""
        if len(parts) != self.n_parts:
            raise ValueError(f"{self.name} needs {self.n_parts} part components; got {len(parts)}")
        for part, given in zip(self.parts, parts, strict=True):
            if not isinstance(given, Components):
                raise ValueError(f"components_from takes each part's Components; got {given!r}")
            part.check_same_kind(given)
        sizes = {len(given) for given in parts}
        if len(sizes) != 1:
            raise ValueError(f"part components differ in their number of components: {sorted(sizes)}")
        family = type(self)(
            parts=[given.family for given in parts],
            columns=self.columns,
            statistic_widths=[given.natural.shape[1] for given in parts],
        )
        natural = np.concatenate([given.natural for given in parts], axis=1)
        return IndependentComponents(family=family, natural=natural)


@attrs.frozen(eq=False, repr=False)
class IndependentComponents(Components):
    """Components of an ``Independent`` family: ``parts[i]`` is part ``i``'s ``Components``."""

    family: Independent

    @property
    def parts(self) -> tuple[Components, ...]:
        """Each part's components, e.g. ``parts[0].mean`` or ``parts[1].probs``."""
        blocks = self.family.split(self.natural)
        return tuple(
            part.components(block) for part, block in zip(self.family.parts, blocks, strict=True)
        )

    def part(self, index: int) -> Components:
        """Part ``index``'s components (``parts[index]``)."""
        return self.parts[operator.index(index)]

    def conventional_parameters(self) -> dict[str, Any]:
        """Each part's conventional parameters, named ``parts[i].name``."""
        return {
            f"parts[{index}].{name}": value
            for index, part in enumerate(self.parts)
            for name, value in part.conventional_parameters().items()
        }


Independent.components_type = IndependentComponents
