"""``Mixture``: an i.i.d. mixture of any exponential family, with a scikit-learn-shaped API."""

from __future__ import annotations

import warnings
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

from mixtures._validation import as_data_matrix, as_sample_weight, check_int, check_real
from mixtures.exceptions import ConvergenceWarning, EmptyComponentWarning
from mixtures.families.base import Components, ExponentialFamily
from mixtures.inference.data import ChunkedData
from mixtures.inference.em import (
    EMResult,
    MixtureParameters,
    chunk_posterior,
    fit_em,
    m_step,
    statistics_of_responsibilities,
)
from mixtures.inference.initialization import INIT_METHODS, initial_responsibilities
from mixtures.latent.mixture import log_mixture_weights
from mixtures.models._estimator import Estimator
from mixtures.models.families import resolve_family

__all__ = ["Mixture"]

Array = NDArray[np.float64]
INFERENCE_METHODS = ("em",)


class Mixture(Estimator):
    """A finite mixture ``p(x) = Σ_k π_k p(x | η_k)`` of one exponential family.

    Parameters
    ----------
    family : ExponentialFamily or str, default Gaussian()
        The component family, e.g. ``Gaussian()``, ``Bernoulli()``, a user's own subclass of
        ``ExponentialFamily``, or an alias: ``"full"``/``"gaussian"``, ``"diag"``,
        ``"spherical"``, ``"tied"``, ``"bernoulli"``, ``"poisson"``, ``"categorical"``.
    n_components : int, default 1
        Number of components ``K``.
    inference : {"em"}, default "em"
        ``"em"``: maximum likelihood by expectation–maximisation.
    max_iter : int, default 100
        Maximum number of M-steps per run.
    tol : float, default 1e-3
        Convergence threshold on the change of the mean (per-sample, weighted) log-likelihood.
    n_init : int, default 1
        Number of runs from different initialisations; the best final log-likelihood wins.
    init : {"kmeans++", "kmeans", "random"}, array (n_samples, n_components) or (weights, components)
        ``"kmeans++"``: k-means++ seeds, each point assigned to its nearest seed; ``"kmeans"``:
        those seeds refined by Lloyd's algorithm; ``"random"``: random soft responsibilities;
        an array: the initial responsibilities themselves (rows summing to one); a tuple
        ``(weights, components)``: initial parameters, e.g.
        ``(w, Gaussian().components_from(means, covariances))`` (one run).
    random_state : int, numpy Generator or None
        Seed for initialisation and for ``sample``.
    warm_start : bool, default False
        If fitted already, start from the current parameters (one run, ``n_init`` ignored).
    chunk_size : int or None
        Rows per E-step chunk; ``None`` chooses about 32 MB of statistics per chunk.

    Attributes
    ----------
    weights_ : (K,) mixing weights.  components_ : the fitted ``Components`` (e.g. ``.mean``,
    ``.covariance``).  family_ : the family with its data-dependent settings fixed.
    converged_, n_iter_, lower_bound_ (mean log-likelihood of the final parameters),
    lower_bounds_ (the mean log-likelihood after each M-step, starting at the initial parameters),
    n_features_in_.
    """

    def __init__(
        self,
        family: ExponentialFamily | str | None = None,
        n_components: int = 1,
        *,
        inference: str = "em",
        max_iter: int = 100,
        tol: float = 1e-3,
        n_init: int = 1,
        init: str | Any = "kmeans++",
        random_state: int | np.random.Generator | None = None,
        warm_start: bool = False,
        chunk_size: int | None = None,
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

    # ------------------------------------------------------------------ fitting
    def _check_params(self) -> ExponentialFamily:
        family = resolve_family(self.family)
        check_int(self.n_components, "n_components", 1)
        check_int(self.max_iter, "max_iter", 1)
        check_int(self.n_init, "n_init", 1)
        check_real(self.tol, "tol", 0.0)
        if self.chunk_size is not None:
            check_int(self.chunk_size, "chunk_size", 1)
        if self.inference not in INFERENCE_METHODS:
            raise ValueError(
                f"inference must be one of {INFERENCE_METHODS}; got {self.inference!r}"
            )
        if isinstance(self.init, str) and self.init not in INIT_METHODS:
            raise ValueError(
                f"init must be one of {INIT_METHODS} or an (n_samples, n_components) array; "
                f"got {self.init!r}"
            )
        return family

    def fit(self, X: Any, y: Any = None, *, sample_weight: Any = None) -> Self:
        """Fit by EM from ``n_init`` initialisations (or from the current fit with ``warm_start``)."""
        family = self._check_params()
        x = as_data_matrix(X)
        weights = as_sample_weight(sample_weight, x.shape[0])
        if x.shape[0] < self.n_components:
            raise ValueError(f"n_components={self.n_components} must be <= n_samples={x.shape[0]}")
        warm = self.warm_start and hasattr(self, "components_")
        if warm:
            self._check_features(x)
            family = self.family_
        family.validate(x)
        family = family.for_data(x, weights) if not warm else family
        data = ChunkedData(family, x, weights, chunk_size=self.chunk_size)

        rng = np.random.default_rng(self.random_state)
        if warm:
            starts = [MixtureParameters(self.components_.natural, self.weights_)]
        elif isinstance(self.init, tuple):
            starts = [self._given_parameters(data)]
        else:
            starts = [self._initial_parameters(data, rng) for _ in range(self.n_init)]
        best: EMResult | None = None
        for start in starts:
            result = fit_em(data, start, max_iter=self.max_iter, tol=self.tol)
            if best is None or result.trajectory.objective > best.trajectory.objective:
                best = result
        assert best is not None
        self._store(best, family, X, x)
        return self

    def _initial_parameters(self, data: ChunkedData, rng: np.random.Generator) -> MixtureParameters:
        if isinstance(self.init, str):
            features = data.family.init_features(data.x)
            responsibilities = initial_responsibilities(
                self.init, features, data.weights, self.n_components, rng
            )
        else:
            responsibilities = self._given_responsibilities(data.n_samples)
        statistics = statistics_of_responsibilities(data, responsibilities)
        return m_step(data.family, statistics)

    def _given_parameters(self, data: ChunkedData) -> MixtureParameters:
        if len(self.init) != 2 or not isinstance(self.init[1], Components):
            raise ValueError(
                "init given as a tuple must be (weights, components), components built e.g. by "
                "family.components_from(...)"
            )
        weights, components = np.asarray(self.init[0], dtype=np.float64), self.init[1]
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
        values = np.asarray(self.init, dtype=np.float64)
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

    def _store(self, result: EMResult, family: ExponentialFamily, X: Any, x: Array) -> None:
        trajectory = result.trajectory
        parameters = trajectory.parameters
        self.family_ = family
        self.weights_ = parameters.weights
        self.components_: Components = family.components(parameters.natural)
        self.converged_ = trajectory.converged
        self.n_iter_ = trajectory.n_iter
        self.lower_bound_ = trajectory.objective
        self.lower_bounds_ = list(trajectory.objectives)
        self.n_features_in_ = x.shape[1]
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        if not trajectory.converged:
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={self.max_iter} iterations "
                f"(last change {trajectory.objectives[-1] - trajectory.objectives[-2]:.3g} >= "
                f"tol={self.tol}); increase max_iter or tol, or check the data",
                ConvergenceWarning,
                stacklevel=3,
            )
        if result.emptied:
            warnings.warn(
                f"component(s) {sorted(result.emptied)} of {family.name} lost all their data during "
                f"the fit; they kept their previous parameters and their weight fell to "
                f"{self.weights_[sorted(result.emptied)].max():.3g} or less. Consider fewer components",
                EmptyComponentWarning,
                stacklevel=3,
            )

    def fit_predict(self, X: Any, y: Any = None, *, sample_weight: Any = None) -> NDArray[np.intp]:
        """Fit, then return the most probable component of each row of ``X``."""
        return self.fit(X, sample_weight=sample_weight).predict(X)

    # ------------------------------------------------------------------ using a fit
    def _check_features(self, x: Array) -> None:
        if x.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {x.shape[1]} features, but {type(self).__name__} was fitted with "
                f"{self.n_features_in_} features"
            )

    def _validated(self, X: Any) -> Array:
        self._check_is_fitted("components_")
        x = as_data_matrix(X)
        self._check_features(x)
        self.family_.validate(x)
        return x

    def _posterior(self, X: Any) -> tuple[Array, Array]:
        x = self._validated(X)
        data = ChunkedData(
            self.family_, x, np.ones(x.shape[0]), chunk_size=self.chunk_size, cache_bytes=0
        )
        natural = self.components_.natural
        log_weights = log_mixture_weights(self.weights_)
        responsibilities = np.empty((x.shape[0], natural.shape[0]))
        log_evidence = np.empty(x.shape[0])
        for chunk in data.chunks():
            responsibilities[chunk.rows], log_evidence[chunk.rows] = chunk_posterior(
                self.family_, chunk, natural, log_weights
            )
        return responsibilities, log_evidence

    def predict_proba(self, X: Any) -> Array:
        """Posterior probability of each component for each row: ``(n_samples, K)``."""
        return self._posterior(X)[0]

    def predict(self, X: Any) -> NDArray[np.intp]:
        """The most probable component of each row: ``(n_samples,)``."""
        return self.predict_proba(X).argmax(axis=1)

    def score_samples(self, X: Any) -> Array:
        """``log p(x_n)`` under the fitted mixture: ``(n_samples,)``."""
        return self._posterior(X)[1]

    def score(self, X: Any, y: Any = None, *, sample_weight: Any = None) -> float:
        """Mean (weighted) log-likelihood per row."""
        log_evidence = self.score_samples(X)
        weights = as_sample_weight(sample_weight, log_evidence.shape[0])
        return float(np.average(log_evidence, weights=weights))

    def sample(self, n_samples: int = 1) -> tuple[Array, NDArray[np.intp]]:
        """Draw ``n_samples`` rows and the component each came from: ``(X, labels)``."""
        self._check_is_fitted("components_")
        check_int(n_samples, "n_samples", 1)
        rng = np.random.default_rng(self.random_state)
        labels = rng.choice(self.weights_.shape[0], size=n_samples, p=self.weights_)
        return self.family_.sample(self.components_.natural, labels, rng), labels

    def n_parameters(self) -> int:
        """Free parameters of the fitted model (components and weights)."""
        self._check_is_fitted("components_")
        return self.family_.n_free_parameters(self.components_.natural) + len(self.weights_) - 1

    def bic(self, X: Any) -> float:
        """Bayesian information criterion on ``X`` (lower is better)."""
        n_samples = as_data_matrix(X).shape[0]
        return -2 * self.score(X) * n_samples + self.n_parameters() * np.log(n_samples)

    def aic(self, X: Any) -> float:
        """Akaike information criterion on ``X`` (lower is better)."""
        n_samples = as_data_matrix(X).shape[0]
        return -2 * self.score(X) * n_samples + 2 * self.n_parameters()
