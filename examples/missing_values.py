"""Missing values on real data: marginalise them, or impute first and then fit?

The iris data of scikit-learn (150 flowers, 4 measurements, three species) lose entries in two
ways:

* **completely at random (MCAR):** 25% of the entries, each with the same chance;
* **not at random (MNAR):** long petals are more often unmeasured: each petal length above the
  column's median is missing with probability 0.6, plus 10% of the other entries at random.

Each damaged copy is fitted three ways by a 3-component full-covariance Gaussian mixture (ten
restarts):

1. **ours:** ``Mixture(Gaussian(), 3, missing="marginalize")``: each row's likelihood is the
   marginal of its observed entries, and EM takes the expected statistics of the missing ones;
   also with a weak ``NormalWishart()`` prior (MAP-EM), which 75 training rows need;
2. **mean imputation,** then a fit on the completed table;
3. **iterative imputation** (scikit-learn's ``IterativeImputer``), then scikit-learn's
   ``GaussianMixture``.

The score of each: the ARI of its clusters against the species, on the damaged rows (the two
imputing fits cluster their completed rows), and the held-out log-likelihood of the observed
entries of fresh damaged rows, per row, over two folds (each fit's parameters scored by the
marginal density of what is observed, the quantity the fits are after). The script exits with an
error when, under MCAR, marginalising loses to mean imputation on either score.

What it shows on iris (ARI / held-out log-likelihood per row):

* MCAR: marginalised 0.80 / −2.09 (MAP 0.73 / −2.04), mean imputation 0.29 / −2.41, iterative
  imputation 0.86 / −1.99. Mean imputation wrecks the clusters; the iterative imputer does well
  on these strongly correlated measurements, and scores held-out rows slightly better: the
  maximum-likelihood fit of 42 parameters to 75 incomplete rows overfits (its training rows
  score −0.94 per row against the imputer fit's −1.34), which the prior narrows.
* MNAR: marginalised 0.80 / −2.59 (MAP 0.55 / −1.98), mean imputation 0.49 / −2.34, iterative
  imputation 0.58 / −2.01. Marginalising keeps the clusters best, but no method here models why
  the long petals are missing: all assume missing at random, and the held-out scores show it.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

import mixtures as mx

N_INIT = 10
FITS = ("marginalised", "marginalised, MAP", "mean imputation", "iterative imputation")
Array = NDArray[np.float64]


def damaged(x: Array, kind: str, seed: int = 0) -> Array:
    """``x`` with entries removed completely at random, or long petals removed more often."""
    rng = np.random.default_rng(seed)
    if kind == "MCAR":
        gone = rng.random(x.shape) < 0.25
    else:
        gone = rng.random(x.shape) < 0.10
        long_petal = x[:, 2] > np.median(x[:, 2])
        gone[:, 2] |= long_petal & (rng.random(x.shape[0]) < 0.6)
    gone[gone.all(1), 0] = False  # every flower keeps one measurement
    out = x.copy()
    out[gone] = np.nan
    return out


def fit_marginalised(x: Array, prior: Any = None) -> mx.Mixture:
    return mx.Mixture(
        mx.Gaussian(), 3, n_init=N_INIT, random_state=0, missing="marginalize", prior=prior
    ).fit(x)


def fit_mean_imputed(x: Array) -> tuple[mx.Mixture, Array]:
    completed = np.where(np.isnan(x), np.nanmean(x, axis=0), x)
    return mx.Mixture(mx.Gaussian(), 3, n_init=N_INIT, random_state=0).fit(completed), completed


def fit_iteratively_imputed(x: Array) -> tuple[Any, Array]:
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer
    from sklearn.mixture import GaussianMixture

    completed = IterativeImputer(random_state=0, max_iter=25).fit_transform(x)
    model = GaussianMixture(3, covariance_type="full", n_init=N_INIT, random_state=0).fit(completed)
    return model, completed


def as_marginal(weights: Array, means: Array, covariances: Array, x: Array) -> mx.Mixture:
    """A model with these parameters that scores rows by the marginal of their observed entries."""
    family = mx.Gaussian(feature_scale=1.0)
    start = (weights, family.components_from(means, covariances))
    return mx.Mixture(family, 3, init=start, max_iter=0, missing="marginalize").fit(x)


def compare(x: Array, species: NDArray[np.intp], kind: str) -> dict[str, tuple[float, float]]:
    """ARI on the damaged rows and held-out observed log-likelihood per row (two folds)."""
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(1)
    fold = rng.permutation(x.shape[0]) % 2
    held_out: dict[str, list[float]] = {name: [] for name in FITS}
    for k in (0, 1):
        train, test = damaged(x[fold != k], kind, seed=k), damaged(x[fold == k], kind, seed=10 + k)
        ours = fit_marginalised(train)
        mean_model, _ = fit_mean_imputed(train)
        iterative, _ = fit_iteratively_imputed(train)
        scored = {
            "marginalised": ours,
            "marginalised, MAP": fit_marginalised(train, mx.NormalWishart()),
            "mean imputation": as_marginal(mean_model.weights_, mean_model.components_.mean,
                                           mean_model.components_.covariance, train),
            "iterative imputation": as_marginal(iterative.weights_, iterative.means_,
                                                iterative.covariances_, train),
        }
        for name, model in scored.items():
            held_out[name].append(model.score(test))
    whole = damaged(x, kind, seed=5)
    ours = fit_marginalised(whole)
    mean_model, mean_completed = fit_mean_imputed(whole)
    iterative, iterative_completed = fit_iteratively_imputed(whole)
    aris = {
        "marginalised": adjusted_rand_score(species, ours.predict(whole)),
        "marginalised, MAP": adjusted_rand_score(
            species, fit_marginalised(whole, mx.NormalWishart()).predict(whole)
        ),
        "mean imputation": adjusted_rand_score(species, mean_model.predict(mean_completed)),
        "iterative imputation": adjusted_rand_score(species, iterative.predict(iterative_completed)),
    }
    return {name: (aris[name], float(np.mean(held_out[name]))) for name in aris}


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    from sklearn.datasets import load_iris

    x, species = load_iris(return_X_y=True)
    complete = mx.Mixture(mx.Gaussian(), 3, n_init=N_INIT, random_state=0).fit(x)
    from sklearn.metrics import adjusted_rand_score

    print(f"iris, nothing missing: ARI {adjusted_rand_score(species, complete.predict(x)):.3f}")
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind in ("MCAR", "MNAR"):
            results[kind] = compare(x, species, kind)
    print(f"{'missing':8} {'fit':22} {'ARI':>6} {'held-out log-lik / row':>24}")
    for kind, rows in results.items():
        for name, (ari, log_likelihood) in rows.items():
            print(f"{kind:8} {name:22} {ari:6.3f} {log_likelihood:24.3f}")
    ours, baseline = results["MCAR"]["marginalised"], results["MCAR"]["mean imputation"]
    if not (ours[0] > baseline[0] and ours[1] > baseline[1]):
        print("MCAR: marginalising lost to mean imputation", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
