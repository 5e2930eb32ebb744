"""Covariance error of a component far from the data centre: statistics about one origin against
statistics gathered about each component's own point.

    python benchmarks/far_components.py

For two unit clusters ``d`` apart, and for a unit cluster plus one outlier at ``d``, in a random
direction in 2-D: the M-step from the true (hard) responsibilities, once from the statistics of
one product about the data-wide origin (the former path) and once after ``regathered`` (the
current path), against a two-pass computation about each component's own mean. The figure is the
largest relative error of a covariance entry over the components (``refused``: the M-step raised
``DegenerateComponentError``). The ridge is stated in the data's units (``feature_scale=1``):
``reg_covar=0`` for the two clusters, scikit-learn's 1e-6 for the outlier (a single point needs one).
"""

from __future__ import annotations

import numpy as np

import mixtures as mx
from mixtures.families.statistics import SufficientStatistics

FAMILIES = {
    "full": mx.Gaussian,
    "diag": mx.DiagonalGaussian,
    "spherical": mx.SphericalGaussian,
    "tied": mx.TiedGaussian,
}


def data(case: str, distance: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    direction = rng.normal(size=2)
    direction /= np.linalg.norm(direction)
    n_far = 500 if case == "two clusters" else 1
    x = np.vstack([rng.normal(size=(500, 2)), distance * direction + rng.normal(size=(n_far, 2))])
    return x, np.repeat([0, 1], [500, n_far])


def two_pass(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each group's covariance about its own mean, ``(2, D, D)``."""
    out = []
    for k in (0, 1):
        rows = x[labels == k]
        centred = rows - rows.mean(0)
        out.append(centred.T @ centred / len(rows))
    return np.array(out)


def fitted_covariances(family, natural: np.ndarray, n_features: int) -> np.ndarray:
    """``(2, D, D)`` in the data's units, whatever the covariance type."""
    covariances = family.data_covariance(family.standard_covariances(natural))
    return covariances.reshape(-1, n_features, n_features)


def expected(name: str, x: np.ndarray, labels: np.ndarray, reg_covar: float) -> np.ndarray:
    exact = two_pass(x, labels)
    n_features = x.shape[1]
    if name == "tied":
        counts = np.bincount(labels)
        exact = np.repeat((np.einsum("k,kij->ij", counts, exact) / counts.sum())[None], 2, axis=0)
    elif name == "diag":
        exact = np.array([np.diag(np.diag(c)) for c in exact])
    elif name == "spherical":
        exact = np.array([np.trace(c) / n_features * np.eye(n_features) for c in exact])
    return exact + reg_covar * np.eye(n_features)


def error(name: str, case: str, distance: float, regather: bool, seed: int = 0) -> str:
    x, labels = data(case, distance, np.random.default_rng(seed))
    reg_covar = 0.0 if case == "two clusters" else 1e-6
    family = FAMILIES[name](feature_scale=1.0, reg_covar=reg_covar).for_data(x, np.ones(len(x)))
    responsibilities = np.eye(2)[labels]
    statistics = SufficientStatistics(
        responsibilities.sum(0), responsibilities.T @ family.sufficient_statistics(x)
    )
    if regather:
        statistics = family.regathered(statistics, x, responsibilities)
    try:
        natural = family.maximum_likelihood(statistics)
    except mx.DegenerateComponentError:
        return "refused"
    got = fitted_covariances(family, natural, x.shape[1])
    want = expected(name, x, labels, reg_covar)
    worst = max(float(np.abs(g - w).max() / np.abs(w).max()) for g, w in zip(got, want, strict=True))
    return f"{worst:.1e}"


def main() -> None:
    distances = [10.0**a for a in range(1, 9)]
    for case in ("two clusters", "cluster + outlier"):
        print(f"\n{case}: largest relative covariance error (one origin → own points)\n")
        print("| distance | " + " | ".join(FAMILIES) + " |")
        print("|---:|" + "---:|" * len(FAMILIES))
        for distance in distances:
            cells = [
                f"{error(name, case, distance, False)} → {error(name, case, distance, True)}"
                for name in FAMILIES
            ]
            print(f"| {distance:.0e} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
