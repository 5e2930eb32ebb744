"""The seed example, Bayesian: variational Bayes for a 2-D mixture of three Gaussians.

Draws the same 1000 points as ``examples/seed_em.py`` (same mixture, same generator and seed) and
fits them by mean-field variational Bayes, ``mx.Mixture(mx.Gaussian(), K, inference="vb")``, with the
seed notebook's priors: a symmetric Dirichlet(α₀ = 1.5) on the weights and a Normal-Wishart on each
component with β₀ = 1.5, ν₀ = 2, m₀ = (1, 1), W₀ = I (Bishop, PRML §10.2). It prints true against
recovered weights, means and covariances, the posterior hyperparameters (m_k, β_k, ν_k, W_k, α_k)
and the evidence lower bound (ELBO) after every iteration. A second fit with a generous K = 8 and a
small weight concentration (0.01) shows VB switching off the components the data do not need.

Run it with ``python examples/seed_vb.py``; add ``--plot vb.png`` to also save a figure of both fits
and their ELBO curves (needs matplotlib). The script exits with an error when the fit does not
recover the true mixture or the ELBO ever decreases, so it doubles as an end-to-end test.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from seed_data import (  # the seed example's shared data and helpers (this folder)
    DATA_SEED,
    MAX_MEAN_ERROR,
    MAX_WEIGHT_ERROR,
    TRUE_COVARIANCES,
    TRUE_MEANS,
    TRUE_WEIGHTS,
    draw_data,
    format_vector,
    match_components,
    print_comparison,
)

import mixtures as mx

Array = NDArray[np.float64]

# The data, true parameters and recovery thresholds are in seed_data.py, shared with seed_em.py.

# The seed notebook's priors (Bishop's notation): α₀, β₀, ν₀, m₀, W₀. With D = 2, ν₀ = 2 is the
# smallest whole number a Wishart accepts (ν₀ must exceed D − 1).
ALPHA0 = 1.5
BETA0 = 1.5
NU0 = 2.0
M0 = np.array([1.0, 1.0])
W0 = np.eye(2)

# The over-complete run: many components, a weight prior that prefers few of them.
GENEROUS_K = 8
SMALL_CONCENTRATION = 0.01

# VB's tol is a *relative* change of the ELBO; tight, so that unneeded components finish draining.
TOL = 1e-8
MAX_ITER = 1000

# The ELBO may not fall by more than this fraction of its size between iterations (rounding only).
ELBO_RELATIVE_SLACK = 1e-9


def fit_vb(points: Array, n_components: int, concentration: float) -> mx.Mixture:
    """The seed notebook's model: Normal-Wishart components, Dirichlet weights, fitted by VB."""
    model = mx.Mixture(
        mx.Gaussian(),
        n_components,
        inference="vb",
        prior=mx.NormalWishart(mean_precision=BETA0, dof=NU0, mean=M0, scale=W0),
        weight_prior=mx.DirichletWeights(concentration=concentration),
        tol=TOL,
        max_iter=MAX_ITER,
        random_state=0,
    )
    return model.fit(points)


def format_small_matrix(matrix: Array) -> str:
    return "[" + ", ".join("[" + ", ".join(f"{v:9.2e}" for v in row) + "]" for row in matrix) + "]"


def print_posterior(model: mx.Mixture, order: Sequence[int]) -> None:
    """The variational posterior's hyperparameters, in Bishop's names (PRML 10.58–10.63)."""
    q = model.posterior_.components
    alpha = np.asarray(model.posterior_.weights.concentration)
    header = f"{'comp':>4} {'alpha_k':>8} {'beta_k':>8} {'nu_k':>8}  {'m_k':<16}  W_k"
    print(header)
    print("-" * (len(header) + 38))
    for true_k, k in enumerate(order):
        print(
            f"{true_k:>4} {alpha[k]:8.2f} {q.mean_precision[k]:8.2f} {q.dof[k]:8.2f}  "
            f"{format_vector(q.location[k]):<16}  {format_small_matrix(q.wishart_scale[k])}"
        )
    print(
        f"prior: alpha_0 = {ALPHA0}, beta_0 = {BETA0}, nu_0 = {NU0}, m_0 = {format_vector(M0)}, W_0 = I\n"
        "(alpha_k, beta_k and nu_k are the prior's counts plus N_k; rows in the order of the truth)"
    )


def print_trajectory(lower_bounds: Sequence[float], n_samples: int) -> None:
    print(f"{'iter':>4}  {'ELBO/sample':>13}  {'total ELBO':>13}  {'change':>10}")
    for iteration, value in enumerate(lower_bounds):
        change = "" if iteration == 0 else f"{value - lower_bounds[iteration - 1]:10.2e}"
        print(f"{iteration:>4}  {value:13.6f}  {value * n_samples:13.3f}  {change:>10}")


def elbo_never_decreased(lower_bounds: Sequence[float]) -> bool:
    """No step falls by more than ``ELBO_RELATIVE_SLACK`` of the ELBO's size."""
    values = np.asarray(lower_bounds)
    drops = values[:-1] - values[1:]
    return bool(np.all(drops <= ELBO_RELATIVE_SLACK * np.abs(values[:-1])))


def recovery_errors(model: mx.Mixture, order: Sequence[int]) -> tuple[float, float]:
    """Largest weight error and largest mean error of the matched components."""
    weights = model.weights_[list(order)]
    means = model.components_.mean[list(order)]
    weight_error = float(np.abs(weights - TRUE_WEIGHTS).max())
    mean_error = float(np.linalg.norm(means - TRUE_MEANS, axis=1).max())
    return weight_error, mean_error


def save_plot(
    path: str,
    points: Array,
    fits: Sequence[tuple[mx.Mixture, Sequence[int], str]],
) -> bool:
    """Write the figure to ``path``; ``False`` if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: never needs a display
        import matplotlib.pyplot as plt

        from mixtures.plotting import covariance_ellipses, plot_gaussian_components, plot_objective
    except ImportError:
        return False

    figure, axes = plt.subplots(
        1, len(fits) + 1, figsize=(6 * (len(fits) + 1), 6), layout="constrained"
    )
    for data_axes, (model, order, label) in zip(axes[:-1], fits, strict=True):
        # matched components take the truth's colours, the others spare ones
        palette = ["tab:blue", "tab:orange", "tab:green"]
        spare = itertools.cycle(["tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:olive"])
        colours = [palette[order.index(k)] if k in order else next(spare) for k in range(model.n_components)]
        plot_gaussian_components(
            model, points, ax=data_axes, n_sigma=(2.0,), colors=colours,
            components=np.flatnonzero(model.effective_components_),  # only the ones in use
            names=[f"component {k}: weight {w:.3f}" for k, w in enumerate(model.weights_)],
            legend=False,
        )
        for true_k in range(len(TRUE_WEIGHTS)):
            covariance_ellipses(
                data_axes, TRUE_MEANS[true_k], TRUE_COVARIANCES[true_k], (2.0,),
                edgecolor="black", linestyle="--", linewidth=1,
                label="true 2σ ellipses" if true_k == 0 else None,
            )
        data_axes.set_title(
            f"{label}: {model.n_effective_components_} of {model.n_components} components "
            "in use\n(colour: predicted component; 2σ ellipses of $E[\\Lambda_k]^{-1}$)"
        )
        data_axes.set_xlabel("$x_1$")
        data_axes.set_ylabel("$x_2$")
        data_axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small")

    curve_axes = axes[-1]
    for model, _, label in fits:
        plot_objective(model, ax=curve_axes, label=f"{label} ({model.n_iter_} iterations)")
    curve_axes.set_title("ELBO per sample after each VB iteration")
    curve_axes.set_xscale("symlog", linthresh=10)

    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plot", metavar="PATH", help="save a PNG of the fit to PATH (needs matplotlib)")
    parser.add_argument("--seed", type=int, default=DATA_SEED, help="seed for drawing the data")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    points, true_labels = draw_data(seed=args.seed)
    drawn_fraction = np.bincount(true_labels, minlength=len(TRUE_WEIGHTS)) / len(true_labels)
    failures: list[str] = []

    # ---- K = 3, the seed notebook's model
    model = fit_vb(points, len(TRUE_WEIGHTS), ALPHA0)
    order = match_components(model.components_.mean, TRUE_MEANS)
    print(
        f"Fitted a {model.n_components}-component Gaussian mixture to {len(points)} points by "
        f"variational Bayes (alpha_0 = {ALPHA0})."
    )
    print(f"converged: {model.converged_} after {model.n_iter_} iterations")
    print()
    print("Posterior means (covariance = E[Lambda_k]^-1 = (nu_k W_k)^-1):")
    print_comparison(
        model.weights_[list(order)],
        model.components_.mean[list(order)],
        model.components_.covariance[list(order)],
        drawn_fraction,
    )
    print("('drawn' is the fraction of the sample that actually came from each component)")
    print()
    print("Posterior hyperparameters q(pi) = Dir(alpha), q(mu_k, Lambda_k) = NW(m_k, beta_k, W_k, nu_k):")
    print_posterior(model, order)
    print()
    print_trajectory(model.lower_bounds_, len(points))
    print()
    monotone = elbo_never_decreased(model.lower_bounds_)
    print(f"ELBO never decreased: {monotone}")
    print(f"mean log posterior-predictive density (Student-t mixture): {model.score(points):.6f}")
    weight_error, mean_error = recovery_errors(model, order)
    print(
        f"largest weight error {weight_error:.4f} (limit {MAX_WEIGHT_ERROR}), "
        f"largest mean error {mean_error:.4f} (limit {MAX_MEAN_ERROR})"
    )
    if weight_error > MAX_WEIGHT_ERROR or mean_error > MAX_MEAN_ERROR:
        failures.append(
            f"K={model.n_components}: weight error {weight_error:.3f} (limit {MAX_WEIGHT_ERROR}), "
            f"mean error {mean_error:.3f} (limit {MAX_MEAN_ERROR})"
        )
    if not monotone:
        failures.append(f"K={model.n_components}: the ELBO decreased")

    # ---- a generous K: the weight prior switches off what the data do not need
    print()
    print("=" * 78)
    generous = fit_vb(points, GENEROUS_K, SMALL_CONCENTRATION)
    generous_order = match_components(generous.components_.mean, TRUE_MEANS)
    print(
        f"Fitted K = {GENEROUS_K} with weight concentration alpha_0 = {SMALL_CONCENTRATION}: "
        f"converged {generous.converged_} after {generous.n_iter_} iterations."
    )
    print(f"{'comp':>4} {'weight':>9} {'alpha_k':>9} {'nu_k':>9}  {'m_k':<16}  in use")
    alpha = np.asarray(generous.posterior_.weights.concentration)
    dof = np.asarray(generous.posterior_.components.dof)
    for k in range(GENEROUS_K):
        in_use = "yes" if generous.effective_components_[k] else ""
        print(
            f"{k:>4} {generous.weights_[k]:9.5f} {alpha[k]:9.3f} {dof[k]:9.3f}  "
            f"{format_vector(generous.components_.mean[k]):<16}  {in_use}"
        )
    print(
        f"n_effective_components_ = {generous.n_effective_components_} "
        f"(components keeping at least 1% of the weight; the truth has {len(TRUE_WEIGHTS)})"
    )
    generous_monotone = elbo_never_decreased(generous.lower_bounds_)
    print(
        f"ELBO/sample {generous.lower_bounds_[0]:.6f} -> {generous.lower_bound_:.6f} over "
        f"{generous.n_iter_} iterations; never decreased: {generous_monotone}"
    )
    print(
        f"(the K = {len(TRUE_WEIGHTS)} fit's ELBO/sample is {model.lower_bound_:.6f}: the ELBO "
        "also compares models)"
    )
    generous_weight_error, generous_mean_error = recovery_errors(generous, generous_order)
    print(
        f"matched components: largest weight error {generous_weight_error:.4f}, "
        f"largest mean error {generous_mean_error:.4f}"
    )
    if generous.n_effective_components_ != len(TRUE_WEIGHTS):
        failures.append(
            f"K={GENEROUS_K}: {generous.n_effective_components_} effective components, "
            f"expected {len(TRUE_WEIGHTS)}"
        )
    if generous_weight_error > MAX_WEIGHT_ERROR or generous_mean_error > MAX_MEAN_ERROR:
        failures.append(
            f"K={GENEROUS_K}: weight error {generous_weight_error:.3f}, "
            f"mean error {generous_mean_error:.3f}"
        )
    if not generous_monotone:
        failures.append(f"K={GENEROUS_K}: the ELBO decreased")

    if args.plot:
        fits = [(model, order, f"K = {model.n_components}"), (generous, generous_order, f"K = {GENEROUS_K}")]
        if save_plot(args.plot, points, fits):
            print(f"figure written to {args.plot}")
        else:
            print("matplotlib is not installed; skipping --plot (pip install matplotlib)", file=sys.stderr)

    if failures:
        raise AssertionError("VB did not recover the true mixture: " + "; ".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
