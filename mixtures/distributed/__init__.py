"""Fitting data that live on a Dask cluster (``pip install mixtures[dask]``).

``Mixture.fit`` and ``HMM.fit`` accept a ``dask.array`` whose rows are split in blocks (and a
``sample_weight`` as a numpy or Dask array). Nothing in the families, priors or latent code
knows about Dask: the inference drivers ask the data to map a per-chunk function over its chunks
and add the results (``Data.map_sum``), and ``DaskData`` does that on the workers. Each block is
turned into a ``Chunk`` (``T(x)``, ``log h(x)``, weights) where it lives, kept there across
iterations while the cluster has room, and only the per-chunk results, of size ``(K, S)``, travel
back and are added in a tree.

Computations run on the ambient ``dask.distributed`` client when there is one
(``Client("tcp://scheduler:8786")``), otherwise on Dask's default scheduler. This module imports
dask; ``import mixtures`` does not, and imports this module only when it meets a Dask array.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

try:
    import dask
    import dask.array as da
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "mixtures.distributed needs dask: pip install 'mixtures[dask]'"
    ) from error

from mixtures._validation import RowFindings, finite_findings
from mixtures.families.base import ExponentialFamily
from mixtures.inference.data import (
    DEFAULT_CACHE_BYTES,
    Chunk,
    Sequences,
    make_chunk,
    sequence_bounds,
    sequences_in,
    statistics_width,
    support_findings,
)

__all__ = [
    "DaskData",
    "check_dask_rows",
    "checked_dask_matrix",
    "checked_dask_weights",
    "configured_on_dask",
    "per_block",
    "rechunk_to_sequences",
]

Array = NDArray[np.float64]
V = TypeVar("V")
Delayed = Any


# ----------------------------------------------------------------------------- input
def checked_dask_matrix(data: Any, name: str = "X") -> Any:
    """A ``dask.array`` as float64 ``(n_samples, n_features)`` blocks of whole rows. Shape and
    type are checked now; NaN, inf and the support are checked block by block on the workers
    before fitting (``check_dask_rows``)."""
    if data.ndim != 2:
        hint = " (use X.reshape(-1, 1) for a single feature)" if data.ndim == 1 else ""
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features); got {data.ndim}-D "
            f"array of shape {data.shape}{hint}"
        )
    if any(np.isnan(size) for size in data.shape):
        raise ValueError(
            f"{name} is a Dask array with unknown block sizes (shape {data.shape}): compute them "
            f"first, e.g. dataframe.to_dask_array(lengths=True) or X.compute_chunk_sizes()"
        )
    kind = data.dtype.kind
    if kind in "USV":
        raise ValueError(f"{name} must contain numbers, not strings or bytes; got dtype {data.dtype}")
    if kind == "c":
        raise ValueError(f"{name} must be real; got complex dtype {data.dtype}")
    if kind not in "biuf":
        raise ValueError(f"{name} must contain numbers; got dtype {data.dtype}")
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {data.shape}")
    x = data.astype(np.float64)
    if len(x.chunks[1]) > 1:  # each block must hold whole rows
        x = x.rechunk({1: -1})
    return x


def checked_dask_weights(sample_weight: Any, n_samples: int) -> Any:
    """``sample_weight`` given as a ``dask.array``: shape checked now, values (finite,
    non-negative, positive sum) in one computation."""
    if sample_weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X; got {sample_weight.shape}"
        )
    if sample_weight.dtype.kind not in "biuf":
        raise ValueError(f"sample_weight must contain real numbers; got dtype {sample_weight.dtype}")
    weights = sample_weight.astype(np.float64)
    with np.errstate(over="ignore"):  # an overflowing total is reported below
        finite, negative, total = dask.compute(
            da.isfinite(weights).all(), (weights < 0).any(), weights.sum()
        )
    if not finite:
        raise ValueError("sample_weight contains NaN or inf")
    if negative:
        raise ValueError("sample_weight must be non-negative")
    if np.isinf(total):
        raise ValueError(
            "sample_weight sums to more than float64 can hold (overflow); rescale the weights, "
            "e.g. divide them by their largest value"
        )
    if not total > 0:
        raise ValueError("sample_weight must have a positive sum")
    return weights


def _aligned_weights(weights: Any, x: Any) -> Any:
    """Weights as a Dask array with the row blocks of ``x``; uniform weights cost no data."""
    row_chunks = x.chunks[0]
    if weights is None:
        return da.ones(x.shape[0], chunks=(row_chunks,))
    if isinstance(weights, da.Array):
        return weights.astype(np.float64).rechunk((row_chunks,))
    values = np.asarray(weights, dtype=np.float64)
    if np.all(values == 1.0):
        return da.ones(x.shape[0], chunks=(row_chunks,))
    return da.from_array(values, chunks=(row_chunks,))


def _row_blocks(array: Any, row_chunks: tuple[int, ...]) -> list[Delayed]:
    """One delayed block per row block of ``x`` (all columns in one block)."""
    if array.ndim > 1:
        array = array.rechunk({0: row_chunks, **{axis: -1 for axis in range(1, array.ndim)}})
    else:
        array = array.rechunk((row_chunks,))
    return list(array.to_delayed().reshape(-1))


def _tree_sum(parts: Sequence[Delayed]) -> Delayed:
    """Pairwise sums of ``parts`` in rounds: a tree that keeps the row order of each ``+``."""
    level = list(parts)
    while len(level) > 1:
        paired = [
            dask.delayed(operator.add, pure=False)(level[i], level[i + 1])
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


# ----------------------------------------------------------------------------- checks and settings
def _block_findings(
    family: ExponentialFamily, block: Array, first_row: int, name: str
) -> RowFindings:
    x = np.asarray(block, dtype=np.float64)
    findings = finite_findings(x, first_row)
    if findings.nan is not None or findings.inf is not None:
        return findings
    return support_findings(family, x, first_row, name)


def check_dask_rows(family: ExponentialFamily, x: Any, name: str = "X") -> None:
    """NaN, inf and ``family.validate`` on every block, where the blocks live; the first
    problem (by global row) is raised as a ``ValueError`` naming its row."""
    starts = np.concatenate([[0], np.cumsum(x.chunks[0])])
    parts = [
        dask.delayed(_block_findings, pure=False)(family, block, int(start), name)
        for block, start, size in zip(_row_blocks(x, x.chunks[0]), starts, x.chunks[0], strict=False)
        if size > 0
    ]
    findings: RowFindings = _tree_sum(parts).compute()
    findings.raise_first(name)


class LazyRows(np.lib.mixins.NDArrayOperatorsMixin):
    """A Dask array of ``n_rows`` rows that a family's or prior's ``for_data`` can use as if it
    were numpy. Whatever still has an axis of ``n_rows`` (``x − m``, ``x.T``, ``x[:, cols]``)
    stays lazy; anything else (a mean, a covariance, a maximum) is computed on the spot and
    handed back as numpy, so the code after a reduction (``np.linalg.inv``, attrs converters,
    ``float(...)``) runs on small numpy arrays. Only reductions of the data are computed."""

    def __init__(self, array: Any, n_rows: int) -> None:
        self.array = array
        self.n_rows = n_rows

    def _wrap(self, value: Any) -> Any:
        if isinstance(value, da.Array):
            if self.n_rows in value.shape:
                return LazyRows(value, self.n_rows)
            return np.asarray(value.compute())
        if isinstance(value, tuple | list):
            return type(value)(self._wrap(item) for item in value)
        return value

    @classmethod
    def _unwrap(cls, value: Any) -> Any:
        if isinstance(value, LazyRows):
            return value.array
        if isinstance(value, tuple | list):
            return type(value)(cls._unwrap(item) for item in value)
        if isinstance(value, dict):
            return {key: cls._unwrap(item) for key, item in value.items()}
        return value

    def _call(self, function: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        return self._wrap(function(*self._unwrap(args), **self._unwrap(kwargs)))

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return self._call(getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return self._call(func, args, kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Array:
        return np.asarray(self.array.compute(), dtype=dtype)  # the code asked for all the data

    def __getitem__(self, key: Any) -> Any:
        return self._wrap(self.array[self._unwrap(key)])

    def __len__(self) -> int:
        return int(self.array.shape[0])

    def __float__(self) -> float:
        return float(self.array.compute())

    def __int__(self) -> int:
        return int(self.array.compute())

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.array, name)
        if callable(value):
            return lambda *args, **kwargs: self._call(value, args, kwargs)
        return self._wrap(value)


def configured_on_dask(configure: Callable[[Any, Any], V], x: Any, weights: Any) -> V:
    """``configure(x, weights)`` (a family's or prior's ``for_data``) on Dask data, seen as
    ``LazyRows``: its numpy code runs unchanged, Dask computes the reductions of the rows it
    asks for, and the result holds numpy arrays only."""
    rows = x.shape[0]
    return configure(LazyRows(x, rows), LazyRows(_aligned_weights(weights, x), rows))


# ----------------------------------------------------------------------------- the data
def _cache_budget() -> int:
    """Bytes of chunk statistics the workers may keep: half the memory limit of all workers of
    the ambient client, or ``DEFAULT_CACHE_BYTES`` on the local scheduler."""
    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):
        return DEFAULT_CACHE_BYTES
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    limits = [int(worker.get("memory_limit") or 0) for worker in workers]
    if limits and all(limits):
        return sum(limits) // 2
    return DEFAULT_CACHE_BYTES * max(len(limits), 1)


def _attach_sequences(chunk: Chunk, sequences: Sequences) -> Chunk:
    return attrs.evolve(chunk, sequences=sequences)


class DaskData:
    """Rows of a ``dask.array`` ``x`` (blocks of whole rows) with weights, seen through
    ``family``'s statistics: one ``Chunk`` per non-empty block, made and kept on the worker
    that holds the block (while ``cache_bytes`` allows; otherwise remade in every pass).

    With ``lengths`` (and ``sequence_weights``) the rows are concatenated sequences, and every
    block must hold whole sequences (``rechunk_to_sequences`` makes such blocks).
    """

    def __init__(
        self,
        family: ExponentialFamily,
        x: Any,
        weights: Any,
        *,
        lengths: NDArray[np.intp] | None = None,
        sequence_weights: Array | None = None,
        cache_bytes: int | None = None,
    ) -> None:
        x = checked_dask_matrix(x)
        self.family = family
        self.x = x
        self.weights = _aligned_weights(weights, x)
        sizes = x.chunks[0]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        occupied = [i for i, size in enumerate(sizes) if size > 0]
        self.bounds = [slice(int(starts[i]), int(starts[i + 1])) for i in occupied]
        self.n_statistics = statistics_width(family, np.asarray(x[:1].compute(), dtype=np.float64))
        self._row_chunks = sizes
        self._occupied = occupied
        self._sequences: list[Sequences] | None = None
        if lengths is not None:
            if sequence_weights is None:
                sequence_weights = np.ones(lengths.shape[0])
            self._sequences = sequences_in(self.bounds, lengths, sequence_weights)
        self.total_weight = float(self.weights.sum().compute())
        budget = _cache_budget() if cache_bytes is None else cache_bytes
        self._cache_bytes = budget
        n_features = x.shape[1]
        self.cached = 8 * x.shape[0] * (self.n_statistics + 1 + n_features) <= budget
        self._chunks: list[Delayed] | None = None

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[0])

    def _made_chunks(self) -> list[Delayed]:
        x_blocks = _row_blocks(self.x, self._row_chunks)
        w_blocks = _row_blocks(self.weights, self._row_chunks)
        return [
            dask.delayed(make_chunk, pure=False)(
                self.family,
                x_blocks[block],
                w_blocks[block],
                rows,
                self.n_statistics,
                None if self._sequences is None else self._sequences[index],
            )
            for index, (block, rows) in enumerate(zip(self._occupied, self.bounds, strict=True))
        ]

    def chunks(self) -> list[Delayed]:
        """The chunks as delayed values: persisted on the workers at first use when cached."""
        if self._chunks is not None:
            return self._chunks
        chunks = self._made_chunks()
        if self.cached:
            self._chunks = list(dask.persist(*chunks))
            return self._chunks
        return chunks

    def map_sum(self, function: Callable[..., V], *row_arrays: Any) -> V:
        """``function(chunk, *pieces)`` on every chunk where it lives, summed in a tree; only
        the per-chunk results travel. ``row_arrays`` (numpy or Dask, length ``N``) are split
        along the blocks and sent with them."""
        pieces: list[list[Any]] = []
        for array in row_arrays:
            if isinstance(array, da.Array):
                blocks = _row_blocks(array, self._row_chunks)
                pieces.append([blocks[block] for block in self._occupied])
            else:
                pieces.append([array[rows] for rows in self.bounds])
        parts = [
            dask.delayed(function, pure=False)(chunk, *(piece[index] for piece in pieces))
            for index, chunk in enumerate(self.chunks())
        ]
        return _tree_sum(parts).compute()

    def with_sequences(self, lengths: NDArray[np.intp], sequence_weights: Array) -> DaskData:
        """These rows as concatenated sequences (every block must hold whole sequences)."""
        sequences = sequences_in(self.bounds, lengths, sequence_weights)
        out = object.__new__(DaskData)
        out.__dict__.update(self.__dict__)
        out._sequences = sequences
        if self._chunks is not None:
            out._chunks = list(
                dask.persist(
                    *(
                        dask.delayed(_attach_sequences, pure=False)(chunk, s)
                        for chunk, s in zip(self._chunks, sequences, strict=True)
                    )
                )
            )
        return out


def rechunk_to_sequences(X: Any, lengths: Any, rows_per_block: int | None = None) -> Any:
    """``X`` rechunked so that every row block holds whole sequences (an HMM's ``fit`` needs
    that), blocks of about ``rows_per_block`` rows (default: ``X``'s largest block now); a
    sequence longer than that gets a block of its own."""
    values = np.asarray(lengths, dtype=np.intp)
    if values.ndim != 1 or values.sum() != X.shape[0]:
        raise ValueError(f"lengths must be 1-D and sum to the {X.shape[0]} rows of X")
    size = int(rows_per_block or max(X.chunks[0]))
    bounds = sequence_bounds(values, size)
    return X.rechunk({0: tuple(b.stop - b.start for b in bounds)})


def per_block(function: Callable[[Array], Array], X: Any, n_columns: int | None) -> Any:
    """``function`` (e.g. a fitted model's ``predict_proba``) on every row block of ``X``,
    lazily: a Dask array of ``(n, n_columns)`` (or ``(n,)`` for ``n_columns=None``) rows."""
    x = checked_dask_matrix(X)
    if n_columns is None:
        return x.map_blocks(function, drop_axis=1, dtype=np.float64)
    return x.map_blocks(function, chunks=(x.chunks[0], (n_columns,)), dtype=np.float64)
