"""Your own component family: a mixture of exponential distributions.

``mixtures`` fits a mixture of any exponential family ``p(x | η) = h(x) exp(⟨η, T(x)⟩ − A(η))``. A new
family is a subclass of ``mx.ExponentialFamily`` with five small methods on flat arrays; EM, restarts,
chunking, sample weights, ``predict``, ``score``, ``bic`` and the rest come from the library.

Here the family is the exponential distribution with rate λ > 0 on x ≥ 0, one independent rate per
feature:

    p(x | λ) = λ e^{−λx}     T(x) = x,  η = −λ,  A(η) = −log(−η),  h(x) = 1 on x ≥ 0
    mean parameter μ = ∇A(η) = −1/η = 1/λ  (the expected value of x)

The script checks the primitives against each other and against ``scipy.stats``, then fits a
two-component mixture to data drawn from two known exponentials and prints the recovered rates.
Run it with ``python examples/custom_family.py``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence

import numpy as np
import scipy.stats
from numpy.typing import NDArray

import mixtures as mx
from mixtures.testing import check_family

Array = NDArray[np.float64]


class ExponentialComponents(mx.Components):
    """Fitted components of ``Exponential``, with the conventional parameter by name."""

    @property
    def rate(self) -> Array:
        """Rate λ of each feature under each component: ``(K, D)``."""
        return -self.natural


class Exponential(mx.ExponentialFamily):
    """Independent exponential features, ``p(x | λ) = Π_d λ_d exp(−λ_d x_d)`` for ``x ≥ 0``.

    The statistics are the features themselves, so ``S = D``: one natural parameter per feature.
    """

    components_type = ExponentialComponents
    # h(x) = 1 does not vanish below zero, so say where the density lives: check_family integrates
    # over this interval when it checks that the density normalises
    support_bounds = (0.0, np.inf)

    def __init__(self, min_mean: float = 1e-12) -> None:
        # A component that only ever sees zeros would have mean 0 and rate ∞; the floor keeps it finite.
        self.min_mean = min_mean

    def __repr__(self) -> str:
        return f"Exponential(min_mean={self.min_mean!r})"

    # ---- the five primitives --------------------------------------------------------------------
    def sufficient_statistics(self, x: Array) -> Array:
        return x  # T(x) = x: (N, D)

    def log_base_measure(self, x: Array) -> Array:
        return np.zeros(x.shape[0])  # h(x) = 1 on the support (validate() rejects the rest)

    def log_partition(self, natural: Array) -> Array:
        return -np.log(-natural).sum(axis=1)  # A(η) = Σ_d −log(−η_d): (K,)

    def natural_to_mean(self, natural: Array) -> Array:
        return -1.0 / natural  # μ = 1/λ

    def mean_to_natural(self, mean: Array) -> Array:
        return -1.0 / mean  # η = −λ = −1/μ

    # ---- optional hooks ---------------------------------------------------------------------------
    def validate(self, x: Array) -> None:
        negative = x < 0
        if negative.any():
            row, column = np.argwhere(negative)[0]
            raise ValueError(f"Exponential data must be >= 0; X[{row}, {column}] = {x[row, column]!r}")

    def regularize_mean(self, mean: Array) -> Array:
        return np.maximum(mean, self.min_mean)

    def sample(self, natural: Array, labels: NDArray[np.intp], rng: np.random.Generator) -> Array:
        return rng.exponential(scale=self.natural_to_mean(natural)[labels])

    # ---- a convenience, as the built-in families have ---------------------------------------------
    def components_from(self, rate: Array) -> ExponentialComponents:
        """Components from positive rates ``rate`` of shape ``(K, D)``."""
        rate = np.asarray(rate, dtype=np.float64)
        if rate.ndim != 2 or not np.all(rate > 0):
            raise ValueError(f"rate must be a positive (K, D) array; got {rate!r}")
        return ExponentialComponents(family=self, natural=-rate)


def check_primitives(family: Exponential, rng: np.random.Generator) -> None:
    """Cheap consistency checks worth running on any new family before fitting with it."""
    rate = rng.uniform(0.2, 5.0, size=(3, 2))
    natural = -rate

    round_trip = family.mean_to_natural(family.natural_to_mean(natural))
    assert np.allclose(round_trip, natural), "mean_to_natural does not invert natural_to_mean"

    # ∇A(η) by central differences must equal natural_to_mean(η)
    step = 1e-6
    gradient = np.empty_like(natural)
    for s in range(natural.shape[1]):
        shift = np.zeros_like(natural)
        shift[:, s] = step
        above, below = family.log_partition(natural + shift), family.log_partition(natural - shift)
        gradient[:, s] = (above - below) / (2 * step)
    assert np.allclose(gradient, family.natural_to_mean(natural), rtol=1e-5), "∇A ≠ natural_to_mean"

    # the density assembled by the library from the primitives must be the textbook one
    x = rng.exponential(size=(50, 2))
    ours = family.log_likelihood(x, natural)  # (N, K)
    reference = scipy.stats.expon.logpdf(x[:, None, :], scale=1.0 / rate[None, :, :]).sum(axis=2)
    assert np.allclose(ours, reference), "log-density disagrees with scipy.stats.expon"
    print("primitives check: round trip, ∇A = natural_to_mean, density = scipy.stats.expon  ok")


TRUE_WEIGHTS = np.array([0.3, 0.7])
TRUE_RATES = np.array([[0.5, 4.0], [5.0, 0.25]])
N_SAMPLES = 5000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7, help="seed for drawing the data")
    rng = np.random.default_rng(parser.parse_args(argv).seed)
    family = Exponential()
    check_primitives(family, rng)

    # data from the true mixture, drawn through the family's own sample()
    truth = family.components_from(TRUE_RATES)
    true_labels = rng.choice(len(TRUE_WEIGHTS), size=N_SAMPLES, p=TRUE_WEIGHTS)
    data = family.sample(truth.natural, true_labels, rng)

    model = mx.Mixture(family, 2, n_init=3, tol=1e-6, max_iter=500, random_state=0).fit(data)

    fitted_rates = model.components_.rate
    order = min(
        itertools.permutations(range(2)),
        key=lambda perm: np.abs(np.log(fitted_rates[list(perm)] / TRUE_RATES)).sum(),
    )
    print(f"fitted {model!r}")
    print(
        f"converged: {model.converged_} after {model.n_iter_} iterations, "
        f"mean log-likelihood {model.lower_bound_:.4f}"
    )
    print()
    print(f"{'comp':>4}  {'true weight':>11}  {'fitted':>6}  {'true rates':>14}  {'fitted rates':>14}")
    for k, fitted_k in enumerate(order):
        print(
            f"{k:>4}  {TRUE_WEIGHTS[k]:11.3f}  {model.weights_[fitted_k]:6.3f}  "
            f"{np.array2string(TRUE_RATES[k], precision=2):>14}  "
            f"{np.array2string(fitted_rates[fitted_k], precision=2):>14}"
        )

    accuracy = np.mean(np.asarray(order)[true_labels] == model.predict(data))
    print()
    print(f"points assigned to the component they came from: {accuracy:.1%}")
    print(
        f"BIC {model.bic(data):.1f}; one component alone: "
        f"{mx.Mixture(family, 1).fit(data).bic(data):.1f} (lower is better)"
    )

    relative_error = np.abs(fitted_rates[list(order)] / TRUE_RATES - 1).max()
    if relative_error > 0.15:
        raise AssertionError(f"rates recovered poorly: relative error {relative_error:.2f}")

    # the same family as the emissions of a hidden Markov chain: nothing more to write
    print()
    sticky = np.array([[0.95, 0.05], [0.1, 0.9]])
    states = np.empty(N_SAMPLES, dtype=int)
    states[0] = 0
    for t in range(1, N_SAMPLES):
        states[t] = rng.choice(2, p=sticky[states[t - 1]])
    chain_data = family.sample(truth.natural, states, rng)
    chain = mx.HMM(family, 2, n_init=3, random_state=0, max_iter=300).fit(chain_data)
    chain_order = np.argsort(np.argsort(chain.components_.rate[:, 0]))  # fitted -> true index
    print(f"HMM: fitted rates {np.array2string(np.sort(chain.components_.rate, axis=0), precision=2)}")
    print(f"HMM: transition matrix {np.array2string(chain.transmat_, precision=3)}")
    decoded = np.mean(chain_order[chain.predict(chain_data)] == states)
    print(f"HMM: Viterbi path matches the true states at {decoded:.1%} of the steps")
    if decoded < 0.9:
        raise AssertionError(f"HMM decoding poor: {decoded:.1%}")

    # the property suite from mixtures.testing: gradient, round trip, normalisation, sample
    # moments, additive statistics, moment matching, monotone EM (one feature, data as example)
    check_family(Exponential(), data[:, :1], max_examples=20)
    print("check_family(Exponential(), data): every property holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
