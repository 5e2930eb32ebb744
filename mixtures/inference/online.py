"""Online and out-of-core fitting: the update rules behind ``partial_fit``.

Everything here reads the statistics of one batch at a time and never the data. Three modes, each
a small frozen value:

* ``ExactPasses()`` — the statistics of every batch are computed under parameters held fixed
  during a pass over the stream and summed; the update (M-step, MAP mode or conjugate posterior)
  runs when the pass ends. A pass over batches of the data is one iteration of ``fit``, exactly.
* ``StepwiseEM(kappa, tau)`` — Cappé and Moulines' online EM: a running average of the batch
  statistics per unit weight, ``s ← (1 − ρ_t) s + ρ_t s_batch``, and parameters = M-step of ``s``.
* ``StochasticVB(kappa, tau, total_samples)`` — Hoffman et al.'s stochastic variational inference:
  the natural-gradient step on the posterior's natural hyperparameters is the convex combination
  ``λ ← (1 − ρ_t) λ + ρ_t (λ₀ + (N / |B|) s_batch)``.

Both stochastic modes use the Robbins–Monro step ``ρ_t = (t + τ)^(−κ)``, ``t = 1, 2, ...``,
``κ ∈ (0.5, 1]``. The modes do not know the model: the same ``FitProblem`` that batch ``fit`` runs
(``mixtures.inference.problem``: any latent structure with EM or VB) supplies the E-step on a
batch and the update from statistics. The math is in ``docs/online.md``.
"""

from __future__ import annotations

import abc
import functools
import math
import numbers
from typing import Any, Generic, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.loop import absolute_change
from mixtures.inference.problem import Findings, FitProblem
from mixtures.inference.summary import Summary
from mixtures.latent.chain import HMMPosterior
from mixtures.latent.chain_of_mixtures import MixtureHMMPosterior
from mixtures.latent.mixing import VariationalPosterior
from mixtures.priors.base import ConjugatePrior
from mixtures.priors.weights import DirichletWeights, StickBreaking

__all__ = [
    "ExactPasses",
    "OnlineMode",
    "OnlineState",
    "StepwiseEM",
    "StochasticVB",
    "Update",
    "blend",
    "step_size",
]

Array = NDArray[np.float64]
P = TypeVar("P")


# --------------------------------------------------------------------------- natural steps
@functools.singledispatch
def blend(old: Any, new: Any, rho: float) -> Any:
    """``(1 − ρ) old + ρ new`` in natural coordinates: of statistics (stepwise EM), or of a
    posterior's natural hyperparameters (the natural-gradient step of stochastic VB).

    Summaries, conjugate priors, ``DirichletWeights``, ``StickBreaking`` and the variational
    posteriors of ``Mixture`` and ``HMM`` are supported; register more with ``blend.register``.
    """
    raise ValueError(
        f"no natural-parameter interpolation for {type(old).__name__}; register one with "
        f"mixtures.inference.online.blend.register"
    )


@blend.register
def _(old: Summary, new: Summary, rho: float) -> Summary:
    return old.scaled(1.0 - rho) + new.scaled(rho)


@blend.register
def _(old: SufficientStatistics, new: SufficientStatistics, rho: float) -> SufficientStatistics:
    return old.scaled(1.0 - rho) + new.scaled(rho)


@blend.register
def _(old: ConjugatePrior, new: ConjugatePrior, rho: float) -> ConjugatePrior:
    # (χ, ν) are the prior's natural parameters: their convex combination is the natural-gradient
    # step, and it stays inside the (convex) natural parameter space
    chi_old, counts_old = old.natural_hyperparameters()
    chi_new, counts_new = new.natural_hyperparameters()
    return old.with_natural_hyperparameters(
        (1.0 - rho) * chi_old + rho * chi_new, (1.0 - rho) * counts_old + rho * counts_new
    )


def _mix(old: Any, new: Any, rho: float) -> Array:
    return (1.0 - rho) * np.asarray(old) + rho * np.asarray(new)


@blend.register
def _(old: DirichletWeights, new: DirichletWeights, rho: float) -> DirichletWeights:
    return attrs.evolve(old, concentration=_mix(old.concentration, new.concentration, rho))


@blend.register
def _(old: StickBreaking, new: StickBreaking, rho: float) -> StickBreaking:
    # each stick's Beta(a, b) is linear in the counts, so (a, b) combine like natural parameters
    return attrs.evolve(
        old, stick_a=_mix(old.stick_a, new.stick_a, rho), stick_b=_mix(old.stick_b, new.stick_b, rho)
    )


@blend.register
def _(old: VariationalPosterior, new: VariationalPosterior, rho: float) -> VariationalPosterior:
    return VariationalPosterior(
        blend(old.components, new.components, rho), blend(old.weights, new.weights, rho)
    )


@blend.register
def _(old: HMMPosterior, new: HMMPosterior, rho: float) -> HMMPosterior:
    return type(old)(
        blend(old.components, new.components, rho),
        blend(old.start, new.start, rho),
        tuple(blend(a, b, rho) for a, b in zip(old.rows, new.rows, strict=True)),
    )


@blend.register
def _(old: MixtureHMMPosterior, new: MixtureHMMPosterior, rho: float) -> MixtureHMMPosterior:
    return MixtureHMMPosterior(
        blend(old.components, new.components, rho),
        blend(old.start, new.start, rho),
        tuple(blend(a, b, rho) for a, b in zip(old.rows, new.rows, strict=True)),
        tuple(blend(a, b, rho) for a, b in zip(old.mixes, new.mixes, strict=True)),
    )


# --------------------------------------------------------------------------- state and modes
@attrs.frozen(eq=False)
class OnlineState(Generic[P]):
    """Where an online fit stands (``partial_fit`` keeps it as ``online_state_``).

    Attributes
    ----------
    mode : OnlineMode
        The mode that produced this state.
    parameters : parameters or variational posterior
        The current ones: those every batch's E-step uses.
    statistics : statistics or None
        ``ExactPasses``: the sum over the batches of the current pass (``None`` between passes);
        ``StepwiseEM``: the running average per unit weight; ``StochasticVB``: unused.
    pass_weight : float
        ``ExactPasses``: the total (sample) weight of the batches of the current pass.
    seen_weight : float
        The total weight of every batch seen, plus the weight of data the starting parameters
        already summarised: the data-set size ``N`` when ``total_samples`` is not given.
    n_updates : int
        Updates applied so far: passes (``ExactPasses``) or batches (the stochastic modes); the
        step counter ``t`` of the schedule.
    """

    mode: OnlineMode
    parameters: Any
    statistics: Any = None
    pass_weight: float = 0.0
    seen_weight: float = 0.0
    n_updates: int = 0


@attrs.frozen(eq=False)
class Update:
    """The result of feeding one batch (or ending a pass): the new state, and the per-unit-weight
    objective of the update it made (``None`` when no update was made), and what that update
    kept for want of data (``FitProblem.findings`` of the statistics it read)."""

    state: OnlineState
    objective: float | None = None
    findings: Findings = attrs.field(factory=Findings)


def step_size(t: int, kappa: float, tau: float) -> float:
    """The Robbins–Monro step ``ρ_t = (t + τ)^(−κ)`` for the ``t``-th update (``t ≥ 1``)."""
    if t < 1:
        raise ValueError(f"the step counter t starts at 1; got {t}")
    return float((t + tau) ** (-kappa))


class OnlineMode(abc.ABC):
    """How ``partial_fit`` turns a batch's statistics into parameters. Subclasses are frozen
    values; pass one as an estimator's ``online=``."""

    @abc.abstractmethod
    def check(self, variational: bool) -> None:
        """Raise ``ValueError`` when this mode does not apply to the inference (VB or EM)."""

    @abc.abstractmethod
    def absorb(self, state: OnlineState, batch: Any, weight: float, problem: FitProblem) -> Update:
        """Take one batch's statistics (``weight``: its total sample weight)."""

    def end_pass(self, state: OnlineState, problem: FitProblem) -> Update:
        """The end of a pass over the data (default: nothing to do)."""
        return Update(state)

    def progress(self, state: OnlineState, problem: FitProblem) -> float | None:
        """The objective of a pass in progress, if the mode has one."""
        return None

    def converged(self, objectives: list[float], problem: FitProblem, tol: float) -> bool:
        """Whether the objectives of the updates so far have settled (default: never claimed)."""
        return False


@attrs.frozen
class ExactPasses(OnlineMode):
    """Exact incremental passes: ``partial_fit`` sums each batch's statistics under fixed
    parameters, and ``end_pass()`` applies the update of ``fit`` to the sum.

    Batches that together hold the data, fed once per pass with ``end_pass()`` after each pass,
    give the same parameters as ``fit`` from the same start, pass for iteration; an HMM's batches
    must hold whole sequences.
    """

    def check(self, variational: bool) -> None:
        return None

    def absorb(self, state: OnlineState, batch: Any, weight: float, problem: FitProblem) -> Update:
        total = batch if state.statistics is None else state.statistics + batch
        return Update(
            attrs.evolve(
                state,
                statistics=total,
                pass_weight=state.pass_weight + weight,
                seen_weight=state.seen_weight + weight,
            )
        )

    def end_pass(self, state: OnlineState, problem: FitProblem) -> Update:
        if state.statistics is None:
            raise ValueError(
                "end_pass() was called with no batch since the last pass ended: call "
                "partial_fit on the batches of a pass first"
            )
        objective = problem.objective(state.statistics, state.parameters) / state.pass_weight
        parameters = problem.update(state.statistics, state.parameters)
        return Update(
            attrs.evolve(
                state, parameters=parameters, statistics=None, pass_weight=0.0,
                n_updates=state.n_updates + 1,
            ),
            objective,
            problem.findings(state.statistics),
        )

    def progress(self, state: OnlineState, problem: FitProblem) -> float | None:
        if state.statistics is None:
            return None
        return problem.objective(state.statistics, state.parameters) / state.pass_weight

    def converged(self, objectives: list[float], problem: FitProblem, tol: float) -> bool:
        return len(objectives) >= 2 and absolute_change(objectives[-2], objectives[-1]) < tol


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_schedule(kappa: Any, tau: Any, total_samples: Any, mode: str) -> None:
    if not _is_real(kappa) or not 0.5 < kappa <= 1.0:
        raise ValueError(
            f"{mode}: kappa (the step-size decay) must be in (0.5, 1] for the steps to converge; "
            f"got {kappa!r}"
        )
    if not _is_real(tau) or not (math.isfinite(tau) and tau >= 0):
        raise ValueError(f"{mode}: tau (the step-size delay) must be a finite number >= 0; got {tau!r}")
    if total_samples is not None and (
        not _is_real(total_samples) or not (math.isfinite(total_samples) and total_samples > 0)
    ):
        raise ValueError(
            f"{mode}: total_samples (the size N of the whole data set) must be a positive number "
            f"or None; got {total_samples!r}"
        )


class _Stochastic(OnlineMode):
    kappa: float
    tau: float
    total_samples: float | None

    def __attrs_post_init__(self) -> None:
        _check_schedule(self.kappa, self.tau, self.total_samples, type(self).__name__)

    def step_size(self, t: int) -> float:
        """``ρ_t = (t + τ)^(−κ)``."""
        return step_size(t, self.kappa, self.tau)

    def data_size(self, state: OnlineState) -> float:
        """``N``: ``total_samples``, or else the weight seen so far (batch included)."""
        return float(self.total_samples) if self.total_samples is not None else state.seen_weight

    def _begin_step(
        self, state: OnlineState, batch: Any, weight: float, problem: FitProblem
    ) -> tuple[OnlineState, int, float, float]:
        """The state with the batch's weight counted, the step number ``t``, the data size ``N``
        and the batch's objective per unit weight under the parameters before the step."""
        state = attrs.evolve(state, seen_weight=state.seen_weight + weight)
        size = self.data_size(state)
        objective = problem.objective(batch, state.parameters, weight / size) / weight
        return state, state.n_updates + 1, size, objective


@attrs.frozen(kw_only=True)
class StepwiseEM(_Stochastic):
    """Online EM (Cappé & Moulines, 2009): ``s ← (1 − ρ_t) s + ρ_t · s_batch / w_batch``, then
    the parameters are the M-step of ``s``, with ``ρ_t = (t + τ)^(−κ)``.

    Parameters
    ----------
    kappa : float in (0.5, 1], default 0.6
        Decay of the step size: smaller forgets old batches faster.
    tau : float >= 0, default 1.0
        Delay: larger makes the first steps smaller (``ρ_1 = (1 + τ)^(−κ)``).
    total_samples : float or None
        The size ``N`` of the data set (total sample weight). Only MAP-EM (a ``prior``) needs it,
        to weigh the prior against ``N · s``; ``None`` takes the weight seen so far, right for a
        single pass over a stream.
    """

    kappa: float = 0.6
    tau: float = 1.0
    total_samples: float | None = None

    def check(self, variational: bool) -> None:
        if variational:
            raise ValueError(
                "StepwiseEM is for inference='em'; with inference='vb' use "
                "online=StochasticVB(total_samples=N) or online=ExactPasses()"
            )

    def absorb(self, state: OnlineState, batch: Any, weight: float, problem: FitProblem) -> Update:
        state, t, size, objective = self._begin_step(state, batch, weight, problem)
        per_unit = batch.scaled(1.0 / weight)
        running = state.statistics
        if running is None:  # start from the statistics the current parameters imply
            running = problem.implied_statistics(state.parameters, per_unit)
        running = blend(running, per_unit, self.step_size(t))
        # maximum likelihood is scale-free; a prior is weighed against N observations
        parameters = problem.update(running.scaled(size if problem.has_prior else 1.0), state.parameters)
        return Update(
            attrs.evolve(state, parameters=parameters, statistics=running, n_updates=t),
            objective,
            problem.findings(running),
        )


@attrs.frozen(kw_only=True)
class StochasticVB(_Stochastic):
    """Stochastic variational inference (Hoffman, Blei, Wang & Paisley, 2013): every natural
    hyperparameter of ``q`` (components, weights, HMM start and rows) takes the natural-gradient
    step ``λ ← (1 − ρ_t) λ + ρ_t (λ₀ + (N / w_batch) · s_batch)``, ``ρ_t = (t + τ)^(−κ)``.

    Parameters
    ----------
    total_samples : float or None
        The size ``N`` of the whole data set (its total sample weight; for an HMM, the number of
        observations). ``None`` takes the weight seen so far, right for one pass over a stream of
        unknown length but too confident over several epochs: give ``N`` when you know it.
    kappa : float in (0.5, 1], default 0.6
        Decay of the step size.
    tau : float >= 0, default 1.0
        Delay of the step size (``ρ_1 = (1 + τ)^(−κ)``).
    """

    total_samples: float | None = None
    kappa: float = 0.6
    tau: float = 1.0

    def check(self, variational: bool) -> None:
        if not variational:
            raise ValueError(
                "StochasticVB is for inference='vb'; with inference='em' use "
                "online=StepwiseEM() or online=ExactPasses()"
            )

    def absorb(self, state: OnlineState, batch: Any, weight: float, problem: FitProblem) -> Update:
        state, t, size, objective = self._begin_step(state, batch, weight, problem)
        # the posterior of a data set made of N / |B| copies of the batch
        target = problem.update(batch.scaled(size / weight), state.parameters)
        parameters = blend(state.parameters, target, self.step_size(t))
        return Update(attrs.evolve(state, parameters=parameters, n_updates=t), objective)
