"""A table read from a file, held by column, and what its cells hold: missing values, dates,
numbers.

What every reader of a table (a CSV's text, a workbook's cells, UCI's ``.data``) gives the
loaders, and how they ask of a column whether it holds numbers, dates or gaps. Nothing here
reads a file.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .errors import DataError

# a spreadsheet's error cells (a formula that failed, saved as its error): missing values too
ERRORS = frozenset({"#n/a", "#div/0!", "#value!", "#ref!", "#name?", "#num!", "#null!"})
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"}) | ERRORS  # lowercased
# a dash among numbers marks a value missing (a spreadsheet's empty amount); among words it may
# be a value of its own (UCI's '+' and '-' classes), so it is missing only in a column of numbers
DASHES = frozenset({"-", "--", "\u2013", "\u2014"})


class Table:
    """A table's header and its values by column, each a list of text (``columns[j][i]``: row
    ``i``'s value in column ``j``), with the 1-based line of each row in the file.

    Held by column, as every loader reads it: a column's values are looked at together (is it
    numbers? dates? how many distinct values?), each distinct value once, and a column of
    300,000 rows is one list, not 300,000 rows to pick it out of.

    >>> t = Table(Path("t.csv"), ["a", "b"], [["1", "x"], ["2", "y"]], [2, 3])
    >>> t.columns, t.rows, t.column("b")
    ([['1', '2'], ['x', 'y']], [['1', 'x'], ['2', 'y']], ['x', 'y'])
    """

    def __init__(self, path: Path, header: list[str], rows: Iterable[list[str]] | None = None,
                 lines: list[int] | None = None, notes: list[str] | None = None,
                 written: dict[str, dict] | None = None, *,
                 columns: list[list[str]] | None = None):
        if columns is None:
            columns = [list(column) for column in zip(*rows)] if rows else []
            columns = columns or [[] for _ in header]
        self.path = path
        self.header = header
        self.columns = columns
        self.lines = lines if lines is not None else []  # 1-based line of each row in the file
        self.notes = notes if notes is not None else []  # how the file was read, where not plain
        # numeric columns written with a decimal comma or thousands separators: how, per column
        # ({"decimal": ",", "thousands": "."}), for the bundle and project that read such files
        # anew
        self.written = written if written is not None else {}
        self.index = {name: i for i, name in enumerate(header)}
        # each column's distinct values and numbers, found once: the loaders ask of a column
        # more than once whether it holds numbers, dates or gaps (free text? learnable? a
        # feature?), and each asking read every cell
        self.factors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.parsed: dict = {}

    def __len__(self) -> int:
        """The number of data rows."""
        return len(self.columns[0]) if self.columns else 0

    @property
    def rows(self) -> list[list[str]]:
        """The values row by row (a new list: made for a reader that wants rows)."""
        return [list(row) for row in zip(*self.columns)]

    def numbers(self, name: str, dashes: bool = False) -> tuple[np.ndarray, list[int]]:
        """:func:`parse_numbers` of column ``name`` (a copy: the caller may change it)."""
        codes, distinct = self.distinct(name)
        if name not in self.parsed:
            self.parsed[name] = read_numbers(distinct)
        numbers, bad = numbers_of(codes, distinct, self.parsed[name], dashes)
        return numbers, bad.tolist()

    def distinct(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """:func:`factorize` of column ``name``'s values, stripped (spaces around a value
        change neither its number, nor whether it is missing or a date)."""
        if name not in self.factors:
            self.factors[name] = factorize(list(map(str.strip, self.values(name))))
        return self.factors[name]

    def missing(self, name: str, dashes: bool = False) -> np.ndarray:
        """Which values of column ``name`` are missing (:func:`is_missing`; with ``dashes``,
        a dash too, as in a column of numbers)."""
        codes, distinct = self.distinct(name)
        return np.array([is_missing(value) or (dashes and value in DASHES)
                         for value in distinct], dtype=bool)[codes]

    def dates(self, name: str) -> bool:
        """:func:`dates` of column ``name``."""
        codes, distinct = self.distinct(name)
        return dates_among(distinct, np.bincount(codes, minlength=len(distinct)))

    def column(self, name: str) -> list[str]:
        """Column ``name``'s values (a copy: the caller may change it); a DataError naming the
        columns there are for a name the table lacks."""
        return list(self.values(name))

    def values(self, name: str) -> list[str]:
        """Column ``name``'s values as the table holds them, for reading only."""
        i = self.index.get(name)
        if i is None:
            shown = ", ".join(map(repr, self.header[:20]))
            more = f" and {len(self.header) - 20} more" if len(self.header) > 20 else ""
            raise DataError(f"no column {name!r}; the columns are {shown}{more}",
                            file=self.path)
        return self.columns[i]

    def taking(self, keep: list[int], notes: list[str] | None = None) -> Table:
        """The table of rows ``keep`` only (positions, in order), with ``notes``."""
        pick = operator.itemgetter(*keep) if len(keep) > 1 else None
        columns = [list(pick(column)) if pick else [column[i] for i in keep]
                   for column in self.columns]
        return Table(self.path, self.header, lines=[self.lines[i] for i in keep],
                     notes=self.notes if notes is None else notes, written=self.written,
                     columns=columns)

    def noted(self, notes: list[str]) -> Table:
        """The same table (its values shared, and the numbers read of them) with ``notes``."""
        kept = Table(self.path, self.header, lines=self.lines, notes=notes,
                     written=self.written, columns=self.columns)
        kept.factors.update(self.factors)
        kept.parsed.update(self.parsed)
        return kept


def is_number(value: str) -> bool:
    if is_missing(value):
        return False
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


_TIME = r"( ?[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?( ?[AaPp][Mm])?)?( ?(Z|[+-]\d{2}:?\d{2}))?"
DATE = re.compile(rf"^\d{{4}}(?P<a>[-/.])\d{{1,2}}(?P=a)\d{{1,2}}{_TIME}$"  # 2024-03-01
                  rf"|^\d{{1,2}}(?P<b>[./-])\d{{1,2}}(?P=b)\d{{2,4}},?{_TIME}$")  # 3/1/24 2:05 PM


def dates(values: list[str]) -> bool:
    """Whether 9 in 10 of the values present are dates (or dates and times): a column that is
    neither free text nor categories that carry over to new rows."""
    counts = Counter(map(str.strip, values))  # each distinct value looked at once
    return dates_among(list(counts), list(counts.values()))


def dates_among(distinct, counts) -> bool:
    """:func:`dates` of a column whose distinct values (stripped) are ``distinct``, each
    ``counts`` times."""
    most = 0.1 * sum(counts)  # more values present than this not dates: no column of dates
    total = others = 0
    for value, n in zip(distinct, counts):
        if is_missing(value):
            continue
        total += n
        if not DATE.match(value):
            others += n
            if others > most:  # a column of words or numbers tells early
                return False
    return total > 0 and total - others >= 0.9 * total


def is_missing(value: str) -> bool:
    return value.strip().lower() in MISSING


def parse_numbers(values: list[str], dashes: bool = False) -> tuple[np.ndarray, list[int]]:
    """Floats of ``values`` (NaN where missing) and the positions of values that are not numbers.
    With ``dashes``, a dash (``-``, ``–``) is missing too, as in a column of numbers.

    The values are read as Python's ``float`` reads them. pandas' parser, in C, reads the plain
    numbers of a column at once; only the cells it leaves unread (missing ones, words, forms
    only ``float`` takes such as ``1_000``) are looked at one by one, and a cell without a
    digit is no number without a ``float`` tried on it (a column of 300,000 words raised
    300,000 exceptions).

    >>> parse_numbers(["1", " 2.5", "", "abc", "inf"])
    (array([1. , 2.5, nan, nan, nan]), [3, 4])
    >>> parse_numbers(["1", " - "], dashes=True)
    (array([ 1., nan]), [])
    >>> parse_numbers(["1_000", "١٢", "NaN", "0x10"])
    (array([1000.,   12.,   nan,   nan]), [3])
    """
    codes, distinct = factorize(values)  # each value read once
    numbers, bad = numbers_of(codes, distinct, read_numbers(distinct), dashes)
    return numbers, bad.tolist()


def read_numbers(distinct: np.ndarray) -> np.ndarray:
    """The number of each of the ``distinct`` values: NaN where missing, -inf where it is not a
    number (a dash among them). pandas' parser, in C, reads the plain numbers at once; the
    values it leaves unread are looked at one by one."""
    import pandas as pd  # its C parser; imported here, where a table is read

    read = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce")
    read = read.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    unread = np.flatnonzero(~np.isfinite(read))  # missing, words, inf, 1_000: one by one
    read[unread] = [np.nan if value.strip().lower() in MISSING else  # is_missing, inline
                    -np.inf if not _DIGIT.search(value) else _number_or_not(value, False)
                    for value in distinct[unread].tolist()]
    return read


def numbers_of(codes: np.ndarray, distinct: np.ndarray, read: np.ndarray,
               dashes: bool) -> tuple[np.ndarray, np.ndarray]:
    """The numbers of a column (NaN where missing) and the positions of its values that are
    not numbers, from its :func:`factorize` and its :func:`read_numbers`; with ``dashes``, a
    dash is missing too."""
    if dashes:
        read = read.copy()
        for k in np.flatnonzero(np.isneginf(read)).tolist():
            if distinct[k].strip() in DASHES:
                read[k] = np.nan
    numbers = read[codes]  # NaN: missing, or not a number (then -inf below)
    bad = np.flatnonzero(np.isneginf(numbers))
    numbers[bad] = np.nan
    return numbers, bad


def factorize(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, distinct)``: each value's position among the distinct values, in the order
    they first come, by pandas' hashing in C (a column of 300,000 cells repeats its values).

    >>> codes, distinct = factorize(["b", "a", "b"])
    >>> codes.tolist(), distinct.tolist()
    ([0, 1, 0], ['b', 'a'])
    """
    import pandas as pd

    return pd.factorize(np.asarray(values, dtype=object))


def missing_mask(values: list[str], dashes: bool = False) -> np.ndarray:
    """Which of ``values`` are missing (:func:`is_missing`; with ``dashes``, a dash too, as in
    a column of numbers), each distinct value looked at once.

    >>> missing_mask(["a", " ", "NA", "a", "-"]).tolist()
    [False, True, True, False, False]
    """
    import pandas as pd

    if not len(values):
        return np.zeros(0, dtype=bool)
    codes, distinct = pd.factorize(np.asarray(values, dtype=object))
    return np.array([is_missing(value) or (dashes and value.strip() in DASHES)
                     for value in distinct], dtype=bool)[codes]


def _number_or_not(value: str, dashes: bool) -> float:
    """One cell as :func:`parse_numbers` reads it: its finite number, NaN where missing, and
    -inf where it is not a number."""
    if is_missing(value) or (dashes and value.strip() in DASHES):
        return np.nan
    if not _DIGIT.search(value):
        return -np.inf
    try:
        number = float(value)
    except ValueError:
        return -np.inf
    return number if math.isfinite(number) else -np.inf


_DIGIT = re.compile(r"\d")  # what any finite number float reads holds
