"""Starting responsibilities, made chunk by chunk: k-means++ seeding, k-means, random rows as
seeds, a random partition.

Nothing here holds an ``(N, K)`` matrix or all the rows. k-means++ chooses its seeds on a random
subsample of at most ``seed_sample_rows`` rows (all rows when there are no more, so results on
small data are those of k-means++ on all of it); Lloyd's iterations are passes over the chunks
that sum each cluster's mass and coordinates; and the starting responsibilities are made per
chunk by a small picklable function (``NearestCentre``, ``RandomPartition``) that
``FitProblem.summary_of`` maps over the data wherever it lives. Random draws are tied to
global row numbers, never to chunks, so the result does not depend on how the rows are chunked
(in memory or on Dask).

Every start lies inside the parameter space and every restart starts somewhere else:

* a hard label is smoothed: the row's nearest centre ``j`` is read as a noisy guess of its
  component, ``r_nk = P(k | j) = (1 − ε) δ_jk + ε V_jk`` with ``ε = INIT_SMOOTHING`` and each row
  of ``V`` half uniform and half a random point of the simplex (drawn per start). Every component
  so starts with a share of every row: no probability at 0 or 1, no zero rate or variance (hard
  0/1 responsibilities are a fixed point of EM), and two restarts that find the same partition
  still start from different points;
* a row equally near several centres (common for discrete data, where rows repeat) is shared
  among them in proportions drawn per start, so restarts split tied rows differently; a centre
  equal to another (fewer distinct rows than components) gets no rows, and its component starts
  empty as ``Mixing.maximised`` describes rather than as a copy made of smoothing alone;
* ``"random"`` is a random soft partition of the data rather than independent noise per row,
  which averages out to the near-symmetric start (all components at the pooled data) where EM
  stalls: ``r_n = softmax(τ W z_n)`` for standardised features ``z_n`` and random directions ``W``,
  smoothed as above.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Callable

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import (
    feature_spread,
    relative_weights,
    row_blocks,
    weighted_column_sums,
    weighted_mean,
    weighted_total,
)
from mixtures._row_tasks import row_product, transposed_row_product
from mixtures.families.base import ExponentialFamily
from mixtures.inference.data import Chunk, Data
from mixtures.inference.labels import covers, label_shares
from mixtures.latent.mixing import chunk_posterior
from mixtures.latent.mixture import log_mixture_weights, mixture_posterior

__all__ = [
    "START_METHODS",
    "KMeans",
    "KMeansClustering",
    "KMeansPlusPlus",
    "MixtureResponsibilities",
    "NearestCentre",
    "RandomPartition",
    "RandomRows",
    "RandomStart",
    "StartMethod",
    "draw_tie_weights",
    "kmeans_clustering",
    "kmeans_plusplus",
    "label_channel",
    "labelled_centres",
    "lloyd",
    "nearest_shares",
    "random_partition",
    "sample_rows",
    "seed_centres",
    "seed_sample_rows",
    "smoothed",
    "within_reach",
]

Array = NDArray[np.float64]

#: Random draws come from one generator per block of this many rows (keyed by the block's index).
RANDOM_BLOCK_ROWS = 4096
#: The k-means++ subsample holds about this many bytes of features (within the row limits below).
SEED_SAMPLE_BYTES = 16 * 1024**2
SEED_SAMPLE_MIN_ROWS = 10_000
SEED_SAMPLE_MAX_ROWS = 100_000
#: Lloyd's iterations at most (each one pass over the data).
LLOYD_MAX_ITER = 100
#: Share ``ε`` of each starting responsibility spread over all components (see the module notes).
INIT_SMOOTHING = 0.01
#: Sharpness ``τ`` of the random soft partition: score differences have a spread of about ``τ``.
RANDOM_PARTITION_SHARPNESS = 3.0
#: Distances within this relative margin of a row's nearest distance count as ties.
TIE_TOLERANCE = 1e-9


def _squared_distances(features: Array, centres: Array) -> Array:
    """``‖x_n − c_j‖²`` as ``(N, J)``; features are centred coordinates, so the expansion is safe.
    (Products over all rows go through ``row_product``: see ``_row_tasks.BLAS_SINGLE_THREAD``.)"""
    out = row_product(features, -2.0 * centres.T)
    out += np.einsum("nd,nd->n", features, features)[:, None]
    out += np.einsum("jd,jd->j", centres, centres)[None, :]
    return np.maximum(out, 0.0, out=out)


def nearest_shares(features: Array, centres: Array, tie_weights: Array) -> Array:
    """Each row's membership ``(n, K)`` of its nearest centre among those with a positive
    ``tie_weights`` entry (``(K,)``, non-negative, positive somewhere); a row equally near several
    of them (within ``TIE_TOLERANCE``) is shared among them in proportion to ``tie_weights``."""
    shares = np.empty((features.shape[0], centres.shape[0]))
    # a centre without a share (a duplicate) takes no rows, even where rounding puts it nearest
    takes_rows = tie_weights > 0
    for rows in row_blocks(features.shape[0], features.shape[1] + centres.shape[0]):
        block = np.where(takes_rows, _squared_distances(features[rows], centres), np.inf)
        tied = block <= block.min(1, keepdims=True) * (1.0 + TIE_TOLERANCE)
        shares[rows] = np.where(tied, tie_weights[None, :], 0.0)
    shares /= shares.sum(1, keepdims=True)
    return shares


def _draw_rows(mass: Array, n_draws: int, rng: np.random.Generator) -> NDArray[np.intp]:
    """Rows drawn with probability proportional to ``mass`` by inverting its cumulative sum, so a
    row of integer weight w is drawn exactly as often as w adjacent copies of it would be."""
    cumulative = np.cumsum(mass)
    draws = rng.random(n_draws) * cumulative[-1]
    return np.minimum(np.searchsorted(cumulative, draws, side="right"), mass.shape[0] - 1)


def kmeans_plusplus(
    features: Array, n_clusters: int, weights: Array, rng: np.random.Generator
) -> Array:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii 2007), weighted by sample weights."""
    n_trials = 2 + int(np.log(n_clusters))
    first = _draw_rows(weights, 1, rng)[0]
    centres = [features[first]]
    closest = _squared_distances(features, features[first : first + 1])[:, 0]
    for _ in range(1, n_clusters):
        mass = weights * closest
        if mass.sum() <= 0:  # every point coincides with a centre already: pick by weight alone
            mass = weights
        candidates = _draw_rows(mass, n_trials, rng)
        trial = np.minimum(closest[:, None], _squared_distances(features, features[candidates]))
        best = int(np.argmin(weighted_column_sums(weights, trial)))
        closest = trial[:, best]
        centres.append(features[candidates[best]])
    return np.array(centres)


def _uniform_draws(seed: int, rows: slice, n_columns: int) -> Array:
    """Uniform draws ``(n, n_columns)`` for global rows ``rows``, the same however the rows are
    chunked: block ``j`` of ``RANDOM_BLOCK_ROWS`` rows always gets the generator ``(seed, j)``."""
    first, last = rows.start // RANDOM_BLOCK_ROWS, (rows.stop - 1) // RANDOM_BLOCK_ROWS
    blocks = [
        np.random.default_rng([seed, j]).random((RANDOM_BLOCK_ROWS, n_columns))
        for j in range(first, last + 1)
    ]
    offset = rows.start - first * RANDOM_BLOCK_ROWS
    return np.concatenate(blocks)[offset : offset + rows.stop - rows.start]


# ----------------------------------------------------------------------------- per-chunk assignments
def label_channel(n_components: int, rng: np.random.Generator) -> Array:
    """``P(component k | label j)`` ``(K, K)``: ``(1 − ε) I + ε V``, each row of ``V`` half uniform
    and half a uniform random point of the simplex, so every entry is at least ``ε / (2K)``."""
    spread = 0.5 / n_components + 0.5 * rng.dirichlet(np.ones(n_components), size=n_components)
    return (1.0 - INIT_SMOOTHING) * np.eye(n_components) + INIT_SMOOTHING * spread


#: A start shares a row only among components seeded within this distance of its own seed (in
#: ``init_features`` units: standard deviations of the bulk for a Gaussian): a share of a far
#: group (one outlier 1e8 away) would start a component that spans both while thin across, a
#: covariance float64 cannot hold (condition number about the distance squared).
SHARE_REACH = 1e4


def within_reach(channel: Array, centres: Array) -> Array:
    """``channel`` (``label_channel``) with the shares between seeds farther apart than
    ``SHARE_REACH`` removed, rows renormalised (a seed always keeps its own share)."""
    distance = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1))
    near = (distance <= SHARE_REACH) | np.eye(len(centres), dtype=bool)
    if near.all():
        return channel
    local = np.where(near, channel, 0.0)
    return local / local.sum(1, keepdims=True)


def smoothed(responsibilities: Array, channel: Array) -> Array:
    """Soft responsibilities ``(n, K)`` passed through ``label_channel``'s ``channel``."""
    return row_product(responsibilities, channel)


@attrs.frozen(eq=False)
class NearestCentre:
    """Each row to its nearest centre in ``family.init_features`` coordinates (ties shared by
    ``tie_weights``, see ``nearest_shares``), smoothed by ``channel`` (``label_channel``):
    ``r_nk = Σ_j share_nj channel[j, k]``."""

    family: ExponentialFamily
    centres: Array
    channel: Array
    tie_weights: Array

    def __call__(self, chunk: Chunk) -> Array:
        features = np.asarray(self.family.init_features(chunk.x), dtype=np.float64)
        return smoothed(nearest_shares(features, self.centres, self.tie_weights), self.channel)


@attrs.frozen(eq=False)
class RandomPartition:
    """A random soft partition: ``softmax(τ W z_n)`` of the standardised ``init_features``
    ``z_n = (f(x_n) − location) / scale``, directions ``W`` ``(K, F)`` scaled so that each score
    has a spread of about one, smoothed by ``channel``. Rows with equal features get equal
    responsibilities, and the components start apart."""

    family: ExponentialFamily
    location: Array
    scale: Array
    directions: Array
    channel: Array

    def __call__(self, chunk: Chunk) -> Array:
        features = np.asarray(self.family.init_features(chunk.x), dtype=np.float64)
        scores = row_product((features - self.location) / self.scale, self.directions.T)
        scores *= RANDOM_PARTITION_SHARPNESS
        no_weights = np.zeros(self.directions.shape[0])
        return smoothed(mixture_posterior(scores, no_weights, overwrite=True).responsibilities, self.channel)


@attrs.frozen(eq=False)
class MixtureResponsibilities:
    """Each row's responsibilities under a fitted mixture (weights ``(K,)``, natural parameters
    ``(K, S)`` of ``family``), smoothed by ``channel`` (``label_channel``): an HMM's
    ``init="mixture"``."""

    family: ExponentialFamily
    natural: Array
    weights: Array
    channel: Array

    def __call__(self, chunk: Chunk) -> Array:
        log_likelihood = chunk.log_likelihood(self.family, self.natural)
        posterior = chunk_posterior(chunk, log_likelihood, log_mixture_weights(self.weights))[0]
        return smoothed(posterior, self.channel)


# ----------------------------------------------------------------------------- row samples
@attrs.frozen(eq=False)
class RowSample:
    """Some rows' global indices, ``init_features`` and weights, gathered chunk by chunk: ``+``
    joins two samples' pieces, ``arrays()`` gives them in row order (one copy at the end)."""

    pieces: tuple[tuple[NDArray[np.intp], Array, Array], ...]

    def __add__(self, other: RowSample) -> RowSample:
        return RowSample(self.pieces + other.pieces)

    def arrays(self) -> tuple[NDArray[np.intp], Array, Array]:
        """Rows ``(n,)``, features ``(n, F)`` and weights ``(n,)`` in row order."""
        pieces = sorted(self.pieces, key=lambda piece: int(piece[0][0]) if piece[0].size else -1)
        rows, features, weights = (np.concatenate(part) for part in zip(*pieces, strict=True))
        return rows, features, weights


def _chunk_sample(
    family: ExponentialFamily, seed: int | None, probability: float, chunk: Chunk
) -> RowSample:
    """The rows of a chunk with a positive weight, each kept with ``probability`` (all of them
    when ``seed`` is None)."""
    keep = chunk.weights > 0
    if seed is not None:
        keep &= _uniform_draws(seed, chunk.rows, 1)[:, 0] < probability
    chosen = np.flatnonzero(keep)
    features = np.asarray(family.init_features(chunk.x[chosen]), dtype=np.float64)
    return RowSample(
        ((chunk.rows.start + chosen, features.reshape(chosen.size, -1), chunk.weights[chosen]),)
    )


def seed_sample_rows(data: Data) -> int:
    """How many rows k-means++ seeds on: about ``SEED_SAMPLE_BYTES`` of features, within
    [``SEED_SAMPLE_MIN_ROWS``, ``SEED_SAMPLE_MAX_ROWS``]."""
    by_size = SEED_SAMPLE_BYTES // (8 * max(data.n_statistics, 1))
    return int(min(SEED_SAMPLE_MAX_ROWS, max(SEED_SAMPLE_MIN_ROWS, by_size)))


def sample_rows(data: Data, n_rows: int, rng: np.random.Generator) -> RowSample:
    """The rows with positive weight, all of them when ``data`` has at most ``n_rows`` rows,
    otherwise each kept with probability ``n_rows / N`` (about ``n_rows`` of them), in one pass."""
    if data.n_samples <= n_rows:
        return data.map_sum(functools.partial(_chunk_sample, data.family, None, 1.0))
    seed = int(rng.integers(2**63))
    sample = data.map_sum(
        functools.partial(_chunk_sample, data.family, seed, n_rows / data.n_samples)
    )
    if sample.arrays()[0].size == 0:  # every sampled row had weight zero: take all weighted rows
        return data.map_sum(functools.partial(_chunk_sample, data.family, None, 1.0))
    return sample


def seed_centres(data: Data, n_clusters: int, rng: np.random.Generator) -> Array:
    """k-means++ centres ``(K, F)`` chosen on a bounded sample of the rows (``sample_rows``)."""
    _, features, weights = sample_rows(data, seed_sample_rows(data), rng).arrays()
    return kmeans_plusplus(features, n_clusters, weights, rng)


def random_partition(data: Data, n_components: int, rng: np.random.Generator) -> RandomPartition:
    """``RandomPartition`` with the location and scale of each feature taken from a bounded
    sample of the rows (``feature_spread``: overflow-free, a constant feature scaled by its
    magnitude)."""
    _, features, weights = sample_rows(data, seed_sample_rows(data), rng).arrays()
    location = weighted_mean(features, relative_weights(weights))
    scale = feature_spread(features, weights, location) * np.sqrt(features.shape[1])
    directions = rng.standard_normal((n_components, features.shape[1]))
    return RandomPartition(
        data.family, location, scale, directions, label_channel(n_components, rng)
    )


# ----------------------------------------------------------------------------- Lloyd
@attrs.frozen(eq=False)
class ClusterSums:
    """Weighted mass ``(K,)`` and coordinate sums ``(K, F)`` of the rows nearest each centre."""

    mass: Array
    sums: Array

    def __add__(self, other: ClusterSums) -> ClusterSums:
        return ClusterSums(self.mass + other.mass, self.sums + other.sums)


def _cluster_sums(features: Array, weights: Array, centres: Array, tie_weights: Array) -> ClusterSums:
    membership = nearest_shares(features, centres, tie_weights)
    membership *= weights[:, None]
    return ClusterSums(membership.sum(0), transposed_row_product(membership, features))


def _chunk_cluster_sums(
    family: ExponentialFamily, centres: Array, tie_weights: Array, chunk: Chunk
) -> ClusterSums:
    features = np.asarray(family.init_features(chunk.x), dtype=np.float64)
    return _cluster_sums(features, chunk.weights, centres, tie_weights)


def _chunk_labelled_sums(family: ExponentialFamily, n_labels: int, chunk: Chunk) -> ClusterSums:
    if chunk.labels is None:
        raise ValueError("a start from labels needs data with partial labels")
    features = np.asarray(family.init_features(chunk.x), dtype=np.float64)
    shares = label_shares(chunk.labels, n_labels) * chunk.weights[:, None]
    return ClusterSums(shares.sum(0), transposed_row_product(shares, features))


def labelled_centres(data: Data, n_labels: int, rng: np.random.Generator) -> NearestCentre:
    """Each row to the nearest of the labelled rows' class means (in ``init_features``
    coordinates), smoothed as every start: the start of a fit whose partial labels cover every
    label. The data must carry labels (``Chunk.labels``)."""
    sums = data.map_sum(functools.partial(_chunk_labelled_sums, data.family, n_labels))
    centres = sums.sums / sums.mass[:, None]
    channel = within_reach(label_channel(n_labels, rng), centres)
    return NearestCentre(data.family, centres, channel, np.ones(n_labels))


def lloyd(
    data: Data, centres: Array, tie_weights: Array, max_iter: int = LLOYD_MAX_ITER
) -> Array:
    """Lloyd's k-means from ``centres``, one pass over the data per iteration, until the
    centres (and so the assignments) stop changing; a centre that loses all its rows stays.
    Tied rows are shared by ``tie_weights`` as in ``nearest_shares``."""
    return _lloyd_iterations(
        lambda current: data.map_sum(
            functools.partial(_chunk_cluster_sums, data.family, current, tie_weights)
        ),
        centres,
        max_iter,
    )


def _lloyd_iterations(
    cluster_sums: Callable[[Array], ClusterSums], centres: Array, max_iter: int
) -> Array:
    """Lloyd's iterations: each centre moved to the mean of its rows (``cluster_sums(centres)``)
    until none moves."""
    for _ in range(max_iter):
        sums = cluster_sums(centres)
        occupied = sums.mass > 0
        updated = centres.copy()
        updated[occupied] = sums.sums[occupied] / sums.mass[occupied, None]
        if np.array_equal(updated, centres):
            break
        centres = updated
    return centres


@attrs.frozen(eq=False)
class KMeansClustering:
    """A k-means clustering of in-memory rows: ``centres`` ``(K, F)``, each row's nearest centre
    ``labels`` ``(N,)`` and the weighted within-cluster sum of squares ``inertia``."""

    centres: Array
    labels: NDArray[np.intp]
    inertia: float


def kmeans_clustering(
    features: Array,
    n_clusters: int,
    rng: np.random.Generator,
    n_init: int = 10,
    weights: Array | None = None,
) -> KMeansClustering:
    """The best by inertia of ``n_init`` k-means runs (k-means++ seeds on all the rows refined by
    Lloyd's iterations) on ``features`` ``(N, F)``, in-memory rows in the coordinates to cluster
    in (centred, so that the distances are computed safely). The rows are clustered in a
    canonical order (sorted by their values, then weights), so that for the same ``rng`` the
    result does not depend on the order in which they are given (an HMM's sequences in any
    order). Needs at least ``n_clusters`` rows."""
    given = np.asarray(features, dtype=np.float64)
    if given.ndim != 2 or given.shape[0] < n_clusters:
        raise ValueError(
            f"features must be (N, F) with at least n_clusters={n_clusters} rows; got shape {given.shape}"
        )
    if n_init < 1:
        raise ValueError(f"n_init must be >= 1; got {n_init}")
    given_mass = np.ones(given.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    if given_mass.shape != given.shape[:1]:
        raise ValueError(f"weights must have shape ({given.shape[0]},); got {given_mass.shape}")
    order = np.lexsort((given_mass, *given.T[::-1]))
    features, mass = given[order], given_mass[order]
    best: KMeansClustering | None = None
    for _ in range(n_init):
        seeds = kmeans_plusplus(features, n_clusters, mass, rng)
        tie_weights = draw_tie_weights(seeds, rng)
        centres = _lloyd_iterations(
            functools.partial(_cluster_sums, features, mass, tie_weights=tie_weights), seeds, LLOYD_MAX_ITER
        )
        distances = _squared_distances(features, centres)
        labels = np.argmin(np.where(tie_weights > 0, distances, np.inf), axis=1)
        inertia = weighted_total(mass, distances[np.arange(features.shape[0]), labels])
        if best is None or inertia < best.inertia:
            best = KMeansClustering(centres, labels, inertia)
    assert best is not None
    labels_in_given_order = np.empty_like(best.labels)
    labels_in_given_order[order] = best.labels
    return KMeansClustering(best.centres, labels_in_given_order, best.inertia)


class StartMethod(abc.ABC):
    """A way to choose starting responsibilities: ``assignment`` draws one start from ``rng``
    and returns ``assign(chunk) -> (n, K)``, to be mapped over the data where it lives. Each
    call draws a new start, smoothed and with ties shared as the module notes say, so that
    every component but a duplicate's gets a share of every row and restarts differ."""

    @abc.abstractmethod
    def assignment(
        self, data: Data, n_components: int, rng: np.random.Generator
    ) -> Callable[[Chunk], Array]: ...

    def labelled_assignment(
        self, data: Data, n_components: int, rng: np.random.Generator
    ) -> Callable[[Chunk], Array] | None:
        """The start that partial labels naming every component give: each row to the
        nearest labelled class mean (``labelled_centres``); ``None`` while some component has
        no labelled row."""
        if not covers(data.labels, n_components):
            return None
        return labelled_centres(data, n_components, rng)


@attrs.frozen
class KMeansPlusPlus(StartMethod):
    """k-means++ seeds (on a bounded sample of rows), each row assigned to its nearest seed."""

    def seeds(self, data: Data, n_components: int, rng: np.random.Generator) -> Array:
        """The seeds ``(K, F)``: k-means++ centres (``seed_centres``)."""
        return seed_centres(data, n_components, rng)

    def centres(self, data: Data, centres: Array, tie_weights: Array) -> Array:
        """The centres the rows are assigned to, from the seeds (here: the seeds)."""
        return centres

    def assignment(
        self, data: Data, n_components: int, rng: np.random.Generator
    ) -> Callable[[Chunk], Array]:
        centres = self.seeds(data, n_components, rng)
        tie_weights = draw_tie_weights(centres, rng)
        refined = self.centres(data, centres, tie_weights)
        if refined is not centres:
            centres, tie_weights = refined, draw_tie_weights(refined, rng)
        channel = within_reach(label_channel(n_components, rng), centres)
        duplicate = tie_weights == 0  # no rows of their own: they start empty, not as copies
        if duplicate.any():
            channel[:, duplicate] = 0.0
            channel /= channel.sum(1, keepdims=True)
        return NearestCentre(data.family, centres, channel, tie_weights)


@attrs.frozen
class KMeans(KMeansPlusPlus):
    """k-means++ seeds refined by Lloyd's iterations (passes over the chunks)."""

    def centres(self, data: Data, centres: Array, tie_weights: Array) -> Array:
        return lloyd(data, centres, tie_weights)


@attrs.frozen
class RandomRows(KMeansPlusPlus):
    """Seeds drawn uniformly (by sample weight) among the rows, without replacement, each row
    assigned to its nearest seed: scikit-learn's ``"random_from_data"`` (which, unlike this,
    starts every component from its one seed row alone)."""

    def seeds(self, data: Data, n_components: int, rng: np.random.Generator) -> Array:
        _, features, weights = sample_rows(data, seed_sample_rows(data), rng).arrays()
        drawable = np.flatnonzero(weights > 0)
        chosen = rng.choice(
            drawable, size=n_components, replace=drawable.size < n_components,
            p=weights[drawable] / weights[drawable].sum(),
        )
        return features[chosen]


@attrs.frozen
class RandomStart(StartMethod):
    """A random soft partition of the rows (see the module notes)."""

    def assignment(
        self, data: Data, n_components: int, rng: np.random.Generator
    ) -> Callable[[Chunk], Array]:
        return random_partition(data, n_components, rng)


#: The built-in start methods by the names ``init`` accepts.
START_METHODS: dict[str, StartMethod] = {
    "kmeans++": KMeansPlusPlus(),
    "kmeans": KMeans(),
    "random": RandomStart(),
    "random_from_data": RandomRows(),
}


def draw_tie_weights(centres: Array, rng: np.random.Generator) -> Array:
    """Shares ``(K,)`` of tied rows, drawn per start (standard exponential: Dirichlet proportions
    among any set of tied centres). A centre equal to an earlier one gets none: with fewer
    distinct rows than components its component starts empty, at the pooled data with a
    negligible weight (see ``Mixing.maximised``), rather than as a copy of another."""
    weights = np.asarray(rng.standard_exponential(centres.shape[0]), dtype=np.float64)
    for k in range(1, centres.shape[0]):
        if any(np.array_equal(centres[k], centres[j]) for j in range(k)):
            weights[k] = 0.0
    return weights
