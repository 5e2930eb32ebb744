"""What an estimator's ``verbose`` setting prints: the objective of every iteration of a fit, fed
by ``mixtures.inference.loop.observe_iterations``."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TextIO

from mixtures.inference.loop import IterationRecord, observe_iterations

__all__ = ["IterationPrinter", "printing_iterations"]


class IterationPrinter:
    """Writes one line to ``stream`` for every ``interval``-th iteration of each run (and its
    first): the run, the iteration, the objective, its change since the previous iteration and
    the time since the fit began; then a line with the run's outcome.

    Parameters
    ----------
    stream : text stream
    objective_name : str
        What the objective is, e.g. ``"log-likelihood/row"``.
    interval : int, default 1
        Print every ``interval``-th iteration.
    """

    def __init__(self, stream: TextIO, objective_name: str, interval: int = 1) -> None:
        self.stream = stream
        self.objective_name = objective_name
        self.interval = interval
        self._previous = float("nan")

    def __call__(self, record: IterationRecord) -> None:
        change = record.objective - self._previous if record.iteration > 0 else float("nan")
        self._previous = record.objective
        width = len(str(record.max_iter))
        if record.iteration % self.interval == 0:
            shown = "" if record.iteration == 0 else f"{change:+.3e}"
            print(
                f"run {record.run + 1}  iteration {record.iteration:>{width}}  "
                f"{self.objective_name} {record.objective:.8g}  change {shown:>10}  "
                f"{record.elapsed:.2f} s",
                file=self.stream,
            )
        if record.finished:
            outcome = (
                f"converged after {record.iteration} iterations"
                if record.converged
                else f"stopped at max_iter={record.max_iter}"
            )
            print(
                f"run {record.run + 1}  {outcome}: {self.objective_name} {record.objective:.8g}  "
                f"({record.elapsed:.2f} s)",
                file=self.stream,
            )
        self.stream.flush()


@contextlib.contextmanager
def printing_iterations(verbose: int, objective_name: str, interval: int) -> Iterator[None]:
    """Inside the block, fits print their iterations to ``sys.stderr`` if ``verbose`` >= 1."""
    if verbose < 1:
        yield
        return
    with observe_iterations(IterationPrinter(sys.stderr, objective_name, interval)):
        yield
