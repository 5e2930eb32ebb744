"""The fit loop, written once for every driver: iterate, watch the objective, stop."""

from __future__ import annotations

import abc
import contextlib
import contextvars
import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import attrs
import numpy as np

__all__ = [
    "SETTLED",
    "STOPPING_RULES",
    "FirstSmallChange",
    "IterationRecord",
    "SettledChange",
    "StoppingRule",
    "Trajectory",
    "absolute_change",
    "best_run",
    "iterate",
    "observe_iterations",
    "unobserved",
]

#: Objective changes within this many units of rounding of the objective are no change at all.
CONVERGED_NOISE = 64 * float(np.finfo(np.float64).eps)

P = TypeVar("P")
S = TypeVar("S")
R = TypeVar("R")


@attrs.frozen(eq=False)
class Trajectory(Generic[P]):
    """The end of one run: final parameters and the objective at every iterate.

    ``objectives[i]`` is the per-sample objective after ``i`` updates; the last entry is that of
    ``parameters``, and ``summary`` is what their evaluation returned besides (e.g. the expected
    statistics under the final parameters).
    """

    parameters: P
    objectives: tuple[float, ...]
    converged: bool
    summary: Any = None

    @property
    def n_iter(self) -> int:
        return len(self.objectives) - 1

    @property
    def objective(self) -> float:
        return self.objectives[-1]


@attrs.frozen
class IterationRecord:
    """What an observer of the fit loop sees after each iteration (see ``observe_iterations``).

    Attributes
    ----------
    run : int
        Index of the run of ``iterate`` inside the observed block, from 0 (each ``n_init`` restart,
        and any auxiliary fit such as an HMM's initial mixture, is one run).
    iteration : int
        Number of updates done in this run: 0 for the starting parameters.
    max_iter : int
        The run's limit on ``iteration``.
    objective : float
        The per-sample objective after ``iteration`` updates (log-likelihood or ELBO).
    elapsed : float
        Seconds since the observed block was entered.
    finished : bool
        Whether this is the run's last record (it converged or reached ``max_iter``).
    converged : bool
        Whether the run stopped because the objective settled (only ever true on the last record).
    """

    run: int
    iteration: int
    max_iter: int
    objective: float
    elapsed: float
    finished: bool
    converged: bool


@attrs.define
class _Observer:
    """One ``observe_iterations`` block; ``outer`` is the block it sits in, which sees the same
    iterations with its own run numbers and clock."""

    callback: Callable[[IterationRecord], None]
    started: float
    outer: _Observer | None = None
    runs: int = 0
    run: int = 0

    def begin_run(self) -> None:
        self.run, self.runs = self.runs, self.runs + 1
        if self.outer is not None:
            self.outer.begin_run()

    def record(
        self, iteration: int, max_iter: int, objective: float, finished: bool, converged: bool
    ) -> None:
        elapsed = time.perf_counter() - self.started
        self.callback(
            IterationRecord(self.run, iteration, max_iter, float(objective), elapsed, finished, converged)
        )
        if self.outer is not None:
            self.outer.record(iteration, max_iter, objective, finished, converged)


# The observer is a context variable rather than an argument, so that progress reporting reaches
# the loop through every driver and estimator without changing their signatures.
_OBSERVER: contextvars.ContextVar[_Observer | None] = contextvars.ContextVar(
    "mixtures_iteration_observer", default=None
)


@contextlib.contextmanager
def observe_iterations(callback: Callable[[IterationRecord], None]) -> Iterator[None]:
    """Call ``callback`` with an ``IterationRecord`` after every iteration of every fit inside the block.

    Blocks nest: the callback of an enclosing block keeps receiving the iterations too (e.g. a
    fit with ``verbose=1`` inside a block of your own).

    Parameters
    ----------
    callback : callable
        Receives one ``IterationRecord`` per iteration (including iteration 0, the starting
        point, of every run). An exception it raises stops the fit.

    Examples
    --------
    >>> from mixtures.inference.loop import observe_iterations
    >>> with observe_iterations(lambda r: print(r.run, r.iteration, r.objective)):  # doctest: +SKIP
    ...     model.fit(X)
    """
    token = _OBSERVER.set(_Observer(callback, time.perf_counter(), _OBSERVER.get()))
    try:
        yield
    finally:
        _OBSERVER.reset(token)


@contextlib.contextmanager
def unobserved() -> Iterator[None]:
    """Run fits inside the block without reporting them to ``observe_iterations``' callback
    (e.g. a diagnostic fit after the real ones)."""
    token = _OBSERVER.set(None)
    try:
        yield
    finally:
        _OBSERVER.reset(token)


def absolute_change(previous: float, current: float) -> float:
    return abs(current - previous)


class StoppingRule(abc.ABC):
    """When a run has converged, from the objectives of its iterates so far."""

    @abc.abstractmethod
    def converged(self, objectives: Sequence[float], tol: float) -> bool:
        """Whether the run stops after its last iterate (``objectives`` holds at least two)."""


@attrs.frozen
class SettledChange(StoppingRule):
    """The change is below ``tol`` and the changes have shrunk over the last two updates (never
    before the third update), or it is at the level of rounding (``CONVERGED_NOISE``), where a
    fit that starts at its fixed point stops at once.

    Near a maximum the objective's gains shrink from one update to the next; gains that grow mean
    the iteration is leaving a flat region, such as the near-symmetric saddle of a start where
    all components are alike, and the first gains from a start say little."""

    def converged(self, objectives: Sequence[float], tol: float) -> bool:
        recent = objectives[-4:]
        gains = [absolute_change(a, b) for a, b in itertools.pairwise(recent)]
        return gains[-1] < tol and (
            gains[-1] <= CONVERGED_NOISE * max(1.0, abs(objectives[-1]))
            or (len(gains) >= 3 and gains[-1] <= gains[-2] <= gains[-3])
        )


@attrs.frozen
class FirstSmallChange(StoppingRule):
    """The first change below ``tol`` stops the run (scikit-learn's rule)."""

    def converged(self, objectives: Sequence[float], tol: float) -> bool:
        return absolute_change(objectives[-2], objectives[-1]) < tol


#: The default stopping rule.
SETTLED = SettledChange()
#: The stopping rules by the names an estimator's ``convergence`` setting accepts.
STOPPING_RULES: dict[str, StoppingRule] = {"settled": SETTLED, "first": FirstSmallChange()}


def iterate(
    initial: P,
    evaluate: Callable[[P], tuple[float, S]],
    update: Callable[[S, P], P],
    *,
    max_iter: int,
    tol: float,
    stop: StoppingRule = SETTLED,
) -> Trajectory[P]:
    """Alternate ``evaluate`` (objective and summary at the current parameters) and ``update``
    (new parameters from the summary) until the objective changes by less than ``tol`` (an
    absolute change: the units of the data shift a per-sample objective by a constant, so a
    relative one would depend on them), as the stopping rule ``stop`` judges it (by default
    ``SettledChange``: without the changes having grown before). Inside ``observe_iterations``
    every iterate is reported to its callback. ``max_iter=0`` evaluates the start only.
    """
    observer = _OBSERVER.get()
    if observer is not None:
        observer.begin_run()
    parameters = initial
    objective, summary = evaluate(parameters)
    objectives = [objective]
    converged = False
    while True:
        finished = converged or len(objectives) > max_iter
        if observer is not None:
            observer.record(len(objectives) - 1, max_iter, objectives[-1], finished, converged)
        if finished:
            break
        parameters = update(summary, parameters)
        objective, summary = evaluate(parameters)
        objectives.append(objective)
        converged = stop.converged(objectives, tol)
    return Trajectory(parameters, tuple(objectives), converged, summary)


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
