"""Activity recognition: an HMM whose states emit mixtures, and a transition matrix held fixed.

Simulated wrist-sensor features (two per second, 6,000 seconds over six recordings) of a person
who rests, walks and runs. No activity is a single Gaussian blob: resting happens sitting or lying,
walking on the flat or on stairs, running at two paces. Each activity is a mixture of two
postures, and consecutive seconds mostly share an activity.

Part 1 fits ``mx.HMM(mx.Gaussian(), 3, n_mix=2)``, three states each emitting a mixture of two
Gaussians (hmmlearn's ``GMMHMM``), next to a plain three-state Gaussian HMM (both started from a
fitted mixture, ``init="mixture"``: k-means on the raw features groups postures of different
activities, which only the sequence tells apart). It prints how well each decodes the activities
and its BIC.

Part 2 holds the transition matrix at values known from elsewhere (``fixed=("transmat",)``), here
the true one, and learns only the start and the emissions. The fitted ``transmat_`` is that matrix,
bit for bit.

Run ``python examples/activity_states.py``. The script exits with an error when the mixture
emissions do not decode better than single Gaussians, or when the fixed matrix moves.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

import mixtures as mx

ACTIVITIES = ("rest", "walk", "run")
TRANSMAT = np.array([[0.97, 0.03, 0.00], [0.02, 0.96, 0.02], [0.00, 0.05, 0.95]])
# two postures per activity (mean of the two features): each activity's postures lie on either
# side of another's, so no single Gaussian per activity separates them
POSTURES = np.array([[[0.0, 0.0], [4.0, 0.0]], [[2.0, 0.0], [6.0, 0.0]], [[3.0, 2.5], [7.0, 2.5]]])
LENGTHS = np.full(6, 1000)
MIN_GAIN = 0.03  # the mixture HMM must decode at least this much better


def simulate(seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    rng = np.random.default_rng(seed)
    states = []
    for length in LENGTHS:
        path = [int(rng.integers(0, 3))]
        for _ in range(length - 1):
            path.append(int(rng.choice(3, p=TRANSMAT[path[-1]])))
        states.extend(path)
    truth = np.array(states)
    posture = rng.integers(0, 2, size=truth.size)
    x = POSTURES[truth, posture] + 0.5 * rng.normal(size=(truth.size, 2))
    return x, truth


def accuracy(truth: NDArray[np.intp], decoded: NDArray[np.intp]) -> float:
    """Agreement under the best matching of states to activities."""
    return max(
        float(np.mean(np.asarray(order)[decoded] == truth))
        for order in itertools.permutations(range(3))
    )


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    x, truth = simulate()
    failures = []
    print("Part 1: decoding activities (Viterbi), three states")
    scores = {}
    for name, n_mix in (("one Gaussian per state", 1), ("two Gaussians per state", 2)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mx.ConvergenceWarning)
            model = mx.HMM(mx.Gaussian(), 3, n_mix=n_mix, n_init=3, init="mixture", random_state=0)
            model.fit(x, lengths=LENGTHS)
        scores[n_mix] = accuracy(truth, model.predict(x, lengths=LENGTHS))
        bic = model.bic(x, lengths=LENGTHS)
        print(f"  {name:26s} accuracy {scores[n_mix]:.3f}   BIC {bic:,.0f}")
    if scores[2] < scores[1] + MIN_GAIN:
        failures.append(f"mixture emissions decoded {scores[2]:.3f}, single Gaussians {scores[1]:.3f}")

    print("Part 2: the transition matrix held fixed, start and emissions learnt")
    start = (np.full(3, 1 / 3), TRANSMAT, mx.Gaussian().components_from(
        POSTURES.mean(1), np.stack([np.eye(2)] * 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        fixed = mx.HMM(mx.Gaussian(), 3, init=start, fixed=("transmat",)).fit(x, lengths=LENGTHS)
    kept = bool(np.array_equal(fixed.transmat_, TRANSMAT))
    decoded = accuracy(truth, fixed.predict(x, lengths=LENGTHS))
    print(f"  transmat_ kept bit for bit: {kept};  accuracy {decoded:.3f}")
    for activity, mean in zip(ACTIVITIES, np.round(fixed.components_.mean, 2), strict=True):
        print(f"    {activity:5s} mean {mean}")
    if not kept:
        failures.append("the fixed transition matrix moved")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
