"""Reading numeric CSV files for the command line, with errors that name the line and column."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = ["DataFileError", "Table", "read_table", "sequence_lengths"]

Array = NDArray[np.float64]


class DataFileError(ValueError):
    """A data file that cannot be read as a numeric table; the message names the file, and the
    line (1-based, as an editor counts) and column where there is one."""


@attrs.frozen(eq=False)
class Table:
    """The numeric features of a CSV file.

    Attributes
    ----------
    values : (n_rows, n_features) float64 array
    names : the features' names (from the header, else ``column <number>``)
    has_header : whether the first line was a header
    line_numbers : the line of the file each row came from (1-based)
    sequence_ids : the text of the sequence column in every row, or ``None`` without one
    """

    values: Array
    names: tuple[str, ...]
    has_header: bool
    line_numbers: tuple[int, ...]
    sequence_ids: tuple[str, ...] | None = None

    @property
    def lengths(self) -> NDArray[np.intp] | None:
        """Lengths of the runs of equal consecutive sequence ids (``None`` without ids)."""
        return None if self.sequence_ids is None else sequence_lengths(self.sequence_ids)


def sequence_lengths(ids: Sequence[str]) -> NDArray[np.intp]:
    """Lengths of the runs of equal consecutive values: each run is one sequence."""
    if not ids:
        return np.zeros(0, dtype=np.intp)
    starts = [0] + [n for n in range(1, len(ids)) if ids[n] != ids[n - 1]]
    return np.diff([*starts, len(ids)]).astype(np.intp)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _column_label(index: int, header: Sequence[str] | None) -> str:
    """``column 3 ('y')``: 1-based, with the header's name when there is one."""
    return f"column {index + 1}" + (f" ({header[index]!r})" if header is not None else "")


def _resolve_column(spec: str, header: Sequence[str] | None, width: int, path: str) -> int:
    """A column given by its header name or its 1-based number, as a 0-based index."""
    if header is not None and spec in header:
        return list(header).index(spec)
    if spec.isdigit() and 1 <= int(spec) <= width:
        return int(spec) - 1
    known = f"the header has {', '.join(header)}" if header is not None else f"it has {width} columns"
    raise DataFileError(
        f"{path}: no column {spec!r}: name a column of the header or give its number from 1 ({known})"
    )


def _check_unique_names(names: Sequence[str], path: str, line: int) -> None:
    """A header that names a column twice is refused: the names identify the features (a
    saved model finds its columns by name), so a repeated one would be read twice."""
    positions: dict[str, list[int]] = {}
    for index, label in enumerate(names):
        positions.setdefault(label, []).append(index + 1)
    repeated = {label: where for label, where in positions.items() if len(where) > 1}
    if repeated:
        listed = ", ".join(
            f"{label!r} (columns {', '.join(map(str, where))})" for label, where in repeated.items()
        )
        raise DataFileError(
            f"{path}, line {line}: the header repeats column names: {listed}; column names must "
            f"be unique, since they identify the features (rename the columns)"
        )


#: Cells that hold no value (compared without case and surrounding spaces): the empty cell and
#: the usual spellings of "not available"; read as NaN, a missing value, under ``missing``.
MISSING_CELLS = frozenset({"", "na", "n/a", "nan"})
#: How the error for a missing cell tells the user to accept them.
MISSING_HINT = "to read empty and NA cells as missing values, pass --missing marginalize"


def _is_missing(text: str) -> bool:
    return text.strip().lower() in MISSING_CELLS


def _bad_cell(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        return f"empty cell; {MISSING_HINT}"
    if _is_missing(stripped):
        return f"{stripped!r} is a missing value; {MISSING_HINT}"
    return f"{stripped!r} is not a number"


def read_table(
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    sequence_column: str | None = None,
    delimiter: str = ",",
    header: bool | None = None,
    missing: bool = False,
) -> Table:
    """Read the numeric columns of a delimited text file.

    Parameters
    ----------
    path : file to read
    columns : column names or 1-based numbers to use as features, optional
        Default: every column except ``sequence_column``.
    exclude : column names or 1-based numbers to leave out of the features, optional
        Applied after ``columns`` (e.g. a label column in a file whose other columns are features).
    sequence_column : a column name or 1-based number, optional
        Rows with equal consecutive values in this column form one sequence; its values are
        compared as text and are not features.
    delimiter : str, default ","
    header : bool or None
        Whether the first non-blank line is a header; ``None`` detects it: a header is a first
        line none of whose fields is a number.
    missing : bool, default False
        Whether empty cells and ``NA``, ``N/A`` or ``NaN`` cells (any case) are missing values,
        read as NaN; otherwise they are errors.

    Returns
    -------
    Table

    Raises
    ------
    DataFileError
        A missing or unreadable file, no data rows, a header that repeats a column name, an
        unknown column, or a bad row: a wrong
        number of fields, an empty cell or NaN (without ``missing``), a value that is not a
        number, or infinity. The message names the line (1-based) and the column.
    """
    name = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:  # -sig: drop a BOM
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            rows: list[tuple[int, list[str]]] = []
            for row in reader:
                # blank lines carry no data; a line of delimiters is a row of empty cells
                if len(row) > 1 or any(field.strip() for field in row):
                    rows.append((reader.line_num, row))
    except FileNotFoundError:
        raise DataFileError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise DataFileError(f"{name}: is a directory, not a data file") from None
    except UnicodeDecodeError as error:
        raise DataFileError(f"{name}: not a UTF-8 text file ({error.reason})") from None
    except csv.Error as error:
        raise DataFileError(f"{name}: not a valid CSV file ({error})") from None
    except OSError as error:
        raise DataFileError(f"{name}: cannot read it ({error.strerror})") from None
    if not rows:
        raise DataFileError(f"{name}: the file is empty")

    first_line, first_row = rows[0]
    width = len(first_row)
    has_header = header if header is not None else not any(_is_number(field) for field in first_row)
    names = [field.strip() for field in first_row] if has_header else None
    if names is not None:
        _check_unique_names(names, name, first_line)
    data_rows = rows[1:] if has_header else rows
    if not data_rows:
        raise DataFileError(f"{name}: no data rows after the header on line {first_line}")

    sequence_index = None
    if sequence_column is not None:
        sequence_index = _resolve_column(sequence_column, names, width, name)
    if columns is not None:
        feature_indices = [_resolve_column(spec, names, width, name) for spec in columns]
        if sequence_index is not None and sequence_index in feature_indices:
            raise DataFileError(
                f"{name}: {_column_label(sequence_index, names)} holds the sequence ids and cannot "
                f"also be a feature"
            )
        if len(set(feature_indices)) != len(feature_indices):
            raise DataFileError(f"{name}: a column is named twice in the columns to use")
    else:
        feature_indices = [c for c in range(width) if c != sequence_index]
    if exclude is not None:
        excluded = {_resolve_column(spec, names, width, name) for spec in exclude}
        feature_indices = [c for c in feature_indices if c not in excluded]
    if not feature_indices:
        raise DataFileError(f"{name}: no feature columns left (only the sequence column or excluded ones)")

    values = np.empty((len(data_rows), len(feature_indices)))
    ids: list[str] = []
    for n, (line, row) in enumerate(data_rows):
        if len(row) != width:
            where = "the header" if has_header else f"line {first_line}"
            raise DataFileError(
                f"{name}, line {line}: {len(row)} fields, but {where} has {width}"
            )
        try:
            values[n] = [float(row[c]) for c in feature_indices]
        except ValueError:
            for position, c in enumerate(feature_indices):
                if missing and _is_missing(row[c]):
                    values[n, position] = math.nan
                elif _is_number(row[c]):
                    values[n, position] = float(row[c])
                else:
                    raise DataFileError(
                        f"{name}, line {line}, {_column_label(c, names)}: {_bad_cell(row[c])}"
                    ) from None
        if sequence_index is not None:
            identifier = row[sequence_index].strip()
            if not identifier:
                raise DataFileError(
                    f"{name}, line {line}, {_column_label(sequence_index, names)}: empty sequence id"
                )
            ids.append(identifier)

    accepted = np.isfinite(values) | (np.isnan(values) if missing else False)
    if not accepted.all():
        n, position = (int(i) for i in np.argwhere(~accepted)[0])
        value = values[n, position]
        problem = f"NaN; {MISSING_HINT}" if math.isnan(value) else f"{value} is infinite"
        line = data_rows[n][0]
        raise DataFileError(
            f"{name}, line {line}, {_column_label(feature_indices[position], names)}: {problem}"
        )

    feature_names = tuple(
        names[c] if names is not None else f"column {c + 1}" for c in feature_indices
    )
    return Table(
        values,
        feature_names,
        has_header,
        tuple(line for line, _ in data_rows),
        tuple(ids) if sequence_index is not None else None,
    )
