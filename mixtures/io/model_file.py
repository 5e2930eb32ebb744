"""``save`` and ``load``: a model to a file and back, through the format's metadata."""

from __future__ import annotations

import json
import os
from typing import Any

from numpy.typing import NDArray

from mixtures._version import __version__
from mixtures.io.archive import FORMAT_NAME, FORMAT_VERSION, read_archive, write_archive
from mixtures.io.errors import ModelFileError
from mixtures.io.estimators import ESTIMATORS, Estimator, EstimatorFormat
from mixtures.io.values import ArrayReader, ArrayWriter

__all__ = ["load", "save"]

_TOP_LEVEL = ("format", "format_version", "library_version", "estimator", "params", "fitted")


def save(model: Any, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to the model file ``path``.

    Parameters
    ----------
    model : Mixture or HMM
        Fitted or not; an unfitted model is saved with its settings only.
    path : str or os.PathLike
        Where to write. The file is written at exactly this path (no suffix is added; ``.npz``
        is conventional) and replaced atomically if it exists.

    Raises
    ------
    ValueError
        If the model holds something a model file cannot (a family or prior class that is not
        registered, a setting of an unsupported type); nothing is written then. The message
        names the field.
    """
    estimator_format = _format_of(model)
    writer = ArrayWriter()
    params, fitted = estimator_format.encode(model, writer)

    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "estimator": estimator_format.name,
        "params": params,
        "fitted": fitted,
    }
    # write only what load accepts: read the metadata back (through JSON) before writing
    try:
        _model_from(json.loads(json.dumps(metadata, allow_nan=False)), dict(writer.arrays))
    except ModelFileError as error:
        raise ModelFileError(error.field, f"cannot be saved: {error.problem}") from error
    write_archive(path, metadata, writer.arrays)


def load(path: str | os.PathLike[str]) -> Estimator:
    """Read a model written by ``save`` (or ``model.save``).

    Parameters
    ----------
    path : str or os.PathLike
        The model file.

    Returns
    -------
    Mixture or HMM
        The model, with its settings and (if it was fitted) every fitted attribute exactly as
        saved.

    Raises
    ------
    ValueError
        (``mixtures.io.ModelFileError``) if the file is not a model file, was written by a newer
        format version, or any field fails validation: missing or unexpected arrays, wrong
        dtypes or shapes, sizes that disagree between fields, NaN or inf, probabilities that do
        not sum to one, covariances that are not symmetric positive definite, non-positive
        concentrations, rates or degrees of freedom, unknown family or prior names. The message
        names the field. Nothing in the file is ever unpickled, imported or executed.
    OSError
        If the file cannot be opened.
    """
    source = os.fspath(path)
    try:
        metadata, arrays = read_archive(source)
        return _model_from(metadata, arrays)
    except ModelFileError as error:
        raise error.in_file(str(source)) from error


def _format_of(model: Any) -> EstimatorFormat:
    for estimator_format in ESTIMATORS.values():
        if type(model) is estimator_format.estimator_type:
            return estimator_format
    raise ModelFileError(
        "estimator", f"a {type(model).__qualname__} cannot be saved; model files hold {sorted(ESTIMATORS)}"
    )


def _model_from(metadata: dict[str, Any], arrays: dict[str, NDArray[Any]]) -> Estimator:
    for key in _TOP_LEVEL:
        if key not in metadata:
            raise ModelFileError(f"metadata.{key}", "missing")
    for key in metadata:
        if key not in _TOP_LEVEL:
            raise ModelFileError(f"metadata.{key}", "unexpected key")
    if not isinstance(metadata["library_version"], str):
        raise ModelFileError("metadata.library_version", "must be a string")
    name = metadata["estimator"]
    if not isinstance(name, str) or name not in ESTIMATORS:
        raise ModelFileError("metadata.estimator", f"unknown estimator {name!r}; known: {sorted(ESTIMATORS)}")
    reader = ArrayReader(arrays)
    model = ESTIMATORS[name].decode(metadata["params"], metadata["fitted"], reader)
    reader.check_all_taken()
    return model
