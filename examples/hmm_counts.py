"""Event counts: Poisson hidden Markov models, ergodic and left-to-right.

Part 1 simulates hourly request counts of a service that switches between three sticky states —
quiet, busy and surge — over 120 days, and fits ``mx.HMM(mx.Poisson(), 3)`` by Baum-Welch (EM) and
by variational Bayes (``inference="vb"``, Gamma priors on the rates and Dirichlet priors on the
initial distribution and each transition row). It prints the rates and the transition matrix next
to the truth (VB with posterior standard deviations) and the Viterbi decoding accuracy.

Part 2 simulates 60 days of hourly counts, each day a sequence that moves only forwards through
night → day → evening, and fits a *left-to-right* HMM: the initial transition matrix has zeros below
the diagonal and the initial distribution starts every day at night. Baum-Welch never moves
probability onto a transition that starts at zero, so the learnt matrix keeps those structural zeros
exactly and every decoded day runs night → day → evening. The starting rates are read off the clock
(the mean count at night, at midday and late in the evening).

Run it with ``python examples/hmm_counts.py``; add ``--plot counts.png`` to also save a figure of the
counts coloured by decoded state and of the decoded daily phases (needs matplotlib). The script
exits with an error when a fit does not recover the truth, so it doubles as an end-to-end test.
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

DATA_SEED = 3

# Part 1: an ergodic chain over hourly counts.
STATE_NAMES = ("quiet", "busy", "surge")
TRUE_RATES = np.array([2.0, 9.0, 22.0])  # requests per hour
TRUE_STARTPROB = np.array([0.8, 0.15, 0.05])
TRUE_TRANSMAT = np.array(
    [
        [0.95, 0.04, 0.01],
        [0.06, 0.90, 0.04],
        [0.04, 0.16, 0.80],
    ]
)
N_HOURS = 24 * 120

# Part 2: a left-to-right chain, one sequence per day.
PHASE_NAMES = ("night", "day", "evening")
PHASE_RATES = np.array([1.0, 12.0, 5.0])
PHASE_STARTPROB = np.array([1.0, 0.0, 0.0])  # every day starts at night
PHASE_TRANSMAT = np.array(
    [
        [0.85, 0.15, 0.00],  # night lasts 1 / 0.15 ≈ 6.7 hours on average
        [0.00, 0.90, 0.10],  # day ≈ 10 hours
        [0.00, 0.00, 1.00],  # evening until midnight
    ]
)
N_DAYS = 60
HOURS_PER_DAY = 24

EM_TOL = 1e-6  # per observation; the default 1e-3 can stop Baum-Welch early (docs/hmm.md §12)
VB_TOL = 1e-8

# Recovery thresholds.
MIN_ACCURACY = 0.95
MAX_RATE_ERROR_SE = 4.0  # fitted rate within this many standard errors (√(rate / hours)) of the truth
MAX_TRANSITION_ERROR = 0.10  # the surge row rests on ~ 40 departures


def simulate_chain(
    rng: np.random.Generator, startprob: Array, transmat: Array, length: int
) -> States:
    cumulative = np.cumsum(transmat, axis=1)
    states = np.empty(length, dtype=np.intp)
    states[0] = rng.choice(len(startprob), p=startprob)
    uniforms = rng.random(length)
    for t in range(1, length):  # a Markov chain is sequential by definition
        states[t] = min(int(np.searchsorted(cumulative[states[t - 1]], uniforms[t])), len(startprob) - 1)
    return states


def simulate(seed: int = DATA_SEED) -> tuple[Array, States, Array, States]:
    """Part 1's counts ``(N_HOURS, 1)`` and states; part 2's counts ``(N_DAYS · 24, 1)`` and phases."""
    rng = np.random.default_rng(seed)
    states = simulate_chain(rng, TRUE_STARTPROB, TRUE_TRANSMAT, N_HOURS)
    counts = rng.poisson(TRUE_RATES[states]).astype(np.float64)[:, None]
    phases = np.concatenate(
        [simulate_chain(rng, PHASE_STARTPROB, PHASE_TRANSMAT, HOURS_PER_DAY) for _ in range(N_DAYS)]
    )
    daily = rng.poisson(PHASE_RATES[phases]).astype(np.float64)[:, None]
    return counts, states, daily, phases


def match_states(decoded: States, truth: States, n_states: int) -> tuple[int, ...]:
    """``order[k]`` is the fitted state that plays true state ``k`` (best decoding agreement)."""
    confusion = np.zeros((n_states, n_states))
    np.add.at(confusion, (truth, decoded), 1.0)
    best = max(
        itertools.permutations(range(n_states)),
        key=lambda order: confusion[np.arange(n_states), list(order)].sum(),
    )
    return tuple(best)


def accuracy(decoded: States, truth: States, order: Sequence[int]) -> float:
    return float(np.mean(np.asarray(order)[truth] == decoded))


def print_matrices(names: Sequence[str], matrices: dict[str, Array], digits: int = 3) -> None:
    """Transition matrices side by side, rows 'from' and columns 'to'."""
    width = (digits + 5) * len(names)
    print(" " * 9 + "  ".join(f"{title:^{width}}" for title in matrices))
    for i, name in enumerate(names):
        cells = "  ".join(
            "".join(f"{value:{digits + 5}.{digits}f}" for value in matrix[i]) for matrix in matrices.values()
        )
        print(f"{name:>8} {cells}")


def fit_ergodic(counts: Array) -> dict[str, mx.HMM]:
    em = mx.HMM(mx.Poisson(), 3, n_init=3, tol=EM_TOL, max_iter=1000, random_state=0).fit(counts)
    vb = mx.HMM(
        mx.Poisson(), 3, inference="vb", n_init=3, tol=VB_TOL, max_iter=1000, random_state=0
    ).fit(counts)
    return {"EM": em, "VB": vb}


def report_ergodic(
    counts: Array, states: States, fits: dict[str, mx.HMM], orders: dict[str, tuple[int, ...]]
) -> list[str]:
    em, vb = fits["EM"], fits["VB"]
    decoded = {name: fit.predict(counts) for name, fit in fits.items()}
    print(
        f"Part 1: {N_HOURS} hourly counts, one sequence; hours per state: "
        + ", ".join(f"{name} {n}" for name, n in zip(STATE_NAMES, np.bincount(states), strict=True))
    )
    print(f"EM: {em.n_iter_} iterations; VB: {vb.n_iter_} iterations (VB reports posterior means)")
    # q(λ_k) is Gamma(shape, rate): mean shape / rate, standard deviation √shape / rate
    q = vb.posterior_.components
    vb_sd = np.sqrt(np.asarray(q.shape)[:, 0]) / np.asarray(q.rate)
    print(f"{'state':>8} {'true rate':>10} {'EM':>8} {'VB':>8} {'± sd':>6}")
    for k, name in enumerate(STATE_NAMES):
        e, v = orders["EM"][k], orders["VB"][k]
        print(
            f"{name:>8} {TRUE_RATES[k]:10.2f} {em.components_.rate[e, 0]:8.3f} "
            f"{vb.components_.rate[v, 0]:8.3f} {vb_sd[v]:6.3f}"
        )
    print("Transition matrix (row: from, column: to)")
    em_transmat = em.transmat_[np.ix_(orders["EM"], orders["EM"])]
    vb_transmat = vb.transmat_[np.ix_(orders["VB"], orders["VB"])]
    alpha = np.stack([np.asarray(row.concentration) for row in vb.posterior_.rows])
    total = alpha.sum(axis=1, keepdims=True)
    vb_sd_transmat = np.sqrt(alpha * (total - alpha) / (total**2 * (total + 1.0)))
    print_matrices(
        STATE_NAMES,
        {
            "true": TRUE_TRANSMAT,
            "EM": em_transmat,
            "VB": vb_transmat,
            "VB sd": vb_sd_transmat[np.ix_(orders["VB"], orders["VB"])],
        },
    )
    accuracies = {name: accuracy(decoded[name], states, orders[name]) for name in fits}
    print(f"Viterbi accuracy: EM {accuracies['EM']:.4f}, VB {accuracies['VB']:.4f}")

    problems = []
    standard_errors = np.sqrt(TRUE_RATES / np.bincount(states, minlength=3))
    for name, fit in fits.items():
        order = list(orders[name])
        rate_error = np.abs(fit.components_.rate[order, 0] - TRUE_RATES) / standard_errors
        transition_error = float(np.abs(fit.transmat_[np.ix_(order, order)] - TRUE_TRANSMAT).max())
        bounds = np.asarray(fit.lower_bounds_)
        if accuracies[name] < MIN_ACCURACY:
            problems.append(f"part 1 {name} accuracy {accuracies[name]:.3f} < {MIN_ACCURACY}")
        if np.any(rate_error > MAX_RATE_ERROR_SE):
            problems.append(f"part 1 {name} rate errors {np.round(rate_error, 1)} standard errors")
        if transition_error > MAX_TRANSITION_ERROR:
            problems.append(f"part 1 {name} transition error {transition_error:.3f}")
        if np.any(np.diff(bounds) < -1e-9 * np.abs(bounds[1:])):
            problems.append(f"part 1 {name} objective decreased")
    return problems


def fit_left_to_right(daily: Array) -> mx.HMM:
    """EM from a left-to-right start: zeros below the diagonal, rates read off the clock."""
    hour = np.tile(np.arange(HOURS_PER_DAY), N_DAYS)
    clock_rates = np.array(
        [
            daily[hour < 3, 0].mean(),  # 0–3 h: night
            daily[(hour >= 11) & (hour < 14), 0].mean(),  # 11–14 h: day
            daily[hour >= 21, 0].mean(),  # 21–24 h: evening
        ]
    )
    start_transmat = np.array([[0.9, 0.1, 0.0], [0.0, 0.9, 0.1], [0.0, 0.0, 1.0]])
    init = (PHASE_STARTPROB, start_transmat, mx.Poisson().components_from(clock_rates[:, None]))
    model = mx.HMM(mx.Poisson(), 3, init=init, tol=EM_TOL, max_iter=1000)
    return model.fit(daily, lengths=[HOURS_PER_DAY] * N_DAYS)


def report_left_to_right(daily: Array, phases: States, model: mx.HMM) -> list[str]:
    lengths = [HOURS_PER_DAY] * N_DAYS
    decoded = model.predict(daily, lengths=lengths)
    print(f"Part 2: {N_DAYS} days of hourly counts, one sequence per day, left-to-right chain")
    print(f"EM: {model.n_iter_} iterations; startprob_ {np.round(model.startprob_, 4).tolist()}")
    print(f"{'phase':>8} {'true rate':>10} {'EM':>8}   {'true hours':>11} {'EM':>6}")
    for k, name in enumerate(PHASE_NAMES):
        if k == len(PHASE_NAMES) - 1:  # absorbing: lasts until the end of the day
            hours = f"{'to midnight':>11}"
        else:  # a phase lasts 1 / (1 − a_kk) hours on average
            hours = f"{1 / (1 - PHASE_TRANSMAT[k, k]):11.1f} {1 / (1 - model.transmat_[k, k]):6.1f}"
        print(f"{name:>8} {PHASE_RATES[k]:10.2f} {model.components_.rate[k, 0]:8.3f}   {hours}")
    print("Transition matrix (row: from, column: to); the zeros below the diagonal are exact")
    print_matrices(PHASE_NAMES, {"true": PHASE_TRANSMAT, "EM": model.transmat_}, digits=4)
    forwards = bool(np.all(np.diff(decoded.reshape(N_DAYS, HOURS_PER_DAY), axis=1) >= 0))
    phase_accuracy = accuracy(decoded, phases, range(3))
    print(f"Viterbi accuracy {phase_accuracy:.4f}; every decoded day runs forwards only: {forwards}")

    problems = []
    below = model.transmat_[np.tril_indices(3, -1)]
    if np.any(below != 0.0) or np.any(model.startprob_[1:] != 0.0):
        problems.append(f"part 2 structural zeros not kept: {below}, {model.startprob_}")
    if not forwards:
        problems.append("part 2 a decoded day moves backwards")
    if phase_accuracy < MIN_ACCURACY:
        problems.append(f"part 2 accuracy {phase_accuracy:.3f} < {MIN_ACCURACY}")
    standard_errors = np.sqrt(PHASE_RATES / np.bincount(phases, minlength=3))
    rate_error = np.abs(model.components_.rate[:, 0] - PHASE_RATES) / standard_errors
    if np.any(rate_error > MAX_RATE_ERROR_SE):
        problems.append(f"part 2 rate errors {np.round(rate_error, 1)} standard errors")
    if float(np.abs(model.transmat_ - PHASE_TRANSMAT).max()) > MAX_TRANSITION_ERROR:
        problems.append("part 2 transition error too large")
    return problems


def save_plot(
    path: str,
    counts: Array,
    states: States,
    ergodic: mx.HMM,
    order: tuple[int, ...],
    daily: Array,
    phase_model: mx.HMM,
) -> bool:
    """Write the figure to ``path``; ``False`` if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: never needs a display
        import matplotlib.pyplot as plt
        from matplotlib.colors import ListedColormap
        from matplotlib.patches import Patch
    except ImportError:
        return False

    shown = 24 * 21  # the first three weeks of part 1
    colours = np.array(["tab:green", "tab:blue", "tab:red"])  # by true state
    colour_of_state = np.empty(3, dtype=object)
    colour_of_state[list(order)] = colours
    decoded = ergodic.predict(counts)[:shown]
    hours = np.arange(shown)

    figure = plt.figure(figsize=(13, 8.5))
    outer = figure.add_gridspec(2, 2, height_ratios=[3.4, 3.2], hspace=0.3)
    top = outer[0, :].subgridspec(2, 1, height_ratios=[3, 0.35], hspace=0.05)
    counts_axes = figure.add_subplot(top[0])
    truth_axes = figure.add_subplot(top[1], sharex=counts_axes)
    heat_axes = figure.add_subplot(outer[1, 0])
    phase_axes = figure.add_subplot(outer[1, 1], sharey=heat_axes)

    counts_axes.bar(hours, counts[:shown, 0], width=1.0, color=list(colour_of_state[decoded]), linewidth=0)
    handles = []
    for k, name in enumerate(STATE_NAMES):
        rate = ergodic.components_.rate[order[k], 0]
        counts_axes.axhline(rate, color=colours[k], linestyle="--", linewidth=1)
        handles.append(Patch(color=colours[k], label=f"{name} (fitted rate {rate:.1f}/h, dashed)"))
    counts_axes.set_title(
        "Part 1: hourly counts (first three weeks), coloured by the Viterbi state of the EM fit"
    )
    counts_axes.set_ylabel("requests per hour")
    counts_axes.legend(handles=handles, loc="upper right", fontsize="small")
    for day in range(0, shown, 24):
        counts_axes.axvline(day - 0.5, color="grey", linewidth=0.3)
    truth_axes.imshow(
        states[None, :shown],
        aspect="auto",
        cmap=ListedColormap(list(colours)),
        vmin=-0.5,
        vmax=2.5,
        interpolation="nearest",
        extent=(-0.5, shown - 0.5, 0.0, 1.0),
    )
    truth_axes.set_yticks([])
    truth_axes.set_ylabel("true", rotation=0, ha="right", va="center")
    truth_axes.set_xlabel("hour")
    counts_axes.set_xlim(-0.5, shown - 0.5)
    plt.setp(counts_axes.get_xticklabels(), visible=False)

    grid_counts = daily[:, 0].reshape(N_DAYS, HOURS_PER_DAY)
    image = heat_axes.imshow(grid_counts, aspect="auto", cmap="viridis", interpolation="nearest")
    figure.colorbar(image, ax=heat_axes, label="count")
    heat_axes.set_title("Part 2: counts per hour of day")
    heat_axes.set_xlabel("hour of day")
    heat_axes.set_ylabel("day (one sequence each)")

    phases = phase_model.predict(daily, lengths=[HOURS_PER_DAY] * N_DAYS).reshape(N_DAYS, HOURS_PER_DAY)
    phase_colours = ["midnightblue", "gold", "darkorange"]
    phase_axes.imshow(
        phases,
        aspect="auto",
        cmap=ListedColormap(phase_colours),
        vmin=-0.5,
        vmax=2.5,
        interpolation="nearest",
    )
    phase_axes.legend(
        handles=[Patch(color=c, label=name) for c, name in zip(phase_colours, PHASE_NAMES, strict=True)],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize="small",
    )
    phase_axes.set_title("Decoded phase (left-to-right HMM, Viterbi)")
    phase_axes.set_xlabel("hour of day")

    figure.subplots_adjust(left=0.06, right=0.92, top=0.95, bottom=0.07)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plot", metavar="PATH", help="save a PNG of the fits to PATH (needs matplotlib)")
    parser.add_argument("--seed", type=int, default=DATA_SEED, help="seed for simulating the counts")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    counts, states, daily, phases = simulate(args.seed)

    fits = fit_ergodic(counts)
    orders = {name: match_states(fit.predict(counts), states, 3) for name, fit in fits.items()}
    problems = report_ergodic(counts, states, fits, orders)
    print()
    phase_model = fit_left_to_right(daily)
    problems += report_left_to_right(daily, phases, phase_model)

    if args.plot:
        if save_plot(args.plot, counts, states, fits["EM"], orders["EM"], daily, phase_model):
            print(f"figure written to {args.plot}")
        else:
            print("matplotlib is not installed; skipping --plot (pip install matplotlib)", file=sys.stderr)

    if problems:
        raise AssertionError("the Poisson HMMs did not recover the truth: " + "; ".join(problems))
    return 0


if __name__ == "__main__":
    sys.exit(main())
