"""The seed example: EM for a 2-D mixture of three Gaussians.

Draws 1000 points from a known three-component Gaussian mixture, fits ``mx.Mixture(mx.Gaussian(), 3)``
by expectation–maximisation, lines the fitted components up with the true ones, and prints true against
recovered weights, means and covariances together with the log-likelihood after every iteration.

Run it with ``python examples/seed_em.py``; add ``--plot em.png`` to also save a figure of the fit
(needs matplotlib). The script exits with an error when the fit does not recover the true mixture, so
it doubles as an end-to-end test.
"""

from __future__ import annotations

import argparse
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
    match_components,
    print_comparison,
)

import mixtures as mx

Array = NDArray[np.float64]


def print_trajectory(lower_bounds: Sequence[float], n_samples: int) -> None:
    print(f"{'iter':>4}  {'mean log-lik':>13}  {'total log-lik':>13}  {'change':>10}")
    for iteration, value in enumerate(lower_bounds):
        change = "" if iteration == 0 else f"{value - lower_bounds[iteration - 1]:10.2e}"
        print(f"{iteration:>4}  {value:13.6f}  {value * n_samples:13.3f}  {change:>10}")


def save_plot(path: str, points: Array, model: mx.Mixture, order: tuple[int, ...]) -> bool:
    """Write the figure to ``path``; ``False`` if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: never needs a display
        import matplotlib.pyplot as plt

        from mixtures.plotting import covariance_ellipses, plot_gaussian_components, plot_objective
    except ImportError:
        return False

    # colour each fitted component by the true one it was matched to, so colours agree with the table
    palette = ["tab:blue", "tab:orange", "tab:green"]
    colours = [palette[order.index(k)] for k in range(model.n_components)]

    figure, (data_axes, curve_axes) = plt.subplots(1, 2, figsize=(12, 5.5), layout="constrained")
    names = [
        f"component {order.index(k)}: weight {model.weights_[k]:.2f} "
        f"(true {TRUE_WEIGHTS[order.index(k)]:.2f})"
        for k in range(model.n_components)
    ]
    plot_gaussian_components(
        model, points, ax=data_axes, n_sigma=(2.0,), colors=colours, names=names, legend=False
    )
    for true_k in range(len(TRUE_WEIGHTS)):
        covariance_ellipses(
            data_axes, TRUE_MEANS[true_k], TRUE_COVARIANCES[true_k], (2.0,),
            edgecolor="black", linestyle="--", linewidth=1,
            label="true 2σ ellipses" if true_k == 0 else None,
        )
    data_axes.set_title("Data coloured by predicted component, fitted 2σ ellipses")
    data_axes.set_xlabel("$x_1$")
    data_axes.set_ylabel("$x_2$")
    data_axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small")

    plot_objective(model, ax=curve_axes)
    curve_axes.set_title(f"Log-likelihood per sample ({model.n_iter_} EM iterations)")

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

    model = mx.Mixture(mx.Gaussian(), 3, tol=1e-6, max_iter=500, random_state=0)
    model.fit(points)

    order = match_components(model.components_.mean, TRUE_MEANS)
    weights = model.weights_[list(order)]
    means = model.components_.mean[list(order)]
    covariances = model.components_.covariance[list(order)]
    drawn_fraction = np.bincount(true_labels, minlength=len(TRUE_WEIGHTS)) / len(true_labels)

    print(f"Fitted a {model.n_components}-component Gaussian mixture to {len(points)} points by EM.")
    print(f"converged: {model.converged_} after {model.n_iter_} iterations")
    print()
    print_comparison(weights, means, covariances, drawn_fraction)
    print("('drawn' is the fraction of the sample that actually came from each component)")
    print()
    print_trajectory(model.lower_bounds_, len(points))
    print()

    increases = np.diff(model.lower_bounds_)
    print(f"log-likelihood never decreased: {bool(np.all(increases >= -1e-10))}")
    weight_error = float(np.abs(weights - TRUE_WEIGHTS).max())
    mean_error = float(np.linalg.norm(means - TRUE_MEANS, axis=1).max())
    print(
        f"largest weight error {weight_error:.4f} (limit {MAX_WEIGHT_ERROR}), "
        f"largest mean error {mean_error:.4f} (limit {MAX_MEAN_ERROR})"
    )

    if args.plot:
        if save_plot(args.plot, points, model, order):
            print(f"figure written to {args.plot}")
        else:
            print("matplotlib is not installed; skipping --plot (pip install matplotlib)", file=sys.stderr)

    if weight_error > MAX_WEIGHT_ERROR or mean_error > MAX_MEAN_ERROR:
        raise AssertionError(
            f"EM did not recover the true mixture: weight error {weight_error:.3f} "
            f"(limit {MAX_WEIGHT_ERROR}), mean error {mean_error:.3f} (limit {MAX_MEAN_ERROR})"
        )
    if not np.all(increases >= -1e-10):
        raise AssertionError("the log-likelihood decreased during EM")
    return 0


if __name__ == "__main__":
    sys.exit(main())
