"""``HMM``: a hidden Markov model whose states emit from any exponential family."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import NDArray

from mixtures._validation import (
    as_data_matrix,
    as_float_values,
    as_sample_weight,
    check_int,
    check_weight_values,
)
from mixtures.families.base import Components, ExponentialFamily
from mixtures.inference.data import ChunkedData, Data, SequenceData, chunked_data, configured_prior
from mixtures.inference.initialization import START_METHODS, StartMethod
from mixtures.inference.online import OnlineMode
from mixtures.inference.problem import ExpectationMaximisation, FitProblem, VariationalBayes
from mixtures.inference.starts import FittedMixture, FromMethod, GivenParameters, Start
from mixtures.latent.chain import HMMParameters, HMMPosterior, HMMPriors, MarkovChain, tempered
from mixtures.latent.markov import forward_backward, log_evidence, sample_path, viterbi
from mixtures.latent.weight_priors import DirichletWeights
from mixtures.models._latent_model import LatentModel, changed_settings
from mixtures.priors import ConjugatePrior, default_prior

__all__ = ["HMM", "check_lengths", "checked_sequence_weights"]

Array = NDArray[np.float64]

#: The start methods of ``init`` by name: the mixture's, and a fitted mixture's responsibilities.
HMM_START_METHODS: dict[str, StartMethod] = {**START_METHODS, "mixture": FittedMixture()}
#: The names ``fixed`` accepts, and the field of ``HMMParameters`` each keeps.
FIXABLE = {"startprob": "startprob", "transmat": "transmat", "components": "natural"}


def check_lengths(lengths: Any, n_samples: int) -> NDArray[np.intp]:
    """``lengths`` as positive integers summing to ``n_samples`` (``None``: one sequence).

    Integers of any dtype and whole floats are accepted; every value is checked to lie in
    ``1..n_samples`` before it is converted, so that unsigned or huge values cannot wrap."""
    if lengths is None:
        return np.array([n_samples], dtype=np.intp)
    try:
        values = np.asarray(lengths)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"lengths could not be read as a 1-D array: {error}") from None
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"lengths must be a non-empty 1-D sequence of integers; got shape {values.shape}"
        )
    if values.dtype.kind not in "iuf":
        raise ValueError(
            f"lengths must contain whole numbers; got {lengths!r} (dtype {values.dtype})"
        )
    if values.dtype.kind == "f":
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            index = int(np.argmax(bad))
            raise ValueError(
                f"lengths must contain whole numbers; got {values[index]} at index {index}"
            )
    too_small, too_large = values < 1, values > n_samples
    if too_small.any():
        index = int(np.argmax(too_small))
        raise ValueError(f"lengths must all be >= 1; got {values[index]} at index {index}")
    if too_large.any():
        index = int(np.argmax(too_large))
        raise ValueError(
            f"lengths[{index}] = {values[index]} is more than the {n_samples} rows of X "
            f"(lengths must be between 1 and the number of rows)"
        )
    values = values.astype(np.intp)
    if values.sum() != n_samples:
        raise ValueError(f"lengths sum to {int(values.sum())} but X has {n_samples} rows")
    return values


class HMM(LatentModel):
    """A hidden Markov model: ``z_0 ~ startprob``, ``z_t | z_{t−1} ~ transmat[z_{t−1}]``,
    ``x_t | z_t = k ~ family(η_k)``.

    Parameters
    ----------
    family : ExponentialFamily or str, default Gaussian()
        The emission family (as for ``Mixture``), including a user's own.
    n_states : int, default 1
    inference : {"em", "vb"}
        ``"em"``: Baum-Welch (maximum likelihood, or MAP with ``prior``); ``"vb"``: variational
        Bayes with Dirichlet priors on the initial distribution and every transition row and the
        family's conjugate prior on the emissions.
    max_iter, tol, n_init, random_state, warm_start, chunk_size, prior : as for ``Mixture``.
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
        A tuple gives the initial parameters themselves.
    start_prior, transition_prior : DirichletWeights or None
        VB priors on the initial distribution and on each transition row (default concentration 1).
    fixed : sequence of {"startprob", "transmat", "components"}
        Parameters kept at their initial values while the others are learnt (EM).
    online : OnlineMode or None
        How ``partial_fit`` learns from batches of whole sequences: ``ExactPasses()``,
        ``StepwiseEM(...)`` (the default for EM) or ``StochasticVB(total_samples=N, ...)`` (the
        default for VB); as for ``Mixture``. ``fit`` ignores it.

    Notes
    -----
    ``fit(X, lengths=None, sample_weight=None, sequence_weight=None)``: sequences concatenated
    along rows; ``sample_weight`` tempers each observation's emission (and weights its
    statistics), ``sequence_weight`` counts each sequence that many times. ``lengths`` must be
    whole numbers between 1 and the number of rows, summing to it. As for ``Mixture``, a model
    fitted on a DataFrame finds the columns of later DataFrames by name (``feature_names_in_``).
    """

    structure = MarkovChain()
    size_name = "n_states"
    # Baum-Welch creeps along flat ridges of the likelihood: tighter than the mixture's default
    default_tolerance: ClassVar[dict[str, float]] = {"em": 1e-6, "vb": 1e-6}
    fit_specific_state = (
        "posterior_", "priors_", "prior_", "_structural_zeros", "online_state_", "feature_names_in_",
    )

    family_: ExponentialFamily
    startprob_: Array
    transmat_: Array
    components_: Components
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
        prior: ConjugatePrior | None = None,
        start_prior: DirichletWeights | None = None,
        transition_prior: DirichletWeights | None = None,
        fixed: tuple[str, ...] = (),
        online: OnlineMode | None = None,
    ) -> None:
        self.family = family
        self.n_states = n_states
        self.inference = inference
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.init = init
        self.random_state = random_state
        self.warm_start = warm_start
        self.chunk_size = chunk_size
        self.prior = prior
        self.start_prior = start_prior
        self.transition_prior = transition_prior
        self.fixed = fixed
        self.online = online

    # ------------------------------------------------------------------ fitting
    def _check_params(self) -> ExponentialFamily:
        family = self._check_common_settings()
        if isinstance(self.init, str) and self.init not in HMM_START_METHODS:
            raise ValueError(
                f"init must be one of {tuple(HMM_START_METHODS)} or (startprob, transmat, components); "
                f"got {self.init!r}"
            )
        unknown = set(self.fixed) - set(FIXABLE)
        if isinstance(self.fixed, str) or unknown:
            raise ValueError(
                f"fixed must be a sequence of names from {FIXABLE}; got {self.fixed!r}"
            )
        for name in ("start_prior", "transition_prior"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, DirichletWeights):
                raise ValueError(f"{name} must be DirichletWeights(...); got {value!r}")
            if value is not None and not self._inference().variational:
                raise ValueError(f"{name} applies to inference='vb'")
        if self.fixed and self._inference().variational:
            raise ValueError("fixed parameters are supported with inference='em'")
        return family

    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        lengths: Any = None,
        sample_weight: Any = None,
        sequence_weight: Any = None,
    ) -> Self:
        """Fit from ``n_init`` initialisations (or the current fit with ``warm_start``)."""
        family = self._check_params()
        x = self._fit_matrix(X, continuing=self._continues_fit())
        lengths_ = check_lengths(lengths, x.shape[0])
        row_weights = as_sample_weight(sample_weight, x.shape[0])
        sequence_weights = checked_sequence_weights(sequence_weight, lengths_.shape[0])
        # data-derived settings see each row with its full weight (row × sequence)
        family, warm = self._start_fit(family, x, _full_weights(row_weights, sequence_weights, lengths_))
        data = SequenceData(
            chunked_data(family, x, row_weights, chunk_size=self.chunk_size, lengths=lengths_),
            lengths_,
            sequence_weights,
        )
        self._fit_data(X, x, data, warm)
        return self

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

        Returns
        -------
        self
        """
        family = self._check_params()
        mode, state, start = self._resume(family)
        continuing = state is not None or start is not None
        x = self._validated(X) if continuing else self._fit_matrix(X, continuing=False)
        lengths_ = check_lengths(lengths, x.shape[0])
        row_weights = as_sample_weight(sample_weight, x.shape[0])
        sequence_weights = checked_sequence_weights(sequence_weight, lengths_.shape[0])
        if continuing:
            family = self.family_
        else:
            full_weights = _full_weights(row_weights, sequence_weights, lengths_)
            family = self._first_batch_family(family, x, full_weights)
        data = SequenceData(
            chunked_data(family, x, row_weights, chunk_size=self.chunk_size, lengths=lengths_),
            lengths_,
            sequence_weights,
        )
        self._partial_fit_data(X, x, data, mode, state, start)
        return self

    def _prior_changes(self, x: Any, weights: Any) -> list[tuple[str, Any, Any]]:
        family, size = self.family_, self.n_states
        if hasattr(self, "priors_"):  # a VB fit
            priors = self.priors_
            setting = self.prior if self.prior is not None else default_prior(family)
            configured = configured_prior(setting, family, x, weights, size)
            changes = changed_settings("prior", setting, configured, priors.components)
            for name, fitted in (("start_prior", priors.start), ("transition_prior", priors.rows[0])):
                given = getattr(self, name) or DirichletWeights(concentration=1.0)
                changes += changed_settings(name, given, given.for_data(size), fitted)
            return changes
        fitted_prior = getattr(self, "prior_", None)
        if fitted_prior is None:  # maximum likelihood: any prior now starts from its estimate
            return []
        if self.prior is None:
            return [("prior", fitted_prior, None)]
        configured = configured_prior(self.prior, family, x, weights, size)
        return changed_settings("prior", self.prior, configured, fitted_prior)

    # ------------------------------------------------------------------ the model's problem
    def _configured(self, prior: ConjugatePrior, data: Data) -> ConjugatePrior:
        assert isinstance(data, SequenceData)
        return configured_prior(prior, data.family, data.data.x, data.full_weights, self.n_states)

    def _resolved_priors(self, data: Data) -> HMMPriors:
        """The priors of VB resolved on ``data``: emissions, start and one per transition row."""
        n_states = self.n_states
        component_prior = self.prior if self.prior is not None else default_prior(data.family)
        return HMMPriors(
            self._configured(component_prior, data),
            (self.start_prior or DirichletWeights(concentration=1.0)).for_data(n_states),
            tuple(
                (self.transition_prior or DirichletWeights(concentration=1.0)).for_data(n_states)
                for _ in range(n_states)
            ),
        )

    def _fitted_priors(self) -> HMMPriors:
        return self.priors_

    def _fitted_point(self) -> HMMParameters:
        return HMMParameters(self.startprob_, self.transmat_, self.components_.natural)

    def _frozen(self) -> frozenset[str]:
        return frozenset(FIXABLE[name] for name in self.fixed)

    def _rows(self, data: Data) -> Data:
        assert isinstance(data, SequenceData)
        return data.independent_rows()

    def _keep(self, problem: FitProblem[Any], parameters: Any) -> None:
        point = problem.point(parameters)
        self.startprob_ = point.startprob
        self.transmat_ = point.transmat
        self.components_ = problem.family.components(point.natural)
        if isinstance(problem, VariationalBayes):
            self.priors_ = problem.priors
            self.posterior_ = parameters
        elif isinstance(problem, ExpectationMaximisation) and problem.prior is not None:
            self.prior_ = problem.prior

    def _remember_start(self, start: Any, problem: FitProblem[Any]) -> None:
        if isinstance(start, HMMParameters):  # EM keeps the zeros it starts from: structural
            self._structural_zeros = (start.startprob == 0, start.transmat == 0)

    def _start(self, data: Data) -> Start:
        if isinstance(self.init, tuple):
            return GivenParameters(self._given_parameters(data), "init=(startprob, transmat, components)")
        return FromMethod(HMM_START_METHODS[self.init])

    def _given_parameters(self, data: Data) -> HMMParameters:
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

    # ------------------------------------------------------------------ using a fit
    def _sequences(self, X: Any, lengths: Any) -> SequenceData:
        x = self._validated(X)
        lengths_ = check_lengths(lengths, x.shape[0])
        ones = np.ones(x.shape[0])
        chunked = ChunkedData(
            self.family_, x, ones, chunk_size=self.chunk_size, cache_bytes=0, lengths=lengths_
        )
        return SequenceData(chunked, lengths_, np.ones(lengths_.shape[0]))

    def _log_parameters(self) -> tuple[Array, Array, Array]:
        with np.errstate(divide="ignore"):
            return self.components_.natural, np.log(self.startprob_), np.log(self.transmat_)

    def _per_chunk(self, X: Any, lengths: Any, recursion: Any) -> list[tuple[slice, slice, Any]]:
        data = self._sequences(X, lengths)
        natural, log_start, log_transition = self._log_parameters()
        results = []
        for chunk in data.data.chunks():
            sequences = data.sequences_of(chunk.rows)
            log_likelihood = tempered(chunk, chunk.log_likelihood(self.family_, natural))
            results.append(
                (
                    chunk.rows,
                    sequences,
                    recursion(log_likelihood, data.lengths[sequences], log_start, log_transition),
                )
            )
        return results

    def predict_proba(self, X: Any, *, lengths: Any = None) -> Array:
        """Posterior state probabilities ``p(z_t = k | x)`` of every row: ``(n_samples, K)``."""
        pieces = self._per_chunk(X, lengths, forward_backward)
        out = np.empty((pieces[-1][0].stop, self.n_states))
        for rows, sequences, posterior in pieces:
            self._check_possible(posterior.log_evidence, sequences)
            out[rows] = posterior.marginals
        return out

    def score(self, X: Any, y: Any = None, *, lengths: Any = None) -> float:
        """Total log-likelihood ``Σ_s log p(x^(s))`` of the sequences (hmmlearn's convention)."""
        total = 0.0
        for _, sequences, evidence in self._per_chunk(X, lengths, log_evidence):
            self._check_possible(evidence, sequences)  # forward pass only: no marginals needed
            total += float(evidence.sum())
        return total

    def decode(self, X: Any, *, lengths: Any = None) -> tuple[float, NDArray[np.intp]]:
        """The most likely state path (Viterbi) and its total log-probability."""
        pieces = self._per_chunk(X, lengths, viterbi)
        states = np.empty(pieces[-1][0].stop, dtype=np.intp)
        total = 0.0
        for rows, sequences, (path, log_probability) in pieces:
            self._check_possible(log_probability, sequences)
            states[rows] = path
            total += float(log_probability.sum())
        return total, states

    def predict(self, X: Any, *, lengths: Any = None) -> NDArray[np.intp]:
        """The most likely state of every row, jointly per sequence (Viterbi)."""
        return self.decode(X, lengths=lengths)[1]

    @staticmethod
    def _check_possible(log_values: Array, sequences: slice) -> None:
        if not np.all(np.isfinite(log_values)):
            index = sequences.start + int(np.argmax(~np.isfinite(log_values)))
            raise ValueError(f"sequence {index} has zero probability under the fitted model")

    def sample(self, n_samples: int = 1) -> tuple[Array, NDArray[np.intp]]:
        """One sequence of ``n_samples`` observations and its hidden states: ``(X, states)``."""
        self._check_is_fitted("components_")
        check_int(n_samples, "n_samples", 1)
        rng = self._rng()
        states = sample_path(self.startprob_, self.transmat_, rng.random(n_samples))
        return self.family_.sample(self.components_.natural, states, rng), states

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

        count = 0 if "components" in fixed else self.family_.n_free_parameters(self.components_.natural)
        count += 0 if "startprob" in fixed else free(pinned_start)
        count += 0 if "transmat" in fixed else free(pinned_transmat)
        return count

    def bic(self, X: Any, *, lengths: Any = None) -> float:
        n_samples = as_data_matrix(X).shape[0]
        return -2 * self.score(X, lengths=lengths) + self.n_parameters() * np.log(n_samples)

    def aic(self, X: Any, *, lengths: Any = None) -> float:
        return -2 * self.score(X, lengths=lengths) + 2 * self.n_parameters()


def checked_sequence_weights(sequence_weight: Any, n_sequences: int) -> Array:
    if sequence_weight is None:
        return np.ones(n_sequences)
    values = as_float_values(sequence_weight, "sequence_weight")
    if values.shape != (n_sequences,):
        raise ValueError(
            f"sequence_weight must have one entry per sequence ({n_sequences},); got {values.shape}"
        )
    check_weight_values(values, "sequence_weight")
    return values


def _full_weights(row_weights: Array, sequence_weights: Array, lengths: NDArray[np.intp]) -> Array:
    """Each row's weight times its sequence's, refused when the product overflows."""
    with np.errstate(over="ignore"):
        full = row_weights * np.repeat(sequence_weights, lengths)
    check_weight_values(full, "sample_weight × sequence_weight")
    return full
