"""Reading a CSV file into checked rows of text, with the line number of every row.

Shared by tabular and text CSVs. Nothing is converted here; the loaders decide what each
column holds, and cite ``Table.lines`` in their errors.

Reading is linear in the file's size (a column is found by name in a dict, not by a search of
the header). Budgets (environment variables): ``LAYERLOOM_MAX_CSV_BYTES`` (the file, default
100 MiB), ``LAYERLOOM_MAX_CSV_COLUMNS`` (10,000 columns) and ``LAYERLOOM_MAX_CSV_CELLS``
(20,000,000 values: rows × columns, each held as a string while the file is read).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataError, budget, over_budget

MAX_CSV_BYTES = 100 * 2**20
MAX_CSV_COLUMNS = 10_000
MAX_CSV_CELLS = 20_000_000
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})  # compared lowercased


@dataclass(frozen=True)
class Table:
    path: Path
    header: list[str]
    rows: list[list[str]]
    lines: list[int]  # 1-based line of each row in the file
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "index", {name: i for i, name in enumerate(self.header)})

    def column(self, name: str) -> list[str]:
        i = self.index.get(name)
        if i is None:
            shown = ", ".join(map(repr, self.header[:20]))
            more = f" and {len(self.header) - 20} more" if len(self.header) > 20 else ""
            raise DataError(f"no column {name!r}; the columns are {shown}{more}",
                            file=self.path)
        return [row[i] for row in self.rows]


def read_table(path: Path) -> Table:
    """The header and data rows of ``path``; blank lines are skipped.

    Raises DataError for a file that is too big, not UTF-8, empty, without data rows, with a
    duplicate column name, or with a row whose number of values differs from the header's.
    """
    size = path.stat().st_size
    most = budget("LAYERLOOM_MAX_CSV_BYTES", MAX_CSV_BYTES)
    if size > most:
        raise over_budget(f"the file is {size / 2**20:.0f} MB; CSV files are capped at "
                          f"{most / 2**20:.0f} MB", "LAYERLOOM_MAX_CSV_BYTES", file=path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise DataError("not UTF-8 text; save the file as UTF-8 CSV", file=path,
                        line=line) from None
    if not text.strip():
        raise DataError("the file is empty", file=path)
    delimiter = _delimiter(path, text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header, rows, lines = None, [], []
    first, first_line = [], 0  # the header line as written, for the checks after reading
    most_rows = 0
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = _header(path, row, reader.line_num)
                first, first_line = row, reader.line_num
                cells = budget("LAYERLOOM_MAX_CSV_CELLS", MAX_CSV_CELLS)
                most_rows = max(1, cells // len(header))
            elif len(rows) >= most_rows:
                raise DataError(f"more than {most_rows:,} rows of {len(header):,} columns; CSV "
                                f"files are capped at {cells:,} values (set "
                                f"LAYERLOOM_MAX_CSV_CELLS to change it)", file=path,
                                line=reader.line_num)
            elif len(row) != len(header):
                raise DataError(f"{len(row)} values, but the header has {len(header)} columns",
                                file=path, line=reader.line_num)
            else:
                rows.append(row)
                lines.append(reader.line_num)
    except csv.Error as err:
        raise DataError(f"not valid CSV ({err})", file=path, line=reader.line_num) from None
    if not rows:
        raise DataError("the file has a header but no data rows", file=path)
    if _looks_like_data(first, rows):
        raise _no_header(path, first, first_line)
    if _trailing_delimiter(first, rows):
        header = header[:-1]  # every line ends with the delimiter: no column, not a target
        for row in rows:
            del row[-1]
    if delimiter != ",":
        _decimal_commas(rows)
    return Table(path, header, rows, lines)


_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_WHOLE = re.compile(r"^\s*[+-]?\d+\s*$")


def _decimal_commas(rows: list[list[str]]) -> None:
    """Numbers written with a decimal comma (``3,14``: spreadsheets in much of Europe, with
    ``;`` between the values) read as numbers: in a column whose every value is such a
    number, a whole number or missing, the commas become points. Other columns are left as
    they are.

    >>> rows = [["3,5", "a,b", "1"], ["-0,25", "c", "2,0"]]
    >>> _decimal_commas(rows); rows
    [['3.5', 'a,b', '1'], ['-0.25', 'c', '2.0']]
    """
    if not rows:
        return
    for col in range(len(rows[0])):
        values = [row[col] for row in rows]
        commas = [bool(_DECIMAL_COMMA.match(v)) for v in values]
        if any(commas) and all(c or _WHOLE.match(v) or is_missing(v)
                               for c, v in zip(commas, values, strict=True)):
            for row, comma in zip(rows, commas, strict=True):
                if comma:
                    row[col] = row[col].replace(",", ".")


def _looks_like_data(first: list[str], rows: list[list[str]]) -> bool:
    """The header line holds a number, and each of its values is a number or a value of its
    column below (``0.126,-0.132,0.64,0.105,versicolor``): a file without a header, whose
    first row would silently become column names. Names that count 0, 1, 2, … or 1, 2, 3, …
    (pandas' and NumPy's unnamed columns) are names.

    >>> _looks_like_data(["5.1", "3.5", "setosa"], [["4.9", "3.0", "setosa"]])
    True
    >>> _looks_like_data(["0", "1", "2"], [["4.9", "3.0", "1"]])
    False
    >>> _looks_like_data(["country", "1990", "2000"], [["fr", "5", "6"]])
    False
    """
    cells = [cell.strip() for cell in first]
    numeric = [_is_number(cell) for cell in cells]
    if not any(numeric):
        return False
    if all(numeric) and all(cell.isdigit() for cell in cells) and \
            [int(cell) for cell in cells] in (list(range(len(cells))),
                                              list(range(1, len(cells) + 1))):
        return False
    return all(number or (cell and any(row[i].strip() == cell for row in rows))
               for i, (cell, number) in enumerate(zip(cells, numeric, strict=True)))


def _is_number(value: str) -> bool:
    if is_missing(value):
        return False
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _delimiter(path: Path, text: str) -> str:
    """Tab for .tsv; otherwise whichever of , ; | tab the header line holds most of outside
    quotes (``"Höhe, cm";"Breite, cm";Art``, as spreadsheets in much of Europe write it, is
    separated by ``;``).

    >>> _delimiter(Path("x.csv"), '"Höhe, cm";"Breite, cm";Art\\n2,04;-2,56;a')
    ';'
    """
    if path.suffix.lower() == ".tsv":
        return "\t"
    first = re.sub(r'"[^"]*"', "", text.lstrip().split("\n", 1)[0])
    return max(",;\t|", key=first.count) if any(c in first for c in ",;\t|") else ","


HEADER_BYTES = 1 << 20  # what read_header reads of a file: its header and first rows


def read_header(path: Path) -> list[str]:
    """The column names :func:`read_table` gives ``path``'s columns (a byte-order mark and
    spaces stripped, a blank name called ``column N``, a last column that every row leaves
    empty dropped), from its first rows only; [] for a file it could not read (loading it
    then says why)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(HEADER_BYTES)
        if len(raw) == HEADER_BYTES:  # a cut last line is no row
            raw = raw[:raw.rfind(b"\n") + 1] or raw
        text = raw.decode("utf-8-sig")
        if not text.strip():
            return []
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(path, text))
        rows = [row for row in itertools.islice(reader, 200) if any(c.strip() for c in row)]
        header = _header(path, rows[0], 1) if rows else []
    except (OSError, UnicodeDecodeError, csv.Error, DataError):
        return []
    body = [row for row in rows[1:] if len(row) == len(header)]
    return header[:-1] if body and _trailing_delimiter(rows[0], body) else header


def _trailing_delimiter(first: list[str], rows: list[list[str]]) -> bool:
    """Every line, the header ``first`` included, ends with the delimiter: its last "column"
    is none (and no target)."""
    return len(first) > 1 and not first[-1].strip() and all(not row[-1].strip() for row in rows)


def _header(path: Path, row: list[str], line: int) -> list[str]:
    most = budget("LAYERLOOM_MAX_CSV_COLUMNS", MAX_CSV_COLUMNS)
    if len(row) > most:
        raise DataError(f"the header has {len(row):,} columns; CSV files are capped at "
                        f"{most:,} columns (set LAYERLOOM_MAX_CSV_COLUMNS to change it)",
                        file=path, line=line)
    names = [cell.strip() or f"column {i + 1}" for i, cell in enumerate(row)]
    seen = set()
    for name in names:
        if name in seen and _is_number(name):  # a file without a header: its first row
            raise _no_header(path, row, line)
        if name in seen:
            raise DataError(f"column {name!r} appears twice in the header", file=path, line=line)
        seen.add(name)
    return names


def _no_header(path: Path, first: list[str], line: int) -> DataError:
    shown = ", ".join(repr(cell.strip()) for cell in first[:4])
    return DataError(f"looks like data, not column names ({shown}"
                     f"{', …' if len(first) > 4 else ''}): add a header row that names the "
                     f"columns", file=path, line=line)


def is_missing(value: str) -> bool:
    return value.strip().lower() in MISSING


def parse_numbers(values: list[str]) -> tuple[np.ndarray, list[int]]:
    """Floats of ``values`` (NaN where missing) and the positions of values that are not numbers.

    >>> parse_numbers(["1", " 2.5", "", "abc", "inf"])
    (array([1. , 2.5, nan, nan, nan]), [3, 4])
    """
    numbers = np.full(len(values), np.nan)
    bad = []
    for i, value in enumerate(values):
        if is_missing(value):
            continue
        try:
            number = float(value)
        except ValueError:
            bad.append(i)
            continue
        if math.isfinite(number):
            numbers[i] = number
        else:
            bad.append(i)
    return numbers, bad
