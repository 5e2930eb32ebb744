"""The fit loop, written once for every driver: iterate, watch the objective, stop."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

import attrs
import numpy as np

__all__ = ["Trajectory", "absolute_change", "best_run", "iterate", "relative_change"]

P = TypeVar("P")
S = TypeVar("S")
R = TypeVar("R")


@attrs.frozen(eq=False)
class Trajectory(Generic[P]):
    """The end of one run: final parameters and the objective at every iterate.

    ``objectives[i]`` is the per-sample objective after ``i`` updates; the last entry is that of
    ``parameters``.
    """

    parameters: P
    objectives: tuple[float, ...]
    converged: bool

    @property
    def n_iter(self) -> int:
        return len(self.objectives) - 1

    @property
    def objective(self) -> float:
        return self.objectives[-1]


def absolute_change(previous: float, current: float) -> float:
    return abs(current - previous)


def relative_change(previous: float, current: float) -> float:
    return abs(current - previous) / max(abs(current), abs(previous), np.finfo(np.float64).tiny)


def iterate(
    initial: P,
    evaluate: Callable[[P], tuple[float, S]],
    update: Callable[[S, P], P],
    *,
    max_iter: int,
    tol: float,
    change: Callable[[float, float], float] = absolute_change,
) -> Trajectory[P]:
    """Alternate ``evaluate`` (objective and summary at the current parameters) and ``update``
    (new parameters from the summary) until ``change(previous, current)`` of the objective falls
    below ``tol``.
    """
    parameters = initial
    objective, summary = evaluate(parameters)
    objectives = [objective]
    converged = False
    for _ in range(max_iter):
        parameters = update(summary, parameters)
        objective, summary = evaluate(parameters)
        objectives.append(objective)
        if change(objectives[-2], objectives[-1]) < tol:
            converged = True
            break
    return Trajectory(parameters, tuple(objectives), converged)


def best_run(
    starts: Iterable[P], run: Callable[[P], R], objective: Callable[[R], float]
) -> tuple[P, R]:
    """The restarts: ``run`` from every start, keep the run with the highest final ``objective``
    (and the start it came from)."""
    best: tuple[P, R] | None = None
    for start in starts:
        result = run(start)
        if best is None or objective(result) > objective(best[1]):
            best = (start, result)
    if best is None:
        raise ValueError("best_run needs at least one start")
    return best
