"""Time per EM and VB iteration, this library against scikit-learn's GaussianMixture and
BayesianGaussianMixture, and a whole Baum-Welch iteration against hmmlearn's GaussianHMM, in one run.

    python benchmarks/bench_em.py [--repeats 5] [--iterations 10]

Each fit runs a fixed number of iterations (tol=0) from the same kind of initialisation; the
per-iteration time is (time of a fit with 1 + n iterations − time with 1) / n, so set-up and
initialisation cancel. Reported: median over repeats, and the ratio ours / theirs.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np

import mixtures as mx

WORKLOADS = [  # (name, n_samples, n_features, n_components, our family, sklearn type, inference)
    ("GMM full", 200_000, 10, 8, mx.Gaussian, "full", "em"),
    ("GMM diag", 200_000, 10, 8, mx.DiagonalGaussian, "diag", "em"),
    ("GMM spherical", 200_000, 10, 8, mx.SphericalGaussian, "spherical", "em"),
    ("GMM tied", 200_000, 10, 8, mx.TiedGaussian, "tied", "em"),
    ("BGMM full (VB)", 200_000, 10, 8, mx.Gaussian, "full", "vb"),
    ("BGMM tied (VB)", 200_000, 10, 8, mx.TiedGaussian, "tied", "vb"),
]
HMM_WORKLOADS = [  # (name, sequence length, n_features, n_states, our family, hmmlearn type)
    ("HMM full (EM)", 100_000, 5, 8, mx.Gaussian, "full"),
    ("HMM diag (EM)", 100_000, 5, 8, mx.DiagonalGaussian, "diag"),
]


def clustered_data(n_samples: int, n_features: int, n_components: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 4.0, size=(n_components, n_features))
    labels = rng.integers(0, n_components, size=n_samples)
    return centres[labels] + rng.standard_normal((n_samples, n_features))


def regime_data(n_steps: int, n_features: int, n_states: int, seed: int = 0) -> np.ndarray:
    """One sticky chain (a state change every ~50 steps) of Gaussian emissions."""
    rng = np.random.default_rng(seed)
    states = np.cumsum(rng.random(n_steps) < 0.02) % n_states
    return 3.0 * rng.normal(size=(n_states, n_features))[states] + rng.standard_normal((n_steps, n_features))


def per_iteration(fit: Callable[[int], object], iterations: int, repeats: int) -> float:
    """Median seconds per iteration of ``fit(max_iter)``, with set-up cost subtracted."""
    samples = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(1)  # warm caches, BLAS threads, page faults
        for _ in range(repeats):
            start = time.perf_counter()
            fit(1)
            base = time.perf_counter() - start
            start = time.perf_counter()
            fit(1 + iterations)
            samples.append((time.perf_counter() - start - base) / iterations)
    return float(np.median(samples))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=10)
    args = parser.parse_args(argv)
    from sklearn.mixture import BayesianGaussianMixture, GaussianMixture

    print(f"{'workload':<16}{'N':>9}{'D':>4}{'K':>4}{'ours ms/it':>13}{'sklearn ms/it':>15}{'ratio':>8}")
    for name, n, d, k, family, covariance_type, inference in WORKLOADS:
        x = clustered_data(n, d, k)
        peer = GaussianMixture if inference == "em" else BayesianGaussianMixture

        def ours(max_iter: int, family=family, k=k, x=x, inference=inference) -> object:
            return mx.Mixture(family(), k, inference=inference, init="random", max_iter=max_iter,
                              tol=0.0, random_state=0).fit(x)

        def theirs(max_iter: int, covariance_type=covariance_type, k=k, x=x, peer=peer) -> object:
            return peer(n_components=k, covariance_type=covariance_type, init_params="random",
                        max_iter=max_iter, tol=0.0, random_state=0).fit(x)

        mine = per_iteration(ours, args.iterations, args.repeats)
        other = per_iteration(theirs, args.iterations, args.repeats)
        print(f"{name:<16}{n:>9}{d:>4}{k:>4}{1e3 * mine:>13.1f}{1e3 * other:>15.1f}"
              f"{mine / other:>8.3f}")

    from hmmlearn.hmm import GaussianHMM

    print(f"{'workload':<16}{'T':>9}{'D':>4}{'K':>4}{'ours ms/it':>13}{'hmmlearn ms/it':>15}{'ratio':>8}")
    for name, n, d, k, family, covariance_type in HMM_WORKLOADS:
        x = regime_data(n, d, k)

        def our_chain(max_iter: int, family=family, k=k, x=x) -> object:
            return mx.HMM(family(), k, init="random", max_iter=max_iter, tol=0.0, random_state=0).fit(x)

        def their_chain(max_iter: int, covariance_type=covariance_type, k=k, x=x) -> object:
            return GaussianHMM(k, covariance_type=covariance_type, n_iter=max_iter, tol=0.0,
                               random_state=0, init_params="stmc").fit(x)

        mine = per_iteration(our_chain, args.iterations, args.repeats)
        other = per_iteration(their_chain, args.iterations, args.repeats)
        print(f"{name:<16}{n:>9}{d:>4}{k:>4}{1e3 * mine:>13.1f}{1e3 * other:>15.1f}"
              f"{mine / other:>8.3f}")


if __name__ == "__main__":
    main()
