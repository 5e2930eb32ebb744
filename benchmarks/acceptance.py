"""Figures the VB issue asks for, printed by one command (the tests assert them):

    python benchmarks/acceptance.py

* K = 10 on three well-separated clusters: the components that keep more than 1% of the data;
* K = 1 with a vague prior: |posterior-predictive score − EM log-likelihood| per row as N grows.
"""

from __future__ import annotations

import numpy as np

import mixtures as mx


def effective_components() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    x = centres[rng.integers(0, 3, size=1500)] + rng.standard_normal((1500, 2))
    for weight_prior in (mx.DirichletWeights(), mx.StickBreaking()):
        model = mx.Mixture(mx.Gaussian(), 10, inference="vb", weight_prior=weight_prior,
                           random_state=0, max_iter=2000, tol=1e-10).fit(x)
        print(f"K=10, {type(weight_prior).__name__}: {model.n_effective_components_} effective; "
              f"weights {np.round(np.sort(model.weights_)[::-1], 4).tolist()}")


def predictive_gap() -> None:
    for n_samples in (30, 300, 3000, 30000):
        x = np.random.default_rng(n_samples).standard_normal((n_samples, 2)) @ [[1.0, 0.4], [0.0, 0.7]]
        vague = mx.NormalWishart(mean_precision=1e-6, dof=2.0, scale=1e6 * np.eye(2))
        vb = mx.Mixture(mx.Gaussian(reg_covar=0.0), 1, inference="vb", prior=vague).fit(x)
        em = mx.Mixture(mx.Gaussian(reg_covar=0.0), 1).fit(x)
        print(f"N={n_samples:>6}: |VB predictive − EM| per row = {abs(vb.score(x) - em.score(x)):.2e}")


if __name__ == "__main__":
    effective_components()
    predictive_gap()
