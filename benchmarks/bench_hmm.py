"""Hidden-Markov recursions, this library against hmmlearn's compiled ones, in one run.

    python benchmarks/bench_hmm.py [--repeats 7] [--no-compile-timing]

Every implementation gets the same (T, K) per-state log-likelihood arrays and the same parameters.
Workloads: (a) one sequence of 100,000 rows, (b) 1,000 sequences of 100 rows; K = 8 states.

Measured (median of repeats after a warm-up call):

* forward–backward, full posterior: state marginals and summed transition counts (and the
  log-evidence). Ours: ``forward_backward`` (one compiled call for all sequences). hmmlearn 0.3.3:
  its ``_hmmc`` kernels, called per sequence as its ``fit`` does — "scaling": ``exp`` of the
  log-likelihoods, ``forward_scaling``, ``backward_scaling``, the normalised product, and
  ``compute_scaling_xi_sum``; "log": ``forward_log``, ``backward_log``, the normalised product and
  ``compute_log_xi_sum``.
* forward pass alone (log-evidence only): ours ``log_evidence``; hmmlearn's
  ``forward_scaling`` (with the ``exp``) and ``forward_log``.
* Viterbi: ours ``viterbi``; hmmlearn's ``_hmmc.viterbi``.
* our numpy reference implementations (log space, the test oracle), fewer repeats.

Ratios are ours / hmmlearn (below 1: ours is faster). Finally, unless ``--no-compile-timing``, the
numba compilation cost: the first call in a new process with an empty cache directory, and the
first call in a new process that loads the kernels from that on-disk cache.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

from mixtures.latent.markov import forward_backward, log_evidence, viterbi
from mixtures.testing.markov_reference import forward_backward_reference, viterbi_reference

N_STATES = 8
WORKLOADS = [("(a) 1 x 100,000", np.array([100_000])), ("(b) 1,000 x 100", np.full(1_000, 100))]


def chain_problem(
    lengths: np.ndarray, seed: int = 0, n_states: int = N_STATES
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian per-state log-likelihoods of data drawn from a sticky ``n_states``-state chain,
    and its parameters (probabilities). Moderate values, so hmmlearn's scaling (plain exp) is
    safe too."""
    rng = np.random.default_rng(seed)
    transmat = rng.dirichlet(np.ones(n_states), size=n_states) + 8.0 * np.eye(n_states)
    transmat /= transmat.sum(axis=1, keepdims=True)
    startprob = rng.dirichlet(np.ones(n_states))
    states = np.empty(lengths.sum(), dtype=np.intp)
    cumulative = transmat.cumsum(axis=1)
    uniforms = rng.random(states.size)
    starts = set((np.cumsum(lengths) - lengths).tolist())
    for t in range(states.size):  # set-up only, not timed
        if t in starts:
            states[t] = rng.choice(n_states, p=startprob)
        else:
            states[t] = min(np.searchsorted(cumulative[states[t - 1]], uniforms[t]), n_states - 1)
    means = np.arange(n_states, dtype=float)
    x = means[states] + rng.standard_normal(states.size)
    log_likelihood = -0.5 * (x[:, None] - means[None, :]) ** 2 - 0.5 * np.log(2.0 * np.pi)
    return log_likelihood, startprob, transmat


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up: compilation (or cache load), page faults, allocator
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples))


def hmmlearn_runs(
    log_likelihood: np.ndarray, lengths: np.ndarray, startprob: np.ndarray, transmat: np.ndarray
) -> dict[str, Callable[[], object]]:
    from hmmlearn import _hmmc

    bounds = [(stop - length, stop) for stop, length in zip(np.cumsum(lengths), lengths, strict=True)]

    def scaling_posterior() -> None:
        for start, stop in bounds:
            frameprob = np.exp(log_likelihood[start:stop])
            _, forward, scaling = _hmmc.forward_scaling(startprob, transmat, frameprob)
            backward = _hmmc.backward_scaling(startprob, transmat, frameprob, scaling)
            marginals = forward * backward
            marginals /= marginals.sum(axis=1, keepdims=True)
            if stop - start > 1:
                _hmmc.compute_scaling_xi_sum(forward, transmat, backward, frameprob)

    def log_posterior() -> None:
        for start, stop in bounds:
            frame = log_likelihood[start:stop]
            log_evidence, forward = _hmmc.forward_log(startprob, transmat, frame)
            backward = _hmmc.backward_log(startprob, transmat, frame)
            np.exp(forward + backward - log_evidence)
            if stop - start > 1:
                _hmmc.compute_log_xi_sum(forward, transmat, backward, frame)

    def scaling_forward() -> None:
        for start, stop in bounds:
            _hmmc.forward_scaling(startprob, transmat, np.exp(log_likelihood[start:stop]))

    def log_forward() -> None:
        for start, stop in bounds:
            _hmmc.forward_log(startprob, transmat, log_likelihood[start:stop])

    def decode() -> None:
        for start, stop in bounds:
            _hmmc.viterbi(startprob, transmat, log_likelihood[start:stop])

    return {
        "fb scaling": scaling_posterior,
        "fb log": log_posterior,
        "forward scaling": scaling_forward,
        "forward log": log_forward,
        "viterbi": decode,
    }


COMPILE_PROBE = """
import time
start = time.perf_counter()
import numpy as np
from mixtures.latent.markov import forward_backward, viterbi
imported = time.perf_counter()
x = np.zeros((3, 2)); lengths = np.array([3]); p = np.log(np.full(2, 0.5)); a = np.log(np.full((2, 2), 0.5))
forward_backward(x, lengths, p, a)
viterbi(x, lengths, p, a)
print(imported - start, time.perf_counter() - imported)
"""


def compile_timing() -> None:
    """First-call cost of forward_backward + viterbi in fresh processes: cold cache, then warm."""
    with tempfile.TemporaryDirectory() as cache:
        environment = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("empty cache (compiles)", "on-disk cache (loads)"):
            output = subprocess.run(
                [sys.executable, "-c", COMPILE_PROBE], env=environment, check=True, capture_output=True,
                text=True,
            ).stdout.split()
            import_seconds, first_call = float(output[0]), float(output[1])
            print(f"  first forward_backward + viterbi call, {label:<24}{first_call:>8.2f} s"
                  f"   (import of mixtures.latent.markov: {import_seconds:.2f} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--reference-repeats", type=int, default=2)
    parser.add_argument("--no-compile-timing", action="store_true")
    args = parser.parse_args(argv)
    if min(args.repeats, args.reference_repeats) < 1:
        parser.error("repeats must be at least 1")

    header = (f"{'workload':<18}{'recursion':<18}{'ours ms':>9}{'hmmlearn scaling':>18}{'ratio':>7}"
              f"{'hmmlearn log':>14}{'ratio':>7}{'numpy ref ms':>14}")
    print(header)
    print("-" * len(header))
    for name, lengths in WORKLOADS:
        log_likelihood, startprob, transmat = chain_problem(lengths)
        log_start, log_transmat = np.log(startprob), np.log(transmat)
        chain = (log_likelihood, lengths, log_start, log_transmat)
        theirs = hmmlearn_runs(log_likelihood, lengths, startprob, transmat)
        rows = [
            ("forward-backward", lambda chain=chain: forward_backward(*chain), "fb scaling", "fb log",
             lambda chain=chain: forward_backward_reference(*chain)),
            ("forward only", lambda chain=chain: log_evidence(*chain), "forward scaling",
             "forward log", None),
            ("viterbi", lambda chain=chain: viterbi(*chain), None, "viterbi",
             lambda chain=chain: viterbi_reference(*chain)),
        ]
        for label, ours, scaling_key, log_key, reference in rows:
            mine = median_seconds(ours, args.repeats)
            cells = f"{name:<18}{label:<18}{1e3 * mine:>9.1f}"
            for key, width in ((scaling_key, 18), (log_key, 14)):
                if key is None:
                    cells += f"{'-':>{width}}{'-':>7}"
                else:
                    other = median_seconds(theirs[key], args.repeats)
                    cells += f"{1e3 * other:>{width}.1f}{mine / other:>7.2f}"
            if reference is None:
                cells += f"{'-':>14}"
            else:
                cells += f"{1e3 * median_seconds(reference, args.reference_repeats):>14.0f}"
            print(cells, flush=True)
    print("(hmmlearn's Viterbi works in log space; its number is under 'hmmlearn log'.)")
    if not args.no_compile_timing:
        print("\nnumba compilation (new processes):")
        compile_timing()


if __name__ == "__main__":
    main()
