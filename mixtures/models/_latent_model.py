"""What ``Mixture`` and ``HMM`` share: settings checks, the start of a fit, convergence bookkeeping
and the validation of data given to a fitted model."""

from __future__ import annotations

import os
import warnings
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from mixtures._validation import as_data_matrix, check_int, check_real, is_dask_array
from mixtures.exceptions import ConvergenceWarning
from mixtures.families.base import Components, ExponentialFamily
from mixtures.inference.data import check_rows, configured_family
from mixtures.inference.loop import Trajectory
from mixtures.models._estimator import Estimator
from mixtures.models.families import resolve_family
from mixtures.priors import ConjugatePrior

__all__ = ["INFERENCE_METHODS", "LatentModel"]

Array = NDArray[np.float64]
INFERENCE_METHODS = ("em", "vb")


class LatentModel(Estimator):
    """Base of the latent-variable estimators. Subclasses name their size parameter, their default
    tolerances and the fitted attributes a fresh (not warm-started) fit must forget."""

    size_name: ClassVar[str]
    default_tolerance: ClassVar[dict[str, float]]
    fit_specific_state: ClassVar[tuple[str, ...]] = ()

    # settings every subclass takes in __init__
    family: ExponentialFamily | str | None
    max_iter: int
    tol: float | None
    n_init: int
    inference: str
    warm_start: bool
    chunk_size: int | None
    prior: ConjugatePrior | None

    family_: ExponentialFamily
    components_: Components

    # ------------------------------------------------------------------ fitting
    def _check_common_settings(self) -> ExponentialFamily:
        """Check the shared settings and return the resolved family."""
        family = resolve_family(self.family)
        check_int(getattr(self, self.size_name), self.size_name, 1)
        check_int(self.max_iter, "max_iter", 0)  # 0: initialise only, as scikit-learn and hmmlearn
        check_int(self.n_init, "n_init", 1)
        tol, chunk_size = self.tol, self.chunk_size
        if tol is not None:
            check_real(tol, "tol", 0.0)
        if chunk_size is not None:
            check_int(chunk_size, "chunk_size", 1)
        inference, prior = self.inference, self.prior
        if inference not in INFERENCE_METHODS:
            raise ValueError(f"inference must be one of {INFERENCE_METHODS}; got {inference!r}")
        if prior is not None and not isinstance(prior, ConjugatePrior):
            raise ValueError(f"prior must be a ConjugatePrior (e.g. NormalWishart()); got {prior!r}")
        return family

    def _start_fit(
        self, family: ExponentialFamily, x: Array, weights: Array
    ) -> tuple[ExponentialFamily, bool]:
        """The family for this fit and whether it warm-starts: a warm start keeps the fitted family;
        a fresh fit forgets the previous fit's state and configures ``family`` on ``x``. The rows
        are checked block by block (on the workers for a ``dask.array``)."""
        size = getattr(self, self.size_name)
        if x.shape[0] < size:
            raise ValueError(f"{self.size_name}={size} must be <= n_samples={x.shape[0]}")
        warm = bool(self.warm_start) and hasattr(self, "components_")
        if warm:
            self._check_features(x)
            family = self.family_
        else:
            for stale in self.fit_specific_state:
                self.__dict__.pop(stale, None)
        check_rows(family, x)
        return (family if warm else configured_family(family, x, weights)), warm

    def _tolerance(self) -> float:
        tol = self.tol
        return self.default_tolerance[self.inference] if tol is None else float(tol)

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

    def _store_common(self, family: ExponentialFamily, X: Any, x: Array) -> None:
        self.family_ = family
        self.n_features_in_ = x.shape[1]
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)


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
    def _check_features(self, x: Array) -> None:
        if x.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {x.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (it was fitted with "
                f"{self.n_features_in_})"
            )

    def _validated(self, X: Any) -> Array:
        """``X`` as a matrix a fitted model accepts: right width, inside the family's support."""
        self._check_is_fitted("components_")
        x = as_data_matrix(X)
        self._check_features(x)
        check_rows(self.family_, x)
        if is_dask_array(x):  # checked on the workers; what uses it here needs it in memory
            x = np.asarray(x)
        return x

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
        from mixtures.io import save  # the file format knows the estimators, not vice versa

        save(self, path)
