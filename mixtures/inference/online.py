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
``κ ∈ (0.5, 1]``. The modes do not know the model: an ``OnlineProblem`` (mixture or HMM, EM or
VB) supplies the E-step on a batch and the update from statistics, built from the drivers'
own ``e_step``/``m_step``/``posterior_from_statistics``/``hmm_e_step``/``hmm_m_step``. The math is
in ``docs/online.md``.
"""

from __future__ import annotations

import abc
import functools
import math
import numbers
from typing import Any, Generic, Protocol, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.base import ExponentialFamily
from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.data import ChunkedData, SequenceData
from mixtures.inference.em import EStep, MixtureParameters, e_step, m_step
from mixtures.inference.hmm import (
    HMMParameters,
    HMMPosterior,
    HMMPriors,
    HMMStatistics,
    hmm_e_step,
    hmm_m_step,
    vb_e_step,
)
from mixtures.inference.loop import absolute_change
from mixtures.inference.vb import VariationalPosterior, posterior_from_statistics
from mixtures.latent.mixture import log_mixture_weights
from mixtures.latent.weight_priors import DirichletWeights, StickBreaking, WeightPrior
from mixtures.priors.base import ConjugatePrior

__all__ = [
    "ExactPasses",
    "HMMExpectationMaximisation",
    "HMMVariational",
    "MixtureExpectationMaximisation",
    "MixtureVariational",
    "OnlineMode",
    "OnlineProblem",
    "OnlineState",
    "StepwiseEM",
    "StochasticVB",
    "Update",
    "blend",
    "scale",
    "step_size",
]

Array = NDArray[np.float64]
class _Summary(Protocol):
    """What a batch's E-step returns: summed statistics with their log-likelihood."""

    @property
    def log_likelihood(self) -> float: ...


P = TypeVar("P")
S = TypeVar("S", bound=_Summary)


# --------------------------------------------------------------------------- linear algebra
@functools.singledispatch
def scale(statistics: Any, factor: float) -> Any:
    """``factor`` times summed statistics (counts, sums, and the log-likelihood they carry)."""
    raise ValueError(f"cannot scale statistics of type {type(statistics).__name__}")


@scale.register
def _(statistics: SufficientStatistics, factor: float) -> SufficientStatistics:
    return SufficientStatistics(factor * statistics.counts, factor * statistics.sums)


@scale.register
def _(statistics: EStep, factor: float) -> EStep:
    return EStep(factor * statistics.log_likelihood, scale(statistics.statistics, factor))


@scale.register
def _(statistics: HMMStatistics, factor: float) -> HMMStatistics:
    return HMMStatistics(
        factor * statistics.log_likelihood,
        scale(statistics.emissions, factor),
        factor * statistics.initial_counts,
        factor * statistics.transition_counts,
    )


@functools.singledispatch
def blend(old: Any, new: Any, rho: float) -> Any:
    """``(1 − ρ) old + ρ new`` in natural coordinates: of statistics (stepwise EM), or of a
    posterior's natural hyperparameters (the natural-gradient step of stochastic VB).

    Statistics, conjugate priors, ``DirichletWeights``, ``StickBreaking`` and the variational
    posteriors of ``Mixture`` and ``HMM`` are supported; register more with ``blend.register``.
    """
    raise ValueError(
        f"no natural-parameter interpolation for {type(old).__name__}; register one with "
        f"mixtures.inference.online.blend.register"
    )


@blend.register(SufficientStatistics)
@blend.register(EStep)
@blend.register(HMMStatistics)
def _(old: Any, new: Any, rho: float) -> Any:
    return scale(old, 1.0 - rho) + scale(new, rho)


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
    return HMMPosterior(
        blend(old.components, new.components, rho),
        blend(old.start, new.start, rho),
        tuple(blend(a, b, rho) for a, b in zip(old.rows, new.rows, strict=True)),
    )


# --------------------------------------------------------------------------- the model side
class OnlineProblem(abc.ABC, Generic[P, S]):
    """What the online modes need from a model: the E-step of a batch under parameters ``P``
    giving statistics ``S``, and the update from statistics.

    Attributes
    ----------
    variational : bool
        Whether ``P`` is a variational posterior (VB) or a point estimate (EM).
    has_prior : bool
        Whether the update weighs a prior against the statistics (MAP-EM, VB), so that their scale
        (the number of observations they stand for) matters.
    """

    variational: bool = False

    @property
    @abc.abstractmethod
    def has_prior(self) -> bool: ...

    @abc.abstractmethod
    def e_step(self, data: Any, parameters: P) -> S:
        """Summed statistics and log-evidence of one batch under ``parameters``."""

    @abc.abstractmethod
    def update(self, statistics: S, parameters: P) -> P:
        """New parameters from summed statistics (``parameters``: the previous ones, kept by
        components that received no data)."""

    @abc.abstractmethod
    def penalty(self, parameters: P) -> float:
        """Objective terms besides the log-evidence: the log prior density (MAP-EM), minus the KL
        divergences from the priors (VB), zero (maximum likelihood)."""

    @abc.abstractmethod
    def implied_statistics(self, parameters: P, reference: S) -> S:
        """Statistics whose M-step gives ``parameters`` back, at the scale of ``reference`` (a
        batch's): where stepwise EM's running average starts when it takes over fitted
        parameters."""

    def data_weight(self, parameters: P) -> float:
        """The weight of data ``parameters`` already summarise (VB: the posterior's counts)."""
        return 0.0

    def objective(self, statistics: S, parameters: P, data_fraction: float = 1.0) -> float:
        """``log-evidence + data_fraction · penalty``: the fit's objective when the statistics
        cover all the data (``data_fraction=1``), an unbiased estimate of its share otherwise."""
        return float(statistics.log_likelihood) + data_fraction * self.penalty(parameters)

    def change(self, previous: float, current: float) -> float:
        """How the fit measures convergence: the absolute change of the objective per unit weight
        (a relative change would depend on the units of the data, which shift the objective)."""
        return absolute_change(previous, current)


@attrs.frozen(eq=False)
class MixtureExpectationMaximisation(OnlineProblem[MixtureParameters, EStep]):
    """A mixture fitted by EM (``prior``: MAP-EM)."""

    family: ExponentialFamily
    prior: ConjugatePrior | None = None

    @property
    def has_prior(self) -> bool:
        return self.prior is not None

    def e_step(self, data: ChunkedData, parameters: MixtureParameters) -> EStep:
        return e_step(data, parameters.natural, log_mixture_weights(parameters.weights))

    def update(self, statistics: EStep, parameters: MixtureParameters) -> MixtureParameters:
        return m_step(self.family, statistics.statistics, parameters, self.prior)

    def penalty(self, parameters: MixtureParameters) -> float:
        return 0.0 if self.prior is None else float(self.prior.log_density(parameters.natural).sum())

    def implied_statistics(self, parameters: MixtureParameters, reference: EStep) -> EStep:
        counts = parameters.weights * reference.statistics.counts.sum()
        means = self.family.natural_to_mean(parameters.natural)
        return EStep(0.0, SufficientStatistics(counts, counts[:, None] * means))


@attrs.frozen(eq=False)
class MixtureVariational(OnlineProblem[VariationalPosterior, EStep]):
    """A mixture fitted by mean-field VB: ``q(η_k)`` conjugate to ``prior``, ``q(π)`` to
    ``weight_prior``."""

    prior: ConjugatePrior
    weight_prior: WeightPrior
    variational = True

    @property
    def has_prior(self) -> bool:
        return True

    def e_step(self, data: ChunkedData, parameters: VariationalPosterior) -> EStep:
        return e_step(
            data,
            parameters.components.expected_natural(),
            parameters.weights.expected_log_weights(),
            parameters.components.expected_log_partition(),
        )

    def update(self, statistics: EStep, parameters: VariationalPosterior) -> VariationalPosterior:
        return posterior_from_statistics(self.prior, self.weight_prior, statistics)

    def penalty(self, parameters: VariationalPosterior) -> float:
        return -(
            parameters.components.kl_divergence(self.prior)
            + parameters.weights.kl_divergence(self.weight_prior)
        )

    def implied_statistics(self, parameters: VariationalPosterior, reference: EStep) -> EStep:
        raise ValueError("stepwise EM is for inference='em'; variational Bayes steps on q itself")

    def data_weight(self, parameters: VariationalPosterior) -> float:
        return float(parameters.weights.data_counts(self.weight_prior).sum())


@attrs.frozen(eq=False)
class HMMExpectationMaximisation(OnlineProblem[HMMParameters, HMMStatistics]):
    """An HMM fitted by Baum-Welch (``prior``: MAP on the emissions; ``fixed``: parameters kept)."""

    family: ExponentialFamily
    prior: ConjugatePrior | None = None
    fixed: tuple[str, ...] = ()

    @property
    def has_prior(self) -> bool:
        return self.prior is not None

    def e_step(self, data: SequenceData, parameters: HMMParameters) -> HMMStatistics:
        with np.errstate(divide="ignore"):  # structural zeros are -inf in log space
            log_start, log_transition = np.log(parameters.startprob), np.log(parameters.transmat)
        return hmm_e_step(data, parameters.natural, log_start, log_transition)

    def update(self, statistics: HMMStatistics, parameters: HMMParameters) -> HMMParameters:
        return hmm_m_step(self.family, statistics, parameters, self.prior, self.fixed)[0]

    def penalty(self, parameters: HMMParameters) -> float:
        return 0.0 if self.prior is None else float(self.prior.log_density(parameters.natural).sum())

    def implied_statistics(self, parameters: HMMParameters, reference: HMMStatistics) -> HMMStatistics:
        # state occupancy: the batch's, under these parameters; rows and start at the batch's scale
        occupancy = reference.emissions.counts
        share = occupancy / max(occupancy.sum(), np.finfo(np.float64).tiny)
        means = self.family.natural_to_mean(parameters.natural)
        return HMMStatistics(
            0.0,
            SufficientStatistics(occupancy, occupancy[:, None] * means),
            parameters.startprob * reference.initial_counts.sum(),
            share[:, None] * parameters.transmat * reference.transition_counts.sum(),
        )


@attrs.frozen(eq=False)
class HMMVariational(OnlineProblem[HMMPosterior, HMMStatistics]):
    """An HMM fitted by VB: conjugate emissions, Dirichlet start and transition rows."""

    priors: HMMPriors
    variational = True

    @property
    def has_prior(self) -> bool:
        return True

    def e_step(self, data: SequenceData, parameters: HMMPosterior) -> HMMStatistics:
        return vb_e_step(data, parameters)

    def update(self, statistics: HMMStatistics, parameters: HMMPosterior) -> HMMPosterior:
        return self.priors.update(statistics)

    def penalty(self, parameters: HMMPosterior) -> float:
        return -(
            parameters.components.kl_divergence(self.priors.components)
            + parameters.start.kl_divergence(self.priors.start)
            + sum(q.kl_divergence(p) for q, p in zip(parameters.rows, self.priors.rows, strict=True))
        )

    def implied_statistics(self, parameters: HMMPosterior, reference: HMMStatistics) -> HMMStatistics:
        raise ValueError("stepwise EM is for inference='em'; variational Bayes steps on q itself")

    def data_weight(self, parameters: HMMPosterior) -> float:
        # every observation adds one to the start or to a transition row
        start = parameters.start.data_counts(self.priors.start)
        rows = sum(
            float(q.data_counts(p).sum()) for q, p in zip(parameters.rows, self.priors.rows, strict=True)
        )
        return float(start.sum()) + rows


# --------------------------------------------------------------------------- state and modes
@attrs.frozen(eq=False)
class OnlineState(Generic[P, S]):
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
    objective of the update it made (``None`` when no update was made)."""

    state: OnlineState
    objective: float | None = None


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
    def absorb(self, state: OnlineState, batch: Any, weight: float, problem: OnlineProblem) -> Update:
        """Take one batch's statistics (``weight``: its total sample weight)."""

    def end_pass(self, state: OnlineState, problem: OnlineProblem) -> Update:
        """The end of a pass over the data (default: nothing to do)."""
        return Update(state)

    def progress(self, state: OnlineState, problem: OnlineProblem) -> float | None:
        """The objective of a pass in progress, if the mode has one."""
        return None

    def converged(self, objectives: list[float], problem: OnlineProblem, tol: float) -> bool:
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

    def absorb(self, state: OnlineState, batch: Any, weight: float, problem: OnlineProblem) -> Update:
        total = batch if state.statistics is None else state.statistics + batch
        return Update(
            attrs.evolve(
                state,
                statistics=total,
                pass_weight=state.pass_weight + weight,
                seen_weight=state.seen_weight + weight,
            )
        )

    def end_pass(self, state: OnlineState, problem: OnlineProblem) -> Update:
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
        )

    def progress(self, state: OnlineState, problem: OnlineProblem) -> float | None:
        if state.statistics is None:
            return None
        return problem.objective(state.statistics, state.parameters) / state.pass_weight

    def converged(self, objectives: list[float], problem: OnlineProblem, tol: float) -> bool:
        return len(objectives) >= 2 and problem.change(objectives[-2], objectives[-1]) < tol


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
        self, state: OnlineState, batch: Any, weight: float, problem: OnlineProblem
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

    def absorb(self, state: OnlineState, batch: Any, weight: float, problem: OnlineProblem) -> Update:
        state, t, size, objective = self._begin_step(state, batch, weight, problem)
        per_unit = scale(batch, 1.0 / weight)
        running = state.statistics
        if running is None:  # start from the statistics the current parameters imply
            running = problem.implied_statistics(state.parameters, per_unit)
        running = blend(running, per_unit, self.step_size(t))
        # maximum likelihood is scale-free; a prior is weighed against N observations
        parameters = problem.update(scale(running, size if problem.has_prior else 1.0), state.parameters)
        return Update(
            attrs.evolve(state, parameters=parameters, statistics=running, n_updates=t), objective
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

    def absorb(self, state: OnlineState, batch: Any, weight: float, problem: OnlineProblem) -> Update:
        state, t, size, objective = self._begin_step(state, batch, weight, problem)
        # the posterior of a data set made of N / |B| copies of the batch
        target = problem.update(scale(batch, size / weight), state.parameters)
        parameters = blend(state.parameters, target, self.step_size(t))
        return Update(attrs.evolve(state, parameters=parameters, n_updates=t), objective)
