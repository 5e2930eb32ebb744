"""Clustering mixed data: continuous, binary, count and categorical columns in one mixture.

Simulated customers in three segments, each described by 3 continuous measurements, 4 yes/no
flags, 2 counts and 1 categorical choice. ``mx.Independent`` combines a family per column group
into one family, so ``Mixture`` (EM or VB) fits all columns together. Prints the recovered
parameters of each part next to the truth and raises if recovery is poor.

Run ``python examples/mixed_data.py``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence

import numpy as np

import mixtures as mx

WEIGHTS = np.array([0.5, 0.3, 0.2])
MEANS = np.array([[0.0, 0.0, 0.0], [3.0, -2.0, 1.0], [-2.0, 3.0, 4.0]])  # continuous, unit variance
FLAGS = np.array([[0.9, 0.1, 0.5, 0.2], [0.1, 0.8, 0.5, 0.7], [0.5, 0.5, 0.9, 0.1]])  # P(yes)
RATES = np.array([[1.0, 8.0], [6.0, 2.0], [12.0, 12.0]])  # expected counts
CHOICES = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])  # one categorical column


def simulate(n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.choice(3, size=n_samples, p=WEIGHTS)
    continuous = MEANS[labels] + rng.standard_normal((n_samples, 3))
    flags = (rng.random((n_samples, 4)) < FLAGS[labels]).astype(float)
    counts = rng.poisson(RATES[labels]).astype(float)
    choice = (CHOICES[labels].cumsum(1) < rng.random((n_samples, 1))).sum(1, keepdims=True)
    return np.hstack([continuous, flags, counts, choice.astype(float)]), labels


FAMILY = mx.Independent(
    (mx.DiagonalGaussian(), [0, 1, 2]),
    (mx.Bernoulli(), slice(3, 7)),
    (mx.Poisson(), [7, 8]),
    (mx.Categorical(), [9]),
)


def report(model: mx.Mixture, name: str) -> float:
    """Print each part's parameters against the truth; return the largest relative error."""
    parts = model.components_.parts
    order = min(  # the permutation that best matches the continuous means
        itertools.permutations(range(3)),
        key=lambda p: np.abs(parts[0].mean[list(p)] - MEANS).sum(),
    )
    order = list(order)
    errors = {
        "weights": np.abs(model.weights_[order] - WEIGHTS).max(),
        "means": np.abs(parts[0].mean[order] - MEANS).max(),
        "flags": np.abs(parts[1].probs[order] - FLAGS).max(),
        "rates": np.abs(parts[2].rate[order] / RATES - 1).max(),
        "choices": np.abs(parts[3].probs[order][:, 0, :] - CHOICES).max(),
    }
    print(f"{name}: converged {model.converged_} after {model.n_iter_} iterations")
    print("  weights ", np.round(model.weights_[order], 3), " truth", WEIGHTS)
    print("  means   ", np.round(parts[0].mean[order], 2).tolist())
    print("  P(flag) ", np.round(parts[1].probs[order], 2).tolist())
    print("  rates   ", np.round(parts[2].rate[order], 2).tolist())
    print("  choices ", np.round(parts[3].probs[order][:, 0, :], 2).tolist())
    print("  largest errors:", {key: round(float(value), 3) for key, value in errors.items()})
    return max(errors["weights"], errors["means"] / 3, errors["flags"], errors["rates"], errors["choices"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    rng = np.random.default_rng(parser.parse_args(argv).seed)
    x, _ = simulate(4000, rng)
    # one family over all columns: its log-density is the sum of the parts' log-densities
    em = mx.Mixture(FAMILY, 3, n_init=3, random_state=0, tol=1e-6, max_iter=500).fit(x)
    vb = mx.Mixture(FAMILY, 3, inference="vb", n_init=3, random_state=0, max_iter=500).fit(x)
    worst = max(report(em, "EM"), report(vb, "VB"))
    if worst > 0.1:
        raise AssertionError(f"mixed-data recovery poor: largest (scaled) error {worst:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
