"""Progress displays for fits, fed by ``mixtures.inference.loop.observe_iterations``: a line
redrawn in place for a terminal, and plain lines for a log file or a pipe."""

from __future__ import annotations

import time
from typing import TextIO

from mixtures.inference.loop import IterationRecord

__all__ = ["ProgressBar", "ProgressLog", "describe"]

BAR_WIDTH = 20


def describe(record: IterationRecord, objective_name: str) -> str:
    """``iteration 11/100  log-lik/row -2.91633  0.0 s  converged``: one record in words."""
    status = ""
    if record.finished:
        status = "  converged" if record.converged else "  stopped at max_iter"
    return (
        f"iteration {record.iteration:>{len(str(record.max_iter))}}/{record.max_iter}  "
        f"{objective_name} {record.objective:.6g}  {record.elapsed:.1f} s{status}"
    )


class ProgressBar:
    """Rewrites one line of ``stream`` (with ``\\r``) as a fit iterates: run, iteration against
    ``max_iter`` as a bar, objective and elapsed time. Each run ends its line with its outcome.
    For terminals; ``ProgressLog`` writes the same news as plain lines.

    Parameters
    ----------
    stream : text stream, usually ``sys.stderr``
    objective_name : str
        What the objective is, e.g. ``"log-lik/row"`` or ``"ELBO/row"``.
    min_interval : float, default 0.1
        Seconds between redraws of a running line (the last iteration of a run is always drawn),
        so that fast fits do not flood a terminal.
    """

    def __init__(self, stream: TextIO, objective_name: str, min_interval: float = 0.1) -> None:
        self.stream = stream
        self.objective_name = objective_name
        self.min_interval = min_interval
        self._last_draw = -float("inf")
        self._width = 0

    def __call__(self, record: IterationRecord) -> None:
        now = time.perf_counter()
        if not record.finished and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        line = self.line(record)
        self.stream.write("\r" + line.ljust(self._width))
        self._width = len(line)
        if record.finished:
            self.stream.write("\n")
            self._width = 0
        self.stream.flush()

    def line(self, record: IterationRecord) -> str:
        """The text shown for ``record``."""
        done = min(record.iteration / record.max_iter, 1.0) if record.max_iter else 1.0
        filled = round(done * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"run {record.run + 1} [{bar}] {describe(record, self.objective_name)}"


class ProgressLog:
    """Writes a plain line to ``stream`` at the end of every run, and one every ``min_interval``
    seconds while a run goes on: no carriage returns and no bar, so a log file or a pipe reads
    cleanly.

    Parameters
    ----------
    stream : text stream, usually ``sys.stderr``
    objective_name : str
        What the objective is, e.g. ``"log-lik/row"`` or ``"ELBO/row"``.
    min_interval : float, default 5.0
        Seconds between lines of a running run.
    """

    def __init__(self, stream: TextIO, objective_name: str, min_interval: float = 5.0) -> None:
        self.stream = stream
        self.objective_name = objective_name
        self.min_interval = min_interval
        self._last_line = time.perf_counter()

    def __call__(self, record: IterationRecord) -> None:
        now = time.perf_counter()
        if not record.finished and now - self._last_line < self.min_interval:
            return
        self._last_line = now
        self.stream.write(f"run {record.run + 1}: {describe(record, self.objective_name)}\n")
        self.stream.flush()
