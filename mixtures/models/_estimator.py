"""scikit-learn's estimator conventions without depending on scikit-learn."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any, ClassVar, Self

from mixtures.exceptions import not_fitted_error

__all__ = ["Estimator", "ModelFileWriter"]

#: Writes an estimator to a model file: ``write(model, path)``.
ModelFileWriter = Callable[[Any, "str | os.PathLike[str]"], None]


class Estimator:
    """``__init__`` stores its arguments untouched; ``get_params``/``set_params`` read and write
    them; fitted attributes end in ``_``."""

    #: How ``save`` writes a model file: given by ``mixtures.io`` when it is imported (with the
    #: package), since the file format knows the estimators and the estimators do not import it.
    model_file_writer: ClassVar[ModelFileWriter | None] = None

    #: Constructor settings added after model files were first written: a file without them
    #: gets their defaults.
    added_settings: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def settings_added_since_first_format(cls) -> frozenset[str]:
        """The settings an older model file may lack (``added_settings``)."""
        return cls.added_settings

    @classmethod
    def write_model_files_with(cls, writer: ModelFileWriter) -> None:
        """Make ``save`` write model files with ``writer`` (``mixtures.io`` does this)."""
        Estimator.model_file_writer = writer

    @classmethod
    def _parameter_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            name
            for name, parameter in signature.parameters.items()
            if name != "self" and parameter.kind != parameter.VAR_KEYWORD
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = {name: getattr(self, name) for name in self._parameter_names()}
        if deep:
            for name, value in list(params.items()):
                if hasattr(value, "get_params") and not isinstance(value, type):
                    params.update({f"{name}__{k}": v for k, v in value.get_params().items()})
        return params

    def set_params(self, **params: Any) -> Self:
        valid = self._parameter_names()
        for key, value in params.items():
            name, _, nested = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; valid: {valid}"
                )
            if nested:
                getattr(self, name).set_params(**{nested: value})
            else:
                setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            name: parameter.default
            for name, parameter in inspect.signature(type(self).__init__).parameters.items()
        }
        shown = []
        for name in self._parameter_names():
            value = getattr(self, name)
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or bool(value == default)
            except (TypeError, ValueError):
                same = False
            if not same:
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def __sklearn_tags__(self) -> Any:
        """Tags for scikit-learn's meta-estimators; only scikit-learn calls this, so importing
        it here keeps it out of the core dependencies."""
        from sklearn.base import BaseEstimator

        tags = BaseEstimator().__sklearn_tags__()
        tags.estimator_type = "density_estimator"
        tags.target_tags.required = False
        return tags

    def _check_is_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            raise not_fitted_error(
                f"this {type(self).__name__} instance is not fitted yet; call fit before using it"
            )
