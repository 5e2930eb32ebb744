"""Fitting data that live on a Dask cluster (``pip install mixtures[dask]``).

``Mixture`` and ``HMM`` accept a ``dask.array`` whose rows are split in blocks (and a
``sample_weight`` as a numpy or Dask array). Nothing in the families, priors or latent code
knows about Dask: ``mixtures.inference.sources.rows_of`` sees the Dask array once and returns
``DaskRows``, whose methods check the blocks, configure families and priors, and make the
``DaskData`` a fit maps over. ``DaskData`` turns each block into a ``Chunk`` (``T(x)``,
``log h(x)``, weights) where it lives, keeps it there across iterations while the cluster has
room, and sends back only the per-chunk results, of size ``(K, S)``, added in a tree.
Predictions run per block on the workers too and come back as lazy Dask arrays.

Computations run on the ambient ``dask.distributed`` client when there is one
(``Client("tcp://scheduler:8786")``), otherwise on Dask's default scheduler. This package
imports dask; ``import mixtures`` does not, and imports it only when it meets a Dask array.

Modules: ``blocks`` (row blocks, aligned weights, tree sums), ``checks`` (shape, type and
values of the rows and weights), ``lazy`` (``for_data`` on Dask rows), ``data`` (``DaskData``),
``rows`` (``DaskRows``), ``sequences`` (``rechunk_to_sequences``).
"""

from __future__ import annotations

try:
    import dask  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError("mixtures.distributed needs dask: pip install 'mixtures[dask]'") from error

from mixtures.distributed.checks import check_dask_rows, checked_dask_matrix, checked_dask_weights
from mixtures.distributed.data import DaskData
from mixtures.distributed.lazy import LazyRows, configured_on_dask
from mixtures.distributed.rows import DaskRows
from mixtures.distributed.sequences import rechunk_to_sequences

__all__ = [
    "DaskData",
    "DaskRows",
    "LazyRows",
    "check_dask_rows",
    "checked_dask_matrix",
    "checked_dask_weights",
    "configured_on_dask",
    "rechunk_to_sequences",
]
