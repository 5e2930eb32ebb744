"""``Mixture``: an i.i.d. mixture of any exponential family, with a scikit-learn-shaped API."""

from __future__ import annotations

import functools
import warnings
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import log_sum_exp_rows
from mixtures._validation import as_float_values, as_sample_weight, check_int
from mixtures.exceptions import CollapsedFitWarning
from mixtures.families.base import Components, ExponentialFamily
from mixtures.inference.data import Chunk, Data
from mixtures.inference.fit import Run, run
from mixtures.inference.initialization import START_METHODS
from mixtures.inference.labels import checked_labels
from mixtures.inference.loop import STOPPING_RULES, StoppingRule, Trajectory, unobserved
from mixtures.inference.online import OnlineMode
from mixtures.inference.problem import ExpectationMaximisation, FitProblem, VariationalBayes
from mixtures.inference.rows import Rows
from mixtures.inference.sources import rows_of
from mixtures.inference.starts import (
    FromMethod,
    GivenParameters,
    GivenResponsibilities,
    PartialInit,
    Start,
    WithGivenParts,
)
from mixtures.latent.mixing import Mixing, MixtureParameters, VariationalPosterior, chunk_posterior
from mixtures.latent.mixture import log_mixture_weights
from mixtures.models._latent_model import LatentModel, changed_settings, check_fixed
from mixtures.models.peer_names import MIXTURE_NAMES
from mixtures.models.summary import summary
from mixtures.priors import ConjugatePrior, default_prior
from mixtures.priors.weights import DirichletWeights, WeightPrior

__all__ = ["Mixture"]

Array = NDArray[np.float64]
#: The names ``fixed`` accepts, and the fields each keeps: of the point parameters (EM) and of
#: ``q`` (VB).
FIXABLE = {"weights": ("weights", "weights"), "components": ("natural", "components")}
#: A component that received less than this share of the data counts as switched off (VB).
EFFECTIVE_WEIGHT = 0.01
#: A BIC lower by more than this is "very strong" evidence (Kass & Raftery 1995: 2 log Bayes
#: factor > 10) that the data support more components than a collapsed variational fit kept.
BIC_EVIDENCE = 10.0


def _bic(data: Data, trajectory: Trajectory[MixtureParameters]) -> float:
    """BIC of an EM run's final parameters (its objective is the mean log-likelihood)."""
    parameters = trajectory.parameters
    count = data.family.n_free_parameters(parameters.natural) + parameters.n_components - 1
    total = data.total_weight
    return -2.0 * trajectory.objective * total + count * float(np.log(total))


def _all_ones(chunk: Any) -> Array:
    """Every row wholly in one component (the one-component fit)."""
    return np.ones((chunk.n_rows, 1))


class Mixture(LatentModel):
    """A finite mixture ``p(x) = Σ_k π_k p(x | η_k)`` of one exponential family.

    Parameters
    ----------
    family : ExponentialFamily or str, default Gaussian()
        The component family, e.g. ``Gaussian()``, ``Bernoulli()``, a user's own subclass of
        ``ExponentialFamily``, or an alias: ``"full"``/``"gaussian"``, ``"diag"``,
        ``"spherical"``, ``"tied"``, ``"bernoulli"``, ``"poisson"``, ``"categorical"``.
    n_components : int, default 1
        Number of components ``K``.
    inference : {"em", "vb"}, default "em"
        ``"em"``: expectation–maximisation; maximum likelihood, or MAP when ``prior`` is given
        (the M-step takes the posterior mode). ``"vb"``: mean-field variational Bayes with the
        family's conjugate prior.
    max_iter : int, default 100
        Maximum number of M-steps per run; 0 initialises only (the parameters are the initial
        ones, ``lower_bound_`` is their objective, and a ``ConvergenceWarning`` says so).
    tol : float or None, default None
        Convergence threshold. EM stops when the mean (per-sample, weighted) objective changes by
        less than ``tol`` (default 1e-3, as scikit-learn); VB when the ELBO per unit weight
        changes by less than ``tol`` (default 1e-6). Both are absolute changes, so that the units
        of the data (which shift the objective by a constant) do not change when a fit stops, and
        by default (``convergence="settled"``) both count only once the changes have shrunk over
        the last two updates (growing gains mean the fit is leaving a flat start;
        ``docs/em.md`` §7).
    convergence : {"settled", "first"}, default "settled"
        When a change below ``tol`` stops a run of ``fit``: ``"settled"``, once the changes have
        also shrunk over the last two updates (or are at the level of rounding); ``"first"``, at
        the first such change, as scikit-learn's ``GaussianMixture``.
    n_init : int, default 1
        Number of runs from different initialisations; the best final log-likelihood wins.
    init : {"kmeans++", "kmeans", "random", "random_from_data"}, array (n_samples, n_components) \
or (weights, components)
        ``"kmeans++"``: k-means++ seeds, each point assigned to its nearest seed; ``"kmeans"``:
        those seeds refined by Lloyd's algorithm; ``"random"``: a random soft partition of the
        data; ``"random_from_data"``: seeds drawn uniformly among the rows, each point assigned
        to its nearest seed. These built-in starts are smoothed (1% of every row is spread over
        all components, partly at random) and rows tied between seeds are shared at random, so that no start
        lies on the boundary of the parameter space and every restart differs
        (``docs/em.md`` §7); an array: the initial responsibilities themselves, used as given
        (rows summing to one); a tuple
        ``(weights, components)``: initial parameters, e.g.
        ``(w, Gaussian().components_from(means, covariances))`` (one run); or
        ``PartialInit(...)``: some of them (e.g. only the means), the rest drawn by its ``method``
        (EM).
    random_state : None, int >= 0, numpy Generator or numpy RandomState
        Seed for initialisation and for ``sample`` (a Generator or RandomState is used as is);
        anything else raises a ``ValueError`` naming ``random_state``.
    warm_start : bool, default False
        If fitted already, start from the current parameters (one run, ``n_init`` and ``init``
        ignored). The settings that shape those parameters must be those of the fit it
        continues: a changed ``n_components``, ``inference``, family class, explicitly given
        family setting (e.g. ``Categorical(n_categories=5)``, ``reg_covar``), ``prior`` or
        ``weight_prior`` raises a ``ValueError`` naming the setting with its old and new value;
        set ``warm_start=False`` to fit afresh. A fit on a DataFrame finds its columns by name.
    chunk_size : int or None
        Rows per E-step chunk; ``None`` chooses about 32 MB of statistics per chunk.
    product_dtype : {np.float64, np.float32} (or their names), default np.float64
        The floating-point type of the fit's E-step products (log-densities and weighted sums).
        ``np.float32`` runs them in single precision where the family offers it (the Gaussian
        families; others raise a ``ValueError``): faster, at a rounding error of about 1e-7
        relative per product. Rows are standardised in float64, sums and the objective are
        accumulated in float64 and the parameters stay float64; a component whose log-densities
        would lose more than 1e-2 nats to float32 rounding takes the exact float64 form.
        Predictions and ``score`` use float64. See ``docs/scale.md``.
    prior : ConjugatePrior or None
        Prior on each component's parameters (e.g. ``NormalWishart(dof=5)``); unset
        hyperparameters take weakly-informative defaults from the data. ``None``: no prior for
        EM (maximum likelihood), the family's default prior for VB.
    weight_prior : WeightPrior or None
        Prior on the mixing weights. For VB: ``DirichletWeights(concentration)`` (default, with
        concentration ``1/K``) or ``StickBreaking(concentration)``. For EM: a
        ``DirichletWeights`` with concentration ``α >= 1`` gives MAP weights
        ``∝ N_k + α − 1``, and the objective gains its log density.
    fixed : sequence of {"weights", "components"} or parts the family holds
        Parameters kept at their initial values (given in ``init``, or drawn by the start)
        while the others are learnt. Under VB the kept part of ``q`` stays at its start.
        ``"means"`` holds a Gaussian's means and learns its spread about them (the constrained
        update, under EM, MAP-EM and VB; ``mixtures.families.held``).
    online : OnlineMode or None
        How ``partial_fit`` learns from a stream of batches (see ``docs/online.md``):
        ``ExactPasses()`` (sums each pass's statistics; ``end_pass()`` applies ``fit``'s update,
        so passes equal iterations), ``StepwiseEM(kappa=0.6, tau=1.0)`` (online EM; the default
        for EM) or ``StochasticVB(total_samples=N, kappa=0.6, tau=1.0)`` (stochastic VB; the
        default for VB). ``fit`` ignores it.
    verbose : int or bool, default 0
        ``0``: silent. ``1`` (or ``True``): ``fit`` prints to ``sys.stderr`` the objective of
        every ``verbose_interval``-th iteration of every run (iteration, objective per row, its
        change, seconds since the fit began) and each run's outcome; runs include restarts and
        an HMM's initial mixture. (``mixtures.inference.loop.observe_iterations`` gives the
        same records to a function of yours.)
    verbose_interval : int, default 1
        With ``verbose``, print every ``verbose_interval``-th iteration (and every run's first
        and last).

    Attributes
    ----------
    weights_ : (K,) mixing weights.  components_ : the fitted ``Components`` (e.g. ``.mean``,
    ``.covariance``).  family_ : the family with its data-dependent settings fixed.
    converged_, n_iter_, lower_bound_ (mean log-likelihood of the final parameters),
    lower_bounds_ (the mean log-likelihood after each M-step, starting at the initial parameters),
    n_features_in_, feature_names_in_ (the column names, as strings, when fitted on a DataFrame: a
    DataFrame given to ``predict``, ``score``... or to a continuing fit then has its columns found
    by name, reordered if they come in another order, refused if names are unknown or missing;
    arrays are read by position). With a prior (MAP-EM) the objective adds the log prior density;
    with VB it is the ELBO per unit of sample weight, ``weights_`` and ``components_`` are posterior
    means, ``posterior_`` holds ``q`` (``posterior_.components``, ``posterior_.weights``),
    ``prior_`` the resolved prior, ``effective_components_`` marks the components that received at
    least 1% of the data (their expected counts) and ``n_effective_components_`` counts them. After
    ``partial_fit``, ``online_state_`` holds the online state, ``n_iter_`` counts its updates and
    ``lower_bounds_`` holds the objective of each update (see ``partial_fit``).
    """

    structure = Mixing()
    size_name = "n_components"
    fixable = FIXABLE
    peer_names = MIXTURE_NAMES
    added_settings = frozenset(
        {"fixed", "convergence", "missing", "verbose", "verbose_interval", "product_dtype"}
    )
    default_tolerance: ClassVar[dict[str, float]] = {"em": 1e-3, "vb": 1e-6}
    fit_specific_state = (  # set by VB or MAP fits only, or by partial_fit
        "posterior_", "prior_", "weight_prior_", "effective_components_", "n_effective_components_",
        "online_state_", "feature_names_in_",
    )

    # fitted attributes (set by fit)
    family_: ExponentialFamily
    weights_: Array
    components_: Components
    prior_: ConjugatePrior
    weight_prior_: WeightPrior
    posterior_: VariationalPosterior

    def __init__(
        self,
        family: ExponentialFamily | str | None = None,
        n_components: int = 1,
        *,
        inference: str = "em",
        max_iter: int = 100,
        tol: float | None = None,
        n_init: int = 1,
        init: str | Any = "kmeans++",
        random_state: int | np.random.Generator | None = None,
        warm_start: bool = False,
        chunk_size: int | None = None,
        product_dtype: Any = np.float64,
        prior: ConjugatePrior | None = None,
        weight_prior: WeightPrior | None = None,
        fixed: tuple[str, ...] = (),
        online: OnlineMode | None = None,
        convergence: str = "settled",
        missing: str = "raise",
        verbose: int = 0,
        verbose_interval: int = 1,
    ) -> None:
        self.family = family
        self.n_components = n_components
        self.inference = inference
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.init = init
        self.random_state = random_state
        self.warm_start = warm_start
        self.chunk_size = chunk_size
        self.product_dtype = product_dtype
        self.prior = prior
        self.weight_prior = weight_prior
        self.fixed = fixed
        self.online = online
        self.missing = missing
        self.convergence = convergence
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    # ------------------------------------------------------------------ fitting
    def _check_params(self) -> ExponentialFamily:
        family = self._check_common_settings()
        check_fixed(self.fixed, FIXABLE, family)
        self._stopping_rule()
        if self.weight_prior is not None and not isinstance(self.weight_prior, WeightPrior):
            raise ValueError(
                f"weight_prior must be DirichletWeights(...) or StickBreaking(...); got "
                f"{self.weight_prior!r}"
            )
        method = self.init.method if isinstance(self.init, PartialInit) else self.init
        if isinstance(method, str) and method not in START_METHODS:
            raise ValueError(
                f"init must be one of {tuple(START_METHODS)} or an (n_samples, n_components) array; "
                f"got {self.init!r}"
            )
        return family

    def fit(self, X: Any, y: Any = None, *, sample_weight: Any = None, labels: Any = None) -> Self:
        """Fit from ``n_init`` initialisations (or from the current fit with ``warm_start``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
            scikit-learn's convention for unsupervised estimators: a pipeline or a grid search
            passes its targets here, and they must not become labels behind the user's back.
        sample_weight : array-like of shape (n_samples,), optional
        labels : array-like of shape (n_samples,) or (n_samples, n_components), optional
            Partial labels (semi-supervised fitting): the component of each row, ``-1`` where it
            is unknown, or each row's prior probabilities of the components (soft labels). A
            known label clamps the row's responsibilities, soft labels multiply them, so component
            ``k`` means label ``k``; hard labels that name every component also seed the first
            start (each row to the nearest labelled class mean). The objective (``lower_bound_``)
            is then the log-likelihood of the rows and their labels. ``None``: unsupervised. See
            ``mixtures.inference.labels``.

        Returns
        -------
        self
        """
        family = self._check_params()
        rows = self._fit_matrix(X, continuing=self._continues_fit())
        weights = rows.sample_weight(sample_weight)
        checked = checked_labels(labels, rows.n_samples, self.n_components)
        family, continued = self._start_fit(family, rows, weights)
        data = rows.chunked(
            family, weights, chunk_size=self.chunk_size, labels=checked,
            product_dtype=self._product_dtype(),
        )
        self._fit_data(X, rows, data, continued)
        return self

    def partial_fit(
        self, X: Any, y: Any = None, *, sample_weight: Any = None, labels: Any = None
    ) -> Self:
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

        An update that empties a component warns as ``fit`` does (``EmptyComponentWarning``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One batch of rows; every batch must have the same features.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the rows of this batch.
        labels : array-like of shape (n_samples,) or (n_samples, n_components), optional
            Partial labels of the batch's rows, as for ``fit``.

        Returns
        -------
        self
        """
        family, mode, state, start, rows = self._resume(X)
        weights = rows.sample_weight(sample_weight)
        checked = checked_labels(labels, rows.n_samples, self.n_components)
        if state is None and start is None:
            family = self._first_batch_family(family, rows, weights)
        data = rows.chunked(
            family, weights, chunk_size=self.chunk_size, labels=checked,
            product_dtype=self._product_dtype(),
        )
        self._partial_fit_data(X, rows, data, mode, state, start)
        return self

    def _prior_changes(self, rows: Rows, weights: Any) -> list[tuple[str, Any, Any]]:
        family, size = self.family_, self.n_components
        variational = self._inference().variational
        changes: list[tuple[str, Any, Any]] = []
        fitted = getattr(self, "prior_", None)
        if fitted is not None:  # a MAP or VB fit
            setting = self.prior
            if setting is None and variational:
                setting = default_prior(family)
            if setting is None:
                changes.append(("prior", fitted, None))
            else:
                configured = rows.configured_prior(setting, family, weights, size)
                changes += changed_settings("prior", setting, configured, fitted)
        fitted_weights = getattr(self, "weight_prior_", None)
        if fitted_weights is not None and variational:
            weight_prior = self.weight_prior or DirichletWeights()
            changes += changed_settings(
                "weight_prior", weight_prior, weight_prior.for_data(size), fitted_weights
            )
        return changes

    # ------------------------------------------------------------------ the model's problem
    def _resolved_priors(self, data: Data) -> VariationalPosterior:
        prior = self.prior if self.prior is not None else default_prior(data.family)
        weight_prior = (self.weight_prior or DirichletWeights()).for_data(self.n_components)
        return VariationalPosterior(self._configured(prior, data), weight_prior)

    def _fitted_priors(self) -> VariationalPosterior:
        return VariationalPosterior(self.prior_, self.weight_prior_)

    def _latent_prior(self) -> DirichletWeights | None:
        """MAP-EM's prior on the weights: ``weight_prior``, a ``DirichletWeights`` with
        concentration >= 1 (a stick-breaking prior has no such mode; it is for VB)."""
        if self.weight_prior is None:
            return None
        if not isinstance(self.weight_prior, DirichletWeights):
            raise ValueError(
                f"under inference='em' the weight_prior must be DirichletWeights(concentration >= 1) "
                f"(MAP weights); {type(self.weight_prior).__name__} is for inference='vb'"
            )
        prior = self.weight_prior.for_data(self.n_components)
        prior.check_map("weight_prior")
        return prior

    def _stopping_rule(self) -> StoppingRule:
        try:
            return STOPPING_RULES[self.convergence]
        except (KeyError, TypeError):
            raise ValueError(
                f"convergence must be one of {tuple(STOPPING_RULES)}; got {self.convergence!r}"
            ) from None

    def _fitted_point(self) -> MixtureParameters:
        return MixtureParameters(self.components_.natural, self.weights_)

    def _keep(self, problem: FitProblem[Any], parameters: Any) -> None:
        point = problem.point(parameters)
        self.weights_ = point.weights
        self.components_ = problem.family.components(point.natural)
        if isinstance(problem, VariationalBayes):
            self.prior_, self.weight_prior_ = problem.priors.components, problem.priors.weights
            self.posterior_ = parameters
            counts = parameters.weights.data_counts(self.weight_prior_)
            self.effective_components_ = counts >= EFFECTIVE_WEIGHT * counts.sum()
            self.n_effective_components_ = int(self.effective_components_.sum())
        elif isinstance(problem, ExpectationMaximisation) and problem.prior is not None:
            self.prior_ = problem.prior

    def _start(self, data: Data) -> Start:
        init = self.init
        if isinstance(init, str):
            return FromMethod(START_METHODS[init])
        if isinstance(init, PartialInit):
            return WithGivenParts(FromMethod(START_METHODS[init.method]), init)
        if isinstance(init, tuple):
            return GivenParameters(self._given_parameters(data), "init=(weights, components)")
        return GivenResponsibilities(self._given_responsibilities(data.n_samples))

    def _check_fit(self, problem: FitProblem[Any], data: Data, result: Run, rng: np.random.Generator) -> None:
        # an unconverged fit may still be on its way (and says so with a ConvergenceWarning)
        collapsed = getattr(self, "n_effective_components_", 0) == 1 < self.n_components
        if isinstance(problem, VariationalBayes) and collapsed and self.converged_:
            self._warn_if_collapsed(data, rng)

    def _warn_if_collapsed(self, data: Data, rng: np.random.Generator) -> None:
        """VB kept one effective component of several: warn if the data support more, that is
        when maximum likelihood with ``n_components`` (one EM run from the usual start) beats one
        component by BIC by more than ``BIC_EVIDENCE``. (Features in incomparable units no longer
        cause this with the default priors: they are relative to each feature's spread.) Runs
        only after such a collapse of a converged fit, so ordinary fits pay nothing."""
        one: ExpectationMaximisation[Any] = ExpectationMaximisation(self.structure, data.family)
        several: ExpectationMaximisation[Any] = ExpectationMaximisation(self.structure, data.family)
        start = self._start(data).points(several, data, data, 1, self.n_components, rng)[0]
        with unobserved():  # a diagnostic, not one of the fit's runs
            single = run(one, data, one.start(one.summary_of(data, _all_ones)), max_iter=0, tol=0.0)
            best = run(several, data, start, max_iter=self.max_iter, tol=self.default_tolerance["em"])
        gain = _bic(data, single.trajectory) - _bic(data, best.trajectory)
        if gain <= BIC_EVIDENCE:
            return
        warnings.warn(
            f"variational Bayes kept 1 effective component of {self.n_components} although the "
            f"data support more: the prior outweighs the data. Maximum likelihood with "
            f"{self.n_components} components is better by BIC ({gain:.4g} lower than one "
            f"component's); consider a weaker prior or inference='em'",
            CollapsedFitWarning,
            stacklevel=6,
        )

    def _given_parameters(self, data: Data) -> MixtureParameters:
        if len(self.init) != 2 or not isinstance(self.init[1], Components):
            raise ValueError(
                "init given as a tuple must be (weights, components), components built e.g. by "
                "family.components_from(...)"
            )
        weights, components = as_float_values(self.init[0], "init weights"), self.init[1]
        if weights.shape != (self.n_components,) or len(components) != self.n_components:
            raise ValueError(
                f"init weights and components must have {self.n_components} entries; got weights "
                f"of shape {weights.shape} and {len(components)} components"
            )
        data.family.check_same_kind(components)
        if components.natural.shape[1] != data.n_statistics:
            raise ValueError(
                f"init components have {components.natural.shape[1]} statistics per component but "
                f"the data give {data.n_statistics} (a different number of features or categories)"
            )
        return MixtureParameters(data.family.natural_of(components), weights)

    def _given_responsibilities(self, n_samples: int) -> Array:
        values = as_float_values(self.init, "init responsibilities")
        expected = (n_samples, self.n_components)
        if values.shape != expected:
            raise ValueError(
                f"init responsibilities must have shape {expected}; got {values.shape}"
            )
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError("init responsibilities must be finite and non-negative")
        if not np.allclose(values.sum(1), 1.0, atol=1e-6):
            raise ValueError("init responsibilities must sum to 1 in every row")
        return values

    def fit_predict(
        self, X: Any, y: Any = None, *, sample_weight: Any = None, labels: Any = None
    ) -> NDArray[np.intp]:
        """Fit (``labels``: partial labels, as for ``fit``), then return the most probable
        component of each row of ``X``."""
        return self.fit(X, sample_weight=sample_weight, labels=labels).predict(X)

    # ------------------------------------------------------------------ using a fit
    def predict_proba(self, X: Any) -> Array:
        """Posterior probability of each component for each row: ``(n_samples, K)``.

        After VB these are the variational responsibilities (the E-step under ``q``). For a
        ``dask.array`` a Dask array, computed block by block where the blocks live."""
        rows = self._validated(X)
        terms = self._fitted_problem().e_step_terms(self._fitted_parameters())
        posterior = functools.partial(_chunk_responsibilities, self.family_, *terms)
        return rows.map_rows(self.family_, posterior, len(self.weights_), chunk_size=self.chunk_size)

    def predict(self, X: Any) -> NDArray[np.intp]:
        """The most probable component of each row: ``(n_samples,)``."""
        return self.predict_proba(X).argmax(axis=1)

    def score_samples(self, X: Any) -> Array:
        """``log p(x_n)`` under the fitted mixture: ``(n_samples,)``.

        After VB this is the posterior predictive ``log Σ_k E[π_k] p(x_n | data, k)`` (for a
        Gaussian, a mixture of Student-t densities). Under ``missing="marginalize"`` a row with
        missing values gets the density of its observed entries (after VB, for priors that give
        it: ``ConjugatePrior.log_predictive_observed``). For a ``dask.array`` a Dask array."""
        rows = self._validated(X)
        density: Any
        if hasattr(self, "posterior_"):
            density = functools.partial(
                _chunk_predictive, self.posterior_.components, log_mixture_weights(self.weights_)
            )
        else:
            terms = self._fitted_problem().e_step_terms(self._fitted_parameters())
            density = functools.partial(_chunk_log_evidence, self.family_, *terms)
        return rows.map_rows(self.family_, density, chunk_size=self.chunk_size)

    def score(self, X: Any, y: Any = None, *, sample_weight: Any = None) -> float:
        """Mean (weighted) log-likelihood per row."""
        log_evidence = self.score_samples(X)
        weights = as_sample_weight(sample_weight, log_evidence.shape[0])
        return float(np.average(log_evidence, weights=weights))

    def sample(self, n_samples: int = 1) -> tuple[Array, NDArray[np.intp]]:
        """Draw ``n_samples`` rows and the component each came from: ``(X, labels)``."""
        self._check_is_fitted("components_")
        check_int(n_samples, "n_samples", 1)
        rng = self._rng()
        labels = rng.choice(self.weights_.shape[0], size=n_samples, p=self.weights_)
        return self.family_.sample(self.components_.natural, labels, rng), labels

    def n_parameters(self) -> int:
        """Free parameters of the fitted model (components and weights)."""
        self._check_is_fitted("components_")
        return self._free_component_parameters() + (0 if "weights" in self.fixed else len(self.weights_) - 1)

    def bic(self, X: Any) -> float:
        """Bayesian information criterion on ``X`` (lower is better)."""
        n_samples = rows_of(X, missing=self._marginalises()).n_samples
        return -2 * self.score(X) * n_samples + self.n_parameters() * np.log(n_samples)

    def summary(self, X: Any = None) -> str:
        """The fit in a few lines and a table of the components: what the command line prints.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), optional
            The data the model was fitted to: with it the summary adds the number of rows, the
            total objective, BIC and AIC.

        Returns
        -------
        str
            ``print(model.summary(X))`` shows it.
        """
        self._check_is_fitted("components_")
        return summary(self, X)

    def aic(self, X: Any) -> float:
        """Akaike information criterion on ``X`` (lower is better)."""
        n_samples = rows_of(X, missing=self._marginalises()).n_samples
        return -2 * self.score(X) * n_samples + 2 * self.n_parameters()


def _chunk_posterior(
    family: ExponentialFamily, natural: Array, log_partition: Array | None, logs: tuple[Array, ...],
    chunk: Chunk,
) -> tuple[Array, Array]:
    return chunk_posterior(chunk, chunk.log_likelihood(family, natural, log_partition), logs[0])


def _chunk_responsibilities(
    family: ExponentialFamily, natural: Array, log_partition: Array | None, logs: tuple[Array, ...],
    chunk: Chunk,
) -> Array:
    return _chunk_posterior(family, natural, log_partition, logs, chunk)[0]


def _chunk_log_evidence(
    family: ExponentialFamily, natural: Array, log_partition: Array | None, logs: tuple[Array, ...],
    chunk: Chunk,
) -> Array:
    return _chunk_posterior(family, natural, log_partition, logs, chunk)[1]


def _chunk_predictive(components: ConjugatePrior, log_weights: Array, chunk: Chunk) -> Array:
    """``log Σ_k E[π_k] p(x | data, k)``: the posterior predictive after VB (of the observed
    entries, for rows with missing values)."""
    if chunk.missing is None:
        return log_sum_exp_rows(components.log_predictive(chunk.x) + log_weights)
    incomplete = chunk.missing.positions  # chunk.x holds placeholders there: never score them
    log_densities = np.empty((chunk.n_rows, log_weights.shape[-1]))
    log_densities[incomplete] = components.log_predictive_observed(chunk.x[incomplete], chunk.missing.mask)
    complete = np.setdiff1d(np.arange(chunk.n_rows), incomplete)
    log_densities[complete] = components.log_predictive(chunk.x[complete])
    return log_sum_exp_rows(log_densities + log_weights)
