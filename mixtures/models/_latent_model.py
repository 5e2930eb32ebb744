"""What ``Mixture`` and ``HMM`` share: settings checks, ``fit`` and ``partial_fit`` over the one
fitting problem each model builds (``LatentModel._problem``), convergence bookkeeping, the
warnings of a fit, and the validation of data given to a fitted model."""

from __future__ import annotations

import abc
import functools
import os
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Self

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._validation import (
    check_int,
    check_product_dtype,
    check_random_state,
    check_real,
    column_names,
    columns_in_fit_order,
)
from mixtures.exceptions import ConvergenceWarning
from mixtures.families.base import Components, ExponentialFamily
from mixtures.families.held import HeldPart
from mixtures.inference.data import Chunk, Data
from mixtures.inference.fit import Run, best_run, warn_about, warn_if_stuck
from mixtures.inference.loop import SETTLED, StoppingRule, Trajectory
from mixtures.inference.missing import check_observed_columns
from mixtures.inference.online import OnlineMode, OnlineState, StepwiseEM, StochasticVB, Update
from mixtures.inference.problem import ExpectationMaximisation, FitProblem, VariationalBayes
from mixtures.inference.rows import Rows
from mixtures.inference.sources import rows_of
from mixtures.inference.starts import Start
from mixtures.latent.structure import LatentStructure
from mixtures.models._estimator import Estimator
from mixtures.models.families import resolve_family
from mixtures.models.peer_names import missing_attribute
from mixtures.models.verbose import printing_iterations
from mixtures.priors import ConjugatePrior

__all__ = ["INFERENCES", "Inference", "LatentModel", "resolve_inference"]

Array = NDArray[np.float64]


@attrs.frozen
class Inference:
    """What the ``inference`` setting stands for, resolved once: whether the fit estimates a
    distribution over the parameters (VB) and the online mode ``partial_fit`` uses by default."""

    name: str
    variational: bool
    default_online: OnlineMode


INFERENCES = {
    "em": Inference("em", False, StepwiseEM()),
    "vb": Inference("vb", True, StochasticVB()),
}


#: The ``missing`` setting: whether NaN entries of ``X`` are missing values, marginalised out of
#: the fit (``mixtures.inference.missing``), or errors.
MISSING_VALUES = {"raise": False, "marginalize": True}


def resolve_inference(name: Any) -> Inference:
    """The ``inference`` setting ``name`` resolved (a ``ValueError`` names it if unknown)."""
    try:
        return INFERENCES[name]
    except (KeyError, TypeError):
        raise ValueError(f"inference must be one of {tuple(INFERENCES)}; got {name!r}") from None


class LatentModel(Estimator, abc.ABC):
    """Base of the latent-variable estimators: ``fit``'s restarts, ``partial_fit`` and
    ``end_pass`` written once over the model's ``FitProblem``. A subclass names its latent
    structure, its size parameter, its default tolerances and the fitted attributes a fresh (not
    warm-started) fit must forget, and implements the abstract methods: how it builds its problem
    and its start, and which fitted attributes it keeps."""

    structure: LatentStructure[Any, Any]  # a class attribute, or a property of the settings
    size_name: ClassVar[str]
    #: The names ``fixed`` accepts for the model's own parameters, and the fields each keeps: of
    #: the point parameters (EM) and of ``q`` (VB). Other names are parts the family holds.
    fixable: ClassVar[dict[str, tuple[str, str]]]
    default_tolerance: ClassVar[dict[str, float]]
    #: Other libraries' names for what this estimator keeps elsewhere, with where (``peer_names``).
    peer_names: ClassVar[dict[str, tuple[str, str]]] = {}
    fit_specific_state: ClassVar[tuple[str, ...]] = ()

    # settings every subclass takes in __init__
    family: ExponentialFamily | str | None
    random_state: int | np.random.Generator | np.random.RandomState | None
    max_iter: int
    tol: float | None
    n_init: int
    inference: str
    warm_start: bool
    chunk_size: int | None
    product_dtype: Any
    prior: ConjugatePrior | None
    online: OnlineMode | None
    fixed: tuple[str, ...]
    missing: str
    verbose: int
    verbose_interval: int

    family_: ExponentialFamily
    components_: Components
    online_state_: OnlineState
    lower_bounds_: list[float]
    prior_: ConjugatePrior
    posterior_: Any

    if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any attribute

        def __getattr__(self, name: str) -> Any:
            """Called only for attributes the estimator lacks: a name scikit-learn or hmmlearn
            uses (``means_``...) gets an error that says where the value lives."""
            raise missing_attribute(type(self).__name__, name, type(self).peer_names)

    # ------------------------------------------------------------------ what each model says
    @abc.abstractmethod
    def _check_params(self) -> ExponentialFamily:
        """Check the settings; the resolved family."""

    @abc.abstractmethod
    def _resolved_priors(self, data: Data) -> Any:
        """VB's priors (the structure's value of distributions) resolved on ``data``."""

    @abc.abstractmethod
    def _fitted_priors(self) -> Any:
        """VB's priors of the current fit."""

    def _configured(self, prior: ConjugatePrior, data: Any) -> ConjugatePrior:
        """A component prior with its data-dependent defaults resolved on ``data`` (the rows
        counted with their full weights)."""
        return data.configured_prior(prior, self._n_labels())

    def _n_labels(self) -> int:
        """The number of labels the emissions see (components of a mixture, states of an HMM;
        state-component pairs of an HMM with mixture emissions)."""
        return int(getattr(self, self.size_name))

    @abc.abstractmethod
    def _start(self, data: Data) -> Start:
        """``init`` resolved: given parameters, given responsibilities, or a method."""

    @abc.abstractmethod
    def _fitted_point(self) -> Any:
        """The current fit's point parameters (the structure's value)."""

    @abc.abstractmethod
    def _keep(self, problem: FitProblem[Any], parameters: Any) -> None:
        """The fitted attributes of ``parameters`` (point or ``q``) and ``problem``'s priors."""

    def _frozen(self) -> frozenset[str]:
        """Fields of the point parameters (or of ``q``) that ``fixed`` keeps at their start."""
        names = [name for name in self.fixed if name in self.fixable]
        return frozen_fields(names, self.fixable, self._inference().variational)

    def _held(self, family: ExponentialFamily) -> HeldPart | None:
        """The part of every component that ``fixed`` holds through its family (a Gaussian's
        ``"means"``), or ``None``."""
        parts = frozenset(self.fixed) - set(self.fixable)
        return family.held_part(parts) if parts else None

    def _free_component_parameters(self) -> int:
        """Free parameters of the fitted components, without what ``fixed`` keeps (for BIC)."""
        if "components" in self.fixed:
            return 0
        natural = self.components_.natural
        held = self._held(self.family_)
        kept = 0 if held is None else held.n_held(self.family_, natural)
        return self.family_.n_free_parameters(natural) - kept

    def _latent_prior(self) -> Any:
        """MAP-EM's prior on the latent parameters, resolved from the settings (default: none)."""
        return None

    def _rows(self, data: Data) -> Data:
        """The rows of ``data`` as independent observations (what starts cluster)."""
        return data

    def _remember_start(self, start: Any, problem: FitProblem[Any]) -> None:
        """Anything a model keeps about the parameters it started from (default: nothing)."""

    def _check_fit(self, problem: FitProblem[Any], data: Data, result: Run, rng: np.random.Generator) -> None:
        """Diagnostics particular to a model after ``fit`` (default: none)."""

    # ------------------------------------------------------------------ the problem, once
    def _inference(self) -> Inference:
        """The ``inference`` setting, resolved (checked: a ``ValueError`` names it)."""
        return resolve_inference(self.inference)

    def _problem(self, data: Data | None) -> FitProblem[Any]:
        """The fitting problem of this model, built here only: its latent structure with the
        inference, under the priors of the fit it continues if it holds one (a fresh fit forgets
        them first), else resolved on ``data``."""
        if self._inference().variational:
            family = self.family_ if data is None else data.family
            held = self._held(family)
            if data is None or hasattr(self, "posterior_"):
                return VariationalBayes(self.structure, self._fitted_priors(), self._frozen(), held)
            return VariationalBayes(self.structure, self._resolved_priors(data), self._frozen(), held)
        if data is None:  # the online fit in progress: its prior, if the settings still ask for one
            prior = getattr(self, "prior_", None) if self.prior is not None else None
            return ExpectationMaximisation(
                self.structure, self.family_, prior, self._frozen(), self._latent_prior(),
                self._held(self.family_),
            )
        prior = None
        if self.prior is not None:  # MAP-EM: the fitted prior, unless the fit was VB's or had none
            fitted = hasattr(self, "prior_") and not hasattr(self, "posterior_")
            prior = self.prior_ if fitted else self._configured(self.prior, data)
        return ExpectationMaximisation(
            self.structure, data.family, prior, self._frozen(), self._latent_prior(),
            self._held(data.family),
        )

    def _fitted_problem(self) -> FitProblem[Any]:
        """The problem the current fit solved (for prediction): VB's with its fitted priors, or
        EM's with its fitted prior, if any."""
        if hasattr(self, "posterior_"):
            return VariationalBayes(self.structure, self._fitted_priors())
        return ExpectationMaximisation(self.structure, self.family_, getattr(self, "prior_", None))

    def _fitted_parameters(self) -> Any:
        """What the current fit estimated: ``q`` after VB, the point parameters after EM."""
        return self.posterior_ if hasattr(self, "posterior_") else self._fitted_point()

    def _fitted_start(self) -> Any | None:
        """The current fit's parameters (or posterior) if the model holds a fit that the present
        settings can continue, else ``None``."""
        if not hasattr(self, "components_") or len(self.components_) != self._n_labels():
            return None
        if self._inference().variational:
            return getattr(self, "posterior_", None)
        if hasattr(self, "posterior_"):  # a VB fit: its prior_ is not a MAP prior
            return None
        return self._fitted_point()

    def _fit_data(self, X: Any, rows: Rows, data: Data, continued: Any | None) -> None:
        """``fit`` on prepared ``data``: restarts from ``init``, or one run from ``continued`` (the
        current fit's parameters, with a warm start); the best run kept, its warnings."""
        problem = self._problem(data)
        rng = self._rng()
        objective = f"{problem.objective_description()}/row"
        with printing_iterations(self.verbose, objective, self.verbose_interval):
            if continued is not None:
                starts = [continued]
            else:
                size = self._n_labels()
                starts = self._start(data).points(problem, data, self._rows(data), self.n_init, size, rng)
            result = best_run(
                problem, data, starts, max_iter=self.max_iter, tol=self._tolerance(),
                stop=self._stopping_rule(),
            )
        self._remember_start(result.start, problem)
        self._keep(problem, result.parameters)
        self._store_trajectory(result.trajectory)
        warn_if_stuck(problem, data, result, stacklevel=4)
        warn_about(problem, result.findings, stacklevel=4)
        self._check_fit(problem, data, result, rng)
        self._store_common(data.family, X, rows)

    # ------------------------------------------------------------------ fitting
    def _check_common_settings(self) -> ExponentialFamily:
        """Check the shared settings and return the resolved family."""
        family = resolve_family(self.family)
        check_int(getattr(self, self.size_name), self.size_name, 1)
        check_int(self.max_iter, "max_iter", 0)  # 0: initialise only, as scikit-learn and hmmlearn
        check_int(self.n_init, "n_init", 1)
        if not isinstance(self.verbose, bool | np.bool_):  # True/False as hmmlearn's
            check_int(self.verbose, "verbose", 0)
        check_int(self.verbose_interval, "verbose_interval", 1)
        tol, chunk_size = self.tol, self.chunk_size
        if tol is not None:
            check_real(tol, "tol", 0.0)
        if chunk_size is not None:
            check_int(chunk_size, "chunk_size", 1)
        self._product_dtype()
        self._marginalises()
        self._inference()
        prior = self.prior
        if prior is not None and not isinstance(prior, ConjugatePrior):
            raise ValueError(f"prior must be a ConjugatePrior (e.g. NormalWishart()); got {prior!r}")
        return family

    def _product_dtype(self) -> np.dtype[Any]:
        """``product_dtype`` as a dtype (checked: a ``ValueError`` names it)."""
        return check_product_dtype(self.product_dtype)

    def _rng(self) -> np.random.Generator:
        """The random generator of ``random_state`` (checked: a ``ValueError`` names it)."""
        return check_random_state(self.random_state)

    def _continues_fit(self) -> bool:
        """Whether ``fit`` continues the current fit (``warm_start`` on a fitted model)."""
        if not isinstance(self.warm_start, bool | np.bool_):
            raise ValueError(f"warm_start must be True or False; got {self.warm_start!r}")
        return bool(self.warm_start) and hasattr(self, "components_")

    def _marginalises(self) -> bool:
        """The ``missing`` setting, resolved: whether NaN entries are missing values."""
        if self.missing not in MISSING_VALUES:
            raise ValueError(f"missing must be one of {tuple(MISSING_VALUES)}; got {self.missing!r}")
        return MISSING_VALUES[self.missing]

    def _fit_matrix(self, X: Any, *, continuing: bool) -> Rows:
        """``X`` for a fit: its column names (if any) must be unique, and a fit that continues
        a fit made on named columns finds its columns by name (see ``_validated``)."""
        fitted = getattr(self, "feature_names_in_", None) if continuing else None
        column_names(X)
        rows = rows_of(columns_in_fit_order(X, fitted), missing=self._marginalises())
        check_observed_columns(rows.missing)
        return rows

    def _start_fit(
        self, family: ExponentialFamily, rows: Rows, weights: Any
    ) -> tuple[ExponentialFamily, Any | None]:
        """The family for this fit and the parameters it continues from: a warm start keeps the
        fitted family and continues the fitted parameters (or posterior); a fresh fit (``None``)
        forgets the previous fit's state and configures ``family`` on the rows. The rows are
        checked block by block (on the workers for a ``dask.array``)."""
        size = getattr(self, self.size_name)
        if rows.n_samples < size:
            raise ValueError(f"{self.size_name}={size} must be <= n_samples={rows.n_samples}")
        warm = self._continues_fit()
        if warm:
            self._check_features(rows)
            self._check_warm_settings(family, rows, weights)
            family = self.family_
        else:
            for stale in self.fit_specific_state:
                self.__dict__.pop(stale, None)
        rows.check(family)
        if warm:
            return family, self._fitted_parameters()
        return rows.configured_family(family, weights), None

    # ------------------------------------------------------------------ online
    def _online_mode(self) -> OnlineMode:
        """``online``, or the default for the inference; checked against it."""
        inference = self._inference()
        mode = inference.default_online if self.online is None else self.online
        if not isinstance(mode, OnlineMode):
            raise ValueError(
                f"online must be ExactPasses(), StepwiseEM(...) or StochasticVB(...); got {mode!r}"
            )
        mode.check(inference.variational)
        return mode

    def _resume(self, X: Any) -> tuple[ExponentialFamily, OnlineMode, OnlineState | None, Any, Rows]:
        """For ``partial_fit``: the family the settings give, the mode, the online state to
        continue, and otherwise the fitted parameters to start from (both ``None``: this batch
        starts a new model, as after a change of family), and the batch's rows (checked against
        the fit they continue)."""
        family = self._check_params()
        mode = self._online_mode()
        state, start = None, None
        if not hasattr(self, "family_") or self._same_family(family):
            state = self._live_state(mode)
            start = None if state is not None else self._fitted_start()
        if state is None and start is None:
            return family, mode, None, None, self._fit_matrix(X, continuing=False)
        return self.family_, mode, state, start, self._validated(X)

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

    def _partial_fit_data(
        self, X: Any, rows: Rows, data: Data, mode: OnlineMode, state: OnlineState | None, start: Any
    ) -> None:
        """Feed one prepared batch to ``mode``: from ``state``, from the fitted ``start``, or (both
        ``None``) from a start drawn on this batch as ``fit`` would (one run)."""
        new_state = state is None
        if state is None and start is None:  # a new model, started on this batch
            for stale in (*self.fit_specific_state, "online_state_", "_online_owner"):
                self.__dict__.pop(stale, None)
            problem = self._problem(data)
            size = self._n_labels()
            start = self._start(data).points(problem, data, self._rows(data), 1, size, self._rng())[0]
            self._remember_start(start, problem)
            state = OnlineState(mode, start)
        else:
            problem = self._problem(data)
        if state is None:  # a fitted start already summarises the data it was fitted to
            state = OnlineState(mode, start, seen_weight=problem.data_weight(start))
        batch = problem.e_step(data, state.parameters)
        self._record(mode.absorb(state, batch, data.total_weight, problem), problem, new_state=new_state)
        self._store_common(data.family, X, rows)

    def _record(self, step: Update, problem: FitProblem[Any], *, new_state: bool) -> None:
        """Fitted attributes from the online state after one call, and the warnings of its
        update (as ``fit`` warns)."""
        state = step.state
        if new_state:
            self.lower_bounds_ = []
        if step.objective is not None:
            self.lower_bounds_.append(step.objective)
        self._keep(problem, state.parameters)
        self.online_state_ = state
        self._online_owner = (self.components_, self.inference, getattr(self, self.size_name))
        self.n_iter_ = state.n_updates
        self.converged_ = state.mode.converged(self.lower_bounds_, problem, self._tolerance())
        progress = state.mode.progress(state, problem)
        if self.lower_bounds_:
            self.lower_bound_ = self.lower_bounds_[-1]
        elif progress is not None:
            self.lower_bound_ = progress
        warn_about(problem, step.findings, stacklevel=5)

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
        problem = self._problem(None)
        self._record(mode.end_pass(state, problem), problem, new_state=False)
        return self

    def _check_warm_settings(self, family: ExponentialFamily, rows: Rows, weights: Any) -> None:
        """A warm start continues the fitted parameters, so it refuses settings changed since
        that fit in a way the parameters cannot follow, rather than silently keeping the old
        ones: the size, the inference, the family (its class, or a setting given explicitly, such
        as ``Categorical(n_categories=5)``) and the priors. Settings left to the data (``None``)
        are not compared."""
        changes: list[tuple[str, Any, Any]] = []
        if self._n_labels() != len(self.components_):
            changes.append(self._size_change())
        inference = self._inference()
        if inference.variational != hasattr(self, "posterior_"):
            fitted = next(i.name for i in INFERENCES.values() if i.variational != inference.variational)
            changes.append(("inference", fitted, inference.name))
        if type(family) is not type(self.family_):
            changes.append(("family", self.family_, family))
        else:
            configured = rows.configured_family(family, weights)
            changes += changed_settings("family", family, configured, self.family_)
            if not changes:
                changes += self._prior_changes(rows, weights)
        if changes:
            listed = "; ".join(
                f"{name} was {_shown(old)} at that fit and is {_shown(new)} now"
                for name, old, new in changes
            )
            raise ValueError(
                f"warm_start=True continues the fitted {type(self).__name__} from its current "
                f"parameters, but settings that shape them changed: {listed}. Set "
                f"warm_start=False to fit afresh with the new settings (or restore the old ones)"
            )

    def _size_change(self) -> tuple[str, Any, Any]:
        """The setting that changed the number of labels since the fit: (name, fitted, now)."""
        return self.size_name, len(self.components_), getattr(self, self.size_name)

    def _same_family(self, family: ExponentialFamily) -> bool:
        """Whether the family setting still describes the fitted ``family_``: the same class and
        the same explicitly given settings (those left to the data are not compared)."""
        return type(family) is type(self.family_) and not changed_settings(
            "family", family, family, self.family_
        )

    def _prior_changes(self, rows: Rows, weights: Any) -> list[tuple[str, Any, Any]]:
        """Prior settings changed since the fit a warm start continues: ``(name, old, new)``."""
        return []

    def _stopping_rule(self) -> StoppingRule:
        """When a run of ``fit`` has converged (a model with a ``convergence`` setting says)."""
        return SETTLED

    def _tolerance(self) -> float:
        tol = self.tol
        return self.default_tolerance[self._inference().name] if tol is None else float(tol)

    def _store_trajectory(self, trajectory: Trajectory[Any]) -> None:
        self.converged_ = trajectory.converged
        self.n_iter_ = trajectory.n_iter
        self.lower_bound_ = trajectory.objective
        self.lower_bounds_ = list(trajectory.objectives)
        if trajectory.n_iter == 0:
            warnings.warn(
                f"{type(self).__name__} ran no iterations (max_iter=0): the parameters are the "
                f"initial ones and lower_bound_ is the objective at the start",
                ConvergenceWarning,
                stacklevel=4,
            )
        elif not trajectory.converged:
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={self.max_iter} "
                f"iterations (last change {trajectory.objectives[-1] - trajectory.objectives[-2]:.3g}, "
                f"tol={self._tolerance()}); increase max_iter or tol, or check the data",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _store_common(self, family: ExponentialFamily, X: Any, rows: Rows) -> None:
        """Attributes every fit sets. The feature names are those of ``X`` for a new fit; a fit
        that continues a fit made on named columns keeps those (``rows`` are in their order)."""
        self.family_ = family
        self.n_features_in_ = rows.n_features
        names = column_names(X)
        if names is not None and not hasattr(self, "feature_names_in_"):
            self.feature_names_in_ = names

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags, with the input tags the family's support implies (non-negative
        integers for counts and symbols)."""
        tags = super().__sklearn_tags__()
        try:
            support = resolve_family(self.family).data_support()
        except ValueError:  # an invalid family: fit will say so
            return tags
        tags.input_tags.positive_only = support.non_negative
        tags.input_tags.categorical = support.integer
        return tags

    # ------------------------------------------------------------------ using a fit
    predict_proba: Callable[..., Array]  # each model's posterior over its labels, per row

    def impute(self, X: Any, **posterior: Any) -> Array:
        """``X`` with each missing entry (NaN) replaced by its conditional expectation under the
        fitted model, ``E[x_m | x_o] = Σ_k p(k | x_o) E_k[x_m | x_o]`` (``k`` a component, or an
        HMM's state given the whole sequence); observed entries are returned as given.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with NaN where a value is missing; the model must have ``missing="marginalize"``.
        **posterior
            Passed to ``predict_proba`` (an HMM's ``lengths``).

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        if not self._marginalises():
            raise ValueError("impute fills NaN entries: set missing='marginalize' on the model first")
        rows = self._validated(X)
        responsibilities: tuple[Any, ...] = ()
        if rows.missing is not None:
            if self._n_labels() != getattr(self, self.size_name):  # labels are (state, component) pairs
                raise ValueError(
                    "impute is not supported for HMMs whose states emit mixtures (n_mix > 1) yet"
                )
            responsibilities = (self.predict_proba(X, **posterior),)
        natural = self._fitted_problem().point(self._fitted_parameters()).natural
        return rows.map_rows(
            self.family_, functools.partial(_chunk_imputed, self.family_, natural), rows.n_features,
            chunk_size=self.chunk_size, row_arrays=responsibilities,
        )

    def _check_features(self, rows: Rows) -> None:
        if rows.n_features != self.n_features_in_:
            raise ValueError(
                f"X has {rows.n_features} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (it was fitted with "
                f"{self.n_features_in_})"
            )

    def _validated(self, X: Any) -> Rows:
        """``X`` as rows a fitted model accepts: right width, inside the family's support.
        When the fit saw column names (``feature_names_in_``), a DataFrame's columns are found
        by name: the same names in another order are put back in the fit's order, unknown or
        missing names are refused (naming them); an array is read by position."""
        self._check_is_fitted("components_")
        names = getattr(self, "feature_names_in_", None)
        rows = rows_of(columns_in_fit_order(X, names), missing=self._marginalises())
        self._check_features(rows)
        rows.check(self.family_)
        return rows

    # ------------------------------------------------------------------ model files
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write this model to a safe model file (see ``docs/model-files.md``).

        Parameters
        ----------
        path : str or os.PathLike
            Where to write; exactly this path (``.npz`` is conventional but not added), replaced
            atomically if it exists. ``mixtures.load(path)`` reads the model back, fitted
            attributes and settings bit for bit; an unfitted model is saved with its settings.

        Raises
        ------
        ValueError
            If the model holds something a model file cannot (e.g. a family class of your own
            that is not registered with ``mixtures.io.register_family``); the message names it.
        """
        writer = Estimator.model_file_writer
        if writer is None:
            raise ValueError("model files need mixtures.io: import mixtures (or mixtures.io) first")
        writer(self, path)


def _chunk_imputed(
    family: ExponentialFamily, natural: Array, chunk: Chunk, responsibilities: Array | None = None
) -> Array:
    """The chunk's rows with each missing entry replaced by ``Σ_k p(k | ·) E_k[x_m | x_o]``
    (``responsibilities``: the rows' ``p(k | ·)``, needed when some miss values)."""
    completed = np.array(chunk.x, dtype=np.float64, copy=True)
    if chunk.missing is None or responsibilities is None:
        return completed
    incomplete, mask = chunk.missing.positions, chunk.missing.mask
    means = family.completion(completed[incomplete], mask, natural).conditional_means()
    expected = np.einsum("nk,nkd->nd", responsibilities[incomplete], means)
    completed[incomplete] = np.where(mask, expected, completed[incomplete])
    return completed


def check_fixed(fixed: Any, fixable: dict[str, tuple[str, str]], family: ExponentialFamily) -> None:
    """``fixed`` names parameters from ``fixable`` or parts of the components that ``family``
    can hold (a sequence, not one string)."""
    names = () if isinstance(fixed, str) else tuple(fixed)
    if isinstance(fixed, str) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"fixed must be a sequence of names from {tuple(fixable)}; got {fixed!r}")
    parts = frozenset(names) - set(fixable)
    if parts:
        try:
            family.held_part(parts)
        except ValueError as error:
            raise ValueError(
                f"fixed must name parameters from {tuple(fixable)} or parts of the components "
                f"the family can hold; got {fixed!r}: {error}"
            ) from None


def frozen_fields(fixed: Any, fixable: dict[str, tuple[str, str]], variational: bool) -> frozenset[str]:
    """The fields of the fitted value that ``fixed`` keeps: of the point parameters (EM) or of
    ``q`` (VB)."""
    return frozenset(fixable[name][1 if variational else 0] for name in fixed)


def changed_settings(path: str, setting: Any, configured: Any, fitted: Any) -> list[tuple[str, Any, Any]]:
    """Where the setting ``setting`` (a family or prior, as given) differs from ``fitted`` (the
    configured value a fit used), field by field: ``(path, old, new)``. ``configured`` is
    ``setting`` configured on the new data: a field that is ``None`` in ``setting``, or that its
    configuration changes, comes from the data and is not compared."""
    if setting is None:
        return []  # left to the data
    if attrs.has(type(setting)) or attrs.has(type(fitted)):
        if type(fitted) is not type(setting):
            return [(path, fitted, setting)]
        if type(configured) is not type(setting):
            return []
        changes: list[tuple[str, Any, Any]] = []
        for field in attrs.fields(type(setting)):
            if field.eq:
                changes += changed_settings(
                    f"{path}.{field.name}",
                    getattr(setting, field.name),
                    getattr(configured, field.name),
                    getattr(fitted, field.name),
                )
        return changes
    if (
        isinstance(setting, list | tuple)
        and isinstance(configured, list | tuple)
        and isinstance(fitted, list | tuple)
        and len(setting) == len(configured) == len(fitted)
    ):
        changes = []
        for index, (a, b, c) in enumerate(zip(setting, configured, fitted, strict=True)):
            changes += changed_settings(f"{path}[{index}]", a, b, c)
        return changes
    if same_setting(setting, configured):
        return [] if same_setting(setting, fitted) else [(path, fitted, setting)]
    if _broadcast_of(setting, configured):  # e.g. dof=5 stored as one value per component
        return [] if same_setting(configured, fitted) else [(path, fitted, setting)]
    return []  # set from the data


def _broadcast_of(setting: Any, configured: Any) -> bool:
    """Whether ``configured`` is ``setting`` repeated to a larger shape (no data involved)."""
    try:
        target = np.asarray(configured, dtype=np.float64)
        repeated = np.broadcast_to(np.asarray(setting, dtype=np.float64), target.shape)
        return bool(np.array_equal(repeated, target))
    except (TypeError, ValueError):
        return False


def _shown(value: Any) -> str:
    """A setting in a message: a family or prior by its class, anything else by a short repr."""
    if attrs.has(type(value)) or isinstance(value, ExponentialFamily | ConjugatePrior):
        return f"{type(value).__name__}(...)"
    text = np.array2string(value, threshold=6) if isinstance(value, np.ndarray) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def same_setting(a: Any, b: Any) -> bool:
    """Whether two settings (families, priors, numbers, arrays, or sequences of them) are equal,
    field by field for attrs values and element by element for arrays."""
    if a is b:
        return True
    if attrs.has(type(a)) or attrs.has(type(b)):
        if type(a) is not type(b):
            return False
        return all(
            same_setting(getattr(a, field.name), getattr(b, field.name))
            for field in attrs.fields(type(a))
            if field.eq
        )
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return bool(np.array_equal(np.asarray(a), np.asarray(b)))
        except (TypeError, ValueError):
            return False
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_setting(u, v) for u, v in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
