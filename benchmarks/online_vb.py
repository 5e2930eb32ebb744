"""Stochastic VB against batch VB on a large synthetic Gaussian mixture (the acceptance figures of
``partial_fit``), and online EM against batch EM on the same data:

    python benchmarks/online_vb.py [--rows 500000] [--features 5] [--components 5]
                                   [--batch 5000] [--epochs 2] [--seed 0]

Prints, for each method, the wall time and the objective per row evaluated on all the data (the
ELBO of the posterior for VB, the log-likelihood for EM), and the relative gap of the online fit.
``tests/test_partial_fit.py`` asserts the same (ELBO within 1%) at a size that runs in seconds.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Sequence

import numpy as np

import mixtures as mx
from mixtures.inference.data import ChunkedData
from mixtures.inference.problem import VariationalBayes
from mixtures.latent.mixing import Mixing, VariationalPosterior


def draw(n_rows: int, n_features: int, n_components: int, seed: int) -> np.ndarray:
    """Well-separated Gaussian clusters with random covariances and unequal weights."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=5.0, size=(n_components, n_features))
    factors = rng.normal(scale=0.5, size=(n_components, n_features, n_features)) + np.eye(n_features)
    weights = rng.dirichlet(np.full(n_components, 5.0))
    labels = rng.choice(n_components, size=n_rows, p=weights)
    noise = rng.standard_normal((n_rows, n_features))
    return centres[labels] + np.einsum("nd,nde->ne", noise, factors[labels])


def elbo(model: mx.Mixture, x: np.ndarray) -> float:
    """The ELBO of the model's posterior on all of ``x``."""
    data = ChunkedData(model.family_, x, np.ones(x.shape[0]))
    problem = VariationalBayes(Mixing(), VariationalPosterior(model.prior_, model.weight_prior_))
    return problem.objective(problem.e_step(data, model.posterior_), model.posterior_)


def stream(model: mx.Mixture, x: np.ndarray, batch: int, epochs: int, seed: int) -> float:
    """Feed shuffled batches for ``epochs`` epochs; the wall time."""
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(x.shape[0])
        for start in range(0, x.shape[0], batch):
            model.partial_fit(x[np.sort(order[start : start + batch])])
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--features", type=int, default=5)
    parser.add_argument("--components", type=int, default=5)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    x = draw(args.rows, args.features, args.components, args.seed)
    k = args.components
    print(f"N={args.rows:,}, D={args.features}, K={k}, batches of {args.batch:,}, {args.epochs} epochs")

    # one explicit prior for both: left to its defaults, each fit would resolve it on the rows it
    # sees first (all of them, or the first batch), and the ELBOs would differ by their priors
    d = args.features
    prior = mx.NormalWishart(mean=np.zeros(d), mean_precision=0.01, dof=float(d), scale=np.eye(d) / d)
    settings = dict(inference="vb", prior=prior, random_state=0)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        batch_vb = mx.Mixture(mx.Gaussian(), k, max_iter=1000, tol=1e-10, **settings).fit(x)
    batch_time = time.perf_counter() - started
    svi = mx.Mixture(mx.Gaussian(), k, online=mx.StochasticVB(total_samples=args.rows), **settings)
    svi_time = stream(svi, x, args.batch, args.epochs, args.seed)
    batch_elbo, svi_elbo = elbo(batch_vb, x), elbo(svi, x)
    gap = (svi_elbo - batch_elbo) / abs(batch_elbo)
    row = "{:<14}: {:7.2f} s, {:>4} {:<10} {} = {:.6f}"
    n = args.rows
    print(row.format("batch VB", batch_time, batch_vb.n_iter_, "iterations", "ELBO/N", batch_elbo / n))
    print(row.format("stochastic VB", svi_time, svi.n_iter_, "steps", "ELBO/N", svi_elbo / n))
    print(f"relative ELBO gap (SVI − batch) / |batch| = {gap:+.2e}  (acceptance: within ±1e-2)")

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        batch_em = mx.Mixture(mx.Gaussian(), k, random_state=0, max_iter=1000, tol=1e-8).fit(x)
    em_time = time.perf_counter() - started
    online_em = mx.Mixture(mx.Gaussian(), k, random_state=0, online=mx.StepwiseEM())
    online_time = stream(online_em, x, args.batch, args.epochs, args.seed)
    em_score, online_score = batch_em.score(x), online_em.score(x)
    print(row.format("batch EM", em_time, batch_em.n_iter_, "iterations", "log-lik/N", em_score))
    print(row.format("stepwise EM", online_time, online_em.n_iter_, "steps", "log-lik/N", online_score))
    print(f"relative log-likelihood gap = {(online_score - em_score) / abs(em_score):+.2e}")
    return 0 if abs(gap) < 0.01 else 1


if __name__ == "__main__":
    raise SystemExit(main())
