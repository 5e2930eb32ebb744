"""Small data builders shared by the tests."""

from __future__ import annotations

import warnings

import numpy as np

import mixtures as mx
from mixtures.cli.demo import TRUE_COVARIANCES as SEED_COVARIANCES
from mixtures.cli.demo import TRUE_MEANS as SEED_MEANS
from mixtures.cli.demo import TRUE_WEIGHTS as SEED_WEIGHTS


def seed_data(n_samples: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The seed notebooks' 2-D, 3-component Gaussian mixture."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=n_samples, p=SEED_WEIGHTS)
    factors = np.linalg.cholesky(SEED_COVARIANCES)
    noise = rng.standard_normal((n_samples, 2))
    x = SEED_MEANS[labels] + np.einsum("nij,nj->ni", factors[labels], noise)
    return x, labels


#: Every Gaussian family whose rows the compiled kernels read (``GaussianRows``), by name.
GAUSSIAN_KERNEL_FAMILIES = {
    "full": mx.Gaussian(),
    "diagonal": mx.DiagonalGaussian(),
    "spherical": mx.SphericalGaussian(),
    "tied": mx.TiedGaussian(),
    "tied in pairs": mx.TiedGaussian(group_size=2),
}


#: The built-in families by the names ``family_data`` knows.
FAMILIES = {
    "gaussian": mx.Gaussian,
    "diagonal": mx.DiagonalGaussian,
    "spherical": mx.SphericalGaussian,
    "tied": mx.TiedGaussian,
    "bernoulli": mx.Bernoulli,
    "poisson": mx.Poisson,
    "categorical": mx.Categorical,
    "multinomial": mx.Multinomial,
}


def family_data(name: str, n_samples: int = 300, seed: int = 0) -> np.ndarray:
    """Clustered data from the support of each built-in family (two clear groups)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, size=n_samples)
    if name in ("gaussian", "diagonal", "spherical", "tied"):
        return np.array([[0.0, 0.0, 0.0], [6.0, 6.0, -6.0]])[group] + rng.standard_normal(
            (n_samples, 3)
        )
    if name == "bernoulli":
        probs = np.array([[0.9, 0.9, 0.1, 0.1, 0.5], [0.1, 0.2, 0.9, 0.8, 0.5]])[group]
        return (rng.random(probs.shape) < probs).astype(float)
    if name == "poisson":
        return rng.poisson(np.array([[1.0, 10.0], [12.0, 2.0]])[group]).astype(float)
    if name == "categorical":
        probs = np.array([[[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]], [[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]]])
        cumulative = probs[group].cumsum(-1)
        draws = rng.random((n_samples, 2, 1))
        return (cumulative[..., :-1] < draws).sum(-1).astype(float)
    if name == "multinomial":  # two topics over four words, 10 to 40 words per row
        topics = np.array([[0.6, 0.25, 0.1, 0.05], [0.05, 0.1, 0.25, 0.6]])[group]
        return rng.multinomial(rng.integers(10, 41, size=n_samples), topics).astype(float)
    raise KeyError(name)


class Exponential(mx.ExponentialFamily):
    """Independent exponential features: T(x) = x, η = −λ, A(η) = −Σ log(−η), h = 1 on x ≥ 0."""

    support_bounds = (0.0, np.inf)

    def sufficient_statistics(self, x):  # type: ignore[no-untyped-def]
        return np.asarray(x, dtype=float)

    def log_base_measure(self, x):  # type: ignore[no-untyped-def]
        return np.zeros(x.shape[0])

    def log_partition(self, natural):  # type: ignore[no-untyped-def]
        return -np.log(-natural).sum(1)

    def natural_to_mean(self, natural):  # type: ignore[no-untyped-def]
        return -1.0 / natural

    def mean_to_natural(self, mean):  # type: ignore[no-untyped-def]
        return -1.0 / mean

    def validate(self, x):  # type: ignore[no-untyped-def]
        if np.any(x < 0):
            raise ValueError("Exponential data must be >= 0")

    def sample(self, natural, labels, rng):  # type: ignore[no-untyped-def]
        return rng.exponential(-1.0 / natural[labels])


def quiet(fit, *args, **kwargs):  # type: ignore[no-untyped-def]
    """``fit(*args, **kwargs)`` without the warnings a short or degenerate test fit raises on
    purpose (convergence, an emptied component, an unvisited state)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        warnings.simplefilter("ignore", mx.EmptyComponentWarning)
        warnings.simplefilter("ignore", mx.UnvisitedStateWarning)
        return fit(*args, **kwargs)


#: A three-state, two-feature Gaussian HMM start in hmmlearn's attribute layout: means and unit
#: covariances (per covariance type), for the drop-in tests.
THREE_STATE_MEANS = np.array([[0.5, 0.5], [3.0, 0.5], [0.5, 3.0]])


def unit_covars(covariance_type: str) -> np.ndarray:
    """Unit covariances of three states and two features in hmmlearn's ``covars_`` shape."""
    return {
        "full": np.tile(np.eye(2), (3, 1, 1)),
        "diag": np.ones((3, 2)),
        "spherical": np.ones(3),
        "tied": np.eye(2),
    }[covariance_type]
