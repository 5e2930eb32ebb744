"""The seed example's data and helpers, shared by ``seed_em.py`` and ``seed_vb.py``.

The seed notebooks fit 1000 points drawn from a known 2-D mixture of three Gaussians; both
examples draw exactly these points, line fitted components up with the true ones and print the
comparison with the functions here.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

TRUE_WEIGHTS = np.array([0.15, 0.35, 0.5])
TRUE_MEANS = np.array([[-3.0, 2.0], [4.0, 2.0], [3.0, 1.0]])
TRUE_COVARIANCES = np.array(
    [
        [[1.0, 0.2], [0.2, 2.0]],
        [[0.8, -1.0], [-1.0, 1.3]],
        [[1.5, 1.4], [1.4, 1.5]],
    ]
)

N_SAMPLES = 1000
DATA_SEED = 3

# Recovery thresholds: with 1000 points the sampling error of a weight is about 0.016 and that of a
# mean coordinate under 0.15, so a correct fit stays well inside these.
MAX_WEIGHT_ERROR = 0.05
MAX_MEAN_ERROR = 0.3


def draw_data(n_samples: int = N_SAMPLES, seed: int = DATA_SEED) -> tuple[Array, NDArray[np.intp]]:
    """Points from the true mixture and the component each was drawn from."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(len(TRUE_WEIGHTS), size=n_samples, p=TRUE_WEIGHTS)
    points = np.empty((n_samples, TRUE_MEANS.shape[1]))
    for k, (mean, covariance) in enumerate(zip(TRUE_MEANS, TRUE_COVARIANCES, strict=True)):
        chosen = labels == k
        points[chosen] = rng.multivariate_normal(mean, covariance, size=int(chosen.sum()))
    return points, labels


def match_components(fitted_means: Array, true_means: Array) -> tuple[int, ...]:
    """The indices ``order`` (distinct) with ``fitted_means[order[k]]`` closest to ``true_means[k]``.

    Mixture components come out in arbitrary order. This tries every ordered choice of
    ``len(true_means)`` fitted components, so it also picks the three that matter out of a
    generous K (8·7·6 = 336 choices: cheap).
    """

    def total_distance(order: tuple[int, ...]) -> float:
        return float(np.linalg.norm(fitted_means[list(order)] - true_means, axis=1).sum())

    choices = itertools.permutations(range(len(fitted_means)), len(true_means))
    return min(choices, key=total_distance)


def format_matrix(matrix: Array) -> str:
    return "[" + ", ".join("[" + ", ".join(f"{v:6.2f}" for v in row) + "]" for row in matrix) + "]"


def format_vector(vector: Array) -> str:
    return "(" + ", ".join(f"{v:6.2f}" for v in vector) + ")"


def print_comparison(weights: Array, means: Array, covariances: Array, drawn_fraction: Array) -> None:
    header = f"{'comp':>4} {'':>9} {'weight':>7} {'drawn':>7}  {'mean':<16}  covariance"
    print(header)
    print("-" * (len(header) + 26))
    for k in range(len(TRUE_WEIGHTS)):
        print(
            f"{k:>4} {'true':>9} {TRUE_WEIGHTS[k]:7.3f} {drawn_fraction[k]:7.3f}  "
            f"{format_vector(TRUE_MEANS[k]):<16}  {format_matrix(TRUE_COVARIANCES[k])}"
        )
        print(
            f"{'':>4} {'recovered':>9} {weights[k]:7.3f} {'':>7}  "
            f"{format_vector(means[k]):<16}  {format_matrix(covariances[k])}"
        )



def covariance_ellipse(mean: Array, covariance: Array, n_sigma: float, n_points: int = 100) -> Array:
    """Points on the ellipse ``(x − mean)ᵀ Σ⁻¹ (x − mean) = n_sigma²``: shape ``(n_points, 2)``."""
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    angle = np.linspace(0.0, 2.0 * np.pi, n_points)
    circle = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return mean + n_sigma * (circle * np.sqrt(eigenvalues)) @ eigenvectors.T
