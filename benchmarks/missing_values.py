"""Missing values, measured: marginalising them against imputing first, on synthetic data whose
truth is known (the acceptance table of docs/missing.md).

* Mixture: three full-covariance Gaussian clusters in 3-D (3,000 training and 3,000 held-out
  rows), 20% of the entries missing completely at random.
* HMM: three sticky states in 3-D, 3,000 steps, 10% of the steps wholly missing and 10% partly.

Each is fitted by ``missing="marginalize"``, by a fit after mean imputation, and by a fit after
scikit-learn's ``IterativeImputer``. Reported: the largest error of the fitted means and
covariances against the complete-data fit, the held-out log-likelihood of the observed entries
per row (each fit's parameters scored by the marginal density of what is observed) and the ARI
of the clusters or decoded states. Run ``python benchmarks/missing_values.py``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

import mixtures as mx

Array = NDArray[np.float64]
MEANS = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [0.0, 5.0, 5.0]])
COVARIANCE = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]])


def clusters(n_rows: int, seed: int) -> tuple[Array, NDArray[np.intp]]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n_rows)
    return MEANS[labels] + rng.normal(size=(n_rows, 3)) @ np.linalg.cholesky(COVARIANCE).T, labels


def regimes(n_steps: int, seed: int) -> tuple[Array, NDArray[np.intp]]:
    rng = np.random.default_rng(seed)
    states = np.repeat(rng.integers(0, 3, n_steps // 50), 50)
    return MEANS[states] + rng.normal(size=(states.size, 3)) @ np.linalg.cholesky(COVARIANCE).T, states


def at_random(x: Array, share: float, seed: int) -> Array:
    out = x.copy()
    out[np.random.default_rng(seed).random(x.shape) < share] = np.nan
    return out


def steps_missing(x: Array, seed: int) -> Array:
    rng = np.random.default_rng(seed)
    out = x.copy()
    gone = rng.random(x.shape[0]) < 0.1
    partly = ~gone & (rng.random(x.shape[0]) < 0.1)
    out[gone] = np.nan
    out[np.flatnonzero(partly), rng.integers(0, 3, partly.sum())] = np.nan
    return out


def mean_imputed(x: Array) -> Array:
    return np.where(np.isnan(x), np.nanmean(x, axis=0), x)


def iteratively_imputed(x: Array) -> Array:
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    return IterativeImputer(random_state=0, max_iter=25).fit_transform(x)


def matched(model: Any, reference: Any) -> NDArray[np.intp]:
    """The order of ``model``'s components that best matches ``reference``'s means."""
    from itertools import permutations

    return np.array(min(
        permutations(range(3)),
        key=lambda p: np.abs(model.components_.mean[list(p)] - reference.components_.mean).sum(),
    ))


def report(name: str, model: Any, reference: Any, score: float, ari: float) -> None:
    order = matched(model, reference)
    mean_error = np.abs(model.components_.mean[order] - reference.components_.mean).max()
    covariance_error = np.abs(model.components_.covariance[order] - reference.components_.covariance).max()
    print(f"  {name:22} {mean_error:10.3f} {covariance_error:12.3f} {score:14.3f} {ari:7.3f}")


def as_marginal(model_type: type, model: Any, x: Array, **fit: Any) -> Any:
    """``model``'s parameters in a model that scores rows by their observed entries."""
    family = mx.Gaussian(feature_scale=1.0)
    components = family.components_from(model.components_.mean, model.components_.covariance)
    if model_type is mx.HMM:
        start = (model.startprob_, model.transmat_, components)
    else:
        start = (model.weights_, components)
    return model_type(family, 3, init=start, max_iter=0, missing="marginalize").fit(x, **fit)


def mixture_table() -> None:
    from sklearn.metrics import adjusted_rand_score

    x, _ = clusters(3000, 0)
    test, test_labels = clusters(3000, 5)
    train_missing, test_missing = at_random(x, 0.2, 1), at_random(test, 0.2, 6)
    settings = {"n_init": 3, "random_state": 0}
    reference = mx.Mixture(mx.Gaussian(), 3, **settings).fit(x)
    print("Mixture, 3 clusters, 20% of entries missing completely at random")
    print(f"  {'fit':22} {'mean error':>10} {'cov. error':>12} {'held-out ll/row':>14} {'ARI':>7}")
    ours = mx.Mixture(mx.Gaussian(), 3, missing="marginalize", **settings).fit(train_missing)
    report("marginalised", ours, reference, ours.score(test_missing),
           adjusted_rand_score(test_labels, ours.predict(test_missing)))
    for name, impute in (("mean imputation", mean_imputed), ("iterative imputation", iteratively_imputed)):
        model = mx.Mixture(mx.Gaussian(), 3, **settings).fit(impute(train_missing))
        scored = as_marginal(mx.Mixture, model, train_missing)
        report(name, model, reference, scored.score(test_missing),
               adjusted_rand_score(test_labels, model.predict(impute(test_missing))))


def hmm_table() -> None:
    from sklearn.metrics import adjusted_rand_score

    x, _ = regimes(3000, 0)
    test, test_states = regimes(3000, 5)
    train_missing, test_missing = steps_missing(x, 1), steps_missing(test, 6)
    settings = {"n_init": 3, "random_state": 0}
    reference = mx.HMM(mx.Gaussian(), 3, **settings).fit(x)
    print("HMM, 3 states, 10% of steps wholly missing and 10% partly")
    print(f"  {'fit':22} {'mean error':>10} {'cov. error':>12} {'held-out ll/row':>14} {'ARI':>7}")
    ours = mx.HMM(mx.Gaussian(), 3, missing="marginalize", **settings).fit(train_missing)
    n_rows = test_missing.shape[0]  # an HMM's score is the total over the sequence
    report("marginalised", ours, reference, ours.score(test_missing) / n_rows,
           adjusted_rand_score(test_states, ours.predict(test_missing)))
    for name, impute in (("mean imputation", mean_imputed), ("iterative imputation", iteratively_imputed)):
        model = mx.HMM(mx.Gaussian(), 3, **settings).fit(impute(train_missing))
        scored = as_marginal(mx.HMM, model, train_missing)
        report(name, model, reference, scored.score(test_missing) / n_rows,
               adjusted_rand_score(test_states, model.predict(impute(test_missing))))


def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mixture_table()
        hmm_table()


if __name__ == "__main__":
    main()
