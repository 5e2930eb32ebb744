"""``DaskRows``: the ``Rows`` of a ``dask.array``, what ``rows_of`` returns for one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import dask.array as da
import numpy as np
from numpy.typing import NDArray

from mixtures._validation import as_sample_weight
from mixtures.distributed.blocks import aligned_weights
from mixtures.distributed.checks import check_dask_rows, checked_dask_matrix, checked_dask_weights
from mixtures.distributed.data import DaskData
from mixtures.distributed.lazy import configured_on_dask
from mixtures.distributed.missing import with_placeholders
from mixtures.families.base import ExponentialFamily
from mixtures.inference.rows import Rows
from mixtures.inference.sequences import SequenceLayout

__all__ = ["DaskRows"]

V = TypeVar("V")


class DaskRows(Rows):
    """Rows held as the blocks of a ``dask.array`` (float64, whole rows per block). Values are
    checked, families and priors configured, fits and predictions run where the blocks live;
    weights are Dask arrays with the rows' blocks."""

    @classmethod
    def checked(cls, data: Any, name: str = "X", *, missing: bool = False) -> DaskRows:
        """``data`` with its shape and type checked now (values later, by ``check``). With
        ``missing``, NaN entries are missing values: the rows hold placeholders there and a lazy
        mask of them (``with_placeholders``, two passes over the blocks now)."""
        x = checked_dask_matrix(data, name)
        if not missing:
            return cls(x, name)
        filled, mask = with_placeholders(x)
        return cls(filled, name, mask)

    def sample_weight(self, sample_weight: Any, name: str = "sample_weight") -> Any:
        if isinstance(sample_weight, da.Array):
            weights = checked_dask_weights(sample_weight, self.n_samples, name)
        else:
            weights = as_sample_weight(sample_weight, self.n_samples, name)
        return aligned_weights(weights, self.x)

    def full_weights(self, row_weights: Any, layout: SequenceLayout) -> Any:
        full = layout.full_weights(aligned_weights(row_weights, self.x))
        return checked_dask_weights(full, self.n_samples, "sample_weight × sequence_weight")

    def check(self, family: ExponentialFamily) -> None:
        """NaN (unless missing), inf and the support, block by block on the workers."""
        check_dask_rows(family, self.x, self.name, self.missing)

    def configured(self, configure: Callable[[Any, Any], V], weights: Any) -> V:
        return configured_on_dask(configure, self.x, weights)

    def chunked(
        self,
        family: ExponentialFamily,
        weights: Any = None,
        *,
        chunk_size: int | None = None,
        cache_bytes: int | None = None,
        layout: SequenceLayout | None = None,
        labels: NDArray[Any] | None = None,
        product_dtype: Any = np.float64,
    ) -> DaskData:
        """The rows' own blocks are the chunks (``chunk_size`` does not apply)."""
        return DaskData(
            family, self.x, weights, layout=layout, cache_bytes=cache_bytes, labels=labels,
            missing=self.missing, product_dtype=product_dtype,
        )
