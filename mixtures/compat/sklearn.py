"""scikit-learn's ``GaussianMixture`` and ``BayesianGaussianMixture``, fitted by ``mixtures.Mixture``.

The two classes take scikit-learn 1.x's constructor arguments with the same names and defaults,
set the same fitted attributes and answer the same methods. Underneath, each fit is one
``Mixture`` (``mixture_``): the settings are translated once, here, and the results mapped back.
There is no second EM.

The translation:

================================  ==============================================================
scikit-learn                      ``Mixture``
================================  ==============================================================
``covariance_type``               family ``Gaussian``, ``TiedGaussian``, ``DiagonalGaussian``,
                                  ``SphericalGaussian``, in the data's units
                                  (``feature_scale=1.0``), with ``reg_covar`` as the ridge
``init_params``                   ``init``: ``"kmeans"``, ``"k-means++"`` -> ``"kmeans++"``,
                                  ``"random"``, ``"random_from_data"``
``weights_init``, ``means_init``, ``init=PartialInit(method, weights, means, precisions)``
``precisions_init``
``tol``                           ``tol`` with ``convergence="first"``: a run stops at the first
                                  change of the mean log-likelihood (or ELBO per sample) below it
``weight_concentration_prior_``   ``weight_prior``: ``StickBreaking`` (``"dirichlet_process"``) or
                                  ``DirichletWeights`` (``"dirichlet_distribution"``)
``mean_prior``, ...               ``prior``: ``NormalWishart``, ``TiedNormalWishart``,
                                  ``NormalGamma``, ``SphericalNormalGamma`` (see
                                  ``BayesianGaussianMixture``)
================================  ==============================================================

What differs from scikit-learn, on purpose:

* ``lower_bound_`` is the objective of the final parameters (scikit-learn reports that of the
  parameters before its last M-step), and a run that meets ``tol`` stops there, one M-step before
  scikit-learn would; ``lower_bounds_`` holds the objective of every iterate, the start first.
* Starts are those of ``Mixture``: smoothed, with ties shared at random, so the random streams
  (and so results that depend on the random start) differ from scikit-learn's.
* After variational fits, ``score_samples`` is the posterior predictive density (a mixture of
  Student-t densities for full covariances), not scikit-learn's expected log-likelihood, and the
  tied, diagonal and spherical updates are exact mean-field VB (see ``BayesianGaussianMixture``).

And what they add: ``sample_weight`` in ``fit``, ``partial_fit``, Dask arrays (``fit``, ``predict``,
``score_samples`` run block by block), and model files (``save``, ``load``).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import NDArray

from mixtures.exceptions import (
    ConvergenceWarning,
    DegenerateComponentError,
    not_fitted_error,
    with_sklearn_base,
)
from mixtures.families import DiagonalGaussian, Gaussian, SphericalGaussian, TiedGaussian
from mixtures.inference.loop import IterationRecord, observe_iterations
from mixtures.inference.starts import PartialInit
from mixtures.io import load as load_model
from mixtures.models import Estimator, Mixture
from mixtures.priors import (
    ConjugatePrior,
    NormalGamma,
    NormalWishart,
    SphericalNormalGamma,
    TiedNormalWishart,
)
from mixtures.priors.weights import DirichletWeights, StickBreaking

__all__ = ["BayesianGaussianMixture", "GaussianMixture"]

Array = NDArray[np.float64]

#: ``covariance_type`` -> the family.
FAMILIES: dict[str, type[Gaussian | DiagonalGaussian | SphericalGaussian]] = {
    "full": Gaussian,
    "tied": TiedGaussian,
    "diag": DiagonalGaussian,
    "spherical": SphericalGaussian,
}
#: ``init_params`` -> ``Mixture``'s ``init`` method.
INIT_METHODS = {
    "kmeans": "kmeans",
    "k-means++": "kmeans++",
    "random": "random",
    "random_from_data": "random_from_data",
}
#: ``weight_concentration_prior_type`` -> the weight prior.
WEIGHT_PRIORS: dict[str, type[StickBreaking] | type[DirichletWeights]] = {
    "dirichlet_process": StickBreaking,
    "dirichlet_distribution": DirichletWeights,
}
DEGENERATE_MESSAGE = (
    "Fitting the mixture model failed because some components have ill-defined empirical "
    "covariance (for instance caused by singleton or collapsed samples). Try to decrease the "
    "number of components, increase reg_covar, or scale the input data."
)
NOT_CONVERGED_MESSAGE = (
    "Best performing initialization did not converge. Try different init parameters, or "
    "increase max_iter, tol, or check for degenerate data."
)


# ----------------------------------------------------------------------------- checks
def _check_shape(value: Array, shape: tuple[int, ...], name: str) -> None:
    if value.shape != shape:
        raise ValueError(f"The parameter '{name}' should have the shape of {shape}, but got {value.shape}")


def _check_weights(weights: Any, n_components: int) -> Array:
    values = np.asarray(weights, dtype=np.float64)
    _check_shape(values, (n_components,), "weights")
    if np.any(values < 0.0) or np.any(values > 1.0):
        raise ValueError(
            f"The parameter 'weights' should be in the range [0, 1], but got max value "
            f"{values.min():.5f}, min value {values.max():.5f}"
        )
    if not np.isclose(values.sum(), 1.0, rtol=0.0, atol=1e-8):
        raise ValueError(
            f"The parameter 'weights' should be normalized, but got sum(weights) = {values.sum():.5f}"
        )
    return values


def _check_positive_definite(matrix: Array, what: str) -> None:
    symmetric = np.allclose(matrix, matrix.T)
    if not (symmetric and np.all(np.linalg.eigvalsh(matrix) > 0.0)):
        raise ValueError(f"'{what}' should be symmetric, positive-definite")


def _check_precisions(precisions: Any, covariance_type: str, n_components: int, n_features: int) -> Array:
    values = np.asarray(precisions, dtype=np.float64)
    shape = {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[covariance_type]
    _check_shape(values, shape, f"{covariance_type} precision")
    if covariance_type in ("full", "tied"):
        for matrix in values.reshape(-1, n_features, n_features):
            _check_positive_definite(matrix, f"{covariance_type} precision")
    elif np.any(values <= 0.0):
        raise ValueError(f"'{covariance_type} precision' should be positive")
    return values


def _check_choice(value: Any, choices: dict[str, Any], name: str) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"The '{name}' parameter must be a str among {sorted(choices)}. Got {value!r} instead."
        )


def _shape_of(X: Any) -> tuple[int, int]:
    """``(n_samples, n_features)`` of an array, a DataFrame, a list of rows or a Dask array."""
    shape = tuple(getattr(X, "shape", None) or np.shape(X))
    if len(shape) != 2:
        raise ValueError(f"Expected 2D array, got an array of shape {shape} instead")
    return shape[0], shape[1]


def _check_n_samples(X: Any, n_components: int, estimator: str) -> int:
    """scikit-learn's checks of the number of rows (unknown for a Dask array of unknown chunks:
    ``Mixture`` checks those); the number of features."""
    n_samples, n_features = _shape_of(X)
    if isinstance(n_samples, int | np.integer):
        if n_samples < 2:
            raise ValueError(
                f"Found array with {n_samples} sample(s) (shape=({n_samples}, {n_features})) while "
                f"a minimum of 2 is required by {estimator}."
            )
        if n_samples < n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = {n_components}, "
                f"n_samples = {n_samples}"
            )
    return int(n_features)


# ----------------------------------------------------------------------------- attributes
def _precision_cholesky(covariances: Array, covariance_type: str) -> Array:
    """scikit-learn's ``precisions_cholesky_``: ``P`` with ``P Pᵀ`` the precision, upper
    triangular for matrices (the transposed inverse of the covariance's lower Cholesky factor)."""
    if covariance_type in ("diag", "spherical"):
        return 1.0 / np.sqrt(covariances)
    matrices = covariances.reshape(-1, *covariances.shape[-2:])
    factors = np.linalg.cholesky(matrices)
    identity = np.eye(matrices.shape[-1])
    inverse = np.stack([np.linalg.solve(factor, identity) for factor in factors])
    return np.swapaxes(inverse, -1, -2).reshape(covariances.shape)


def _precisions(covariances: Array, covariance_type: str) -> Array:
    if covariance_type in ("diag", "spherical"):
        return 1.0 / covariances
    cholesky = _precision_cholesky(covariances, covariance_type)
    return cholesky @ np.swapaxes(cholesky, -1, -2)


def _covariances(mixture: Mixture, covariance_type: str) -> Array:
    """The fitted covariances in scikit-learn's shape for ``covariance_type``."""
    components: Any = mixture.components_
    if covariance_type in ("full", "tied"):
        covariance = np.asarray(components.covariance)
        return covariance if covariance_type == "full" or covariance.ndim == 2 else covariance[0]
    return np.asarray(components.variance)


@contextlib.contextmanager
def _degenerate_as_sklearn() -> Iterator[None]:
    """A collapsed component (``DegenerateComponentError``) re-raised with scikit-learn's message."""
    try:
        yield
    except DegenerateComponentError as error:
        raise ValueError(f"{DEGENERATE_MESSAGE} ({error})") from error


class _Printer:
    """scikit-learn's ``verbose`` messages, from the fit loop's ``IterationRecord``s."""

    def __init__(self, verbose: int, interval: int) -> None:
        self.verbose, self.interval = verbose, interval
        self.previous = -np.inf
        self.run_started = self.iteration_started = 0.0

    def __call__(self, record: IterationRecord) -> None:
        if record.iteration == 0:
            print(f"Initialization {record.run}")
            self.run_started = self.iteration_started = record.elapsed
        elif record.iteration % self.interval == 0:
            if self.verbose == 1:
                print(f"  Iteration {record.iteration}")
            else:
                print(
                    f"  Iteration {record.iteration}\t time lapse "
                    f"{record.elapsed - self.iteration_started:.5f}s\t ll change "
                    f"{record.objective - self.previous:.5f}"
                )
                self.iteration_started = record.elapsed
        self.previous = record.objective
        if record.finished:
            outcome = "converged" if record.converged else "did not converge"
            if self.verbose == 1:
                print(f"Initialization {outcome}.")
            else:
                print(
                    f"Initialization {outcome}. time lapse {record.elapsed - self.run_started:.5f}s\t "
                    f"lower bound {record.objective:.5f}."
                )


# ----------------------------------------------------------------------------- the estimators
class _SklearnMixture(Estimator):
    """What both drop-ins share: the settings' checks, ``fit`` through a wrapped ``Mixture``, and
    the methods scikit-learn's ``BaseMixture`` has."""

    inference: ClassVar[str]
    n_components: int
    covariance_type: str
    tol: float
    reg_covar: float
    max_iter: int
    n_init: int
    init_params: str
    random_state: Any
    warm_start: bool
    verbose: int
    verbose_interval: int

    mixture_: Mixture
    weights_: Array
    means_: Array
    covariances_: Array
    precisions_: Array
    precisions_cholesky_: Array
    converged_: bool
    n_iter_: int
    lower_bound_: float
    lower_bounds_: list[float]
    n_features_in_: int

    # ------------------------------------------------------------------ settings
    def _check_settings(self) -> None:
        _check_choice(self.covariance_type, FAMILIES, "covariance_type")
        _check_choice(self.init_params, INIT_METHODS, "init_params")
        for name in ("verbose", "verbose_interval"):
            value = getattr(self, name)
            if (
                not isinstance(value, int | np.integer)
                or isinstance(value, bool)
                or value < (name == "verbose_interval")
            ):
                least = int(name == "verbose_interval")
                raise ValueError(f"The '{name}' parameter must be an int >= {least}. Got {value!r} instead.")
        for name in ("tol", "reg_covar"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not value >= 0:
                raise ValueError(f"The '{name}' parameter must be a float >= 0. Got {value!r} instead.")

    def _family(self) -> Gaussian | DiagonalGaussian | SphericalGaussian:
        return FAMILIES[self.covariance_type](reg_covar=float(self.reg_covar), feature_scale=1.0)

    def _init(self, n_features: int) -> Any:
        """``Mixture``'s ``init`` for these settings."""
        return INIT_METHODS[self.init_params]

    def _priors(self, X: Any, sample_weight: Any, n_features: int) -> dict[str, Any]:
        """The ``prior`` and ``weight_prior`` settings of the wrapped ``Mixture`` (VB)."""
        return {}

    def _new_mixture(self, X: Any, sample_weight: Any, n_features: int) -> Mixture:
        return Mixture(
            self._family(),
            self.n_components,
            inference=self.inference,
            max_iter=self.max_iter,
            tol=float(self.tol),
            n_init=self.n_init,
            init=self._init(n_features),
            random_state=self.random_state,
            convergence="first",
            **self._priors(X, sample_weight, n_features),
        )

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None, *, sample_weight: Any = None) -> Self:
        """Estimate the parameters: ``n_init`` runs (one with ``warm_start`` on a fitted model)
        of at most ``max_iter`` iterations, keeping the best.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the rows (scikit-learn has none): a row of weight 2 counts as two rows.

        Returns
        -------
        self
        """
        self._fit(X, sample_weight)
        return self

    def fit_predict(self, X: Any, y: Any = None, *, sample_weight: Any = None) -> NDArray[np.intp]:
        """``fit(X)``, then the most probable component of each row (as ``fit(X).predict(X)``)."""
        return self.fit(X, sample_weight=sample_weight).predict(X)

    def partial_fit(self, X: Any, y: Any = None, *, sample_weight: Any = None) -> Self:
        """Update the fit with one batch of rows (scikit-learn has no such method).

        The first call starts from this batch as ``fit`` would; each call then takes one step of
        online EM (``GaussianMixture``) or stochastic VB (``BayesianGaussianMixture``) on the batch,
        as ``Mixture.partial_fit`` with its default online mode. ``n_iter_`` counts the updates.
        """
        self._check_settings()
        n_features = (
            _check_n_samples(X, self.n_components, type(self).__name__)
            if not hasattr(self, "mixture_")
            else _shape_of(X)[1]
        )
        if not hasattr(self, "mixture_"):
            self.mixture_ = self._new_mixture(X, sample_weight, n_features)
        with _degenerate_as_sklearn():
            self.mixture_.partial_fit(X, sample_weight=sample_weight)
        self._store()
        return self

    def _fit(self, X: Any, sample_weight: Any) -> None:
        self._check_settings()
        n_features = _check_n_samples(X, self.n_components, type(self).__name__)
        continuing = bool(self.warm_start) and hasattr(self, "converged_")
        if continuing:  # scikit-learn's warm start: the same fit continues, with today's limits
            self.mixture_.set_params(max_iter=self.max_iter, tol=float(self.tol), warm_start=True)
        else:
            self.mixture_ = self._new_mixture(X, sample_weight, n_features)
        printer = _Printer(self.verbose, self.verbose_interval) if self.verbose > 0 else None
        with _degenerate_as_sklearn(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=ConvergenceWarning)  # said below, as scikit-learn
            if printer is None:
                self.mixture_.fit(X, sample_weight=sample_weight)
            else:
                with observe_iterations(printer):
                    self.mixture_.fit(X, sample_weight=sample_weight)
        self._store()
        if not self.converged_ and self.max_iter > 0:
            warnings.warn(NOT_CONVERGED_MESSAGE, with_sklearn_base(ConvergenceWarning), stacklevel=3)

    def _store(self) -> None:
        """The fitted attributes, from the wrapped ``Mixture``."""
        mixture = self.mixture_
        self.weights_ = np.asarray(mixture.weights_)
        self.means_ = np.asarray(mixture.components_.mean)  # type: ignore[attr-defined]
        self.covariances_ = _covariances(mixture, self.covariance_type)
        self.precisions_cholesky_ = _precision_cholesky(self.covariances_, self.covariance_type)
        self.precisions_ = _precisions(self.covariances_, self.covariance_type)
        self.converged_ = bool(mixture.converged_)
        self.n_iter_ = int(mixture.n_iter_)
        self.lower_bound_ = float(mixture.lower_bound_)
        self.lower_bounds_ = [float(value) for value in mixture.lower_bounds_]
        self.n_features_in_ = int(mixture.n_features_in_)
        if hasattr(mixture, "feature_names_in_"):
            self.feature_names_in_ = mixture.feature_names_in_

    # ------------------------------------------------------------------ using a fit
    def _fitted(self) -> Mixture:
        if not hasattr(self, "mixture_") or not hasattr(self.mixture_, "components_"):
            raise not_fitted_error(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                f"appropriate arguments before using this estimator."
            )
        return self.mixture_

    def predict(self, X: Any) -> NDArray[np.intp]:
        """The most probable component of each row: ``(n_samples,)``."""
        return self._fitted().predict(X)

    def predict_proba(self, X: Any) -> Array:
        """Each component's posterior probability for each row: ``(n_samples, n_components)``."""
        return self._fitted().predict_proba(X)

    def score_samples(self, X: Any) -> Array:
        """``log p(x)`` of each row: ``(n_samples,)`` (after VB, the posterior predictive)."""
        return self._fitted().score_samples(X)

    def score(self, X: Any, y: Any = None, *, sample_weight: Any = None) -> float:
        """Mean (weighted) log-likelihood per row: ``score_samples(X)`` averaged."""
        return self._fitted().score(X, sample_weight=sample_weight)

    def sample(self, n_samples: int = 1) -> tuple[Array, NDArray[np.intp]]:
        """Draw ``n_samples`` rows from the fitted mixture, grouped by component as scikit-learn
        returns them: ``(X (n_samples, n_features), labels (n_samples,))``."""
        mixture = self._fitted()
        if not isinstance(n_samples, int | np.integer) or n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples} . The sampling requires at least one sample."
            )
        X, labels = mixture.sample(int(n_samples))
        order = np.argsort(labels, kind="stable")
        return X[order], labels[order]

    # ------------------------------------------------------------------ model files
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model to a model file (the wrapped ``Mixture``'s, see
        ``docs/model-files.md``); ``type(self).load(path)`` reads it back as this class,
        ``mixtures.load(path)`` as a ``Mixture``."""
        self._fitted().save(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """A fitted drop-in from a model file written by ``save`` (or by ``Mixture.save`` for a
        Gaussian mixture): the settings are read from the model (the priors' settings become
        their fitted values, ``verbose`` its default) and the fitted attributes set."""
        mixture = load_model(path)
        if not isinstance(mixture, Mixture):
            raise ValueError(f"{os.fspath(path)!r} holds a {type(mixture).__name__}, not a Mixture")
        return cls.from_mixture(mixture)

    @classmethod
    def from_mixture(cls, mixture: Mixture) -> Self:
        """This drop-in holding a fitted Gaussian ``mixture`` (EM for ``GaussianMixture``, VB for
        ``BayesianGaussianMixture``), with the settings it implies."""
        family: Any = getattr(mixture, "family_", None)
        covariance_type = next((name for name, kind in FAMILIES.items() if type(family) is kind), None)
        if covariance_type is None or mixture.inference != cls.inference:
            raise ValueError(
                f"{cls.__name__} holds a fitted Mixture of a Gaussian family with "
                f"inference={cls.inference!r}; got family {type(family).__name__}, inference "
                f"{mixture.inference!r}"
            )
        init = mixture.init
        method = init.method if isinstance(init, PartialInit) else init
        settings = {
            "n_components": mixture.n_components,
            "covariance_type": covariance_type,
            "tol": 1e-3 if mixture.tol is None else mixture.tol,
            "reg_covar": family.reg_covar,
            "max_iter": mixture.max_iter,
            "n_init": mixture.n_init,
            "init_params": next((k for k, v in INIT_METHODS.items() if v == method), "kmeans"),
            "random_state": mixture.random_state,
            "warm_start": mixture.warm_start,
        }
        model = cls(**settings, **cls._settings_of(mixture))
        model.mixture_ = mixture
        model._store()
        return model

    @classmethod
    def _settings_of(cls, mixture: Mixture) -> dict[str, Any]:
        """The settings particular to this class that ``mixture`` implies."""
        return {}


class GaussianMixture(_SklearnMixture):
    """scikit-learn's ``GaussianMixture`` (maximum likelihood by EM), fitted by ``mixtures.Mixture``.

    Parameters
    ----------
    n_components : int, default 1
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
        The family: ``Gaussian``, ``TiedGaussian``, ``DiagonalGaussian``, ``SphericalGaussian``.
    tol : float, default 1e-3
        A run stops at the first change of the mean log-likelihood per sample below ``tol``.
    reg_covar : float, default 1e-6
        Added to the diagonal of every covariance in the M-step (in the data's units).
    max_iter : int, default 100
        M-steps per run at most; 0 keeps the initial parameters.
    n_init : int, default 1
        Runs from different starts; the one with the highest final log-likelihood is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default "kmeans"
        How starts are drawn (``Mixture``'s ``"kmeans"``, ``"kmeans++"``, ``"random"``,
        ``"random_from_data"``; all smoothed, see ``Mixture``).
    weights_init : array (n_components,), optional
    means_init : array (n_components, n_features), optional
    precisions_init : array, optional
        Starting weights, means and precisions (shape by ``covariance_type``: ``(K, D, D)``,
        ``(D, D)``, ``(K, D)``, ``(K,)``); the parts not given are drawn by ``init_params``.
    random_state : None, int, numpy RandomState or Generator
    warm_start : bool, default False
        Each ``fit`` continues the previous one (one run, ``n_init`` ignored).
    verbose : int, default 0
        1 prints each run's start and end and every ``verbose_interval``-th iteration; 2 adds
        times, the change of the objective and the final lower bound.
    verbose_interval : int, default 10

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_ : arrays in scikit-learn's
    shapes for ``covariance_type``.  converged_, n_iter_ : bool, int.  lower_bound_ : the mean
    log-likelihood of the final parameters.  lower_bounds_ : that of every iterate.
    n_features_in_ : int.  mixture_ : the fitted ``mixtures.Mixture``.

    Notes
    -----
    Differences from scikit-learn are listed in the module's docstring: ``lower_bound_`` belongs to
    the final parameters, a converged run stops one M-step sooner, starts differ.
    """

    inference = "em"

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weights_init: Any = None,
        means_init: Any = None,
        precisions_init: Any = None,
        random_state: Any = None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    def _init(self, n_features: int) -> Any:
        method = INIT_METHODS[self.init_params]
        given: dict[str, Array] = {}
        if self.weights_init is not None:
            given["weights"] = _check_weights(self.weights_init, self.n_components)
        if self.means_init is not None:
            means = np.asarray(self.means_init, dtype=np.float64)
            _check_shape(means, (self.n_components, n_features), "means")
            given["means"] = means
        if self.precisions_init is not None:
            given["precisions"] = _check_precisions(
                self.precisions_init, self.covariance_type, self.n_components, n_features
            )
        return PartialInit(method, **given) if given else method

    def bic(self, X: Any) -> float:
        """Bayesian information criterion on ``X`` (lower is better)."""
        return self._fitted().bic(X)

    def aic(self, X: Any) -> float:
        """Akaike information criterion on ``X`` (lower is better)."""
        return self._fitted().aic(X)

    @classmethod
    def _settings_of(cls, mixture: Mixture) -> dict[str, Any]:
        init = mixture.init
        if not isinstance(init, PartialInit):
            return {}
        return {"weights_init": init.weights, "means_init": init.means, "precisions_init": init.precisions}


class BayesianGaussianMixture(_SklearnMixture):
    """scikit-learn's ``BayesianGaussianMixture`` (mean-field variational Bayes), fitted by
    ``mixtures.Mixture(inference="vb")``.

    Parameters
    ----------
    n_components, covariance_type, tol, reg_covar, max_iter, n_init, init_params, random_state, \
warm_start, verbose, verbose_interval
        As ``GaussianMixture``; ``tol`` applies to the ELBO per sample; ``reg_covar`` does not
        enter the variational updates (see Notes).
    weight_concentration_prior_type : {"dirichlet_process", "dirichlet_distribution"}
        The prior on the weights: ``StickBreaking(γ)`` (a truncated Dirichlet process) or
        ``DirichletWeights(α₀)``.
    weight_concentration_prior : float, optional
        ``γ`` or ``α₀``; default ``1 / n_components``.
    mean_precision_prior : float, optional
        ``β₀``, the weight of the prior mean in observations; default 1.
    mean_prior : array (n_features,), optional
        ``m₀``; default the (weighted) data mean.
    degrees_of_freedom_prior : float, optional
        ``ν₀ > n_features − 1``; default ``n_features``.
    covariance_prior : float or array, optional
        ``C₀``: ``(D, D)`` for full and tied, ``(D,)`` for diag, a float for spherical; default
        the (weighted) data covariance (``ddof=1``), its diagonal, or its mean variance.

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_ : the posterior's point
    (``E[π]``, ``m_k``, ``E[Λ_k]⁻¹``, ``E[Λ_k]``).  weight_concentration_ : the posterior of the
    weights (``(a, b)`` of the sticks, or ``α``).  mean_precision_, degrees_of_freedom_ : ``β_k``,
    ``ν_k``.  weight_concentration_prior_, mean_precision_prior_, mean_prior_,
    degrees_of_freedom_prior_, covariance_prior_ : the priors as used.  converged_, n_iter_,
    lower_bound_ (the ELBO per sample of the final posterior), lower_bounds_, n_features_in_,
    mixture_.

    Notes
    -----
    The priors, per component, in ``Mixture``'s terms: full, ``NormalWishart(mean=m₀,
    mean_precision=β₀, dof=ν₀, scale=C₀⁻¹)``; tied, the same ``TiedNormalWishart`` (one precision
    shared by all components); diag, ``NormalGamma(mean=m₀, mean_precision=β₀, shape=ν₀/2,
    rate=C₀/2)`` per feature; spherical, ``SphericalNormalGamma(mean=m₀, mean_precision=β₀,
    shape=D ν₀/2, rate=D C₀/2)``. Each is what scikit-learn's Wishart prior is for that
    covariance (a one-dimensional Wishart is a Gamma), and with it the posterior means of the
    precisions are scikit-learn's for full, diag and spherical covariances.

    The updates here are exact mean-field VB for every covariance type. scikit-learn's are not for
    three of them: for ``diag`` and ``spherical`` it computes ``E[log |Λ|]`` and the Wishart
    normaliser with the ``D``-dimensional Wishart formula, and for ``tied`` it gives the shared
    precision ``ν₀ + N/K`` degrees of freedom (each component's share) where the exact posterior
    has ``ν₀ + N``. So for those types responsibilities, ELBOs, ``degrees_of_freedom_`` (tied) and
    the fits can differ from scikit-learn's; for ``full`` they agree from the same start.
    ``reg_covar`` does not enter the variational update (the prior keeps every posterior
    covariance positive definite); scikit-learn adds it to each component's scatter there too, so
    its covariances are larger by about ``reg_covar``.
    ``score_samples`` is the posterior predictive density (scikit-learn's is the expected
    log-likelihood, not a density), and ``lower_bound_`` the complete ELBO per sample
    (scikit-learn's drops constants and is a total).
    """

    inference = "vb"

    def __init__(
        self,
        *,
        n_components: int = 1,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weight_concentration_prior_type: str = "dirichlet_process",
        weight_concentration_prior: float | None = None,
        mean_precision_prior: float | None = None,
        mean_prior: Any = None,
        degrees_of_freedom_prior: float | None = None,
        covariance_prior: Any = None,
        random_state: Any = None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    weight_concentration_: Any
    mean_precision_: Array
    degrees_of_freedom_: Any
    weight_concentration_prior_: float
    mean_precision_prior_: float
    mean_prior_: Array
    degrees_of_freedom_prior_: float
    covariance_prior_: Any

    def _check_settings(self) -> None:
        super()._check_settings()
        _check_choice(self.weight_concentration_prior_type, WEIGHT_PRIORS, "weight_concentration_prior_type")
        for name in ("weight_concentration_prior", "mean_precision_prior"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int | float | np.number) and value > 0):
                raise ValueError(
                    f"The '{name}' parameter must be a float > 0 or None. Got {value!r} instead."
                )

    def _priors(self, X: Any, sample_weight: Any, n_features: int) -> dict[str, Any]:
        """scikit-learn's priors, their defaults resolved on the data, as ``Mixture``'s
        ``prior`` and ``weight_prior``; the resolved values are kept as the ``*_prior_``
        attributes."""
        needs_data = self.mean_prior is None or self.covariance_prior is None
        mean, covariance = _data_moments(X, sample_weight) if needs_data else (None, None)
        concentration = (
            1.0 / self.n_components
            if self.weight_concentration_prior is None
            else float(self.weight_concentration_prior)
        )
        beta = 1.0 if self.mean_precision_prior is None else float(self.mean_precision_prior)
        if mean is not None and self.mean_prior is None:
            mean_prior = mean
        else:
            mean_prior = np.asarray(self.mean_prior, dtype=np.float64)
            _check_shape(mean_prior, (n_features,), "means")
        dof = (
            float(n_features)
            if self.degrees_of_freedom_prior is None
            else float(self.degrees_of_freedom_prior)
        )
        if not dof > n_features - 1.0:
            raise ValueError(
                f"The parameter 'degrees_of_freedom_prior' should be greater than {n_features - 1}, "
                f"but got {dof:.3f}."
            )
        covariance_prior = self._covariance_prior(covariance, n_features)
        self.weight_concentration_prior_ = concentration
        self.mean_precision_prior_ = beta
        self.mean_prior_ = mean_prior
        self.degrees_of_freedom_prior_ = dof
        self.covariance_prior_ = covariance_prior
        weight_prior = WEIGHT_PRIORS[self.weight_concentration_prior_type](concentration=concentration)
        return {
            "prior": self._component_prior(mean_prior, beta, dof, covariance_prior, n_features),
            "weight_prior": weight_prior,
        }

    def _covariance_prior(self, covariance: Array | None, n_features: int) -> Any:
        kind = self.covariance_type
        if self.covariance_prior is None:
            assert covariance is not None
            return {
                "full": covariance,
                "tied": covariance,
                "diag": np.diag(covariance).copy(),
                "spherical": float(np.diag(covariance).mean()),
            }[kind]
        if kind == "spherical":
            value = self.covariance_prior
            if not (isinstance(value, int | float | np.number) and value > 0):
                raise ValueError(f"'spherical covariance_prior' should be a positive float; got {value!r}")
            return float(value)
        given = np.asarray(self.covariance_prior, dtype=np.float64)
        if kind in ("full", "tied"):
            _check_shape(given, (n_features, n_features), f"{kind} covariance_prior")
            _check_positive_definite(given, f"{kind} precision")
        else:
            _check_shape(given, (n_features,), f"{kind} covariance_prior")
            if np.any(given <= 0.0):
                raise ValueError(f"'{kind} precision' should be positive")
        return given

    def _component_prior(
        self, mean: Array, beta: float, dof: float, covariance: Any, n_features: int
    ) -> ConjugatePrior:
        """The conjugate prior equal to scikit-learn's for this covariance type (see Notes)."""
        kind = self.covariance_type
        if kind in ("full", "tied"):
            wishart = NormalWishart if kind == "full" else TiedNormalWishart
            return wishart(mean=mean, mean_precision=beta, dof=dof, scale=np.linalg.inv(covariance))
        if kind == "diag":
            return NormalGamma(
                mean=mean, mean_precision=beta, shape=dof / 2.0, rate=np.asarray(covariance) / 2.0
            )
        return SphericalNormalGamma(
            mean=mean, mean_precision=beta, shape=n_features * dof / 2.0, rate=n_features * covariance / 2.0
        )

    def _store(self) -> None:
        super()._store()
        posterior: Any = self.mixture_.posterior_
        weights = posterior.weights
        if isinstance(weights, StickBreaking):
            self.weight_concentration_ = (np.asarray(weights.stick_a), np.asarray(weights.stick_b))
        else:
            self.weight_concentration_ = np.asarray(weights.concentration)
        components = posterior.components
        beta = np.asarray(components.mean_precision, dtype=np.float64)
        self.mean_precision_ = beta[:, 0] if beta.ndim == 2 else beta
        self.means_ = np.asarray(components.mean, dtype=np.float64)
        kind = self.covariance_type
        if kind in ("full", "tied"):
            dof = np.asarray(components.dof, dtype=np.float64)
            self.degrees_of_freedom_ = float(dof[0]) if kind == "tied" else dof
        else:
            shape = np.asarray(components.shape, dtype=np.float64)
            self.degrees_of_freedom_ = (
                2.0 * shape[:, 0] if kind == "diag" else 2.0 * shape / self.n_features_in_
            )
        if not hasattr(self, "mean_prior_"):  # a model read from a file: the priors it was fitted with
            self._store_priors(self.mixture_)

    def _store_priors(self, mixture: Mixture) -> None:
        prior: Any = mixture.prior_
        weight_prior: Any = mixture.weight_prior_
        self.weight_concentration_prior_ = float(np.ravel(weight_prior.concentration)[0])
        self.mean_precision_prior_ = float(np.ravel(prior.mean_precision)[0])
        self.mean_prior_ = np.asarray(prior.mean, dtype=np.float64)[0]
        n_features = self.mean_prior_.shape[0]
        kind = self.covariance_type
        if kind in ("full", "tied"):
            self.degrees_of_freedom_prior_ = float(np.ravel(prior.dof)[0])
            self.covariance_prior_ = np.linalg.inv(np.asarray(prior.scale)[0])
        elif kind == "diag":
            self.degrees_of_freedom_prior_ = 2.0 * float(np.ravel(prior.shape)[0])
            self.covariance_prior_ = 2.0 * np.asarray(prior.rate, dtype=np.float64)[0]
        else:
            self.degrees_of_freedom_prior_ = 2.0 * float(np.ravel(prior.shape)[0]) / n_features
            self.covariance_prior_ = 2.0 * float(np.ravel(prior.rate)[0]) / n_features

    @classmethod
    def _settings_of(cls, mixture: Mixture) -> dict[str, Any]:
        weight_prior = mixture.weight_prior or DirichletWeights()
        kind = next(name for name, prior in WEIGHT_PRIORS.items() if isinstance(weight_prior, prior))
        return {"weight_concentration_prior_type": kind}


def _data_moments(X: Any, sample_weight: Any) -> tuple[Array, Array]:
    """The (weighted) mean ``(D,)`` and covariance ``(D, D)`` of the rows, with ``ddof=1`` as
    ``np.cov`` (for weights, its ``aweights`` correction). A Dask array is reduced block by block
    (``np.asarray`` computes the small results)."""
    rows = X if hasattr(X, "dask") else np.asarray(X, dtype=np.float64)
    n_samples = rows.shape[0]
    weights = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    total = weights.sum()
    mean = np.asarray((rows * weights[:, None]).sum(axis=0), dtype=np.float64) / total
    centred = rows - mean
    scatter = np.asarray((centred * weights[:, None]).T @ centred, dtype=np.float64)
    correction = total - (weights**2).sum() / total
    return mean, np.atleast_2d(scatter / correction)
