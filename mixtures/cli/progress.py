"""A one-line progress display for fits, fed by ``mixtures.inference.loop.observe_iterations``."""

from __future__ import annotations

import time
from typing import TextIO

from mixtures.inference.loop import IterationRecord

__all__ = ["ProgressBar"]

BAR_WIDTH = 20


class ProgressBar:
    """Rewrites one line of ``stream`` (with ``\\r``) as a fit iterates: run, iteration against
    ``max_iter`` as a bar, objective and elapsed time. Each run ends its line with its outcome.

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
        status = ""
        if record.finished:
            status = "  converged" if record.converged else "  stopped at max_iter"
        return (
            f"run {record.run + 1} [{bar}] iteration {record.iteration:>{len(str(record.max_iter))}}"
            f"/{record.max_iter}  {self.objective_name} {record.objective:.6g}  "
            f"{record.elapsed:.1f} s{status}"
        )
