"""``partial_fit`` and ``end_pass`` for ``Mixture`` and ``HMM``: the estimator side of online and
out-of-core fitting. The update rules are in ``mixtures.inference.online``; this layer checks
the input, initialises from the first batch (or continues a fit), and keeps the fitted attributes
in step with the online state after every call."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from numpy.typing import NDArray

from mixtures.families.base import ExponentialFamily
from mixtures.inference.data import Data, RowData, SequenceData
from mixtures.inference.em import EStep, MixtureParameters, Responsibilities, m_step
from mixtures.inference.hmm import (
    HMMParameters,
    HMMPosterior,
    HMMPriors,
    hmm_m_step,
    statistics_of_responsibilities,
)
from mixtures.inference.online import (
    HMMExpectationMaximisation,
    HMMVariational,
    MixtureExpectationMaximisation,
    MixtureVariational,
    OnlineMode,
    OnlineProblem,
    OnlineState,
    StepwiseEM,
    StochasticVB,
    Update,
)
from mixtures.inference.rows import Rows
from mixtures.inference.sequences import SequenceLayout
from mixtures.inference.vb import VariationalPosterior, posterior_from_statistics
from mixtures.latent.weight_priors import DirichletWeights, WeightPrior
from mixtures.models._latent_model import LatentModel
from mixtures.priors import ConjugatePrior, default_prior

__all__ = ["OnlineHMM", "OnlineMixture"]

Array = NDArray[np.float64]


class _OnlineModel(LatentModel):
    """What ``Mixture`` and ``HMM`` share online: the mode, the state, ``end_pass``, and the
    bookkeeping of fitted attributes after each call."""

    online: OnlineMode | None
    random_state: int | np.random.Generator | None
    online_state_: OnlineState
    lower_bounds_: list[float]

    if TYPE_CHECKING:  # per model, in OnlineMixture and OnlineHMM

        def _fitted_start(self) -> Any | None:
            """The current fit's parameters (or posterior) if the model holds a fit that the
            present settings can continue, else ``None``."""

        def _problem(self, family: ExponentialFamily, data: Any = None) -> OnlineProblem:
            """The update rules under the fitted priors (``data``: a batch to resolve a prior
            the fit did not have)."""

        def _store_parameters(self, parameters: Any, problem: OnlineProblem) -> None:
            """The fitted attributes of ``parameters``."""

        def _initial_start(self, data: Any, problem: OnlineProblem) -> Any:
            """Starting parameters (or posterior) from the first batch."""

        def _keep_priors(self, problem: OnlineProblem) -> None:
            """The resolved priors of ``problem`` as fitted attributes."""

    def _remember_start(self, start: Any) -> None:
        """Anything a model keeps about the parameters it started from (default: nothing)."""

    # ------------------------------------------------------------------ shared
    def _online_mode(self) -> OnlineMode:
        """``online``, or the default for the inference; checked against it."""
        mode = self.online
        if mode is None:
            mode = StochasticVB() if self.inference == "vb" else StepwiseEM()
        if not isinstance(mode, OnlineMode):
            raise ValueError(
                f"online must be ExactPasses(), StepwiseEM(...) or StochasticVB(...); got {mode!r}"
            )
        mode.check(self.inference == "vb")
        return mode

    def _resume(self, family: ExponentialFamily) -> tuple[OnlineMode, OnlineState | None, Any | None]:
        """The mode, the online state to continue, and otherwise the fitted parameters to start
        from (both ``None``: this batch starts a new model, as after a change of family)."""
        mode = self._online_mode()
        if hasattr(self, "family_") and not self._same_family(family):
            return mode, None, None
        state = self._live_state(mode)
        return mode, state, None if state is not None else self._fitted_start()

    def _update(
        self, mode: OnlineMode, state: OnlineState | None, start: Any | None, problem: OnlineProblem,
        data: Any,
    ) -> None:
        """Feed one batch, first initialising from it when there is nothing to continue."""
        continuing = state is not None or start is not None
        if not continuing:
            start = self._initial_start(data, problem)
            self._forget_fit()
            self._remember_start(start)
        self._keep_priors(problem)
        self._feed(mode, state, start, problem, data, continuing)

    def _live_state(self, mode: OnlineMode) -> OnlineState | None:
        """The online state if it still describes the fitted model: no ``fit`` since, and the same
        mode, inference and size."""
        state = getattr(self, "online_state_", None)
        owner = self.__dict__.get("_online_owner")
        if state is None or owner is None or state.mode != mode:
            return None
        components, inference, size = owner
        current = (self.inference, getattr(self, self.size_name))
        if components is not getattr(self, "components_", None) or (inference, size) != current:
            return None
        return state

    def _first_batch_family(self, family: ExponentialFamily, rows: Rows, weights: Any) -> ExponentialFamily:
        """The family configured on the first batch, which must be able to seed the model."""
        size = getattr(self, self.size_name)
        if not isinstance(getattr(self, "init", None), tuple) and rows.n_samples < size:
            raise ValueError(
                f"the first partial_fit batch initialises the model and needs at least "
                f"{self.size_name}={size} rows; got a batch of {rows.n_samples} rows"
            )
        rows.check(family)
        caveat = family.first_batch_caveat(rows.x, weights)
        if caveat is not None:
            warnings.warn(f"partial_fit's first batch: {caveat}", UserWarning, stacklevel=4)
        return rows.configured_family(family, weights)

    def _forget_fit(self) -> None:
        for stale in (*self.fit_specific_state, "online_state_", "_online_owner"):
            self.__dict__.pop(stale, None)

    def _record(self, step: Update, problem: OnlineProblem, *, new_state: bool) -> None:
        """Fitted attributes from the online state after one call."""
        state = step.state
        if new_state:
            self.lower_bounds_ = []
        if step.objective is not None:
            self.lower_bounds_.append(step.objective)
        self._store_parameters(state.parameters, problem)
        self.online_state_ = state
        self._online_owner = (self.components_, self.inference, getattr(self, self.size_name))
        self.n_iter_ = state.n_updates
        self.converged_ = state.mode.converged(self.lower_bounds_, problem, self._tolerance())
        progress = state.mode.progress(state, problem)
        if self.lower_bounds_:
            self.lower_bound_ = self.lower_bounds_[-1]
        elif progress is not None:
            self.lower_bound_ = progress

    def _feed(
        self,
        mode: OnlineMode,
        state: OnlineState | None,
        start: Any,
        problem: OnlineProblem,
        data: Data | SequenceData,
        continuing: bool,
    ) -> None:
        """One batch through ``mode``, from ``state`` or a new state at ``start`` (``continuing``:
        a fitted start, which already summarises data)."""
        new_state = state is None
        if state is None:
            seen = problem.data_weight(start) if continuing else 0.0
            state = OnlineState(mode, start, seen_weight=seen)
        batch = problem.e_step(data, state.parameters)
        step = mode.absorb(state, batch, data.total_weight, problem)
        self._record(step, problem, new_state=new_state)

    def end_pass(self) -> Self:
        """End a pass over the data.

        With ``online=ExactPasses()`` this applies the update of one ``fit`` iteration (M-step,
        MAP mode or conjugate posterior) to the statistics that ``partial_fit`` summed since the
        previous pass ended, and appends that pass's objective to ``lower_bounds_``. The
        stochastic modes update after every batch, so for them it does nothing.

        Returns
        -------
        self
        """
        self._check_is_fitted("online_state_")
        mode = self._online_mode()
        state = self._live_state(mode)
        if state is None:
            raise ValueError(
                "end_pass() ends a pass of partial_fit calls, but the model was refitted (or its "
                "online mode, inference or size changed) since the last one: call partial_fit first"
            )
        problem = self._problem(self.family_)
        self._record(mode.end_pass(state, problem), problem, new_state=False)
        return self


class OnlineMixture(_OnlineModel):
    """``partial_fit`` for ``Mixture``."""

    n_components: int
    init: Any
    prior: ConjugatePrior | None
    weight_prior: WeightPrior | None
    weights_: Array
    prior_: ConjugatePrior
    weight_prior_: WeightPrior
    posterior_: VariationalPosterior

    if TYPE_CHECKING:  # provided by Mixture

        def _check_params(self) -> ExponentialFamily: ...
        def _initial_statistics(self, data: Data, rng: np.random.Generator) -> EStep: ...
        def _given_parameters(self, data: Data) -> MixtureParameters: ...
        def _store_posterior(
            self, posterior: VariationalPosterior, prior: ConjugatePrior, weight_prior: WeightPrior,
            family: ExponentialFamily,
        ) -> None: ...

    def partial_fit(self, X: Any, y: Any = None, *, sample_weight: Any = None) -> Self:
        """Update the model with one batch of rows ``X`` (``(n_samples, n_features)``).

        The first call initialises from this batch as ``fit`` would (``init``, ``random_state``;
        one run: ``n_init`` is not used), or, when the model is fitted already, continues from the
        current fit. Each call then feeds the batch to the ``online`` mode:

        * ``ExactPasses()``: the batch's statistics under the current parameters are added to the
          pass's sum; ``end_pass()`` applies the update. Passes over batches of the data equal
          ``fit``'s iterations.
        * ``StepwiseEM(kappa, tau)`` (EM's default): online EM, an update after every batch.
        * ``StochasticVB(total_samples, kappa, tau)`` (VB's default): stochastic VB, a
          natural-gradient step on the posterior after every batch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One batch of rows; every batch must have the same features.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the rows of this batch.

        Returns
        -------
        self
        """
        family = self._check_params()
        mode, state, start = self._resume(family)
        continuing = state is not None or start is not None
        if continuing:
            rows = self._validated(X)
            weights = rows.sample_weight(sample_weight)
            data = rows.chunked(self.family_, weights, chunk_size=self.chunk_size)
            problem = self._problem(self.family_, data)
        else:
            rows = self._fit_matrix(X, continuing=False)
            weights = rows.sample_weight(sample_weight)
            family = self._first_batch_family(family, rows, weights)
            data = rows.chunked(family, weights, chunk_size=self.chunk_size)
            problem = self._new_problem(data)
        self._update(mode, state, start, problem, data)
        self._store_common(data.family, X, rows)
        return self

    # ------------------------------------------------------------------ hooks
    def _fitted_start(self) -> Any | None:
        if not hasattr(self, "components_") or len(self.weights_) != self.n_components:
            return None
        if self.inference == "vb":
            return getattr(self, "posterior_", None)
        if hasattr(self, "posterior_"):  # a VB fit: its prior_ is not a MAP prior
            return None
        return MixtureParameters(self.components_.natural, self.weights_)

    def _new_problem(self, data: RowData) -> OnlineProblem:
        """The update rules with priors resolved on the batch ``data``."""
        family, size = data.family, self.n_components
        if self.inference == "vb":
            prior = data.configured_prior(self.prior or default_prior(family), size)
            weight_prior = (self.weight_prior or DirichletWeights()).for_data(size)
            return MixtureVariational(prior, weight_prior)
        if self.prior is None:
            return MixtureExpectationMaximisation(family)
        return MixtureExpectationMaximisation(family, data.configured_prior(self.prior, size))

    def _problem(self, family: ExponentialFamily, data: Any = None) -> OnlineProblem:
        if self.inference == "vb":
            return MixtureVariational(self.prior_, self.weight_prior_)
        if self.prior is not None and not hasattr(self, "prior_") and data is not None:
            # a maximum-likelihood fit continued with a prior: resolve it on this batch
            return self._new_problem(data)
        prior = getattr(self, "prior_", None) if self.prior is not None else None
        return MixtureExpectationMaximisation(family, prior)

    def _keep_priors(self, problem: OnlineProblem) -> None:
        if isinstance(problem, MixtureVariational):
            self.prior_, self.weight_prior_ = problem.prior, problem.weight_prior
        elif isinstance(problem, MixtureExpectationMaximisation) and problem.prior is not None:
            self.prior_ = problem.prior

    def _initial_start(self, data: Data, problem: OnlineProblem) -> Any:
        rng = self._rng()
        if isinstance(problem, MixtureVariational):
            if isinstance(self.init, tuple):
                raise ValueError(
                    "inference='vb' starts from responsibilities; init=(weights, components) is "
                    "for EM"
                )
            return posterior_from_statistics(
                problem.prior, problem.weight_prior, self._initial_statistics(data, rng)
            )
        if isinstance(self.init, tuple):
            return self._given_parameters(data)
        assert isinstance(problem, MixtureExpectationMaximisation)
        return m_step(data.family, self._initial_statistics(data, rng).statistics, prior=problem.prior)

    def _store_parameters(self, parameters: Any, problem: OnlineProblem) -> None:
        if isinstance(problem, MixtureVariational):
            self._store_posterior(parameters, problem.prior, problem.weight_prior, self._family_of(problem))
        else:
            assert isinstance(problem, MixtureExpectationMaximisation)
            self.weights_ = parameters.weights
            self.components_ = problem.family.components(parameters.natural)

    @staticmethod
    def _family_of(problem: MixtureVariational) -> ExponentialFamily:
        return problem.prior.family


class OnlineHMM(_OnlineModel):
    """``partial_fit`` for ``HMM``."""

    n_states: int
    init: Any
    prior: ConjugatePrior | None
    fixed: tuple[str, ...]
    startprob_: Array
    transmat_: Array
    prior_: ConjugatePrior
    priors_: HMMPriors
    posterior_: HMMPosterior

    if TYPE_CHECKING:  # provided by HMM

        def _check_params(self) -> ExponentialFamily: ...
        def _initial_responsibilities(
            self, data: SequenceData, rng: np.random.Generator
        ) -> Responsibilities: ...
        def _given_parameters(self, data: SequenceData) -> HMMParameters: ...
        def _variational_priors(self, data: SequenceData) -> HMMPriors: ...
        def _store_posterior(
            self, posterior: HMMPosterior, priors: HMMPriors, family: ExponentialFamily
        ) -> None: ...

    def partial_fit(
        self,
        X: Any,
        y: Any = None,
        *,
        lengths: Any = None,
        sample_weight: Any = None,
        sequence_weight: Any = None,
    ) -> Self:
        """Update the model with one batch of whole sequences ``X`` (stacked along the rows).

        As ``Mixture.partial_fit``: the first call initialises from this batch (or continues a
        fitted model), then the ``online`` mode takes the batch: ``ExactPasses()`` sums its
        statistics until ``end_pass()``; ``StepwiseEM`` (EM's default) and ``StochasticVB`` (VB's
        default) update after every batch. The statistics include initial-state and transition
        counts, so a batch must not cut a sequence: split the data at sequence boundaries.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The batch's sequences, concatenated.
        y : ignored
        lengths : array-like of int, optional
            Lengths of the batch's sequences (default: one sequence).
        sample_weight : array-like of shape (n_samples,), optional
            Per-row weights (tempering each observation's emission).
        sequence_weight : array-like of shape (n_sequences,), optional
            Per-sequence weights (counting a sequence that many times).

        Returns
        -------
        self
        """
        family = self._check_params()
        mode, state, start = self._resume(family)
        continuing = state is not None or start is not None
        rows = self._validated(X) if continuing else self._fit_matrix(X, continuing=False)
        layout = SequenceLayout.checked(lengths, rows.n_samples, sequence_weight)
        row_weights = rows.sample_weight(sample_weight)
        if continuing:
            family = self.family_
        else:
            family = self._first_batch_family(family, rows, rows.full_weights(row_weights, layout))
        data = SequenceData(
            rows.chunked(family, row_weights, chunk_size=self.chunk_size, layout=layout)
        )
        problem = self._problem(family, data) if continuing else self._new_problem(data)
        self._update(mode, state, start, problem, data)
        self._store_common(family, X, rows)
        return self

    # ------------------------------------------------------------------ hooks
    def _fitted_start(self) -> Any | None:
        if not hasattr(self, "components_") or len(self.startprob_) != self.n_states:
            return None
        if self.inference == "vb":
            return getattr(self, "posterior_", None)
        if hasattr(self, "posterior_"):
            return None
        return HMMParameters(self.startprob_, self.transmat_, self.components_.natural)

    def _new_problem(self, data: SequenceData) -> OnlineProblem:
        if self.inference == "vb":
            return HMMVariational(self._variational_priors(data))
        prior = None
        if self.prior is not None:
            prior = data.configured_prior(self.prior, self.n_states)
        return HMMExpectationMaximisation(data.family, prior, tuple(self.fixed))

    def _problem(self, family: ExponentialFamily, data: SequenceData | None = None) -> OnlineProblem:
        if self.inference == "vb":
            return HMMVariational(self.priors_)
        if self.prior is not None and not hasattr(self, "prior_") and data is not None:
            return self._new_problem(data)
        prior = getattr(self, "prior_", None) if self.prior is not None else None
        return HMMExpectationMaximisation(family, prior, tuple(self.fixed))

    def _keep_priors(self, problem: OnlineProblem) -> None:
        if isinstance(problem, HMMVariational):
            self.priors_ = problem.priors
        elif isinstance(problem, HMMExpectationMaximisation) and problem.prior is not None:
            self.prior_ = problem.prior

    def _initial_start(self, data: SequenceData, problem: OnlineProblem) -> Any:
        from mixtures.models.hmm import with_pseudo_counts

        if isinstance(self.init, tuple):
            if isinstance(problem, HMMVariational):
                raise ValueError("inference='vb' starts from responsibilities; pass a string init")
            return self._given_parameters(data)
        rng = self._rng()
        statistics = statistics_of_responsibilities(data, self._initial_responsibilities(data, rng))
        if isinstance(problem, HMMVariational):
            return problem.priors.update(statistics)
        assert isinstance(problem, HMMExpectationMaximisation)
        return hmm_m_step(data.family, with_pseudo_counts(statistics), prior=problem.prior)[0]

    def _remember_start(self, start: Any) -> None:
        if isinstance(start, HMMParameters):  # EM keeps the zeros it starts from: structural
            self._structural_zeros = (start.startprob == 0, start.transmat == 0)

    def _store_parameters(self, parameters: Any, problem: OnlineProblem) -> None:
        if isinstance(problem, HMMVariational):
            self._store_posterior(parameters, problem.priors, problem.priors.components.family)
        else:
            assert isinstance(problem, HMMExpectationMaximisation)
            self.startprob_ = parameters.startprob
            self.transmat_ = parameters.transmat
            self.components_ = problem.family.components(parameters.natural)
