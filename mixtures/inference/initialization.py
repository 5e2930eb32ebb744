"""Initial responsibilities: k-means++ seeding, k-means, or random soft assignments."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["INIT_METHODS", "initial_responsibilities", "kmeans_plusplus", "nearest_centre"]

Array = NDArray[np.float64]

INIT_METHODS = ("kmeans++", "kmeans", "random")
_ROWS_PER_BLOCK = 65536


def _squared_distances(features: Array, centres: Array) -> Array:
    """``‖x_n − c_j‖²`` as ``(N, J)``; features are centred coordinates, so the expansion is safe."""
    out = features @ (-2.0 * centres.T)
    out += np.einsum("nd,nd->n", features, features)[:, None]
    out += np.einsum("jd,jd->j", centres, centres)[None, :]
    return np.maximum(out, 0.0, out=out)


def nearest_centre(features: Array, centres: Array) -> tuple[NDArray[np.intp], Array]:
    """Index of and squared distance to the nearest centre for each row (in row blocks)."""
    labels = np.empty(features.shape[0], dtype=np.intp)
    distance = np.empty(features.shape[0])
    for start in range(0, features.shape[0], _ROWS_PER_BLOCK):
        block = _squared_distances(features[start : start + _ROWS_PER_BLOCK], centres)
        labels[start : start + block.shape[0]] = block.argmin(1)
        distance[start : start + block.shape[0]] = block.min(1)
    return labels, distance


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
        best = int(np.argmin(weights @ trial))
        closest = trial[:, best]
        centres.append(features[candidates[best]])
    return np.array(centres)


def _one_hot(labels: NDArray[np.intp], n_clusters: int) -> Array:
    out = np.zeros((labels.shape[0], n_clusters))
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


def _lloyd(
    features: Array, centres: Array, weights: Array, max_iter: int = 100
) -> NDArray[np.intp]:
    labels, _ = nearest_centre(features, centres)
    for _ in range(max_iter):
        membership = _one_hot(labels, centres.shape[0]) * weights[:, None]
        mass = membership.sum(0)
        occupied = mass > 0
        centres = centres.copy()
        centres[occupied] = (membership.T @ features)[occupied] / mass[occupied, None]
        new_labels, _ = nearest_centre(features, centres)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return labels


def initial_responsibilities(
    method: str, features: Array, weights: Array, n_components: int, rng: np.random.Generator
) -> Array:
    """``(N, K)`` starting responsibilities by ``method`` (one of ``INIT_METHODS``)."""
    if method == "random":
        values = rng.uniform(size=(features.shape[0], n_components))
        return values / values.sum(1, keepdims=True)
    counted = weights > 0
    centres = kmeans_plusplus(features[counted], n_components, weights[counted], rng)
    if method == "kmeans":
        return _one_hot(_lloyd(features, centres, weights), n_components)
    if method == "kmeans++":
        return _one_hot(nearest_centre(features, centres)[0], n_components)
    raise ValueError(f"init must be one of {INIT_METHODS} or an (N, K) array; got {method!r}")
