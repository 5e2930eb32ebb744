"""``HMM``: a hidden Markov model whose states emit from any exponential family."""

from __future__ import annotations

import functools
from typing import Any, ClassVar, Self

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._validation import as_float_values, check_int
from mixtures.families.base import Components, ExponentialFamily
from mixtures.inference.data import Chunk, Data, SequenceData
from mixtures.inference.initialization import START_METHODS, StartMethod
from mixtures.inference.labels import checked_labels
from mixtures.inference.online import OnlineMode
from mixtures.inference.problem import ExpectationMaximisation, FitProblem, VariationalBayes
from mixtures.inference.rows import Rows
from mixtures.inference.sequences import SequenceLayout, Sequences
from mixtures.inference.sources import rows_of
from mixtures.inference.starts import (
    FittedMixture,
    FromMethod,
    GivenParameters,
    GivenPosterior,
    PartialInit,
    SplitStates,
    Start,
    WithGivenParts,
)
from mixtures.latent.chain import ChainPrior, HMMParameters, HMMPosterior, HMMPriors, MarkovChain, tempered
from mixtures.latent.chain_of_mixtures import (
    MarkovMixtures,
    MixtureChainPrior,
    MixtureHMMParameters,
    MixtureHMMPosterior,
    pair_posterior,
)
from mixtures.latent.markov import forward_backward, log_evidence, sample_path, viterbi
from mixtures.latent.structure import LatentStructure
from mixtures.models._latent_model import LatentModel, changed_settings, check_fixed
from mixtures.models.peer_names import HMM_NAMES
from mixtures.models.summary import summary
from mixtures.priors import ConjugatePrior, default_prior
from mixtures.priors.weights import DirichletWeights

__all__ = ["HMM"]

Array = NDArray[np.float64]

#: The start methods of ``init`` by name: the mixture's, and a fitted mixture's responsibilities.
HMM_START_METHODS: dict[str, StartMethod] = {**START_METHODS, "mixture": FittedMixture()}
#: The names ``fixed`` accepts, and the fields each keeps: of ``HMMParameters`` (EM) and of ``q``
#: (VB).
FIXABLE = {
    "startprob": ("startprob", "start"),
    "transmat": ("transmat", "rows"),
    "components": ("natural", "components"),
    "mix_weights": ("mix_weights", "mixes"),
}


class HMM(LatentModel):
    """A hidden Markov model: ``z_0 ~ startprob``, ``z_t | z_{t−1} ~ transmat[z_{t−1}]``,
    ``x_t | z_t = k ~ family(η_k)``.

    Parameters
    ----------
    family : ExponentialFamily or str, default Gaussian()
        The emission family (as for ``Mixture``), including a user's own.
    n_states : int, default 1
    n_mix : int, default 1
        Components of each state's emission mixture: state ``k`` emits from its own mixture of
        ``n_mix`` components of ``family`` (hmmlearn's ``GMMHMM`` for the Gaussian). The fitted
        ``components_`` are then the ``n_states · n_mix`` components, component ``m`` of state
        ``k`` at ``k · n_mix + m``, and ``mix_weights_`` ``(n_states, n_mix)`` their weights; a
        tuple ``init`` is ``(startprob, transmat, mix_weights, components)``; under VB each
        state's weights have a Dirichlet(1) prior. ``1``: the plain HMM.
    inference : {"em", "vb"}
        ``"em"``: Baum-Welch (maximum likelihood, or MAP with ``prior``); ``"vb"``: variational
        Bayes with Dirichlet priors on the initial distribution and every transition row and the
        family's conjugate prior on the emissions.
    max_iter, tol, n_init, random_state, warm_start, chunk_size, product_dtype, prior : as for ``Mixture``.
        ``tol=None`` means 1e-6, the change of the objective per observation (the log-likelihood
        for EM, the ELBO for VB). A warm start refuses a changed ``n_states``, ``inference``,
        family, ``prior``, ``start_prior`` or ``transition_prior`` (a ``ValueError`` naming it;
        ``warm_start=False`` fits afresh).
        ``max_iter=0`` initialises only.
    init : {"kmeans++", "kmeans", "random", "mixture"} or (startprob, transmat, components)
        Initial state probabilities per row, smoothed as for ``Mixture`` so that no emission
        probability starts at zero, turned into parameters by one M-step (consecutive rows give
        the transition counts, plus one pseudo-count each so that no transition starts at zero);
        ``"mixture"`` takes them from a fitted ``Mixture``. Zeros in a given
        ``transmat`` are structural: EM keeps them.
        A tuple gives the initial parameters themselves; ``PartialInit(...)`` some of them (e.g.
        only ``transmat``), the rest drawn by its ``method`` (EM). Under VB an ``HMMPosterior``
        (``MixtureHMMPosterior`` when ``n_mix > 1``; e.g. a fitted ``posterior_``) is the
        starting distribution over the parameters; its component distribution must be over the
        family configured on the same rows (``family.for_data(X, weights)``).
    start_prior, transition_prior : DirichletWeights or None
        Dirichlet priors on the initial distribution and on each transition row. Under VB the
        priors of ``q`` (default concentration 1); under EM, MAP estimates: concentration ``α >=
        1`` adds ``α − 1`` pseudo-counts (hmmlearn's ``startprob_prior``, ``transmat_prior``)
        and the objective gains their log densities.
    fixed : sequence of {"startprob", "transmat", "components", "mix_weights"}
        Parameters kept at their initial values while the others are learnt (``"mix_weights"``:
        each state's mixture weights, with ``n_mix > 1``). Under VB the kept part of ``q``
        stays at its start. ``"means"`` holds a Gaussian's means and learns its spread about
        them, as for ``Mixture``.
    online : OnlineMode or None
        How ``partial_fit`` learns from batches of whole sequences: ``ExactPasses()``,
        ``StepwiseEM(...)`` (the default for EM) or ``StochasticVB(total_samples=N, ...)`` (the
        default for VB); as for ``Mixture``. ``fit`` ignores it.
    mix_prior : DirichletWeights or None
        With ``n_mix > 1``, a Dirichlet prior on every state's mixture weights: under VB the
        prior of ``q`` (default concentration 1), under EM a MAP estimate (concentration
        ``α >= 1`` adds ``α − 1`` pseudo-counts per component, as hmmlearn's ``weights_prior``).
    verbose, verbose_interval : as for ``Mixture``
        ``fit`` prints the objective (per observation) of its iterations to ``sys.stderr``.

    Notes
    -----
    ``fit(X, lengths=None, sample_weight=None, sequence_weight=None)``: sequences concatenated
    along rows; ``sample_weight`` tempers each observation's emission (and weights its
    statistics), ``sequence_weight`` counts each sequence that many times. ``lengths`` must be
    whole numbers between 1 and the number of rows, summing to it. As for ``Mixture``, a model
    fitted on a DataFrame finds the columns of later DataFrames by name (``feature_names_in_``).
    """

    size_name = "n_states"
    fixable = FIXABLE
    peer_names = HMM_NAMES
    added_settings = frozenset(
        {"n_mix", "mix_prior", "missing", "verbose", "verbose_interval", "product_dtype"}
    )
    # Baum-Welch creeps along flat ridges of the likelihood: tighter than the mixture's default
    default_tolerance: ClassVar[dict[str, float]] = {"em": 1e-6, "vb": 1e-6}
    fit_specific_state = (
        "posterior_", "priors_", "prior_", "_structural_zeros", "online_state_", "feature_names_in_",
    )

    family_: ExponentialFamily
    startprob_: Array
    transmat_: Array
    components_: Components
    mix_weights_: Array
    posterior_: HMMPosterior
    priors_: HMMPriors

    def __init__(
        self,
        family: ExponentialFamily | str | None = None,
        n_states: int = 1,
        *,
        inference: str = "em",
        max_iter: int = 100,
        tol: float | None = None,
        n_init: int = 1,
        init: Any = "kmeans++",
        random_state: int | np.random.Generator | None = None,
        warm_start: bool = False,
        chunk_size: int | None = None,
        product_dtype: Any = np.float64,
        prior: ConjugatePrior | None = None,
        start_prior: DirichletWeights | None = None,
        transition_prior: DirichletWeights | None = None,
        fixed: tuple[str, ...] = (),
        online: OnlineMode | None = None,
        n_mix: int = 1,
        mix_prior: DirichletWeights | None = None,
        missing: str = "raise",
        verbose: int = 0,
        verbose_interval: int = 1,
    ) -> None:
        self.family = family
        self.n_states = n_states
        self.n_mix = n_mix
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
        self.start_prior = start_prior
        self.transition_prior = transition_prior
        self.fixed = fixed
        self.online = online
        self.mix_prior = mix_prior
        self.missing = missing
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    @property
    def structure(self) -> LatentStructure[Any, Any]:  # type: ignore[override]
        """The chain, or the chain of mixtures when states emit mixtures (``n_mix > 1``)."""
        return MarkovChain() if self.n_mix == 1 else MarkovMixtures(self.n_mix)

    def _n_labels(self) -> int:
        return int(self.n_states) * int(self.n_mix)

    def _size_change(self) -> tuple[str, Any, Any]:
        fitted_mix = self.mix_weights_.shape[1] if hasattr(self, "mix_weights_") else 1
        if fitted_mix != self.n_mix:
            return "n_mix", fitted_mix, self.n_mix
        return "n_states", len(self.components_) // fitted_mix, self.n_states

    # ------------------------------------------------------------------ fitting
    def _check_params(self) -> ExponentialFamily:
        check_int(self.n_mix, "n_mix", 1)
        family = self._check_common_settings()
        method = self.init.method if isinstance(self.init, PartialInit) else self.init
        if isinstance(method, str) and method not in HMM_START_METHODS:
            raise ValueError(
                f"init must be one of {tuple(HMM_START_METHODS)} or (startprob, transmat, components); "
                f"got {self.init!r}"
            )
        check_fixed(self.fixed, FIXABLE, family)
        for name in ("start_prior", "transition_prior", "mix_prior"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, DirichletWeights):
                raise ValueError(f"{name} must be DirichletWeights(...); got {value!r}")
        if self.n_mix == 1 and (self.mix_prior is not None or "mix_weights" in self.fixed):
            raise ValueError(
                "mix_prior and fixed=('mix_weights',) concern each state's mixture weights, "
                "which only n_mix > 1 has"
            )
        return family

    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        lengths: Any = None,
        sample_weight: Any = None,
        sequence_weight: Any = None,
        labels: Any = None,
    ) -> Self:
        """Fit from ``n_init`` initialisations (or the current fit with ``warm_start``).

        ``labels`` gives partial labels (semi-supervised fitting): the state of each row (time
        step), ``-1`` where it is unknown, or ``(n_samples, n_states)`` prior probabilities of
        the states; a known state clamps that time step's posterior, and hard labels that name
        every state also seed the first start. ``None``: unsupervised. ``y`` is ignored
        (scikit-learn's convention). See ``Mixture.fit`` and ``mixtures.inference.labels``.
        """
        family = self._check_params()
        rows = self._fit_matrix(X, continuing=self._continues_fit())
        layout = SequenceLayout.checked(lengths, rows.n_samples, sequence_weight)
        row_weights = rows.sample_weight(sample_weight)
        checked = self._checked_labels(labels, rows.n_samples)
        # data-derived settings see each row with its full weight (row × sequence)
        family, continued = self._start_fit(family, rows, rows.full_weights(row_weights, layout))
        data = SequenceData(
            rows.chunked(
                family, row_weights, chunk_size=self.chunk_size, layout=layout, labels=checked,
                product_dtype=self._product_dtype(),
            )
        )
        self._fit_data(X, rows, data, continued)
        return self

    def partial_fit(
        self,
        X: Any,
        y: Any = None,
        *,
        lengths: Any = None,
        sample_weight: Any = None,
        sequence_weight: Any = None,
        labels: Any = None,
    ) -> Self:
        """Update the model with one batch of whole sequences ``X`` (stacked along the rows).

        As ``Mixture.partial_fit``: the first call initialises from this batch (or continues a
        fitted model), then the ``online`` mode takes the batch: ``ExactPasses()`` sums its
        statistics until ``end_pass()``; ``StepwiseEM`` (EM's default) and ``StochasticVB`` (VB's
        default) update after every batch. The statistics include initial-state and transition
        counts, so a batch must not cut a sequence: split the data at sequence boundaries. An
        update that empties a state or never leaves one warns as ``fit`` does.

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
        labels : array-like of shape (n_samples,) or (n_samples, n_states), optional
            Partial labels of the batch's time steps, as for ``fit``.

        Returns
        -------
        self
        """
        family, mode, state, start, rows = self._resume(X)
        layout = SequenceLayout.checked(lengths, rows.n_samples, sequence_weight)
        row_weights = rows.sample_weight(sample_weight)
        checked = self._checked_labels(labels, rows.n_samples)
        if state is None and start is None:
            family = self._first_batch_family(family, rows, rows.full_weights(row_weights, layout))
        data = SequenceData(
            rows.chunked(
                family, row_weights, chunk_size=self.chunk_size, layout=layout, labels=checked,
                product_dtype=self._product_dtype(),
            )
        )
        self._partial_fit_data(X, rows, data, mode, state, start)
        return self

    def _checked_labels(self, labels: Any, n_samples: int) -> Any:
        """Partial labels of the states (``None``: none), for ``fit`` and ``partial_fit``."""
        return checked_labels(labels, n_samples, self.n_states, "state")

    def _prior_changes(self, rows: Rows, weights: Any) -> list[tuple[str, Any, Any]]:
        family, size = self.family_, self.n_states
        if hasattr(self, "priors_"):  # a VB fit
            priors = self.priors_
            setting = self.prior if self.prior is not None else default_prior(family)
            configured = rows.configured_prior(setting, family, weights, size)
            changes = changed_settings("prior", setting, configured, priors.components)
            dirichlets = [("start_prior", priors.start, size), ("transition_prior", priors.rows[0], size)]
            if isinstance(priors, MixtureHMMPosterior):
                dirichlets.append(("mix_prior", priors.mixes[0], self.n_mix))
            for name, fitted, n_labels in dirichlets:
                given = getattr(self, name) or DirichletWeights(concentration=1.0)
                changes += changed_settings(name, given, given.for_data(n_labels), fitted)
            return changes
        fitted_prior = getattr(self, "prior_", None)
        if fitted_prior is None:  # maximum likelihood: any prior now starts from its estimate
            return []
        if self.prior is None:
            return [("prior", fitted_prior, None)]
        configured = rows.configured_prior(self.prior, family, weights, size)
        return changed_settings("prior", self.prior, configured, fitted_prior)

    # ------------------------------------------------------------------ the model's problem
    def _resolved_priors(self, data: Data) -> HMMPriors:
        """The priors of VB resolved on ``data``: emissions, start and one per transition row."""
        n_states = self.n_states
        component_prior = self.prior if self.prior is not None else default_prior(data.family)
        priors = HMMPriors(
            self._configured(component_prior, data),
            (self.start_prior or DirichletWeights(concentration=1.0)).for_data(n_states),
            tuple(
                (self.transition_prior or DirichletWeights(concentration=1.0)).for_data(n_states)
                for _ in range(n_states)
            ),
        )
        if self.n_mix == 1:
            return priors
        mix = (self.mix_prior or DirichletWeights(concentration=1.0)).for_data(self.n_mix)
        return MixtureHMMPosterior(  # type: ignore[return-value]
            priors.components, priors.start, priors.rows, (mix,) * n_states
        )

    def _fitted_priors(self) -> HMMPriors:
        return self.priors_

    def _fitted_point(self) -> HMMParameters | MixtureHMMParameters:
        if self.n_mix > 1:
            return MixtureHMMParameters(
                self.startprob_, self.transmat_, self.mix_weights_, self.components_.natural
            )
        return HMMParameters(self.startprob_, self.transmat_, self.components_.natural)

    def _latent_prior(self) -> ChainPrior | None:
        """MAP-EM's Dirichlet priors on the start and on every transition row (hmmlearn's
        ``startprob_prior`` and ``transmat_prior``), concentrations >= 1."""
        sizes = {"start_prior": self.n_states, "transition_prior": self.n_states, "mix_prior": self.n_mix}
        priors = {}
        for name, n_labels in sizes.items():
            given = getattr(self, name)
            if given is not None:
                priors[name] = given.for_data(n_labels)
                priors[name].check_map(name)
        if not priors:
            return None
        chain = (priors.get("start_prior"), priors.get("transition_prior"))
        return ChainPrior(*chain) if self.n_mix == 1 else MixtureChainPrior(*chain, priors.get("mix_prior"))

    def _rows(self, data: Data) -> Data:
        assert isinstance(data, SequenceData)
        return data.independent_rows()

    def _keep(self, problem: FitProblem[Any], parameters: Any) -> None:
        point = problem.point(parameters)
        self.startprob_ = point.startprob
        self.transmat_ = point.transmat
        self.components_ = problem.family.components(point.natural)
        if isinstance(point, MixtureHMMParameters):
            self.mix_weights_ = point.mix_weights
        else:
            self.__dict__.pop("mix_weights_", None)
        if isinstance(problem, VariationalBayes):
            self.priors_ = problem.priors
            self.posterior_ = parameters
        elif isinstance(problem, ExpectationMaximisation) and problem.prior is not None:
            self.prior_ = problem.prior

    def _remember_start(self, start: Any, problem: FitProblem[Any]) -> None:
        # EM keeps the zeros it starts from: structural
        if isinstance(start, HMMParameters | MixtureHMMParameters):
            self._structural_zeros = (start.startprob == 0, start.transmat == 0)

    def _start(self, data: Data) -> Start:
        if isinstance(self.init, HMMPosterior):  # MixtureHMMPosterior too
            return GivenPosterior(self._given_posterior())
        if isinstance(self.init, tuple):
            given = "init=(startprob, transmat, components)" if self.n_mix == 1 else (
                "init=(startprob, transmat, mix_weights, components)"
            )
            return GivenParameters(self._given_parameters(data), given)
        named = self.init.method if isinstance(self.init, PartialInit) else self.init
        method = HMM_START_METHODS[named]
        drawn = FromMethod(method if self.n_mix == 1 else SplitStates(method, self.n_mix))
        return WithGivenParts(drawn, self.init) if isinstance(self.init, PartialInit) else drawn

    def _given_posterior(self) -> HMMPosterior | MixtureHMMPosterior:
        """``init`` given as a distribution over the parameters, checked against the settings."""
        posterior = self.init
        mixes = isinstance(posterior, MixtureHMMPosterior)
        if mixes != (self.n_mix > 1):
            raise ValueError(
                "init given as a posterior must be a MixtureHMMPosterior when n_mix > 1 and an "
                f"HMMPosterior otherwise; got {type(posterior).__name__} with n_mix={self.n_mix}"
            )
        n_states = self.n_states
        start = np.asarray(posterior.start.concentration)
        if start.shape != (n_states,) or len(posterior.rows) != n_states:
            raise ValueError(
                f"init posterior has a start over {start.shape} states and {len(posterior.rows)} "
                f"transition rows; the model has n_states={n_states}"
            )
        return posterior

    def _given_parameters(self, data: Data) -> HMMParameters | MixtureHMMParameters:
        if self.n_mix > 1:
            return self._given_mixture_parameters(data)
        if len(self.init) != 3 or not isinstance(self.init[2], Components):
            raise ValueError("init given as a tuple must be (startprob, transmat, components)")
        startprob, transmat, components = self.init
        startprob = as_float_values(startprob, "init startprob")
        transmat = as_float_values(transmat, "init transmat")
        data.family.check_same_kind(components)
        if components.natural.shape != (self.n_states, data.n_statistics):
            raise ValueError(
                f"init components must be {self.n_states} components with {data.n_statistics} "
                f"statistics each; got {components.natural.shape}"
            )
        return HMMParameters(startprob, transmat, data.family.natural_of(components))

    def _given_mixture_parameters(self, data: Data) -> MixtureHMMParameters:
        if len(self.init) != 4 or not isinstance(self.init[3], Components):
            raise ValueError(
                "init given as a tuple must be (startprob, transmat, mix_weights, components) "
                "when n_mix > 1"
            )
        startprob, transmat, mix_weights, components = self.init
        data.family.check_same_kind(components)
        shape = (self.n_states * self.n_mix, data.n_statistics)
        if components.natural.shape != shape:
            raise ValueError(
                f"init components must be n_states·n_mix = {shape[0]} components with "
                f"{data.n_statistics} statistics each; got {components.natural.shape}"
            )
        mix_weights = as_float_values(mix_weights, "init mix_weights")
        if mix_weights.shape != (self.n_states, self.n_mix):
            raise ValueError(
                f"init mix_weights must have shape {(self.n_states, self.n_mix)}; got {mix_weights.shape}"
            )
        return MixtureHMMParameters(
            as_float_values(startprob, "init startprob"),
            as_float_values(transmat, "init transmat"),
            mix_weights,
            data.family.natural_of(components),
        )

    # ------------------------------------------------------------------ using a fit
    def _per_chunk(self, X: Any, lengths: Any) -> tuple[Rows, SequenceLayout, dict[str, Any]]:
        """The rows of ``X`` (a ``dask.array`` in blocks of whole sequences, or in memory), their
        layout, and how to map a per-chunk recursion over them: in chunks of whole sequences."""
        rows = self._validated(X)
        layout = SequenceLayout.checked(lengths, rows.n_samples)
        return rows, layout, {"chunk_size": self.chunk_size, "layout": layout}

    def _recursion(self, function: Any) -> Any:
        """``function(chain, chunk)`` with this fit's parameters: a picklable per-chunk function."""
        with np.errstate(divide="ignore"):
            mixes = np.log(self.mix_weights_) if hasattr(self, "mix_weights_") else None
            chain = _Chain(
                self.family_, self.components_.natural, np.log(self.startprob_), np.log(self.transmat_),
                mixes,
            )
        return functools.partial(function, chain)

    def predict_proba(self, X: Any, *, lengths: Any = None) -> Array:
        """Posterior state probabilities ``p(z_t = k | x)`` of every row: ``(n_samples, K)``.

        For a ``dask.array`` (in blocks of whole sequences) a Dask array, computed block by
        block where the blocks live."""
        rows, _, chunking = self._per_chunk(X, lengths)
        return rows.map_rows(
            self.family_, self._recursion(_chunk_marginals), self.n_states, **chunking
        )

    def score(self, X: Any, y: Any = None, *, lengths: Any = None) -> float:
        """Total log-likelihood ``Σ_s log p(x^(s))`` of the sequences (hmmlearn's convention)."""
        rows, _, chunking = self._per_chunk(X, lengths)
        return float(rows.map_sum(self.family_, self._recursion(_chunk_evidence), **chunking))

    def decode(
        self, X: Any, *, lengths: Any = None, algorithm: str = "viterbi"
    ) -> tuple[float, NDArray[np.intp]]:
        """The decoded states of every row and their total log-probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        lengths : array-like of int, optional
        algorithm : {"viterbi", "map"}, default "viterbi"
            ``"viterbi"``: the most likely state path of each sequence, and its log-probability
            ``log p(z, x)``. ``"map"`` (posterior decoding, hmmlearn's ``algorithm="map"``): each
            row's most probable state given the whole sequence (the argmax of
            ``predict_proba``), and ``Σ_t log p(z_t | x)`` of those states. (hmmlearn returns
            ``Σ_t p(z_t | x)`` there, not a log; its states are the same.)

        Returns
        -------
        log_probability : float
        states : ndarray of shape (n_samples,)
        """
        decoder = _decoder(algorithm)
        rows, _, chunking = self._per_chunk(X, lengths)
        decoded = np.asarray(rows.map_rows(self.family_, self._recursion(decoder), 2, **chunking))
        return float(decoded[:, 1].sum()), decoded[:, 0].astype(np.intp)

    def predict(self, X: Any, *, lengths: Any = None, algorithm: str = "viterbi") -> NDArray[np.intp]:
        """The decoded state of every row: jointly per sequence (``"viterbi"``, the default) or
        row by row from the posterior (``"map"``); see ``decode``."""
        return self.decode(X, lengths=lengths, algorithm=algorithm)[1]

    def sample(self, n_samples: int = 1) -> tuple[Array, NDArray[np.intp]]:
        """One sequence of ``n_samples`` observations and its hidden states: ``(X, states)``."""
        self._check_is_fitted("components_")
        check_int(n_samples, "n_samples", 1)
        rng = self._rng()
        states = sample_path(self.startprob_, self.transmat_, rng.random(n_samples))
        if not hasattr(self, "mix_weights_"):
            return self.family_.sample(self.components_.natural, states, rng), states
        # each step's component from its state's weights, by inverting the cumulative weights
        cumulative = np.cumsum(self.mix_weights_, axis=1)[states]
        mixes = np.minimum((cumulative < rng.random(n_samples)[:, None]).sum(1), self.n_mix - 1)
        labels = states * self.mix_weights_.shape[1] + mixes
        return self.family_.sample(self.components_.natural, labels, rng), states

    def n_parameters(self) -> int:
        """Free parameters: emissions, initial distribution and transition rows, without those
        held ``fixed`` or pinned by structural zeros (zeros of the starting parameters)."""
        self._check_is_fitted("components_")
        fixed = set(self.fixed)
        pinned_start, pinned_transmat = getattr(
            self,
            "_structural_zeros",
            (np.zeros(self.n_states, dtype=bool), np.zeros((self.n_states,) * 2, dtype=bool)),
        )

        def free(pinned: NDArray[np.bool_]) -> int:  # each stochastic row loses one to its sum
            return int(np.maximum((~np.atleast_2d(pinned)).sum(1) - 1, 0).sum())

        count = self._free_component_parameters()
        count += 0 if "startprob" in fixed else free(pinned_start)
        count += 0 if "transmat" in fixed else free(pinned_transmat)
        if hasattr(self, "mix_weights_") and "mix_weights" not in fixed:
            count += self.mix_weights_.size - self.mix_weights_.shape[0]
        return count

    def bic(self, X: Any, *, lengths: Any = None) -> float:
        n_samples = rows_of(X, missing=self._marginalises()).n_samples
        return -2 * self.score(X, lengths=lengths) + self.n_parameters() * np.log(n_samples)

    def summary(self, X: Any = None, *, lengths: Any = None) -> str:
        """The fit in a few lines and a table of the states: what the command line prints.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), optional
            The data the model was fitted to: with it the summary adds the number of rows and
            sequences, the total objective, BIC and AIC.
        lengths : array-like of int, optional
            The sequences of ``X``, as for ``fit``.

        Returns
        -------
        str
            ``print(model.summary(X, lengths=lengths))`` shows it.
        """
        self._check_is_fitted("components_")
        return summary(self, X, lengths)

    def aic(self, X: Any, *, lengths: Any = None) -> float:
        return -2 * self.score(X, lengths=lengths) + 2 * self.n_parameters()


@attrs.frozen(eq=False)
class _Chain:
    """A fitted HMM's parameters as the per-chunk recursions need them (picklable: it travels
    to where the rows are)."""

    family: ExponentialFamily
    natural: Array
    log_start: Array
    log_transition: Array
    #: Each state's log mixture weights ``(K, M)`` when states emit mixtures (``natural``: the
    #: ``K·M`` components), else ``None``.
    log_mix_weights: Array | None = None

    def run(self, recursion: Any, chunk: Chunk) -> tuple[Sequences, Any]:
        """``recursion`` over the emission log-likelihoods of the chunk's whole sequences."""
        if chunk.sequences is None:
            raise ValueError("HMM predictions need chunks of whole sequences (data with a layout)")
        sequences = chunk.sequences
        log_likelihood = chunk.log_likelihood(self.family, self.natural)
        if self.log_mix_weights is not None:  # the states' mixtures, summed over their components
            log_likelihood = pair_posterior(log_likelihood, self.log_mix_weights)[0]
        log_likelihood = tempered(chunk, log_likelihood)
        return sequences, recursion(log_likelihood, sequences.lengths, self.log_start, self.log_transition)


def _check_possible(log_values: Array, sequences: Sequences) -> None:
    if not np.all(np.isfinite(log_values)):
        index = sequences.first + int(np.argmax(~np.isfinite(log_values)))
        raise ValueError(f"sequence {index} has zero probability under the fitted model")


def _chunk_marginals(chain: _Chain, chunk: Chunk) -> Array:
    """``p(z_t = k | x)`` of a chunk's rows, sequence by sequence."""
    sequences, posterior = chain.run(forward_backward, chunk)
    _check_possible(posterior.log_evidence, sequences)
    return posterior.marginals


def _chunk_evidence(chain: _Chain, chunk: Chunk) -> float:
    """``Σ_s log p(x^(s))`` over a chunk's sequences: a forward pass only."""
    sequences, evidence = chain.run(log_evidence, chunk)
    _check_possible(evidence, sequences)
    return float(evidence.sum())


def _chunk_map(chain: _Chain, chunk: Chunk) -> Array:
    """``(n, 2)``: each row's most probable state given its sequence, and that probability's log."""
    marginals = _chunk_marginals(chain, chunk)
    states = marginals.argmax(1)
    with np.errstate(divide="ignore"):
        return np.column_stack([states, np.log(marginals[np.arange(states.size), states])])


def _chunk_viterbi(chain: _Chain, chunk: Chunk) -> Array:
    """``(n, 2)``: the Viterbi path of a chunk's rows, and each sequence's log-probability on
    its first row (0 on the others), so that paths and totals come back from one pass."""
    sequences, (path, log_probability) = chain.run(viterbi, chunk)
    _check_possible(log_probability, sequences)
    per_row = np.zeros(path.shape[0])
    per_row[np.cumsum(sequences.lengths) - sequences.lengths] = log_probability
    return np.column_stack([path, per_row])


#: The decoders of ``HMM.decode`` by name: per-chunk functions giving ``(n, 2)`` rows of state and
#: log-probability term (the terms add up to the decoded path's log-probability).
DECODERS = {"viterbi": _chunk_viterbi, "map": _chunk_map}


def _decoder(algorithm: Any) -> Any:
    try:
        return DECODERS[algorithm]
    except (KeyError, TypeError):
        raise ValueError(f"algorithm must be one of {tuple(DECODERS)}; got {algorithm!r}") from None
