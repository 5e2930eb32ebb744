"""The seed example's data and helpers, shared by ``seed_em.py`` and ``seed_vb.py``.

The seed notebooks fit 1000 points drawn from a known 2-D mixture of three Gaussians; both
examples draw exactly these points, line fitted components up with the true ones and print the
comparison with the functions here.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

# The seed mixture and its 1000 points are the package's own (the `mixtures demo` data).
from mixtures.cli.demo import DATA_SEED, N_SAMPLES, TRUE_COVARIANCES, TRUE_MEANS, TRUE_WEIGHTS
from mixtures.cli.demo import seed_data as draw_data

Array = NDArray[np.float64]

__all__ = [
    "DATA_SEED",
    "MAX_MEAN_ERROR",
    "MAX_WEIGHT_ERROR",
    "N_SAMPLES",
    "TRUE_COVARIANCES",
    "TRUE_MEANS",
    "TRUE_WEIGHTS",
    "draw_data",
    "format_matrix",
    "format_vector",
    "match_components",
    "print_comparison",
]

# Recovery thresholds: with 1000 points the sampling error of a weight is about 0.016 and that of a
# mean coordinate under 0.15, so a correct fit stays well inside these.
MAX_WEIGHT_ERROR = 0.05
MAX_MEAN_ERROR = 0.3


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
