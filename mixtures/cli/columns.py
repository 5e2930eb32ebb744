"""Columns of a data file that look like labels or row identifiers rather than measurements.

A class label (``species`` coded 0, 1, 2) or a row number fitted as a feature gives a model that
describes the coding, not the data, and nothing fails to say so; the command line warns instead.
"""

from __future__ import annotations

import attrs
import numpy as np

from mixtures.cli.table import Table

__all__ = ["MAX_LABEL_VALUES", "MIN_ROWS", "Suspect", "label_like_columns"]

#: A column of integers with at most this many distinct values can be a class label ...
MAX_LABEL_VALUES = 10
#: ... when there are at least this many rows per distinct value; and a row number is only
#: suspicious in a file of at least this many rows.
MIN_ROWS = 10


@attrs.frozen
class Suspect:
    """A feature column that looks like a label or an identifier.

    Attributes
    ----------
    index : its position among the table's features, from 0
    name : its name in the table
    reason : why it looks so, in words
    """

    index: int
    name: str
    reason: str


def _row_number(column: np.ndarray) -> str | None:
    for first in (0, 1):
        if np.array_equal(column, np.arange(first, first + column.size)):
            return f"it counts the rows ({first}, {first + 1}, ..., {first + column.size - 1})"
    return None


def _class_code(column: np.ndarray) -> str | None:
    distinct = np.unique(column)
    if distinct.size <= MAX_LABEL_VALUES and column.size >= MIN_ROWS * distinct.size:
        shown = ", ".join(f"{value:g}" for value in distinct)
        return f"{distinct.size} distinct integer values ({shown}) in {column.size} rows"
    return None


def label_like_columns(table: Table, *, integer_data: bool) -> list[Suspect]:
    """The feature columns of ``table`` that look like a label or an identifier.

    A column of integers is suspect when it counts the rows (0..N-1 or 1..N), or, for a family of
    real-valued data (``integer_data=False``), when it holds few distinct values among many rows
    (at most ``MAX_LABEL_VALUES``, with at least ``MIN_ROWS`` rows per value). Families of counts
    or codes (``integer_data=True``) expect such columns, so only row numbers are reported there.
    """
    values = table.values
    if values.shape[0] < MIN_ROWS:
        return []
    suspects = []
    for index, name in enumerate(table.names):
        column = values[:, index]
        if not np.array_equal(column, np.round(column)):
            continue
        reason = _row_number(column) or (None if integer_data else _class_code(column))
        if reason is not None:
            suspects.append(Suspect(index, name, reason))
    return suspects
