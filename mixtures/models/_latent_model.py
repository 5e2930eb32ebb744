"""What ``Mixture`` and ``HMM`` share: settings checks, the start of a fit, convergence bookkeeping
and the validation of data given to a fitted model."""

from __future__ import annotations

import os
import warnings
from typing import Any, ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._validation import (
    check_int,
    check_random_state,
    check_real,
    column_names,
    columns_in_fit_order,
)
from mixtures.exceptions import ConvergenceWarning
from mixtures.families.base import Components, ExponentialFamily
from mixtures.inference.loop import Trajectory
from mixtures.inference.rows import Rows
from mixtures.inference.sources import rows_of
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
    random_state: int | np.random.Generator | np.random.RandomState | None
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

    def _rng(self) -> np.random.Generator:
        """The random generator of ``random_state`` (checked: a ``ValueError`` names it)."""
        return check_random_state(self.random_state)

    def _continues_fit(self) -> bool:
        """Whether ``fit`` continues the current fit (``warm_start`` on a fitted model)."""
        if not isinstance(self.warm_start, bool | np.bool_):
            raise ValueError(f"warm_start must be True or False; got {self.warm_start!r}")
        return bool(self.warm_start) and hasattr(self, "components_")

    def _fit_matrix(self, X: Any, *, continuing: bool) -> Rows:
        """``X`` for a fit: its column names (if any) must be unique, and a fit that continues
        a fit made on named columns finds its columns by name (see ``_validated``)."""
        fitted = getattr(self, "feature_names_in_", None) if continuing else None
        column_names(X)
        return rows_of(columns_in_fit_order(X, fitted))

    def _start_fit(
        self, family: ExponentialFamily, rows: Rows, weights: Any
    ) -> tuple[ExponentialFamily, bool]:
        """The family for this fit and whether it warm-starts: a warm start keeps the fitted family;
        a fresh fit forgets the previous fit's state and configures ``family`` on ``x``. The rows
        are checked block by block (on the workers for a ``dask.array``)."""
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
        return (family if warm else rows.configured_family(family, weights)), warm

    def _check_warm_settings(self, family: ExponentialFamily, rows: Rows, weights: Any) -> None:
        """A warm start continues the fitted parameters, so it refuses settings changed since
        that fit in a way the parameters cannot follow, rather than silently keeping the old
        ones: the size, the inference, the family (its class, or a setting given explicitly, such
        as ``Categorical(n_categories=5)``) and the priors. Settings left to the data (``None``)
        are not compared."""
        changes: list[tuple[str, Any, Any]] = []
        fitted_size = len(self.components_)
        if getattr(self, self.size_name) != fitted_size:
            changes.append((self.size_name, fitted_size, getattr(self, self.size_name)))
        fitted_inference = "vb" if hasattr(self, "posterior_") else "em"
        if self.inference != fitted_inference:
            changes.append(("inference", fitted_inference, self.inference))
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

    def _same_family(self, family: ExponentialFamily) -> bool:
        """Whether the family setting still describes the fitted ``family_``: the same class and
        the same explicitly given settings (those left to the data are not compared)."""
        return type(family) is type(self.family_) and not changed_settings(
            "family", family, family, self.family_
        )

    def _prior_changes(self, rows: Rows, weights: Any) -> list[tuple[str, Any, Any]]:
        """Prior settings changed since the fit a warm start continues: ``(name, old, new)``."""
        return []

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
        rows = rows_of(columns_in_fit_order(X, getattr(self, "feature_names_in_", None)))
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
        from mixtures.io import save  # the file format knows the estimators, not vice versa

        save(self, path)


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
