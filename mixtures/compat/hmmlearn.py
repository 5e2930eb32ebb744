"""hmmlearn 0.3's HMM classes, fitted by ``mixtures.HMM``.

``GaussianHMM``, ``GMMHMM``, ``PoissonHMM``, ``CategoricalHMM``, ``MultinomialHMM``,
``VariationalGaussianHMM`` and ``VariationalCategoricalHMM`` take hmmlearn 0.3.3's constructor
arguments with its defaults, keep its fitted attributes (``startprob_``, ``transmat_``,
``means_``, ``covars_`` in its shapes per ``covariance_type``, ``emissionprob_``, ``lambdas_``,
``weights_``, ``monitor_``, the variational ``*_prior_`` and ``*_posterior_``) and its method
semantics (``score`` is the total log-likelihood, ``score_samples`` returns it with the
posteriors, ``decode(algorithm=)``, ``sample(n_samples, random_state, currstate)``). Every fit
and every prediction goes through ``mixtures.HMM``: the settings are translated here, once.

As in hmmlearn the attributes are the model: set them before ``fit`` (a start for the
parameters whose letters are not in ``init_params``) or before scoring and sampling (no fit
needed). ``params`` letters not given are held fixed (``HMM(fixed=...)``), ``init_params``
letters are drawn from the data (``PartialInit``); the rest start from the attributes. The
differences from hmmlearn are listed in ``docs/compat-hmmlearn.md``.
"""

from __future__ import annotations

import abc
import collections
import logging
import numbers
import sys
import warnings
from typing import Any, ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.exceptions import ConvergenceWarning, NotFittedError
from mixtures.families import (
    Categorical,
    Components,
    DiagonalGaussian,
    ExponentialFamily,
    Gaussian,
    Multinomial,
    Poisson,
    SphericalGaussian,
    TiedGaussian,
)
from mixtures.inference.initialization import kmeans_clustering
from mixtures.inference.loop import IterationRecord, observe_iterations
from mixtures.inference.starts import PartialInit
from mixtures.latent.chain import HMMPosterior
from mixtures.models import HMM, Estimator, Mixture
from mixtures.priors import (
    ConjugatePrior,
    Dirichlet,
    Gamma,
    NormalGamma,
    NormalWishart,
    SphericalNormalGamma,
    TiedNormalWishart,
)
from mixtures.priors.weights import DirichletWeights

__all__ = [
    "DECODER_ALGORITHMS",
    "GMMHMM",
    "CategoricalHMM",
    "ConvergenceMonitor",
    "GaussianHMM",
    "MultinomialHMM",
    "PoissonHMM",
    "VariationalCategoricalHMM",
    "VariationalGaussianHMM",
]

Array = NDArray[np.float64]

_log = logging.getLogger(__name__)

DECODER_ALGORITHMS = frozenset({"viterbi", "map"})
IMPLEMENTATIONS = ("log", "scaling")
#: hmmlearn's covariance types and the family of each.
GAUSSIAN_FAMILIES: dict[str, type[ExponentialFamily]] = {
    "spherical": SphericalGaussian,
    "diag": DiagonalGaussian,
    "full": Gaussian,
    "tied": TiedGaussian,
}
#: Probabilities given as exactly zero are floored here so that their logarithm stays finite
#: (a zero count times a log of zero would be NaN); ``exp`` of its log is 0 in double precision
#: arithmetic against any probability above 1e-300.
PROBABILITY_FLOOR = 1e-300


class ConvergenceMonitor:
    """hmmlearn's convergence monitor: the objective per iteration and the stopping rule.

    Parameters
    ----------
    tol : float
        Convergence threshold on the gain of the total log-likelihood (or lower bound).
    n_iter : int
        Maximum number of iterations.
    verbose : bool
        Whether each iteration is printed to standard error.

    Attributes
    ----------
    history : collections.deque
        The total log-likelihood (ELBO for the variational models) at the start of each
        iteration, and at the end of the last one when the fit converged.
    iter : int
        Number of values reported.
    """

    _template = "{iter:>10d} {log_prob:>16.8f} {delta:>+16.8f}"

    def __init__(self, tol: float, n_iter: int, verbose: bool) -> None:
        self.tol = tol
        self.n_iter = n_iter
        self.verbose = verbose
        self.history: collections.deque[float] = collections.deque()
        self.iter = 0

    def __repr__(self) -> str:
        params = sorted(dict(vars(self), history=list(self.history)).items())
        return f"{type(self).__name__}(\n" + "".join(f"    {k}={v},\n" for k, v in params) + ")"

    def _reset(self) -> None:
        """Forget the reported values (``fit`` calls this first)."""
        self.iter = 0
        self.history.clear()

    def report(self, log_prob: float) -> None:
        """Record one iteration's objective ``log_prob`` (printed when ``verbose``)."""
        if self.verbose:
            delta = log_prob - self.history[-1] if self.history else np.nan
            print(self._template.format(iter=self.iter + 1, log_prob=log_prob, delta=delta), file=sys.stderr)
        precision = np.finfo(float).eps ** 0.5
        if self.history and (log_prob - self.history[-1]) < -precision:
            _log.warning(
                "Model is not converging.  Current: %s is not greater than %s. Delta is %s",
                log_prob,
                self.history[-1],
                log_prob - self.history[-1],
            )
        self.history.append(log_prob)
        self.iter += 1

    @property
    def converged(self) -> bool:
        """Whether the fit stopped: ``n_iter`` values, or a gain below ``tol``."""
        return self.iter == self.n_iter or (
            len(self.history) >= 2 and self.history[-1] - self.history[-2] < self.tol
        )


def _random_state(value: Any) -> np.random.RandomState | np.random.Generator:
    """hmmlearn's (scikit-learn's) reading of ``random_state`` for ``sample``."""
    if value is None:
        return np.random.mtrand._rand
    if isinstance(value, np.random.RandomState | np.random.Generator):
        return value
    if isinstance(value, numbers.Integral):
        return np.random.RandomState(int(value))
    raise ValueError(f"random_state must be None, an int or a numpy random generator; got {value!r}")


def _seed_from(random_state: np.random.RandomState | np.random.Generator) -> int:
    """A seed drawn from ``random_state`` (for a start that consumes the stream, as hmmlearn's
    k-means does)."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return int(random_state.randint(2**31 - 1))


def _uniform(random_state: np.random.RandomState | np.random.Generator) -> float:
    """One uniform draw on [0, 1) from ``random_state`` (``rand()``, as hmmlearn draws it)."""
    if isinstance(random_state, np.random.Generator):
        return float(random_state.random())
    return float(random_state.rand())


def _stochastic(value: Any, name: str, shape: tuple[int, ...]) -> Array:
    """``value`` as probabilities of ``shape`` whose last axis sums to 1."""
    array = np.asarray(value, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must hold finite probabilities >= 0")
    sums = array.sum(axis=-1)
    if not np.allclose(sums, 1):
        raise ValueError(f"{name} must sum to 1 along its last axis; got sums {sums}")
    return array


def _floored(probabilities: Array) -> Array:
    """Probabilities with exact zeros raised to ``PROBABILITY_FLOOR`` (renormalised)."""
    floored = np.maximum(probabilities, PROBABILITY_FLOOR)
    return floored / floored.sum(axis=-1, keepdims=True)


def _letters(value: Any, name: str, allowed: str) -> str:
    if not isinstance(value, str) or set(value) - set(allowed):
        raise ValueError(f"{name} must be a string of letters from {allowed!r}; got {value!r}")
    return value


class _HMMDropIn(Estimator, abc.ABC):
    """What the seven classes share: the letters, ``fit`` through ``mixtures.HMM``, the
    predictions from the current attributes, sampling and the information criteria."""

    #: The letters of the emission parameters (all learnt or all fixed together).
    emission_letters: ClassVar[str]
    #: ``(letter, attribute)`` of each emission parameter hmmlearn initialises.
    emission_attributes: ClassVar[tuple[tuple[str, str], ...]]
    variational: ClassVar[bool] = False
    n_mix: int = 1

    n_components: int
    algorithm: str
    random_state: Any
    n_iter: int
    tol: float
    verbose: bool
    params: str
    init_params: str
    implementation: str
    startprob_prior: Any
    transmat_prior: Any
    startprob_: Array
    transmat_: Array
    n_features: Any
    monitor_: ConvergenceMonitor

    # ------------------------------------------------------------------ what each class says
    @abc.abstractmethod
    def _family(self) -> ExponentialFamily:
        """The emission family of the current settings and attributes."""

    @abc.abstractmethod
    def _components(self, family: ExponentialFamily) -> Components:
        """The emission attributes as components of ``family``."""

    @abc.abstractmethod
    def _emissions_of(self, model: HMM) -> dict[str, Any]:
        """The emission attributes of a fitted ``model``, by name."""

    @abc.abstractmethod
    def _given_parts(self, given: set[str]) -> dict[str, Any]:
        """``PartialInit`` arguments for the emission letters in ``given``."""

    @abc.abstractmethod
    def _check_emissions(self) -> None:
        """Validate the emission attributes (``ValueError`` naming the attribute)."""

    @abc.abstractmethod
    def _emission_scalars(self) -> dict[str, int]:
        """Free scalars of each emission letter."""

    def _emission_prior(self, n_features: int) -> ConjugatePrior | None:
        """The emission prior settings as the conjugate prior of ``mixtures`` whose mode is
        hmmlearn's update (MAP-EM), for ``n_features`` columns; ``None`` (the default): maximum
        likelihood. A ``ValueError`` names a setting that gives no proper prior."""
        return None

    def _checked_X(self, X: Any) -> Array:
        """``X`` as the model reads it (hmmlearn's ``check_array``: 2-D, finite)."""
        array = np.asarray(X, dtype=np.float64)
        if array.ndim != 2:
            raise ValueError(f"X must be a 2-D array (n_samples, n_features); got shape {array.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError("X contains NaN or infinity")
        return array

    def _check_and_set_n_features(self, X: Any) -> None:
        n_features = X.shape[1]
        if hasattr(self, "n_features") and self.n_features is not None:
            if self.n_features != n_features:
                raise ValueError(
                    f"Unexpected number of dimensions, got {n_features} but expected {self.n_features}"
                )
        else:
            self.n_features = n_features

    # ------------------------------------------------------------------ settings
    def _check_settings(self) -> None:
        letters = "st" + self.emission_letters
        params = _letters(self.params, "params", letters)
        _letters(self.init_params, "init_params", letters)
        if self.implementation not in IMPLEMENTATIONS:
            raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}; got {self.implementation!r}")
        learnt = set(params) & set(self.emission_letters)
        if learnt and learnt != set(self.emission_letters):
            raise ValueError(
                f"params={params!r} learns some emission parameters ({''.join(sorted(learnt))}) and "
                f"not others; mixtures.HMM learns or fixes the emissions {self.emission_letters!r} together"
            )

    def _fixed(self) -> tuple[str, ...]:
        names = {"s": "startprob", "t": "transmat"}
        fixed = [name for letter, name in names.items() if letter not in self.params]
        if not set(self.emission_letters) & set(self.params):
            fixed.append("components")
        return tuple(fixed)

    def _chain_prior(self, value: Any, name: str) -> DirichletWeights | None:
        """hmmlearn's ``startprob_prior``/``transmat_prior``/``weights_prior`` (MAP-EM's
        Dirichlet concentrations; a matrix must repeat one row)."""
        array = np.asarray(value, dtype=np.float64)
        if array.ndim == 2:
            if not np.allclose(array, array[:1]):
                raise ValueError(f"{name} must give every row the same concentrations")
            array = array[0]
        if np.all(array == 1.0):
            return None  # a flat Dirichlet: maximum likelihood
        if np.any(array < 1.0):
            raise ValueError(f"{name} must be >= 1 (MAP-EM needs a Dirichlet with a mode); got {value!r}")
        return DirichletWeights(concentration=array)

    def _fit_random_state(self) -> Any:
        """``random_state`` for ``mixtures.HMM``: ``None`` is numpy's global stream, as in
        hmmlearn (so that ``np.random.seed`` makes a fit reproducible)."""
        return np.random.mtrand._rand if self.random_state is None else self.random_state

    def _model(self, **settings: Any) -> HMM:
        """A ``mixtures.HMM`` for these settings; ``settings`` override the fit's."""
        arguments: dict[str, Any] = {
            "n_mix": self.n_mix,
            "random_state": self._fit_random_state(),
            "start_prior": self._chain_prior(self.startprob_prior, "startprob_prior"),
            "transition_prior": self._chain_prior(self.transmat_prior, "transmat_prior"),
        }
        arguments.update(settings)
        return HMM(self._family(), self.n_components, **arguments)

    # ------------------------------------------------------------------ fitting
    def _needs_init(self, code: str, name: str) -> bool:
        if code in self.init_params:
            if hasattr(self, name):
                _log.warning(
                    "Even though the %r attribute is set, it will be overwritten during "
                    "initialization because 'init_params' contains %r",
                    name,
                    code,
                )
            return True
        return not hasattr(self, name)

    def _get_n_fit_scalars_per_param(self) -> dict[str, int]:
        nc = self.n_components
        return {"s": nc - 1, "t": nc * (nc - 1), **self._emission_scalars()}

    def _init(self, X: Any, lengths: Any = None) -> None:
        """Draw the parameters that need it (letters in ``init_params``, or not set) from ``X``;
        the others stay as set."""
        X = self._checked_X(X)
        self._check_settings()
        self._check_and_set_n_features(X)
        lengths = _lengths(lengths, len(X))
        wanted = [("s", "startprob_"), ("t", "transmat_"), *self.emission_attributes]
        needed = {letter for letter, name in wanted if self._needs_init(letter, name)}
        if needed:
            self._draw(X, lengths, needed)
        self._warn_if_few_data(X)

    def _draw_chain(
        self, random_state: np.random.RandomState | np.random.Generator, needed: set[str]
    ) -> None:
        """hmmlearn's random start of the chain: ``startprob_`` and then each row of
        ``transmat_`` drawn from a symmetric Dirichlet with concentrations ``1 / n_components``."""
        concentrations = np.full(self.n_components, 1.0 / self.n_components)
        if "s" in needed:
            self.startprob_ = random_state.dirichlet(concentrations)
        if "t" in needed:
            self.transmat_ = random_state.dirichlet(concentrations, size=self.n_components)

    def _warn_if_few_data(self, X: Array) -> None:
        """hmmlearn's warning when the data hold fewer values than the learnt free scalars."""
        scalars = self._get_n_fit_scalars_per_param()
        n_scalars = sum(scalars[letter] for letter in self.params)
        if X.size < n_scalars:
            _log.warning(
                "Fitting a model with %d free scalar parameters with only %d data points will "
                "result in a degenerate solution.",
                n_scalars,
                X.size,
            )

    def _draw(self, X: Array, lengths: Any, needed: set[str]) -> None:
        """Set the attributes of ``needed`` letters from ``mixtures.HMM``'s start on ``X``,
        the other parameters given to it as they are (``PartialInit``)."""
        given = set("st" + self.emission_letters) - needed
        latent = {
            name: getattr(self, attribute)
            for letter, name, attribute in (("s", "startprob", "startprob_"), ("t", "transmat", "transmat_"))
            if letter in given
        }
        init = PartialInit(method="kmeans", **latent, **self._given_parts(given))
        # the best of several k-means starts, as hmmlearn's KMeans(n_init=10): a start that
        # does not depend on the order of the rows or of the sequences
        model = self._model(max_iter=0, init=init, inference="em", n_init=10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, lengths=lengths)
        if "s" in needed:
            self.startprob_ = model.startprob_
        if "t" in needed:
            self.transmat_ = model.transmat_
        drawn = self._emissions_of(model)
        for letter, attribute in self.emission_attributes:
            if letter in needed:
                setattr(self, attribute, drawn[attribute])

    def fit(self, X: Any, lengths: Any = None) -> _HMMDropIn:
        """Estimate the parameters by EM (Baum-Welch) from the start ``init_params`` says.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, concatenated.
        lengths : array-like of int, optional
            The length of each sequence (default: one sequence).

        Returns
        -------
        self
        """
        X = self._checked_X(X)
        lengths = _lengths(lengths, len(X))
        prior = self._emission_prior(X.shape[1])
        self._init(X, lengths)
        self._check()
        self.monitor_._reset()
        model = self._model(
            max_iter=self.n_iter,
            tol=float(self.tol) / len(X),
            init=self._start(),
            fixed=self._fixed(),
            prior=prior,
        )
        self._run(model, X, lengths)
        self.startprob_ = model.startprob_
        self.transmat_ = model.transmat_
        for name, value in self._emissions_of(model).items():
            setattr(self, name, value)
        return self

    def _start(self) -> tuple[Any, ...]:
        family = self._family()
        return (self.startprob_, self.transmat_, self._components(family))

    def _run(self, model: HMM, X: Array, lengths: Any) -> None:
        """``model.fit`` with every iteration reported to ``monitor_`` (hmmlearn's history:
        the objective before each update, and after the last when the fit converged)."""
        total = float(len(X))

        def report(record: IterationRecord) -> None:
            if record.finished and not record.converged:
                return  # stopped by n_iter: hmmlearn reports n_iter values
            self.monitor_.report(record.objective * total)
            self.monitor_.converged  # noqa: B018 (a user's monitor may check here, as hmmlearn reads it)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # monitor_ says whether it converged
            with observe_iterations(report):
                model.fit(X, lengths=lengths)

    # ------------------------------------------------------------------ checks
    def _check(self) -> None:
        """Validate the parameters (``ValueError`` naming the attribute and the problem)."""
        self._check_settings()
        nc = self.n_components
        self.startprob_ = _stochastic(self.startprob_, "startprob_", (nc,))
        self.transmat_ = _stochastic(self.transmat_, "transmat_", (nc, nc))
        self._check_emissions()

    def _check_fitted(self) -> None:
        if not hasattr(self, "startprob_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet: call fit or set its parameters"
            )
        self._check()

    # ------------------------------------------------------------------ using the model
    def _fitted_model(self) -> HMM:
        """A ``mixtures.HMM`` holding the current attributes as its fitted parameters."""
        self._check_fitted()
        family = self._family()
        model = self._model(inference="em", start_prior=None, transition_prior=None)
        model.family_ = family
        model.components_ = self._components(family)
        model.startprob_ = self.startprob_
        model.transmat_ = self.transmat_
        model.n_features_in_ = self._n_columns()
        if self.n_mix > 1:
            model.mix_weights_ = self._mix_weights()
        return model

    def _n_columns(self) -> int:
        return int(self.n_features)

    def _mix_weights(self) -> Array:
        """Each state's mixture weights (``n_mix > 1``: only ``GMMHMM`` has them)."""
        raise TypeError(f"{type(self).__name__} has no mixture weights")

    def score(self, X: Any, lengths: Any = None) -> float:
        """The total log-likelihood ``Σ_s log p(x^(s))`` of the sequences."""
        return self._fitted_model().score(self._checked_X(X), lengths=lengths)

    def score_samples(self, X: Any, lengths: Any = None) -> tuple[float, Array]:
        """The total log-likelihood and the posterior state probabilities ``(n_samples, n_components)``."""
        model = self._fitted_model()
        X = self._checked_X(X)
        return model.score(X, lengths=lengths), model.predict_proba(X, lengths=lengths)

    def predict_proba(self, X: Any, lengths: Any = None) -> Array:
        """The posterior state probabilities ``(n_samples, n_components)``."""
        return self._fitted_model().predict_proba(self._checked_X(X), lengths=lengths)

    def decode(
        self, X: Any, lengths: Any = None, algorithm: str | None = None
    ) -> tuple[float, NDArray[np.intp]]:
        """The most likely states and their score.

        ``algorithm="viterbi"``: the most likely path of each sequence and its total
        log-probability ``log p(z, x)``. ``"map"``: each row's most probable state given its
        sequence, and (hmmlearn's convention) the sum of those states' posterior probabilities.
        ``None``: the ``algorithm`` setting.
        """
        algorithm = algorithm or self.algorithm
        if algorithm not in DECODER_ALGORITHMS:
            raise ValueError(f"Unknown decoder {algorithm!r}; algorithm must be 'viterbi' or 'map'")
        model = self._fitted_model()
        X = self._checked_X(X)
        if algorithm == "map":
            posteriors = model.predict_proba(X, lengths=lengths)
            return float(posteriors.max(axis=1).sum()), posteriors.argmax(axis=1)
        return model.decode(X, lengths=lengths, algorithm="viterbi")

    def predict(self, X: Any, lengths: Any = None) -> NDArray[np.intp]:
        """The decoded states (by the ``algorithm`` setting)."""
        return self.decode(X, lengths)[1]

    def sample(
        self, n_samples: int = 1, random_state: Any = None, currstate: int | None = None
    ) -> tuple[Array, NDArray[np.intp]]:
        """Draw one sequence of ``n_samples`` observations and its states ``(X, states)``;
        ``currstate`` is the first state (default: drawn from ``startprob_``).

        The draws are hmmlearn's, in its order: the first state, its observation, then each
        next state and its observation, from ``random_state`` (default: the ``random_state``
        setting; an int seeds a ``RandomState``). The same seed and parameters give the same
        sequence as hmmlearn's ``sample``.
        """
        self._check_fitted()
        rs = _random_state(self.random_state if random_state is None else random_state)
        transmat_cdf = np.cumsum(self.transmat_, axis=1)
        state = (
            int((np.cumsum(self.startprob_) > _uniform(rs)).argmax()) if currstate is None else int(currstate)
        )
        states, rows = [state], [self._draw_from_state(state, rs)]
        for _ in range(n_samples - 1):
            state = int((transmat_cdf[state] > _uniform(rs)).argmax())
            states.append(state)
            rows.append(self._draw_from_state(state, rs))
        return np.atleast_2d(rows), np.array(states, dtype=int)

    @abc.abstractmethod
    def _draw_from_state(self, state: int, rs: np.random.RandomState | np.random.Generator) -> Any:
        """One observation of ``state`` drawn from ``rs`` as hmmlearn's
        ``_generate_sample_from_state`` draws it."""

    def get_stationary_distribution(self) -> Array:
        """The stationary distribution of ``transmat_`` (its left eigenvector of eigenvalue 1)."""
        if not hasattr(self, "transmat_"):
            raise NotFittedError(f"This {type(self).__name__} instance has no transmat_ yet")
        eigvals, eigvecs = np.linalg.eig(np.asarray(self.transmat_, dtype=np.float64).T)
        eigvec = np.real_if_close(eigvecs[:, np.argmax(eigvals.real)])
        return np.asarray((eigvec / eigvec.sum()).real, dtype=np.float64)

    def aic(self, X: Any, lengths: Any = None) -> float:
        """Akaike's criterion ``−2 log L + 2 p`` (``p``: hmmlearn's count of free scalars)."""
        n_params = sum(self._get_n_fit_scalars_per_param().values())
        return -2 * self.score(X, lengths=lengths) + 2 * n_params

    def bic(self, X: Any, lengths: Any = None) -> float:
        """The Bayesian criterion ``−2 log L + p log n``."""
        n_params = sum(self._get_n_fit_scalars_per_param().values())
        return -2 * self.score(X, lengths=lengths) + n_params * np.log(len(self._checked_X(X)))


def _lengths(lengths: Any, n_samples: int) -> Any:
    return np.asarray([n_samples]) if lengths is None else np.atleast_1d(lengths)


# ---------------------------------------------------------------------- Gaussian emissions
def _covariance_family(covariance_type: Any) -> type[ExponentialFamily]:
    try:
        return GAUSSIAN_FAMILIES[covariance_type]
    except (KeyError, TypeError):
        raise ValueError(
            f"covariance_type must be one of {tuple(GAUSSIAN_FAMILIES)}; got {covariance_type!r}"
        ) from None


def _compressed_covars(value: Any, covariance_type: str, n_components: int) -> Array:
    """hmmlearn's stored covariances, checked: ``(K,)`` spherical, ``(K, D)`` diag, ``(D, D)``
    tied, ``(K, D, D)`` full."""
    _covariance_family(covariance_type)
    covars = np.array(value, dtype=np.float64, copy=True)
    if covariance_type == "spherical" and covars.size == n_components:
        covars = covars.reshape(n_components)
    expected_ndim = {"spherical": 1, "diag": 2, "tied": 2, "full": 3}[covariance_type]
    if covars.ndim != expected_ndim or (covariance_type != "tied" and len(covars) != n_components):
        raise ValueError(
            f"covars_ for covariance_type={covariance_type!r} and {n_components} components has "
            f"the wrong shape {covars.shape}"
        )
    if not np.all(np.isfinite(covars)):
        raise ValueError("covars_ must be finite")
    if covariance_type in ("spherical", "diag"):
        if np.any(covars <= 0):
            raise ValueError(f"{covariance_type!r} covars_ must be positive")
    else:
        matrices = covars[None] if covariance_type == "tied" else covars
        if matrices.shape[1] != matrices.shape[2] or not np.allclose(matrices, np.swapaxes(matrices, 1, 2)):
            raise ValueError(f"{covariance_type!r} covars_ must be symmetric matrices")
        if np.any(np.linalg.eigvalsh(matrices) <= 0):
            raise ValueError(f"{covariance_type!r} covars_ must be positive-definite")
    return covars


def _full_covars(covars: Array, covariance_type: str, n_components: int, n_features: int) -> Array:
    """hmmlearn's ``covars_`` view: one ``(D, D)`` matrix per component."""
    if covariance_type == "full":
        return covars
    if covariance_type == "diag":
        return np.array([np.diag(c) for c in covars])
    if covariance_type == "tied":
        return np.tile(covars, (n_components, 1, 1))
    return np.array([np.eye(n_features) * c for c in covars])


def _units(covariance_type: str) -> dict[str, Any]:
    """A spherical covariance is spherical in the data's own units (hmmlearn's): no per-feature
    standardisation for it."""
    return {"feature_scale": 1.0} if covariance_type == "spherical" else {}


def _gaussian_components(family: Any, means: Array, covars: Array) -> Components:
    return family.components_from(np.asarray(means, dtype=np.float64), covars)


def _gaussian_parts(components: Any, covariance_type: str) -> tuple[Array, Array]:
    """Means and hmmlearn's stored covariances of fitted Gaussian components."""
    spread = components.variance if covariance_type in ("spherical", "diag") else components.covariance
    return np.array(components.mean), np.array(spread)


def _covariance_scalars(covariance_type: str, n_copies: int, n_features: int) -> int:
    per_matrix = n_features * (n_features + 1) // 2
    return {
        "spherical": n_copies,
        "diag": n_copies * n_features,
        "full": n_copies * per_matrix,
        "tied": per_matrix,
    }[covariance_type]


# ---------------------------------------------------------------------- emission priors
# hmmlearn's MAP updates are the modes of our conjugate priors (see docs/compat-hmmlearn.md for
# the table): these turn its settings into those priors, or None where its update is maximum
# likelihood. A mean with ``means_weight = 0`` has a flat prior (mean_precision 0), which brings
# no |Λ|^½ (or λ^(d/2)) to the density; the dof and shapes below count that.


def _broadcast(value: Any, shape: tuple[int, ...], name: str) -> Array:
    """``value`` broadcast to ``shape`` as hmmlearn's update broadcasts it (finite)."""
    try:
        array = np.broadcast_to(np.asarray(value, dtype=np.float64), shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a number or an array that broadcasts to {shape}; got {value!r}"
        ) from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return array


def _means_weight(value: Any, shape: tuple[int, ...]) -> Array:
    """hmmlearn's ``means_weight`` (the mean precision ``β``) broadcast to ``shape``: ``>= 0``."""
    weight = _broadcast(value, shape, "means_weight")
    if np.any(weight < 0):
        raise ValueError(f"means_weight must be >= 0 (0: a flat prior on the means); got {value!r}")
    return weight


def _one_per_state(values: Array, name: str, where: str) -> Array:
    """``(K, D)`` values that must not vary over the features, as ``(K,)``."""
    if not np.all(values == values[:, :1]):
        raise ValueError(
            f"{name} must be one value per state {where} (a number, or a column of shape "
            f"(n_components, 1)); it varies over the features"
        )
    return np.array(values[:, 0])


def _at(value: Any, default: Any) -> bool:
    """Whether a setting is at its default (every entry of an array)."""
    return bool(np.all(np.asarray(value, dtype=object) == default))


def _spd_inverses(matrices: Array, name: str, given: Any) -> Array:
    """The inverses of ``matrices`` ``(G, D, D)`` (what hmmlearn adds to each scatter matrix:
    the Wishart's inverse scale ``W⁻¹``), which must be symmetric positive definite."""
    symmetric = np.allclose(matrices, np.swapaxes(matrices, 1, 2))
    if not symmetric or np.any(np.linalg.eigvalsh(0.5 * (matrices + np.swapaxes(matrices, 1, 2))) <= 0):
        number = " (a number is added to every entry: positive definite only for n_features = 1)"
        raise ValueError(
            f"{name} is added to each scatter matrix, the inverse scale of a Wishart prior, and "
            f"must be symmetric positive definite, e.g. c * np.eye(n_features)"
            f"{number if np.ndim(given) == 0 else ''}; got {given!r}"
        )
    return np.asarray(np.linalg.inv(matrices), dtype=np.float64)


@attrs.frozen
class _HMMLearnPrior:
    """hmmlearn's emission prior in the terms of its update, per component (``n = K·n_mix``):
    ``μ = (β m + Σ r x)/(β + N)`` and the spread ``(scatter + β(μ − m)(μ − m)ᵀ + Σ r (x −
    μ)(x − μ)ᵀ) / (count + N)`` (per variance for ``"diag"``; over the features, ``N·D``, for
    ``"spherical"``; per group of ``group_size`` components for ``"tied"``, ``N`` its total).

    ``mean`` ``(n, D)``; ``beta`` ``(n, D)`` for ``"diag"``, else ``(n,)``; ``scatter`` and
    ``count`` ``(n, D)`` diag, ``(n,)`` spherical, ``(n, D, D)`` and ``(n,)`` full, ``(G, D, D)``
    and ``(G,)`` tied. ``scatter_name`` and ``count_name`` are the settings they come from (for
    the errors), ``scatter_given`` the first as given.
    """

    mean: Array
    beta: Array
    scatter: Array
    count: Array
    group_size: int
    scatter_name: str
    count_name: str
    scatter_given: Any

    def _normal(self) -> Array:
        """1 where a component's mean has a normal prior (``β > 0``): its ``|Λ|^½``."""
        return (self.beta > 0).astype(np.float64)

    def _rate(self) -> Array:
        if not np.all(self.scatter > 0):
            raise ValueError(
                f"{self.scatter_name} gives a Gamma prior with rate {self.scatter.min() / 2:g}; a "
                f"proper prior needs a positive rate (hmmlearn's update is that of an improper "
                f"one): make {self.scatter_name} positive"
            )
        return self.scatter / 2

    def _shape(self, shape: Array) -> Array:
        if np.any(shape <= 0):
            raise ValueError(
                f"{self.count_name} gives a Gamma prior with shape {shape.min():g}; a proper prior "
                f"needs a positive shape (hmmlearn's update is that of an improper one): raise "
                f"{self.count_name}"
            )
        return shape

    def _dof(self, dof: Array) -> Array:
        n_features = self.mean.shape[1]
        if np.any(dof <= n_features - 1):
            raise ValueError(
                f"{self.count_name} gives a Wishart prior with dof {dof.min():g}; a proper prior "
                f"needs dof > n_features - 1 = {n_features - 1} (hmmlearn's update is that of an "
                f"improper one): raise {self.count_name}"
            )
        return dof

    def diag(self) -> ConjugatePrior:
        """``σ² = (2·rate + c)/(2·shape − 2 + [β > 0] + N)`` per feature."""
        shape = self._shape((self.count + 2.0 - self._normal()) / 2)
        return NormalGamma(mean=self.mean, mean_precision=self.beta, shape=shape, rate=self._rate())

    def spherical(self) -> ConjugatePrior:
        """``σ² = (2·rate + Σ_d c_d)/(2·shape − 2 + D·[β > 0] + N·D)``."""
        n_features = self.mean.shape[1]
        shape = self._shape(1.0 + (self.count - n_features * self._normal()) / 2)
        return SphericalNormalGamma(mean=self.mean, mean_precision=self.beta, shape=shape, rate=self._rate())

    def full(self) -> ConjugatePrior:
        """``Σ = (W⁻¹ + c)/(ν − D − [β = 0] + N)``."""
        n_features = self.mean.shape[1]
        scale = _spd_inverses(self.scatter, self.scatter_name, self.scatter_given)
        dof = self._dof(self.count + n_features + 1.0 - self._normal())
        return NormalWishart(mean=self.mean, mean_precision=self.beta, dof=dof, scale=scale)

    def tied(self) -> ConjugatePrior:
        """``Σ = (W⁻¹ + Σ_group c)/(g' + ν − D − 1 + N)``, ``g'`` the group's members with
        ``β > 0``."""
        n_features = self.mean.shape[1]
        scale = _spd_inverses(self.scatter, self.scatter_name, self.scatter_given)
        normal_members = self._normal().reshape(-1, self.group_size).sum(1)
        dof = self._dof(self.count + n_features + 1.0 - normal_members)
        return TiedNormalWishart(
            mean=self.mean,
            mean_precision=self.beta,
            dof=np.repeat(dof, self.group_size),
            scale=np.repeat(scale, self.group_size, axis=0),
        )

    def prior(self, covariance_type: str) -> ConjugatePrior:
        """The conjugate prior of ``mixtures`` whose mode is this update."""
        builders = {"diag": self.diag, "spherical": self.spherical, "full": self.full, "tied": self.tied}
        return builders[covariance_type]()


class GaussianHMM(_HMMDropIn):
    """hmmlearn's ``GaussianHMM`` on ``mixtures.HMM``.

    Parameters are hmmlearn 0.3.3's, with its defaults. ``min_covar`` is added to the data's
    covariance for the start, as hmmlearn. ``startprob_prior`` and ``transmat_prior`` are
    Dirichlet concentrations for MAP-EM (``>= 1``; one row for all of ``transmat_prior``).
    ``implementation`` accepts ``"log"`` and ``"scaling"`` (both compute in log space). ``tol``
    is on the total log-likelihood (with an emission prior, on the MAP objective).

    ``means_prior``, ``means_weight``, ``covars_prior`` and ``covars_weight`` are hmmlearn's
    emission prior. hmmlearn's update is the mode of a conjugate prior of ``mixtures``, which
    ``fit`` gives to ``HMM(prior=...)`` (MAP-EM): per state, with ``m = means_prior``,
    ``β = means_weight``, ``P = covars_prior``, ``w = covars_weight`` (a number), ``D`` features,
    ``[β > 0]`` 1 where the mean has a normal prior and 0 where it is flat (``β = 0``,
    hmmlearn's default; ``mean_precision=0``, a flat prior on the mean):

    * ``"diag"``: ``NormalGamma(mean=m, mean_precision=β, shape=(max(w − 1, 0) + 2 − [β > 0])/2,
      rate=P/2)``, per feature (``P`` and ``β`` may vary over the features);
    * ``"spherical"``: ``SphericalNormalGamma(mean=m, mean_precision=β, shape=1 + D·(max(w − 1,
      0) − [β > 0])/2, rate=Σ_d P_d/2)`` (hmmlearn averages the features' variances);
    * ``"full"``: ``NormalWishart(mean=m, mean_precision=β, dof=max(w, D) + 1 − [β > 0],
      scale=inv(P))``;
    * ``"tied"``: ``TiedNormalWishart(mean=m, mean_precision=β, dof=max(w, D) + 1 − (the
      number of states with β > 0), scale=inv(P))``.

    Each setting broadcasts as in hmmlearn's update; ``β`` is one value per state but for
    ``"diag"``. Settings that give no proper prior are refused (a ``ValueError`` names them):
    ``P`` not positive (``"diag"``, ``"spherical"``) or not a positive-definite matrix
    (``"full"``, ``"tied"``: a number is added to every entry of the scatter matrix, positive
    definite only for one feature), a shape ``<= 0`` or a ``dof <= D − 1``. There is no prior,
    maximum likelihood, where hmmlearn's update is maximum likelihood (``β = 0``, ``P = 0`` and
    ``w <= 1``, or ``w <= D`` for matrices) and at the defaults, which are not applied (their
    ``covars_prior=1e-2`` is added to every entry of a full matrix, no Wishart scale; the
    family's ridge of 1e-6 of each feature's variance, added at every M-step, does its job).
    With a prior the update adds no ridge and equals hmmlearn's, and ``monitor_`` follows the
    MAP objective (log-likelihood + log prior density), which never decreases (hmmlearn
    reports the log-likelihood alone).

    Attributes
    ----------
    startprob_, transmat_ : arrays (n_components,) and (n_components, n_components)
    means_ : array (n_components, n_features)
    covars_ : array (n_components, n_features, n_features)
        Full matrices whatever the ``covariance_type`` (hmmlearn's view); set it in the stored
        shape: ``(n_components,)`` spherical, ``(n_components, n_features)`` diag,
        ``(n_features, n_features)`` tied, ``(n_components, n_features, n_features)`` full.
    n_features : int
    monitor_ : ConvergenceMonitor
    """

    emission_letters = "mc"
    emission_attributes = (("m", "means_"), ("c", "covars_"))
    means_: Any

    def __init__(
        self,
        n_components: int = 1,
        covariance_type: str = "diag",
        min_covar: float = 1e-3,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        means_prior: Any = 0,
        means_weight: Any = 0,
        covars_prior: Any = 1e-2,
        covars_weight: Any = 1,
        algorithm: str = "viterbi",
        random_state: Any = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: str = "stmc",
        init_params: str = "stmc",
        implementation: str = "log",
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.min_covar = min_covar
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation
        self.monitor_ = ConvergenceMonitor(tol, n_iter, verbose)

    @property
    def covars_(self) -> Array:
        """Covariance matrices ``(n_components, n_features, n_features)``."""
        if "_covars_" not in self.__dict__:
            raise AttributeError("covars_ is not set")
        n_features = self.__dict__.get("n_features") or np.asarray(self.means_).shape[1]
        return _full_covars(self._covars_, self.covariance_type, self.n_components, int(n_features))

    @covars_.setter
    def covars_(self, value: Any) -> None:
        self._covars_ = _compressed_covars(value, self.covariance_type, self.n_components)

    def _check_settings(self) -> None:
        super()._check_settings()
        _covariance_family(self.covariance_type)

    def _emission_prior(self, n_features: int) -> ConjugatePrior | None:
        """hmmlearn's update as a mode (the class docstring's list); ``None`` at the defaults
        and wherever that update is maximum likelihood."""
        kind = self.covariance_type
        _covariance_family(kind)
        defaults = _at(self.means_weight, 0) and _at(self.covars_prior, 1e-2) and _at(self.covars_weight, 1)
        if defaults:
            return None  # hmmlearn's 1e-2 on every entry is no Wishart scale: the ridge instead
        if np.ndim(self.covars_weight) != 0 or not np.isfinite(float(self.covars_weight)):
            raise ValueError(
                f"covars_weight must be a number (as hmmlearn's update takes it); got {self.covars_weight!r}"
            )
        nc, nf = self.n_components, n_features
        beta: Array = _means_weight(self.means_weight, (nc, nf))
        mean = _broadcast(self.means_prior, (nc, nf), "means_prior")
        # the pseudo-counts of hmmlearn's denominators: max(w − 1, 0) per variance, max(w − D, 0)
        # per matrix
        matrices = kind in ("full", "tied")
        count = max(float(self.covars_weight) - (nf if matrices else 1), 0.0)
        scatter: Array
        counts: Array
        group_size = 1
        if kind in ("diag", "spherical"):
            scatter = _broadcast(self.covars_prior, (nc, nf), "covars_prior")
            counts = np.full((nc, nf), count)
            if kind == "spherical":  # hmmlearn averages the variances over the features
                scatter, counts = scatter.sum(1), counts.sum(1)
                beta = _one_per_state(beta, "means_weight", "for covariance_type='spherical'")
        else:
            beta = _one_per_state(beta, "means_weight", f"for covariance_type={kind!r}")
            scatter = _broadcast(self.covars_prior, (nc, nf, nf), "covars_prior")
            counts = np.full(nc, count)
            if kind == "tied":  # one matrix for all states, as one group
                scatter = _broadcast(self.covars_prior, (1, nf, nf), "covars_prior")
                counts, group_size = np.full(1, count), nc
        if not (np.any(beta) or np.any(scatter) or np.any(counts)):
            return None  # hmmlearn's update is maximum likelihood
        update = _HMMLearnPrior(
            mean, beta, scatter, counts, group_size, "covars_prior", "covars_weight", self.covars_prior
        )
        return update.prior(kind)

    def _draw(self, X: Array, lengths: Any, needed: set[str]) -> None:
        """As hmmlearn: states and means drawn from the data, and covariances from the data's
        covariance plus ``min_covar`` (a broad start every state shares)."""
        super()._draw(X, lengths, needed)
        if "c" in needed:
            covariance = np.atleast_2d(np.cov(X.T)) + self.min_covar * np.eye(X.shape[1])
            nc = self.n_components
            self.covars_ = {
                "spherical": np.full(nc, covariance.diagonal().mean()),
                "diag": np.tile(covariance.diagonal(), (nc, 1)),
                "full": np.tile(covariance, (nc, 1, 1)),
                "tied": covariance,
            }[self.covariance_type]

    def _draw_from_state(self, state: int, rs: np.random.RandomState | np.random.Generator) -> Any:
        return rs.multivariate_normal(self.means_[state], self.covars_[state])

    def _family(self) -> ExponentialFamily:
        family_type: Any = _covariance_family(self.covariance_type)
        origin = np.asarray(self.means_, dtype=np.float64).mean(0) if hasattr(self, "means_") else None
        return family_type(origin=origin, **_units(self.covariance_type))

    def _components(self, family: ExponentialFamily) -> Components:
        return _gaussian_components(family, self.means_, self._covars_)

    def _emissions_of(self, model: HMM) -> dict[str, Any]:
        means, covars = _gaussian_parts(model.components_, self.covariance_type)
        return {"means_": means, "covars_": covars}

    def _given_parts(self, given: set[str]) -> dict[str, Any]:
        parts: dict[str, Any] = {}
        if "m" in given:
            parts["means"] = np.asarray(self.means_, dtype=np.float64)
        if "c" in given:
            parts["covariances"] = self._covars_
        return parts

    def _check_emissions(self) -> None:
        _covariance_family(self.covariance_type)
        means = np.asarray(self.means_, dtype=np.float64)
        if means.ndim != 2 or len(means) != self.n_components:
            raise ValueError(f"means_ must have shape (n_components, n_features); got {means.shape}")
        self.means_ = means
        self.n_features = means.shape[1]
        covars = _compressed_covars(self._covars_, self.covariance_type, self.n_components)
        if covars.shape[-1] != self.n_features and self.covariance_type != "spherical":
            raise ValueError(f"covars_ has {covars.shape[-1]} features, means_ {self.n_features}")
        self._covars_ = covars

    def _emission_scalars(self) -> dict[str, int]:
        nc, nf = self.n_components, int(self.n_features)
        return {"m": nc * nf, "c": _covariance_scalars(self.covariance_type, nc, nf)}


class GMMHMM(_HMMDropIn):
    """hmmlearn's ``GMMHMM`` (each state emits a mixture of ``n_mix`` Gaussians) on
    ``mixtures.HMM(n_mix=...)``.

    As ``GaussianHMM``; ``weights_prior`` (``>= 1``, one row for all states) gives MAP mixture
    weights as hmmlearn's. ``covariance_type="tied"`` is one covariance per state, shared by
    its components (``TiedGaussian(group_size=n_mix)``). The covariance update is measured
    around the new means; hmmlearn 0.3.3 measures it around the previous ones (see
    ``docs/compat-hmmlearn.md``), so whole fits differ from its. The start is hmmlearn's
    (``_draw``) and does not depend on the order of the sequences.

    ``means_prior``, ``means_weight``, ``covars_prior`` and ``covars_weight`` are hmmlearn's
    emission prior (its Normal-inverse-Wishart and inverse-Gamma parameters, one per component
    of each state; ``None``: hmmlearn's defaults). As for ``GaussianHMM`` the drop-in fits the
    conjugate prior whose mode is hmmlearn's update (measured around the new means), per
    component, with ``m = means_prior``, ``β = means_weight``, ``[β > 0]`` 1 where the mean has a
    normal prior (0: flat, ``mean_precision=0``):

    * ``"diag"`` (``α = covars_prior``, ``b = covars_weight``): ``NormalGamma(mean=m,
      mean_precision=β, shape=α + 2.5 − [β > 0]/2, rate=b)`` per feature;
    * ``"spherical"`` (the same): ``SphericalNormalGamma(mean=m, mean_precision=β, shape=α + 2
      + D·(1 − [β > 0])/2, rate=b)``;
    * ``"full"`` (``Ψ = covars_prior``, ``ν = covars_weight``): ``NormalWishart(mean=m,
      mean_precision=β, dof=ν + 2D + 3 − [β > 0], scale=inv(Ψ))``;
    * ``"tied"`` (per state): ``TiedNormalWishart(mean=m, mean_precision=β, dof=ν + 2D + 2 +
      n_mix − (its components with β > 0), scale=inv(Ψ))``.

    Settings that give no proper prior are refused (a ``ValueError`` names them): ``b`` not
    positive, ``Ψ`` not positive definite, a shape ``<= 0``, a ``dof <= D − 1``; hmmlearn's
    defaults for ``None`` (``Ψ = 0``, ``b = 0``) are such, so a means prior needs them given.
    There is no prior, maximum likelihood, where hmmlearn's update is maximum likelihood (``β =
    0``, ``Ψ = 0``/``b = 0`` and no pseudo-counts: ``ν = −(D + 2)``, ``−(n_mix + D + 1)`` tied,
    ``α = −1.5`` diag, ``−(D + 2)/2`` spherical) and for the defaults (``None``), as before
    (hmmlearn's ``"spherical"`` default divides by ``D(N + 1) − n_mix``, not ``DN``).

    Attributes
    ----------
    weights_ : array (n_components, n_mix)
    means_ : array (n_components, n_mix, n_features)
    covars_ : array
        ``(n_components, n_mix)`` spherical, ``(n_components, n_mix, n_features)`` diag,
        ``(n_components, n_features, n_features)`` tied,
        ``(n_components, n_mix, n_features, n_features)`` full.
    """

    emission_letters = "mcw"
    emission_attributes = (("m", "means_"), ("c", "covars_"), ("w", "weights_"))
    means_: Any
    covars_: Any
    weights_: Any

    def __init__(
        self,
        n_components: int = 1,
        n_mix: int = 1,
        min_covar: float = 1e-3,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        weights_prior: Any = 1.0,
        means_prior: Any = 0.0,
        means_weight: Any = 0.0,
        covars_prior: Any = None,
        covars_weight: Any = None,
        algorithm: str = "viterbi",
        covariance_type: str = "diag",
        random_state: Any = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: str = "stmcw",
        init_params: str = "stmcw",
        implementation: str = "log",
    ) -> None:
        self.n_components = n_components
        self.n_mix = n_mix
        self.min_covar = min_covar
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.weights_prior = weights_prior
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight
        self.algorithm = algorithm
        self.covariance_type = covariance_type
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation
        self.monitor_ = ConvergenceMonitor(tol, n_iter, verbose)

    def _check_settings(self) -> None:
        super()._check_settings()
        _covariance_family(self.covariance_type)

    def _model(self, **settings: Any) -> HMM:
        """``weights_prior`` is each state's Dirichlet over its components: MAP weights
        ``∝ N_km + α − 1`` (``HMM(mix_prior=...)``), as hmmlearn's update."""
        settings.setdefault("mix_prior", self._chain_prior(self.weights_prior, "weights_prior"))
        return super()._model(**settings)

    def _covars_defaults(self, n_features: int) -> tuple[float, float]:
        """hmmlearn's ``covars_prior`` and ``covars_weight`` for ``None`` (``_init_covar_priors``)."""
        nm = self.n_mix
        return {
            "full": (0.0, -(n_features + 2.0)),
            "tied": (0.0, -(nm + n_features + 1.0)),
            "diag": (-1.5, 0.0),
            "spherical": (-(nm + 2.0) / 2, 0.0),
        }[self.covariance_type]

    def _emission_prior(self, n_features: int) -> ConjugatePrior | None:
        """hmmlearn's update as a mode (the class docstring's list); ``None`` at the defaults
        and wherever that update is maximum likelihood."""
        kind = self.covariance_type
        _covariance_family(kind)
        nc, nm, nf = self.n_components, self.n_mix, n_features
        beta = _means_weight(self.means_weight, (nc, nm))
        if self.covars_prior is None and self.covars_weight is None and not np.any(beta):
            return None  # hmmlearn's defaults (maximum likelihood but for "spherical")
        default_prior, default_weight = self._covars_defaults(nf)
        given = default_prior if self.covars_prior is None else self.covars_prior
        weight = default_weight if self.covars_weight is None else self.covars_weight
        mean = _broadcast(self.means_prior, (nc, nm, nf), "means_prior").reshape(nc * nm, nf)
        group_size = 1
        names = ("covars_prior", "covars_weight")  # what the scatter and the count come from
        if kind == "full":
            scatter = _broadcast(given, (nc, nm, nf, nf), "covars_prior").reshape(-1, nf, nf)
            counts = _broadcast(weight, (nc, nm), "covars_weight").ravel() + nf + 2.0
        elif kind == "tied":  # one matrix per state, over its n_mix components
            scatter = _broadcast(given, (nc, nf, nf), "covars_prior")
            counts = _broadcast(weight, (nc,), "covars_weight") + nm + nf + 1.0
            group_size = nm
        elif kind == "diag":  # covars_prior is the inverse Gamma's shape α, covars_weight its rate
            scatter = 2.0 * _broadcast(weight, (nc, nm, nf), "covars_weight").reshape(-1, nf)
            counts = 2.0 * _broadcast(given, (nc, nm, nf), "covars_prior").reshape(-1, nf) + 3.0
            names = ("covars_weight", "covars_prior")
        else:  # "spherical": the same, over the features (N·D)
            scatter = 2.0 * _broadcast(weight, (nc, nm), "covars_weight").ravel()
            counts = 2.0 * _broadcast(given, (nc, nm), "covars_prior").ravel() + nf + 2.0
            names = ("covars_weight", "covars_prior")
        flat_beta = beta.ravel()
        if kind == "diag":
            flat_beta = np.repeat(flat_beta[:, None], nf, axis=1)
        if not (np.any(flat_beta) or np.any(scatter) or np.any(counts)):
            return None  # hmmlearn's update is maximum likelihood
        if getattr(self, names[0]) is None:
            raise ValueError(
                f"{names[0]}=None is hmmlearn's 0 for covariance_type={kind!r}: with the other "
                f"emission prior settings given, its update is the mode of an improper prior; give "
                f"{names[0]} ({'a positive-definite matrix' if kind in ('full', 'tied') else 'positive'})"
            )
        given_scatter = given if kind in ("full", "tied") else weight
        update = _HMMLearnPrior(mean, flat_beta, scatter, counts, group_size, *names, given_scatter)
        return update.prior(kind)

    def _flat(self) -> tuple[Array, Array]:
        """Means and covariances of the ``n_components · n_mix`` components, state-major (for
        ``"tied"``, the states' covariances ``(n_components, n_features, n_features)``)."""
        means = np.asarray(self.means_, dtype=np.float64)
        covars = np.asarray(self.covars_, dtype=np.float64)
        n = self.n_components * self.n_mix
        if self.covariance_type != "tied":
            covars = covars.reshape(n, *covars.shape[2:])
        return means.reshape(n, means.shape[-1]), covars

    def _family(self) -> ExponentialFamily:
        family_type: Any = _covariance_family(self.covariance_type)
        origin = self._flat()[0].mean(0) if hasattr(self, "means_") else None
        # "tied": one covariance per state, shared by its n_mix consecutive components
        grouping = {"group_size": self.n_mix} if self.covariance_type == "tied" else {}
        return family_type(origin=origin, **_units(self.covariance_type), **grouping)

    def _components(self, family: ExponentialFamily) -> Components:
        return _gaussian_components(family, *self._flat())

    def _mix_weights(self) -> Array:
        return np.asarray(self.weights_, dtype=np.float64)

    def _start(self) -> tuple[Any, ...]:
        family = self._family()
        return (self.startprob_, self.transmat_, self._mix_weights(), self._components(family))

    def _emissions_of(self, model: HMM) -> dict[str, Any]:
        means, covars = _gaussian_parts(model.components_, self.covariance_type)
        shape = (self.n_components, self.n_mix)
        if self.covariance_type != "tied":
            covars = covars.reshape(*shape, *covars.shape[1:])
        return {
            "means_": means.reshape(*shape, -1),
            "covars_": covars,
            "weights_": np.array(model.mix_weights_),
        }

    def _draw(self, X: Array, lengths: Any, needed: set[str]) -> None:
        """As hmmlearn, a start that does not depend on the order of the rows or of the
        sequences: ``startprob_`` and ``transmat_`` drawn at random (``_draw_chain``); the rows
        clustered into ``n_components`` groups by k-means (the best of ten runs, in the data's
        units), each group's ``n_mix`` means by k-means on its rows (a group with fewer rows
        than ``n_mix``: means drawn around the groups' mean with the data's covariance, from
        ``random_state`` where hmmlearn draws from numpy's global stream); equal weights, and
        every covariance the data's covariance plus ``min_covar``."""
        random_state = _random_state(self.random_state)
        self._draw_chain(random_state, needed)
        nc, nm, nf = self.n_components, self.n_mix, X.shape[1]
        covariance = np.atleast_2d(np.cov(X.T)) + self.min_covar * np.eye(nf)
        if "m" in needed:
            rng = np.random.default_rng(_seed_from(random_state))
            origin = X.mean(0)  # k-means in centred coordinates (the same clusters)
            states = kmeans_clustering(X - origin, nc, rng)
            means = []
            for state in range(nc):
                rows = X[states.labels == state] - origin
                if len(rows) >= nm:
                    means.append(kmeans_clustering(rows, nm, rng).centres + origin)
                else:
                    centre = states.centres.mean(0) + origin
                    means.append(random_state.multivariate_normal(centre, covariance, size=nm))
            self.means_ = np.stack(means)
        if "w" in needed:
            self.weights_ = np.full((nc, nm), 1.0 / nm)
        if "c" in needed:
            self.covars_ = {
                "spherical": np.full((nc, nm), covariance.diagonal().mean()),
                "diag": np.tile(covariance.diagonal(), (nc, nm, 1)),
                "full": np.tile(covariance, (nc, nm, 1, 1)),
                "tied": np.tile(covariance, (nc, 1, 1)),
            }[self.covariance_type]

    def _given_parts(self, given: set[str]) -> dict[str, Any]:
        return {}  # the drawn emissions are replaced by the given ones attribute by attribute

    def _check_emissions(self) -> None:
        nc, nm = self.n_components, self.n_mix
        self.weights_ = _stochastic(self.weights_, "weights_", (nc, nm))
        means = np.asarray(self.means_, dtype=np.float64)
        if means.ndim != 3 or means.shape[:2] != (nc, nm):
            raise ValueError(f"means_ must have shape (n_components, n_mix, n_features); got {means.shape}")
        self.means_ = means
        self.n_features = means.shape[2]
        flat = self._flat()[1]
        if self.covariance_type == "tied":  # one full matrix per state
            _compressed_covars(flat, "full", nc)
        else:
            _compressed_covars(flat, self.covariance_type, nc * nm)

    def _draw_from_state(self, state: int, rs: np.random.RandomState | np.random.Generator) -> Any:
        mix = rs.choice(self.n_mix, p=self.weights_[state])
        covars = np.asarray(self.covars_, dtype=np.float64)
        covariance = covars[state] if self.covariance_type == "tied" else covars[state, mix]
        if self.covariance_type == "diag":
            covariance = np.diag(covariance)
        elif self.covariance_type == "spherical":
            covariance = np.eye(int(self.n_features)) * covariance
        return rs.multivariate_normal(self.means_[state, mix], covariance)

    def _emission_scalars(self) -> dict[str, int]:
        nc, nm, nf = self.n_components, self.n_mix, int(self.n_features)
        per_state = self.covariance_type == "tied"
        return {
            "m": nc * nm * nf,
            "c": _covariance_scalars("full", nc, nf)
            if per_state
            else _covariance_scalars(self.covariance_type, nc * nm, nf),
            "w": nm - 1,
        }


# ---------------------------------------------------------------------- count emissions
class PoissonHMM(_HMMDropIn):
    """hmmlearn's ``PoissonHMM`` on ``mixtures.HMM(Poisson())``.

    ``lambdas_prior`` and ``lambdas_weight`` (one per state: a number or a column
    ``(n_components, 1)``) are a Gamma prior's shape and rate: ``fit`` gives
    ``Gamma(shape=lambdas_prior, rate=lambdas_weight)`` to ``HMM(prior=...)`` (MAP-EM), whose
    update is ``λ = (lambdas_prior + Σ r x)/(lambdas_weight + N_k)``, ``N_k`` the state's
    expected count. hmmlearn 0.3.3 computes ``(lambdas_prior + N x̄_k)/(lambdas_weight + N)``
    with ``N`` the number of observations of all states, which once there are two states is the
    mode of no fixed prior: the two agree for one state. Both must be positive, or both 0 (the
    defaults: maximum likelihood).

    Attributes
    ----------
    lambdas_ : array (n_components, n_features)
        The rates of each state.
    """

    emission_letters = "l"
    emission_attributes = (("l", "lambdas_"),)
    lambdas_: Any

    def __init__(
        self,
        n_components: int = 1,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        lambdas_prior: Any = 0.0,
        lambdas_weight: Any = 0.0,
        algorithm: str = "viterbi",
        random_state: Any = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: str = "stl",
        init_params: str = "stl",
        implementation: str = "log",
    ) -> None:
        self.n_components = n_components
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.lambdas_prior = lambdas_prior
        self.lambdas_weight = lambdas_weight
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation
        self.monitor_ = ConvergenceMonitor(tol, n_iter, verbose)

    def _emission_prior(self, n_features: int) -> ConjugatePrior | None:
        """``Gamma(shape=lambdas_prior, rate=lambdas_weight)`` (``None`` for the defaults 0, 0:
        maximum likelihood); see the class docstring for hmmlearn's own update."""
        shape = (self.n_components, n_features)
        alpha = _broadcast(self.lambdas_prior, shape, "lambdas_prior")
        rates = _broadcast(self.lambdas_weight, shape, "lambdas_weight")
        if not (np.any(alpha) or np.any(rates)):
            return None
        rate = _one_per_state(rates, "lambdas_weight", "for a PoissonHMM")
        if not (np.all(alpha > 0) and np.all(rate > 0)):
            raise ValueError(
                f"lambdas_prior and lambdas_weight must both be positive (a Gamma prior's shape "
                f"and rate), or both 0 (no prior); got {self.lambdas_prior!r} and {self.lambdas_weight!r}"
            )
        return Gamma(shape=alpha, rate=rate)

    def _checked_X(self, X: Any) -> Array:
        array = super()._checked_X(X)
        if np.any(array < 0) or np.any(array != np.round(array)):
            raise ValueError("X must hold non-negative integer counts for a PoissonHMM")
        return array

    def _family(self) -> ExponentialFamily:
        return Poisson()

    def _draw_from_state(self, state: int, rs: np.random.RandomState | np.random.Generator) -> Any:
        return rs.poisson(self.lambdas_[state])

    def _components(self, family: ExponentialFamily) -> Components:
        return family.components_from(np.maximum(self.lambdas_, PROBABILITY_FLOOR))  # type: ignore[attr-defined]

    def _emissions_of(self, model: HMM) -> dict[str, Any]:
        return {"lambdas_": np.array(model.components_.rate)}  # type: ignore[attr-defined]

    def _given_parts(self, given: set[str]) -> dict[str, Any]:
        return {"components": self._components(Poisson())} if "l" in given else {}

    def _check_emissions(self) -> None:
        lambdas = np.asarray(self.lambdas_, dtype=np.float64)
        if lambdas.ndim != 2 or len(lambdas) != self.n_components:
            raise ValueError(f"lambdas_ must have shape (n_components, n_features); got {lambdas.shape}")
        if not np.all(np.isfinite(lambdas)) or np.any(lambdas < 0):
            raise ValueError("lambdas_ must be finite and >= 0")
        if getattr(self, "n_features", None) is not None and lambdas.shape[1] != self.n_features:
            raise ValueError(f"lambdas_ has {lambdas.shape[1]} features; the model has {self.n_features}")
        self.lambdas_ = lambdas
        self.n_features = lambdas.shape[1]

    def _emission_scalars(self) -> dict[str, int]:
        return {"l": self.n_components * int(self.n_features)}


def _symbols(X: Any) -> NDArray[np.int64]:
    """hmmlearn's check of symbol data: integers >= 0."""
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n_samples, n_features); got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError("Symbols should be integers")
    if array.size and array.min() < 0:
        raise ValueError("Symbols should be nonnegative")
    return array.astype(np.int64)


class CategoricalHMM(_HMMDropIn):
    """hmmlearn's ``CategoricalHMM`` on ``mixtures.HMM(Categorical(n_categories=n_features))``.

    ``X`` is ``(n_samples, 1)`` of symbols ``0 … n_features − 1``. ``emissionprob_prior`` is a
    Dirichlet concentration for MAP-EM (``1``: none; otherwise every value ``> 1``).

    Attributes
    ----------
    emissionprob_ : array (n_components, n_features)
    n_features : int
        The number of symbols.
    """

    emission_letters = "e"
    emission_attributes = (("e", "emissionprob_"),)
    emissionprob_: Any

    def __init__(
        self,
        n_components: int = 1,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        *,
        emissionprob_prior: Any = 1.0,
        n_features: int | None = None,
        algorithm: str = "viterbi",
        random_state: Any = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: str = "ste",
        init_params: str = "ste",
        implementation: str = "log",
    ) -> None:
        self.n_components = n_components
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.emissionprob_prior = emissionprob_prior
        self.n_features = n_features
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation
        self.monitor_ = ConvergenceMonitor(tol, n_iter, verbose)

    def _checked_X(self, X: Any) -> Array:
        symbols = _symbols(X)
        if symbols.shape[1] != 1:
            raise ValueError(f"X must have one column of symbols; got {symbols.shape[1]}")
        return symbols  # type: ignore[return-value]

    def _check_and_set_n_features(self, X: Any) -> None:
        symbols = _symbols(X)
        largest = int(symbols.max()) if symbols.size else 0
        if self.n_features is not None:
            if self.n_features - 1 < largest:
                raise ValueError(
                    f"Largest symbol is {largest} but the model only emits symbols up to "
                    f"{self.n_features - 1}"
                )
        else:
            self.n_features = largest + 1

    def _n_columns(self) -> int:
        return 1

    def _draw_from_state(self, state: int, rs: np.random.RandomState | np.random.Generator) -> Any:
        return [int((np.cumsum(self.emissionprob_[state]) > _uniform(rs)).argmax())]

    def _model(self, **settings: Any) -> HMM:
        prior = np.asarray(self.emissionprob_prior, dtype=np.float64)
        if "prior" not in settings and not np.all(prior == 1.0):
            settings["prior"] = Dirichlet(concentration=_per_symbol(prior, self.n_components))
        return super()._model(**settings)

    def _family(self) -> ExponentialFamily:
        return Categorical(n_categories=int(self.n_features))

    def _components(self, family: ExponentialFamily) -> Components:
        probs = _floored(np.asarray(self.emissionprob_, dtype=np.float64))
        return family.components_from(probs[:, None, :])  # type: ignore[attr-defined]

    def _emissions_of(self, model: HMM) -> dict[str, Any]:
        return {"emissionprob_": np.array(model.components_.probs[:, 0, :])}  # type: ignore[attr-defined]

    def _given_parts(self, given: set[str]) -> dict[str, Any]:
        return {"components": self._components(self._family())} if "e" in given else {}

    def _check_emissions(self) -> None:
        probs = np.asarray(self.emissionprob_, dtype=np.float64)
        if probs.ndim != 2:
            raise ValueError(f"emissionprob_ must have shape (n_components, n_features); got {probs.shape}")
        if self.n_features is None:
            self.n_features = probs.shape[1]
        self.emissionprob_ = _stochastic(probs, "emissionprob_", (self.n_components, int(self.n_features)))

    def _emission_scalars(self) -> dict[str, int]:
        return {"e": self.n_components * (int(self.n_features) - 1)}


def _per_symbol(concentration: Array, n_components: int) -> Array:
    """A Dirichlet concentration (scalar, ``(C,)`` or ``(K, C)``) as ``Dirichlet`` takes it per
    component: ``(K, 1, C)`` for one column of symbols."""
    if concentration.ndim == 2:
        return concentration[:, None, :]
    return concentration


class MultinomialHMM(_HMMDropIn):
    """hmmlearn's ``MultinomialHMM`` (rows of counts over ``n_features`` categories) on
    ``mixtures.HMM(Multinomial(n_trials))``.

    ``n_trials``: the number of trials of every row (checked against the data), or ``None``,
    which ``fit`` sets to each row's total, as hmmlearn. The likelihood of a row is conditional
    on its total, so scoring does not need it; ``sample`` needs one whole number.

    Attributes
    ----------
    emissionprob_ : array (n_components, n_features)
    """

    emission_letters = "e"
    emission_attributes = (("e", "emissionprob_"),)
    emissionprob_: Any

    def __init__(
        self,
        n_components: int = 1,
        n_trials: Any = None,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        algorithm: str = "viterbi",
        random_state: Any = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: str = "ste",
        init_params: str = "ste",
        implementation: str = "log",
    ) -> None:
        self.n_components = n_components
        self.n_trials = n_trials
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation
        self.monitor_ = ConvergenceMonitor(tol, n_iter, verbose)

    def _checked_X(self, X: Any) -> Array:
        return _symbols(X)  # type: ignore[return-value]

    def _check_and_set_n_features(self, X: Any) -> None:
        counts = _symbols(X)
        super()._check_and_set_n_features(counts)
        if self.n_trials is None:
            self.n_trials = counts.sum(axis=1)
        elif not np.all(counts.sum(axis=1) == self.n_trials):
            raise ValueError("Total count for each sample should add up to the number of trials")

    def _trials(self) -> int | None:
        """``n_trials`` as one number, if it is one."""
        trials = np.unique(np.asarray(self.n_trials)) if self.n_trials is not None else np.array([])
        return int(trials[0]) if trials.size == 1 and trials[0] >= 1 else None

    def _family(self) -> ExponentialFamily:
        return Multinomial(n_trials=self._trials())

    def _components(self, family: ExponentialFamily) -> Components:
        probs = _floored(np.asarray(self.emissionprob_, dtype=np.float64))
        return family.components_from(probs)  # type: ignore[attr-defined]

    def _emissions_of(self, model: HMM) -> dict[str, Any]:
        return {"emissionprob_": np.array(model.components_.probabilities)}  # type: ignore[attr-defined]

    def _given_parts(self, given: set[str]) -> dict[str, Any]:
        return {"components": self._components(self._family())} if "e" in given else {}

    def _check_emissions(self) -> None:
        probs = np.asarray(self.emissionprob_, dtype=np.float64)
        if probs.ndim != 2:
            raise ValueError(f"emissionprob_ must have shape (n_components, n_features); got {probs.shape}")
        if getattr(self, "n_features", None) is None:
            self.n_features = probs.shape[1]
        self.emissionprob_ = _stochastic(probs, "emissionprob_", (self.n_components, int(self.n_features)))

    def _draw_from_state(self, state: int, rs: np.random.RandomState | np.random.Generator) -> Any:
        trials = self._trials()
        if trials is None:
            raise ValueError(f"sample needs n_trials to be one whole number >= 1; got {self.n_trials!r}")
        return rs.multinomial(trials, self.emissionprob_[state])

    def _emission_scalars(self) -> dict[str, int]:
        return {"e": self.n_components * (int(self.n_features) - 1)}


# ---------------------------------------------------------------------- variational models
class _VariationalDropIn(_HMMDropIn):
    """What ``VariationalGaussianHMM`` and ``VariationalCategoricalHMM`` share: the model is
    the prior and posterior attributes (``*_prior_``, ``*_posterior_``), ``fit`` runs
    ``mixtures.HMM(inference="vb")`` from the posterior attributes (``init=HMMPosterior``) under
    the priors the prior attributes give, and the point attributes (``startprob_``,
    ``transmat_``, the emissions) are posterior means."""

    variational = True
    #: The prior and posterior attributes each emission letter initialises.
    emission_posteriors: ClassVar[dict[str, tuple[str, ...]]]

    startprob_prior_: Any
    startprob_posterior_: Any
    transmat_prior_: Any
    transmat_posterior_: Any

    # ------------------------------------------------------------------ what each class says
    @abc.abstractmethod
    def _base_family(self) -> ExponentialFamily:
        """The emission family before the data configure it."""

    @abc.abstractmethod
    def _emission_distribution(self, kind: str) -> ConjugatePrior:
        """The emission prior (``kind="prior"``) or posterior (``"posterior"``) attributes as
        an (unresolved) conjugate distribution of ``mixtures``."""

    @abc.abstractmethod
    def _set_emission_posterior(self, q: Any, letters: str) -> None:
        """Set the posterior attributes of the emission ``letters`` from ``q`` (resolved)."""

    @abc.abstractmethod
    def _set_emission_priors(self, X: Array, letters: str) -> None:
        """Set the prior attributes of the emission ``letters`` from the constructor's settings
        (hmmlearn's defaults for ``None``)."""

    @abc.abstractmethod
    def _check_emission_posteriors(self) -> None:
        """Validate the emission prior and posterior attributes (``ValueError`` naming them)."""

    def _set_points(self) -> None:
        """The point attributes, posterior means (as hmmlearn sets them after each update)."""
        start = np.asarray(self.startprob_posterior_, dtype=np.float64)
        rows = np.asarray(self.transmat_posterior_, dtype=np.float64)
        self.startprob_ = start / start.sum()
        self.transmat_ = rows / rows.sum(axis=1, keepdims=True)

    def _model(self, **settings: Any) -> HMM:
        """A ``mixtures.HMM`` of the point attributes (for scoring, decoding, sampling)."""
        return HMM(self._family(), self.n_components, random_state=self._fit_random_state(), **settings)

    def _chain_default(self, value: Any) -> Any:
        return 1.0 / self.n_components if value is None else value

    # ------------------------------------------------------------------ fitting
    def _letter_attributes(self) -> dict[str, tuple[str, ...]]:
        letters = {
            "s": ("startprob_prior_", "startprob_posterior_"),
            "t": ("transmat_prior_", "transmat_posterior_"),
        }
        return {**letters, **self.emission_posteriors}

    def _init(self, X: Any, lengths: Any = None) -> None:
        """Draw the prior and posterior attributes of the letters that need it (in
        ``init_params``, or not all set): the priors from the settings, the posteriors as
        ``mixtures.HMM(inference="vb")`` starts (k-means responsibilities, the best of ten)."""
        X = self._checked_X(X)
        self._check_settings()
        self._check_and_set_n_features(X)
        lengths = _lengths(lengths, len(X))
        needed = {
            letter
            for letter, names in self._letter_attributes().items()
            if any([self._needs_init(letter, name) for name in names])
        }
        nc = self.n_components
        if "s" in needed:
            self.startprob_prior_ = np.full(nc, self._chain_default(self.startprob_prior), dtype=np.float64)
        if "t" in needed:
            transmat_prior = self._chain_default(self.transmat_prior)
            self.transmat_prior_ = np.full((nc, nc), transmat_prior, dtype=np.float64)
        emission = "".join(sorted(needed & set(self.emission_letters)))
        if emission:
            self._set_emission_priors(X, emission)
        if needed:
            self._draw_posteriors(X, lengths, needed)
        self._warn_if_few_data(X)

    def _draw_posteriors(self, X: Array, lengths: Any, needed: set[str]) -> None:
        """The posterior attributes of ``needed`` letters drawn as hmmlearn draws them: the
        start and transition posteriors at random (Dirichlet draws scaled to the number of
        sequences and of rows), the emissions by each class's ``_draw_emission_posteriors``."""
        nc = self.n_components
        random_state = _random_state(self.random_state)
        if "s" in needed:
            self.startprob_posterior_ = random_state.dirichlet(np.full(nc, 1.0 / nc)) * len(lengths)
        if "t" in needed:
            draws = random_state.dirichlet(np.full(nc, 1.0 / nc), size=nc)
            self.transmat_posterior_ = draws * float(np.sum(lengths)) / nc
        emission = "".join(sorted(needed & set(self.emission_letters)))
        if emission:
            self._draw_emission_posteriors(X, lengths, emission, random_state)

    @abc.abstractmethod
    def _draw_emission_posteriors(
        self, X: Array, lengths: Any, letters: str, random_state: np.random.RandomState | np.random.Generator
    ) -> None:
        """Set the posterior attributes of the emission ``letters`` for a start."""

    def _chain_priors(self) -> dict[str, DirichletWeights]:
        """The Dirichlet priors of the start and of the transition rows (one for every row)."""
        rows = np.asarray(self.transmat_prior_, dtype=np.float64)
        if not np.allclose(rows, rows[:1]):
            raise ValueError(
                "transmat_prior_ must give every row the same concentrations (mixtures.HMM takes "
                "one Dirichlet prior for all transition rows)"
            )
        start = np.asarray(self.startprob_prior_, dtype=np.float64)
        return {
            "start_prior": DirichletWeights(concentration=start),
            "transition_prior": DirichletWeights(concentration=rows[0]),
        }

    def _vb_model(self, **settings: Any) -> HMM:
        """A ``mixtures.HMM(inference="vb")`` under the priors of the prior attributes."""
        arguments: dict[str, Any] = {
            "inference": "vb",
            "random_state": self._fit_random_state(),
            "prior": self._emission_distribution("prior"),
            **self._chain_priors(),
        }
        arguments.update(settings)
        return HMM(self._base_family(), self.n_components, **arguments)

    def _posterior_start(self, X: Array) -> HMMPosterior:
        """The posterior attributes as ``mixtures``' distribution over the parameters, resolved
        on the family the rows configure (as ``HMM.fit`` configures it)."""
        weights = np.ones(len(X))
        family = self._base_family().for_data(X, weights)
        components = self._emission_distribution("posterior").for_data(family, X, weights, self.n_components)
        rows = np.asarray(self.transmat_posterior_, dtype=np.float64)
        return HMMPosterior(
            components,
            DirichletWeights(concentration=np.asarray(self.startprob_posterior_, dtype=np.float64)).for_data(
                self.n_components
            ),
            tuple(DirichletWeights(concentration=row).for_data(self.n_components) for row in rows),
        )

    def fit(self, X: Any, lengths: Any = None) -> _HMMDropIn:
        """Estimate the posterior by variational Bayes from the posterior attributes (drawn as
        ``init_params`` says).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, concatenated.
        lengths : array-like of int, optional
            The length of each sequence (default: one sequence).

        Returns
        -------
        self
        """
        X = self._checked_X(X)
        lengths = _lengths(lengths, len(X))
        self._init(X, lengths)
        self._check()
        self.monitor_._reset()
        model = self._vb_model(
            max_iter=self.n_iter,
            tol=float(self.tol) / len(X),
            init=self._posterior_start(X),
            fixed=self._fixed(),
        )
        self._run(model, X, lengths)
        q = model.posterior_
        self.startprob_posterior_ = np.array(q.start.concentration)
        self.transmat_posterior_ = np.stack([np.array(row.concentration) for row in q.rows])
        self._set_emission_posterior(q.components, self.emission_letters)
        self._set_points()
        return self

    # ------------------------------------------------------------------ checks
    def _check(self) -> None:
        """Validate the prior and posterior attributes (``ValueError`` naming the attribute)."""
        self._check_settings()
        nc = self.n_components
        for name, shape in (
            ("startprob_prior_", (nc,)),
            ("startprob_posterior_", (nc,)),
            ("transmat_prior_", (nc, nc)),
            ("transmat_posterior_", (nc, nc)),
        ):
            setattr(self, name, _concentrations(getattr(self, name), name, shape))
        self._check_emission_posteriors()

    def _check_fitted(self) -> None:
        self._check_settings()
        if "startprob_posterior_" not in self.__dict__ or "startprob_" not in self.__dict__:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet: call fit or set its posterior"
            )
        self._check()


def _concentrations(value: Any, name: str, shape: tuple[int, ...]) -> Array:
    """``value`` as positive finite values of ``shape`` (Dirichlet concentrations, counts)."""
    array = np.asarray(value, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise ValueError(f"{name} must hold finite values > 0")
    return array


class VariationalCategoricalHMM(_VariationalDropIn, CategoricalHMM):
    """hmmlearn's ``VariationalCategoricalHMM`` on ``mixtures.HMM(Categorical(...),
    inference="vb")``.

    The priors are Dirichlet concentrations: ``startprob_prior`` (default ``1/n_components``),
    ``transmat_prior`` (one row for all rows; default ``1/n_components``) and
    ``emissionprob_prior`` (default ``1/n_features``), kept as ``startprob_prior_``,
    ``transmat_prior_`` and ``emissionprob_prior_``; ``fit`` reads the prior attributes. The
    posteriors (``*_posterior_``) start, for the letters of ``init_params`` (and those not
    set), where ``mixtures.HMM``'s VB starts: one update from k-means responsibilities (hmmlearn
    draws them at random). ``startprob_``, ``transmat_`` and ``emissionprob_`` are posterior
    means; ``score`` is the total log-likelihood under them, as hmmlearn's; ``monitor_``
    follows the lower bound (ELBO).

    Attributes
    ----------
    startprob_prior_, startprob_posterior_ : arrays (n_components,)
    transmat_prior_, transmat_posterior_ : arrays (n_components, n_components)
    emissionprob_prior_, emissionprob_posterior_ : arrays (n_components, n_features)
    """

    emission_posteriors: ClassVar[dict[str, tuple[str, ...]]] = {
        "e": ("emissionprob_prior_", "emissionprob_posterior_")
    }
    emissionprob_prior_: Any
    emissionprob_posterior_: Any

    def __init__(
        self,
        n_components: int = 1,
        startprob_prior: Any = None,
        transmat_prior: Any = None,
        emissionprob_prior: Any = None,
        n_features: int | None = None,
        algorithm: str = "viterbi",
        random_state: Any = None,
        n_iter: int = 100,
        tol: float = 1e-6,
        verbose: bool = False,
        params: str = "ste",
        init_params: str = "ste",
        implementation: str = "log",
    ) -> None:
        self.n_components = n_components
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.emissionprob_prior = emissionprob_prior
        self.n_features = n_features
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation
        self.monitor_ = ConvergenceMonitor(tol, n_iter, verbose)

    def _set_points(self) -> None:
        super()._set_points()
        posterior = np.asarray(self.emissionprob_posterior_, dtype=np.float64)
        self.emissionprob_ = posterior / posterior.sum(axis=1, keepdims=True)

    def _base_family(self) -> ExponentialFamily:
        return Categorical(n_categories=int(self.n_features))

    def _set_emission_priors(self, X: Array, letters: str) -> None:
        value = 1.0 / int(self.n_features) if self.emissionprob_prior is None else self.emissionprob_prior
        self.emissionprob_prior_ = np.full((self.n_components, int(self.n_features)), value, dtype=np.float64)

    def _draw_emission_posteriors(
        self, X: Array, lengths: Any, letters: str, random_state: np.random.RandomState | np.random.Generator
    ) -> None:
        """As hmmlearn: Dirichlet draws (of the prior's concentration) scaled to ``n_samples /
        n_components`` rows per state, from a random state read afresh from ``random_state``."""
        nc, nf = self.n_components, int(self.n_features)
        fresh = _random_state(self.random_state)
        concentration = 1.0 / nf if self.emissionprob_prior is None else self.emissionprob_prior
        draws = fresh.dirichlet(alpha=np.full(nf, concentration, dtype=np.float64), size=nc)
        self.emissionprob_posterior_ = draws * float(np.sum(lengths)) / nc

    def _emission_distribution(self, kind: str) -> ConjugatePrior:
        concentration = np.asarray(getattr(self, f"emissionprob_{kind}_"), dtype=np.float64)
        return Dirichlet(concentration=concentration[:, None, :])

    def _set_emission_posterior(self, q: Any, letters: str) -> None:
        self.emissionprob_posterior_ = np.array(q.concentration[:, 0, :])

    def _check_emission_posteriors(self) -> None:
        prior = np.atleast_2d(np.asarray(self.emissionprob_prior_, dtype=np.float64))
        posterior = np.atleast_2d(np.asarray(self.emissionprob_posterior_, dtype=np.float64))
        if prior.shape != posterior.shape:
            raise ValueError(
                f"emissionprob_prior_ {prior.shape} and emissionprob_posterior_ {posterior.shape} "
                "must both have shape (n_components, n_features)"
            )
        if self.n_features is None:
            self.n_features = posterior.shape[1]
        shape = (self.n_components, int(self.n_features))
        self.emissionprob_prior_ = _concentrations(prior, "emissionprob_prior_", shape)
        self.emissionprob_posterior_ = _concentrations(posterior, "emissionprob_posterior_", shape)

    def _check_emissions(self) -> None:
        self._check_emission_posteriors()


class VariationalGaussianHMM(_VariationalDropIn, GaussianHMM):
    """hmmlearn's ``VariationalGaussianHMM`` on ``mixtures.HMM(..., inference="vb")``.

    The priors (``None``: hmmlearn's defaults) are kept as the prior attributes, which ``fit``
    reads: ``means_prior`` (default the data mean) and ``beta_prior`` (1) for every state's mean,
    ``dof_prior`` (``n_features``) and ``scale_prior`` (``1e-3`` times the identity; hmmlearn's
    inverse Wishart scale) for its precision, Dirichlet concentrations ``startprob_prior`` and
    ``transmat_prior`` (``1/n_components``; one row for all rows). They are exactly these
    conjugate priors of ``mixtures``:

    * ``"full"``: ``NormalWishart(mean=means_prior_, mean_precision=beta_prior_,
      dof=dof_prior_, scale=inv(scale_prior_))`` (hmmlearn's ``W_k = inv(scale)``);
    * ``"tied"``: ``TiedNormalWishart`` with the same mapping (one ``dof`` and one scale);
    * ``"diag"``: ``NormalGamma`` per feature with ``shape = dof/2``, ``rate = scale/2``;
    * ``"spherical"``: ``SphericalNormalGamma`` with ``shape = dof/2``, ``rate = scale/2``.

    ``fit`` is ``mixtures``' exact VB. For ``"full"`` and ``"tied"`` it is hmmlearn's update.
    For ``"diag"`` hmmlearn updates the Normal-Gamma posterior exactly but takes its expected
    log-precision as a Wishart's (``ψ((ν − d)/2)`` for feature ``d`` instead of ``ψ(ν/2)``);
    for ``"spherical"`` it counts each observation once instead of once per feature (``dof``
    grows by ``N``, the scale by the mean over features). The drop-in does neither: its
    posterior after ``N`` observations has ``dof = dof_prior + N·n_features`` for
    ``"spherical"``. The lower bound in ``monitor_`` includes the ``−½ D log 2π`` per observation
    that hmmlearn leaves out. The posteriors start, for the letters of ``init_params`` (and
    those not set), where ``mixtures.HMM``'s VB starts: one update from k-means
    responsibilities (hmmlearn: k-means centres with the counts as ``beta``/``dof`` and the
    data's covariance, and random start and transition posteriors).

    Attributes
    ----------
    startprob_, transmat_ : posterior means
    means_ : array (n_components, n_features)
        ``means_posterior_``.
    covars_ : array (n_components, n_features, n_features)
        ``scale_posterior_ / dof_posterior_`` (the inverse of the expected precision), full
        matrices; ``_covars_`` in hmmlearn's stored shape.
    means_prior_, means_posterior_ : arrays (n_components, n_features)
    beta_prior_, beta_posterior_ : arrays (n_components,)
    dof_prior_, dof_posterior_ : arrays (n_components,), or floats for ``"tied"``
    scale_prior_, scale_posterior_ : arrays
        ``(n_components, n_features, n_features)`` full, ``(n_features, n_features)`` tied,
        ``(n_components, n_features)`` diag, ``(n_components,)`` spherical.
    startprob_prior_, startprob_posterior_, transmat_prior_, transmat_posterior_ : arrays
    """

    emission_posteriors: ClassVar[dict[str, tuple[str, ...]]] = {
        "m": ("means_prior_", "means_posterior_", "beta_prior_", "beta_posterior_"),
        "c": ("dof_prior_", "dof_posterior_", "scale_prior_", "scale_posterior_"),
    }
    means_prior_: Any
    means_posterior_: Any
    beta_prior_: Any
    beta_posterior_: Any
    dof_prior_: Any
    dof_posterior_: Any
    scale_prior_: Any
    scale_posterior_: Any

    def __init__(
        self,
        n_components: int = 1,
        covariance_type: str = "full",
        startprob_prior: Any = None,
        transmat_prior: Any = None,
        means_prior: Any = None,
        beta_prior: Any = None,
        dof_prior: Any = None,
        scale_prior: Any = None,
        algorithm: str = "viterbi",
        random_state: Any = None,
        n_iter: int = 100,
        tol: float = 1e-6,
        verbose: bool = False,
        params: str = "stmc",
        init_params: str = "stmc",
        implementation: str = "log",
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.means_prior = means_prior
        self.beta_prior = beta_prior
        self.dof_prior = dof_prior
        self.scale_prior = scale_prior
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation
        self.monitor_ = ConvergenceMonitor(tol, n_iter, verbose)

    @property
    def means_(self) -> Array:
        """``means_posterior_``."""
        if "means_posterior_" not in self.__dict__:
            raise AttributeError("means_ is means_posterior_, which is not set")
        return np.asarray(self.means_posterior_, dtype=np.float64)

    @property
    def _covars_(self) -> Array:  # type: ignore[override]
        """``scale_posterior_ / dof_posterior_`` in hmmlearn's stored shape per covariance type."""
        if "scale_posterior_" not in self.__dict__ or "dof_posterior_" not in self.__dict__:
            raise AttributeError("_covars_ needs scale_posterior_ and dof_posterior_")
        scale = np.asarray(self.scale_posterior_, dtype=np.float64)
        dof = np.asarray(self.dof_posterior_, dtype=np.float64)
        return scale / dof.reshape(dof.shape + (1,) * (scale.ndim - dof.ndim))

    @property  # type: ignore[misc]
    def covars_(self) -> Array:
        """Covariance matrices ``(n_components, n_features, n_features)``."""
        n_features = int(self.__dict__.get("n_features") or self.means_.shape[1])
        return _full_covars(self._covars_, self.covariance_type, self.n_components, n_features)

    def _base_family(self) -> ExponentialFamily:
        family_type: Any = _covariance_family(self.covariance_type)
        return family_type(**_units(self.covariance_type))

    def _set_emission_priors(self, X: Array, letters: str) -> None:
        nc, nf = self.n_components, X.shape[1]
        tied = self.covariance_type == "tied"
        if "m" in letters:
            means = np.full((nc, nf), X.mean(axis=0)) if self.means_prior is None else self.means_prior
            self.means_prior_ = np.asarray(means, dtype=np.float64)
            beta = np.ones(nc) if self.beta_prior is None else self.beta_prior
            self.beta_prior_ = np.asarray(beta, dtype=np.float64)
        if "c" in letters:
            if self.dof_prior is not None:
                self.dof_prior_ = self.dof_prior
            else:
                self.dof_prior_ = float(nf) if tied else np.full(nc, float(nf))
            if self.scale_prior is not None:
                self.scale_prior_ = np.asarray(self.scale_prior, dtype=np.float64)
            else:
                self.scale_prior_ = {
                    "full": np.tile(1e-3 * np.eye(nf), (nc, 1, 1)),
                    "tied": 1e-3 * np.eye(nf),
                    "diag": np.full((nc, nf), 1e-3),
                    "spherical": np.full(nc, 1e-3),
                }[self.covariance_type]

    def _draw_emission_posteriors(
        self, X: Array, lengths: Any, letters: str, random_state: np.random.RandomState | np.random.Generator
    ) -> None:
        """As hmmlearn: the means at k-means centres (the best of ten k-means starts on all the
        rows), with the clusters' sizes added to ``beta_prior_`` and ``dof_prior_`` (hmmlearn
        takes the sizes alone, which for a cluster of fewer than ``n_features`` rows is no
        Wishart), and the precisions' scale set so that ``covars_`` is the data's covariance
        plus ``1e-3`` (a broad start every state shares)."""
        seed = _seed_from(random_state)
        kmeans = Mixture(
            self._base_family(), self.n_components, init="kmeans", n_init=10, max_iter=0, random_state=seed
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            kmeans.fit(X)
        counts = kmeans.weights_ * len(X)
        if "m" in letters:
            self.means_posterior_ = np.array(kmeans.components_.mean)  # type: ignore[attr-defined]
            self.beta_posterior_ = np.asarray(self.beta_prior_, dtype=np.float64) + counts
        if "c" in letters:
            nf = X.shape[1]
            covariance = np.atleast_2d(np.cov(X.T)) + 1e-3 * np.eye(nf)
            if self.covariance_type == "tied":
                self.dof_posterior_ = float(self.dof_prior_) + float(counts.sum())
            else:
                self.dof_posterior_ = np.asarray(self.dof_prior_, dtype=np.float64) + counts
            # the stored covariances times the dof, so that covars_ starts at ``covariance``
            stored = {
                "full": covariance,
                "tied": covariance,
                "diag": covariance.diagonal(),
                "spherical": covariance.diagonal().mean(),
            }[self.covariance_type]
            dof = np.asarray(self.dof_posterior_)
            self.scale_posterior_ = stored * dof.reshape(dof.shape + (1,) * np.ndim(stored))

    def _emission_distribution(self, kind: str) -> ConjugatePrior:
        means = np.asarray(getattr(self, f"means_{kind}_"), dtype=np.float64)
        beta = np.asarray(getattr(self, f"beta_{kind}_"), dtype=np.float64)
        dof = np.asarray(getattr(self, f"dof_{kind}_"), dtype=np.float64)
        scale = np.asarray(getattr(self, f"scale_{kind}_"), dtype=np.float64)
        if self.covariance_type == "full":
            return NormalWishart(mean=means, mean_precision=beta, dof=dof, scale=np.linalg.inv(scale))
        if self.covariance_type == "tied":
            inverse = np.linalg.inv(scale)
            return TiedNormalWishart(mean=means, mean_precision=beta, dof=float(dof), scale=inverse)
        if self.covariance_type == "diag":
            ones = np.ones_like(means)
            return NormalGamma(
                mean=means, mean_precision=beta[:, None] * ones, shape=dof[:, None] / 2 * ones, rate=scale / 2
            )
        return SphericalNormalGamma(mean=means, mean_precision=beta, shape=dof / 2, rate=scale / 2)

    def _set_emission_posterior(self, q: Any, letters: str) -> None:
        if "m" in letters:
            self.means_posterior_ = np.array(q.mean)
            beta = np.asarray(q.mean_precision)
            self.beta_posterior_ = np.array(beta[:, 0] if beta.ndim == 2 else beta)
        if "c" in letters:
            if self.covariance_type == "full":
                self.dof_posterior_ = np.array(q.dof)
                self.scale_posterior_ = np.linalg.inv(np.asarray(q.scale))
            elif self.covariance_type == "tied":
                self.dof_posterior_ = float(np.asarray(q.dof)[0])
                self.scale_posterior_ = np.linalg.inv(np.asarray(q.scale)[0])
            elif self.covariance_type == "diag":
                self.dof_posterior_ = 2.0 * np.asarray(q.shape)[:, 0]
                self.scale_posterior_ = 2.0 * np.asarray(q.rate)
            else:
                self.dof_posterior_ = 2.0 * np.asarray(q.shape)
                self.scale_posterior_ = 2.0 * np.asarray(q.rate)

    def _check_emission_posteriors(self) -> None:
        _covariance_family(self.covariance_type)
        nc = self.n_components
        means = np.asarray(self.means_posterior_, dtype=np.float64)
        nf = means.shape[-1] if means.ndim == 2 else int(self.n_features)
        tied = self.covariance_type == "tied"
        scale_shape = {
            "full": (nc, nf, nf),
            "tied": (nf, nf),
            "diag": (nc, nf),
            "spherical": (nc,),
        }[self.covariance_type]
        for kind in ("prior", "posterior"):
            self._check_finite(f"means_{kind}_", (nc, nf), positive=False)
            self._check_finite(f"beta_{kind}_", (nc,))
            name = f"dof_{kind}_"
            if tied:
                if not isinstance(getattr(self, name), numbers.Real):
                    raise ValueError(f"{name} must be one number for covariance_type='tied'")
                self._check_finite(name, ())
                setattr(self, name, float(getattr(self, name)))
            else:
                self._check_finite(name, (nc,))
            if np.any(np.asarray(getattr(self, name)) <= nf - 1):
                raise ValueError(f"{name} must exceed n_features - 1 = {nf - 1}")
            name = f"scale_{kind}_"
            per_feature = self.covariance_type in ("diag", "spherical")
            scale = self._check_finite(name, scale_shape, positive=per_feature)
            if self.covariance_type in ("full", "tied"):
                _compressed_covars(scale, self.covariance_type, nc)  # symmetric positive-definite
        self.n_features = nf

    def _check_finite(self, name: str, shape: tuple[int, ...], *, positive: bool = True) -> Array:
        """The attribute ``name`` as finite values of ``shape`` (``> 0`` if ``positive``)."""
        array = np.asarray(getattr(self, name), dtype=np.float64)
        if array.shape != shape:
            raise ValueError(f"{name} must have shape {shape}; got {array.shape}")
        if not np.all(np.isfinite(array)) or (positive and np.any(array <= 0)):
            raise ValueError(f"{name} must hold finite values" + (" > 0" if positive else ""))
        if not (name.startswith("dof_") and self.covariance_type == "tied"):
            setattr(self, name, array)
        return array

    def _check_emissions(self) -> None:
        self._check_emission_posteriors()

    def _emission_scalars(self) -> dict[str, int]:
        nc, nf = self.n_components, int(self.n_features)
        return {
            "m": nc * nf + nc,
            "c": {
                "full": nc + nc * nf * (nf + 1) // 2,
                "tied": 1 + nf * (nf + 1) // 2,
                "diag": nc + nc * nf,
                "spherical": nc + nc,
            }[self.covariance_type],
        }
