"""Regime switching: a Gaussian hidden Markov model on simulated daily returns.

Simulates daily returns (in percent) of four markets whose volatility and drift switch between three
sticky regimes — calm, normal and turbulent — and fits ``mx.HMM(mx.Gaussian(), 3)`` to the four
series at once (``lengths=``), by Baum-Welch (EM) and by variational Bayes (``inference="vb"``). It
lines the fitted states up with the true regimes, prints the learned transition matrix and each
state's mean and volatility next to the truth, the Viterbi decoding accuracy (and that of the true
parameters, the best any decoder can do on this sample), the log-likelihoods, and BIC for 1–4 states.

Run it with ``python examples/hmm_regimes.py``; add ``--plot regimes.png`` to also save a figure of
the price paths and returns coloured by decoded regime and the posterior regime probabilities
(needs matplotlib). The script exits with an error when the fit does not recover the regimes, so it
doubles as an end-to-end test.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

import mixtures as mx

Array = NDArray[np.float64]
States = NDArray[np.intp]

DATA_SEED = 0
STATE_NAMES = ("calm", "normal", "turbulent")
TRUE_STARTPROB = np.array([0.6, 0.3, 0.1])
# Sticky regimes: a calm spell lasts 1 / (1 − 0.99) = 100 days on average, a turbulent one 25.
TRUE_TRANSMAT = np.array(
    [
        [0.990, 0.008, 0.002],
        [0.015, 0.975, 0.010],
        [0.010, 0.030, 0.960],
    ]
)
TRUE_MEANS = np.array([0.05, 0.0, -0.3])  # daily drift, percent
TRUE_VOLATILITIES = np.array([0.6, 1.3, 3.0])  # daily standard deviation, percent
LENGTHS = np.array([1500, 1000, 1000, 500])  # four markets (sequences), 4000 days in all

# EM stops when the log-likelihood per day changes by less than this. The estimator's default
# (1e-3 per observation, as for mixtures) can stop Baum-Welch on a plateau, before it has separated
# regimes that differ mainly in volatility; see docs/hmm.md §12.
EM_TOL = 1e-6
VB_TOL = 1e-8  # relative change of the ELBO
N_INIT = 3

# Recovery thresholds: the fit fails the example beyond these.
MIN_ACCURACY = 0.90  # Viterbi agreement with the true regimes
MAX_ACCURACY_GAP = 0.02  # ... at most this far below decoding with the true parameters
MAX_MEAN_ERROR_SE = 4.0  # fitted mean within this many standard errors (vol / √days) of the truth
MAX_VOLATILITY_RATIO = 1.15  # fitted / true volatility within [1/1.15, 1.15]
MAX_TRANSITION_ERROR = 0.05


def simulate(seed: int = DATA_SEED) -> tuple[Array, States]:
    """Returns ``(T, 1)`` and true regimes ``(T,)`` of the sequences in ``LENGTHS``, concatenated."""
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(TRUE_TRANSMAT, axis=1)
    regimes = []
    for length in LENGTHS:
        states = np.empty(length, dtype=np.intp)
        states[0] = rng.choice(len(TRUE_STARTPROB), p=TRUE_STARTPROB)
        uniforms = rng.random(length)
        for t in range(1, length):  # a Markov chain is sequential by definition
            states[t] = min(int(np.searchsorted(cumulative[states[t - 1]], uniforms[t])), 2)
        regimes.append(states)
    states = np.concatenate(regimes)
    returns = TRUE_MEANS[states] + TRUE_VOLATILITIES[states] * rng.standard_normal(states.size)
    return returns[:, None], states


def true_model(returns: Array) -> mx.HMM:
    """An HMM holding the true parameters: every parameter fixed, so fitting changes nothing."""
    components = mx.Gaussian().components_from(TRUE_MEANS[:, None], TRUE_VOLATILITIES[:, None, None] ** 2)
    model = mx.HMM(
        mx.Gaussian(),
        3,
        init=(TRUE_STARTPROB, TRUE_TRANSMAT, components),
        fixed=("startprob", "transmat", "components"),
        max_iter=1,
    )
    return model.fit(returns, lengths=LENGTHS)


def match_states(decoded: States, truth: States, n_states: int) -> tuple[int, ...]:
    """``order[k]`` is the fitted state that plays true regime ``k`` (best decoding agreement)."""
    confusion = np.zeros((n_states, n_states))
    np.add.at(confusion, (truth, decoded), 1.0)
    best = max(
        itertools.permutations(range(n_states)),
        key=lambda order: confusion[np.arange(n_states), list(order)].sum(),
    )
    return tuple(best)


def accuracy(decoded: States, truth: States, order: tuple[int, ...]) -> float:
    return float(np.mean(np.asarray(order)[truth] == decoded))


def print_matrices(title: str, matrices: dict[str, Array]) -> None:
    """Transition matrices side by side, rows 'from' and columns 'to'."""
    print(title)
    width = 8 * len(STATE_NAMES)
    print(" " * 11 + "  ".join(f"{name:^{width}}" for name in matrices))
    for i, name in enumerate(STATE_NAMES):
        cells = "  ".join(
            "".join(f"{value:8.4f}" for value in matrix[i]) for matrix in matrices.values()
        )
        print(f"{name:>10} {cells}")


def print_states(fits: dict[str, mx.HMM], orders: dict[str, tuple[int, ...]]) -> None:
    header = f"{'state':>10}  {'mean: true':>10}" + "".join(f"{name:>8}" for name in fits)
    header += f"   {'vol: true':>9}" + "".join(f"{name:>8}" for name in fits)
    print(header)
    for k, name in enumerate(STATE_NAMES):
        means = "".join(f"{fit.components_.mean[orders[key][k], 0]:8.3f}" for key, fit in fits.items())
        vols = "".join(
            f"{np.sqrt(fit.components_.covariance[orders[key][k], 0, 0]):8.3f}"
            for key, fit in fits.items()
        )
        print(f"{name:>10}  {TRUE_MEANS[k]:10.3f}{means}   {TRUE_VOLATILITIES[k]:9.3f}{vols}")


def transition_sd(model: mx.HMM, order: tuple[int, ...]) -> Array:
    """Posterior standard deviation of each transition probability under VB's Dirichlet rows."""
    alpha = np.stack([np.asarray(row.concentration) for row in model.posterior_.rows])
    total = alpha.sum(axis=1, keepdims=True)
    sd = np.sqrt(alpha * (total - alpha) / (total**2 * (total + 1.0)))
    return sd[np.ix_(order, order)]


def save_plot(path: str, returns: Array, states: States, model: mx.HMM, order: tuple[int, ...]) -> bool:
    """Write the figure to ``path``; ``False`` if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: never needs a display
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection
        from matplotlib.colors import ListedColormap
    except ImportError:
        return False

    colours = np.array(["tab:green", "tab:blue", "tab:red"])  # by true regime
    # fitted state → colour of the true regime it was matched to
    colour_of_state = np.empty(len(order), dtype=object)
    colour_of_state[list(order)] = colours
    decoded = model.predict(returns, lengths=LENGTHS)
    proba = model.predict_proba(returns, lengths=LENGTHS)[:, list(order)]
    days = np.arange(returns.shape[0])
    boundaries = np.cumsum(LENGTHS)[:-1]
    starts = np.concatenate([[0], np.cumsum(LENGTHS)[:-1]])

    figure, axes = plt.subplots(
        4, 1, figsize=(13, 9), sharex=True, gridspec_kw={"height_ratios": [3, 2, 0.35, 2]}
    )
    price_axes, return_axes, truth_axes, proba_axes = axes

    for start, length in zip(starts, LENGTHS, strict=True):
        rows = slice(start, start + length)
        price = 100.0 * np.exp(np.cumsum(returns[rows, 0]) / 100.0)
        points = np.column_stack([days[rows], price])
        segments = np.stack([points[:-1], points[1:]], axis=1)
        price_axes.add_collection(
            LineCollection(segments, colors=list(colour_of_state[decoded[rows][1:]]), linewidth=1.0)
        )
    price_axes.autoscale_view()
    price_axes.set_ylabel("price (start = 100)")
    price_axes.set_title(
        "Four simulated markets, coloured by the Viterbi regime of the EM fit "
        "(dashed lines separate the sequences)"
    )
    for k, name in enumerate(STATE_NAMES):
        price_axes.plot([], [], color=colours[k], label=name)
    price_axes.legend(loc="upper left", fontsize="small", ncol=3)

    return_axes.vlines(days, 0.0, returns[:, 0], colors=list(colour_of_state[decoded]), linewidth=0.6)
    return_axes.set_ylabel("daily return (%)")

    truth_axes.imshow(
        states[None, :],
        aspect="auto",
        cmap=ListedColormap(list(colours)),
        vmin=-0.5,
        vmax=2.5,
        interpolation="nearest",
        extent=(-0.5, days[-1] + 0.5, 0.0, 1.0),
    )
    truth_axes.set_yticks([])
    truth_axes.set_ylabel("true", rotation=0, ha="right", va="center")

    proba_axes.stackplot(days, proba.T, colors=list(colours), linewidth=0.0)
    proba_axes.set_ylim(0.0, 1.0)
    proba_axes.set_ylabel("p(regime | returns)")
    proba_axes.set_xlabel("day (sequences concatenated)")
    for axes_ in (price_axes, return_axes, proba_axes):
        for boundary in boundaries:
            axes_.axvline(boundary - 0.5, color="black", linestyle="--", linewidth=0.8)
    proba_axes.set_xlim(-0.5, days[-1] + 0.5)

    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plot", metavar="PATH", help="save a PNG of the fit to PATH (needs matplotlib)")
    parser.add_argument("--seed", type=int, default=DATA_SEED, help="seed for simulating the returns")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    returns, states = simulate(args.seed)
    n_days = returns.shape[0]

    em = mx.HMM(mx.Gaussian(), 3, n_init=N_INIT, tol=EM_TOL, max_iter=1000, random_state=0)
    em.fit(returns, lengths=LENGTHS)
    vb = mx.HMM(
        mx.Gaussian(), 3, inference="vb", n_init=N_INIT, tol=VB_TOL, max_iter=1000, random_state=0
    )
    vb.fit(returns, lengths=LENGTHS)
    truth = true_model(returns)

    fits = {"EM": em, "VB": vb}
    decoded = {name: fit.predict(returns, lengths=LENGTHS) for name, fit in fits.items()}
    orders = {name: match_states(decoded[name], states, 3) for name in fits}
    accuracies = {name: accuracy(decoded[name], states, orders[name]) for name in fits}
    oracle = accuracy(truth.predict(returns, lengths=LENGTHS), states, (0, 1, 2))

    print(
        f"{n_days} daily returns in {len(LENGTHS)} sequences (lengths {LENGTHS.tolist()}); "
        f"days per regime: "
        + ", ".join(f"{name} {count}" for name, count in zip(STATE_NAMES, np.bincount(states), strict=True))
    )
    print(f"EM: {em.n_iter_} iterations, converged {em.converged_}; "
          f"VB: {vb.n_iter_} iterations, converged {vb.converged_}")
    print("(fitted states reordered to match the true regimes; VB reports posterior means)")
    print()
    print_states(fits, orders)
    print()
    print_matrices(
        "Transition matrix (row: from, column: to)",
        {
            "true": TRUE_TRANSMAT,
            "EM": em.transmat_[np.ix_(orders["EM"], orders["EM"])],
            "VB": vb.transmat_[np.ix_(orders["VB"], orders["VB"])],
        },
    )
    print_matrices("VB posterior standard deviation of each transition probability",
                   {"sd": transition_sd(vb, orders["VB"])})
    durations = 1.0 / (1.0 - np.diag(em.transmat_[np.ix_(orders["EM"], orders["EM"])]))
    print(
        "expected regime durations (days), true vs EM: "
        + ", ".join(
            f"{name} {1 / (1 - TRUE_TRANSMAT[k, k]):.0f} vs {durations[k]:.0f}"
            for k, name in enumerate(STATE_NAMES)
        )
    )
    print()
    print(
        f"Viterbi accuracy: EM {accuracies['EM']:.4f}, VB {accuracies['VB']:.4f}; "
        f"with the true parameters {oracle:.4f}"
    )
    score_em, score_truth = em.score(returns, lengths=LENGTHS), truth.score(returns, lengths=LENGTHS)
    print(
        f"log-likelihood (total): EM {score_em:.2f}, true parameters {score_truth:.2f} "
        f"(per day: {score_em / n_days:.5f} = em.lower_bound_ {em.lower_bound_:.5f})"
    )
    print(f"VB evidence lower bound per day: {vb.lower_bound_:.5f}")

    bic = {}
    for n_states in (1, 2, 3, 4):
        model = em if n_states == 3 else mx.HMM(
            mx.Gaussian(), n_states, n_init=N_INIT, tol=EM_TOL, max_iter=1000, random_state=0
        ).fit(returns, lengths=LENGTHS)
        bic[n_states] = model.bic(returns, lengths=LENGTHS)
    print(
        "BIC by number of states: "
        + ", ".join(f"{k}: {value:.1f}" for k, value in bic.items())
        + f"  -> lowest at {min(bic, key=bic.__getitem__)}"
    )

    if args.plot:
        if save_plot(args.plot, returns, states, em, orders["EM"]):
            print(f"figure written to {args.plot}")
        else:
            print("matplotlib is not installed; skipping --plot (pip install matplotlib)", file=sys.stderr)

    problems = []
    standard_errors = TRUE_VOLATILITIES / np.sqrt(np.bincount(states, minlength=3))
    for name, fit in fits.items():
        order = list(orders[name])
        mean_error = np.abs(fit.components_.mean[order, 0] - TRUE_MEANS) / standard_errors
        ratio = np.sqrt(fit.components_.covariance[order, 0, 0]) / TRUE_VOLATILITIES
        transition_error = float(np.abs(fit.transmat_[np.ix_(order, order)] - TRUE_TRANSMAT).max())
        bounds = np.asarray(fit.lower_bounds_)
        if accuracies[name] < MIN_ACCURACY or accuracies[name] < oracle - MAX_ACCURACY_GAP:
            problems.append(f"{name} accuracy {accuracies[name]:.3f} (true parameters: {oracle:.3f})")
        if np.any(mean_error > MAX_MEAN_ERROR_SE):
            problems.append(f"{name} mean errors {np.round(mean_error, 1)} standard errors")
        if np.any(ratio > MAX_VOLATILITY_RATIO) or np.any(ratio < 1 / MAX_VOLATILITY_RATIO):
            problems.append(f"{name} volatility ratios {np.round(ratio, 3)}")
        if transition_error > MAX_TRANSITION_ERROR:
            problems.append(f"{name} transition error {transition_error:.3f} > {MAX_TRANSITION_ERROR}")
        if np.any(np.diff(bounds) < -1e-9 * np.abs(bounds[1:])):
            problems.append(f"{name} objective decreased")
    if score_em < score_truth:
        problems.append("EM's log-likelihood is below that of the true parameters")
    if problems:
        raise AssertionError("the HMM did not recover the regimes: " + "; ".join(problems))
    return 0


if __name__ == "__main__":
    sys.exit(main())
