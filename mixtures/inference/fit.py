"""Running a fitting problem over data: one run from a start, the best of several, and what the
fit should tell its user. Written once for every structure and inference."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import attrs

from mixtures.exceptions import (
    BoundaryWarning,
    CoincidingPointsWarning,
    EmptyComponentWarning,
    UnvisitedStateWarning,
)
from mixtures.inference.data import Data
from mixtures.inference.loop import SETTLED, StoppingRule, Trajectory, iterate
from mixtures.inference.problem import Findings, FitProblem
from mixtures.inference.summary import Summary

__all__ = ["Run", "best_run", "run", "warn_about", "warn_if_stuck"]


@attrs.frozen(eq=False)
class Run:
    """One run: where it started, its trajectory (whose ``summary`` is the E-step at the final
    parameters) and what its updates kept for want of data."""

    start: Any
    trajectory: Trajectory[Any]
    findings: Findings

    @property
    def parameters(self) -> Any:
        return self.trajectory.parameters

    @property
    def summary(self) -> Summary:
        return self.trajectory.summary


def run(
    problem: FitProblem[Any], data: Data, start: Any, *, max_iter: int, tol: float,
    stop: StoppingRule = SETTLED,
) -> Run:
    """Iterate E-step and update from ``start`` until the objective per unit weight changes by
    less than ``tol`` (as ``stop`` judges it) or ``max_iter`` updates have run. The objective never
    decreases: the log-likelihood (plus the log prior under MAP-EM) or the ELBO."""
    findings = [Findings()]

    def evaluate(parameters: Any) -> tuple[float, Summary]:
        summary = problem.e_step(data, parameters)
        return problem.objective(summary, parameters) / data.total_weight, summary

    def update(summary: Summary, parameters: Any) -> Any:
        findings[0] |= problem.findings(summary)
        return problem.update(summary, parameters)

    trajectory = iterate(start, evaluate, update, max_iter=max_iter, tol=tol, stop=stop)
    return Run(start, trajectory, findings[0] | problem.final_findings(trajectory.summary))


def best_run(
    problem: FitProblem[Any], data: Data, starts: Iterable[Any], *, max_iter: int, tol: float,
    stop: StoppingRule = SETTLED,
) -> Run:
    """``run`` from every start; the run with the highest final objective."""
    best: Run | None = None
    for start in starts:
        result = run(problem, data, start, max_iter=max_iter, tol=tol, stop=stop)
        if best is None or result.trajectory.objective > best.trajectory.objective:
            best = result
    if best is None:
        raise ValueError("a fit needs at least one start")
    return best


def warn_about(problem: FitProblem[Any], findings: Findings, stacklevel: int) -> None:
    """The warnings of ``findings``, the same after ``fit`` and after ``partial_fit``."""
    unit = problem.structure.unit
    if findings.never_left:
        warnings.warn(
            f"{unit}(s) {sorted(findings.never_left)} were never left during the fit; their "
            f"transition rows kept their previous values",
            UnvisitedStateWarning,
            stacklevel=stacklevel + 1,
        )
    if findings.emptied:
        warnings.warn(
            f"{unit}(s) {sorted(findings.emptied)} of {problem.family.name} lost all their data "
            f"during the fit; they kept their previous emission parameters. Consider fewer "
            f"{unit}s",
            EmptyComponentWarning,
            stacklevel=stacklevel + 1,
        )
    if findings.coinciding:
        warnings.warn(
            f"{unit}(s) {sorted(findings.coinciding)} of {problem.family.name} hold data that "
            f"coincide (a single point, e.g. an outlier, or copies of one): their spread is the "
            f"ridge reg_covar alone",
            CoincidingPointsWarning,
            stacklevel=stacklevel + 1,
        )


def warn_if_stuck(problem: FitProblem[Any], data: Data, result: Run, stacklevel: int) -> None:
    """A ``BoundaryWarning`` when EM ended with parameters stuck on the boundary although the
    likelihood rises off it (``stuck_on_boundary``)."""
    report = problem.boundary_report(data, result.parameters, result.summary, result.start)
    if report is not None:
        warnings.warn(
            f"the fit is stuck on the boundary of the parameter space: {report}, although "
            f"the likelihood rises off it. EM cannot leave such a value (it gets no "
            f"responsibility to move it), and data that need it get probability (nearly) 0; "
            f"try more restarts (n_init), another init, a prior, or inference='vb'",
            BoundaryWarning,
            stacklevel=stacklevel + 1,
        )
