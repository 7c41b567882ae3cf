"""UCI-style ``.data`` and ``.dat`` files: rows of values separated by commas (``iris.data``,
``pima-indians-diabetes.data``) or by runs of spaces or tabs (``housing.data``,
``auto-mpg.data``, whose car names are quoted), usually without a header row.

Read into the same :class:`~.table.Table` as a CSV, so the label is chosen as for one (the
last column unless ``target`` names another). A file without a header gets its columns named
``column 1``, ``column 2``, … and says so in its notes.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .csvfile import (HEADER_BYTES, MAX_CSV_CELLS, MAX_CSV_COLUMNS, _trailing_empty,
                      decode_text, within_budget)
from .errors import DataError, budget
from .table import Table, is_number

DATA_SUFFIXES = (".data", ".dat")
WORD = re.compile(r'"([^"]*)"|(\S+)')  # a value between runs of spaces; "chevrolet malibu"


def read_data_table(path: Path) -> Table:
    """The rows of a ``.data`` file, named by its header row where it has one.

    Raises DataError for a file that is too big, binary, empty, or with a row whose number of
    values differs from the first row's, naming the line.
    """
    within_budget(path, "table files")
    text, notes = decode_text(path, path.read_bytes())
    return _table(path, text, notes)


def read_data_header(path: Path) -> list[str]:
    """The column names :func:`read_data_table` gives ``path``'s columns, from its first rows
    only; [] for a file it could not read (loading it then says why)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(HEADER_BYTES)
        if len(raw) == HEADER_BYTES:  # a cut last line is no row
            raw = raw[:raw.rfind(b"\n") + 1] or raw
        return _table(path, decode_text(path, raw)[0], []).header
    except (OSError, UnicodeDecodeError, DataError):
        return []


def _table(path: Path, text: str, notes: list[str]) -> Table:
    rows, lines = _rows(path, text)
    if not rows:
        raise DataError("the file is empty", file=path)
    width = len(rows[0])
    most = budget("LAYERLOOM_MAX_CSV_COLUMNS", MAX_CSV_COLUMNS)
    if width > most:
        raise DataError(f"the first row has {width:,} values; table files are capped at "
                        f"{most:,} columns (set LAYERLOOM_MAX_CSV_COLUMNS to change it)",
                        file=path, line=lines[0])
    cells = budget("LAYERLOOM_MAX_CSV_CELLS", MAX_CSV_CELLS)
    if len(rows) * width > cells:
        raise DataError(f"more than {cells // width:,} rows of {width:,} columns; table files "
                        f"are capped at {cells:,} values (set LAYERLOOM_MAX_CSV_CELLS to "
                        f"change it)", file=path)
    for row, line in zip(rows, lines):
        if len(row) != width:
            raise DataError(f"{len(row)} values, but the first row has {width}; each row of a "
                            f".data file holds the same values, separated by commas or by "
                            f"spaces", file=path, line=line)
    empty = _trailing_empty(rows[0], [list(column) for column in zip(*rows[1:])])
    if empty:  # every line ends with commas: no columns, not a target
        width -= empty
        rows = [row[:-empty] for row in rows]
    if _is_header(rows):
        header = [cell.strip() or f"column {i + 1}" for i, cell in enumerate(rows[0])]
        if len(set(header)) == width and len(rows) > 1:
            return Table(path, header, rows[1:], lines[1:], notes)
    header = [f"column {i + 1}" for i in range(width)]
    notes = notes + [f"no header row: the {width} columns are named column 1 … column {width}, "
                     f"and the last is the label unless target names another"]
    return Table(path, header, rows, lines, notes)


def _rows(path: Path, text: str) -> tuple[list[list[str]], list[int]]:
    """The non-blank rows of ``text`` and their 1-based lines: split at commas where every one
    of the first lines holds as many outside quotes, else at runs of spaces and tabs."""
    first = [line for line in re.sub(r'"[^"]*"', "", text[:HEADER_BYTES]).splitlines()[:50]
             if line.strip()]
    commas = bool(first) and first[0].count(",") > 0 and \
        all(line.count(",") == first[0].count(",") for line in first)
    rows, lines = [], []
    if commas:
        reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    rows.append(row)
                    lines.append(reader.line_num)
        except csv.Error as err:
            raise DataError(f"not valid comma-separated values ({err})", file=path,
                            line=reader.line_num) from None
        return rows, lines
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            rows.append([quoted or bare for quoted, bare in WORD.findall(line)])
            lines.append(number)
    return rows, lines


def _is_header(rows: list[list[str]]) -> bool:
    """The first row names the columns: none of its values is a number, and not each of them
    is a value of its column below (``p,x,s,n`` of a file of letters is data).

    >>> _is_header([["crim", "medv"], ["0.006", "24"]]), _is_header([["5.1", "a"], ["4.9", "b"]])
    (True, False)
    >>> _is_header([["p", "x"], ["e", "x"], ["p", "s"]])
    False
    """
    first = [cell.strip() for cell in rows[0]]
    if any(is_number(cell) for cell in first):
        return False
    return not all(any(row[i].strip() == cell for row in rows[1:])
                   for i, cell in enumerate(first))
