"""The one error of model files: a ``ValueError`` that names the offending field."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["ModelFileError", "child", "item", "reading"]


class ModelFileError(ValueError):
    """A model file cannot be written or read.

    Attributes
    ----------
    field : str
        The field at fault, as a path into the model: ``"weights_"``, ``"prior_.scale"``,
        ``"posterior_.rows[1].concentration"``, ``"metadata"`` or an array's name.
    problem : str
        What is wrong with it.
    """

    def __init__(self, field: str, problem: str, source: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{field}: {problem}")

    def in_file(self, source: str) -> ModelFileError:
        """The same error, its message prefixed by the file it concerns."""
        return ModelFileError(self.field, self.problem, source)


@contextlib.contextmanager
def reading(field: str) -> Iterator[None]:
    """Any error raised inside (a constructor's validator, a family's primitive meeting values
    outside its domain...) becomes a ``ModelFileError`` naming ``field``; file contents must never
    escape as another exception type."""
    try:
        yield
    except ModelFileError:
        raise
    except Exception as error:  # whatever bad content makes library or user code raise
        raise ModelFileError(field, str(error) or type(error).__name__) from error


def child(path: str, name: str) -> str:
    """The path of field ``name`` inside ``path``."""
    return f"{path}.{name}" if path else name


def item(path: str, index: int) -> str:
    """The path of entry ``index`` of the sequence at ``path``."""
    return f"{path}[{index}]"
