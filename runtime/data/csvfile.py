"""Reading a CSV file into checked rows of text, with the line number of every row.

Shared by tabular and text CSVs, and by workbooks and UCI's ``.data`` files (their checks of
the header and the rows: :func:`table_of`). The rows go into a :class:`~.table.Table`; numbers
written with separators or signs are rewritten by ``written.py``. Nothing else is converted
here; the loaders decide what each column holds, and cite ``Table.lines`` in their errors.

Reading is linear in the file's size (a column is found by name in a dict, not by a search of
the header). Budgets (environment variables): ``LAYERLOOM_MAX_CSV_BYTES`` (the file, default
100 MiB), ``LAYERLOOM_MAX_CSV_COLUMNS`` (10,000 columns) and ``LAYERLOOM_MAX_CSV_CELLS``
(20,000,000 values: rows × columns, each held as a string while the file is read).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .errors import DataError, budget, over_budget
from .points import THREE_AFTER_POINT, points_as_thousands
from .sniff import refuse_misnamed, refuse_other_text
from .table import MISSING, Table, is_missing, is_number
from .written import (may_hold_written, negatives_in_parentheses, number_form,
                      numbers_as_written, written_notes)

MAX_CSV_BYTES = 100 * 2**20
MAX_CSV_COLUMNS = 10_000
MAX_CSV_CELLS = 20_000_000


def within_budget(path: Path, what: str) -> int:
    """The byte budget of a table file (``LAYERLOOM_MAX_CSV_BYTES``); a DataError where the
    file at ``path`` is past it, saying that ``what`` (CSV files, workbooks…) are capped there."""
    size = path.stat().st_size
    most = budget("LAYERLOOM_MAX_CSV_BYTES", MAX_CSV_BYTES)
    if size > most:
        raise over_budget(f"the file is {size / 2**20:.0f} MB; {what} are capped at "
                          f"{most / 2**20:.0f} MB", "LAYERLOOM_MAX_CSV_BYTES", file=path)
    return most


def read_table(path: Path) -> Table:
    """The header and data rows of ``path``; blank lines are skipped.

    Raises DataError for a file that is too big, a spreadsheet or binary file, empty, without
    data rows, with a duplicate column name, or with a row whose number of values differs from
    the header's. Text that is not UTF-8 is read as Windows-1252, and numbers written with a
    decimal comma or thousands separators as numbers; ``Table.notes`` says so. A ``.data`` or
    ``.dat`` file is read as UCI writes them (see ``datafile.py``).
    """
    if path.suffix.lower() in (".data", ".dat"):
        from .datafile import read_data_table  # built on this module's reading

        return read_data_table(path)
    within_budget(path, "CSV files")
    text, notes = decode_text(path, path.read_bytes())
    if not text.strip():
        raise DataError("the file is empty", file=path)
    refuse_other_text(path, text, "CSV text")  # JSON lines named .csv
    _refuse_fasttext(path, text)
    delimiter = _delimiter(path, text)
    if path.suffix.lower() == ".txt" and delimiter not in text.lstrip().split("\n", 1)[0]:
        raise _plain_text(path)
    text = _without_sep_line(text)
    reader = csv.reader(lines_of(text), delimiter=delimiter, strict=True)
    began = [1]  # the line the row being read begins on

    def rows():
        for row in reader:
            yield row, reader.line_num
            began[0] = reader.line_num + 1

    try:
        return table_of(path, rows(), notes, delimiter=delimiter,
                        maybe_written=may_hold_written(text, delimiter), parentheses="(" in text,
                        points=delimiter != "," and bool(THREE_AFTER_POINT.search(text)))
    except csv.Error as err:
        if began[0] < reader.line_num:  # a quote left open runs the row on over the next lines
            raise DataError(f"not valid CSV ({err} on line {reader.line_num}): a value quoted "
                            f"here runs on to line {reader.line_num}; close its quote (a quote "
                            f"inside a quoted value is written twice: \"\")", file=path,
                            line=began[0]) from None
        raise DataError(f"not valid CSV ({err})", file=path, line=reader.line_num) from None


LINES_BLOCK = 1 << 20  # characters of text split into lines at a time


def lines_of(text: str) -> Iterable[str]:
    """The lines of ``text`` one at a time, each with its line break, split where
    ``io.StringIO(text, newline="")`` splits them (``\\r\\n``, ``\\r``, ``\\n``): what
    ``csv.reader`` reads. A StringIO of the whole text holds it four bytes a character, 200 MB
    for a 50 MB file, for as long as the file is read; one of about a megabyte at a time,
    each cut after a ``\\n``, splits as fast and holds little.

    >>> list(lines_of("a,b\\r\\n1,2\\r3,4\\n5"))
    ['a,b\\r\\n', '1,2\\r', '3,4\\n', '5']
    """
    start = 0
    while start < len(text):
        end = text.find("\n", start + LINES_BLOCK)
        end = len(text) if end < 0 else end + 1
        yield from io.StringIO(text[start:end], newline="")
        start = end


def table_of(path: Path, lines: Iterable[tuple[list[str], int]], notes: list[str], *,
             delimiter: str = ",", maybe_written: bool = True, points: bool = False,
             parentheses: bool = True) -> Table:
    """The checked :class:`Table` of rows of text, each with its 1-based line (or row) in the
    file: the first non-blank row is the header. What every reader of a table shares (a CSV's
    text, a workbook's cells): the budgets, the header's checks, rows as wide as the header,
    a file without a header refused, numbers written with separators or signs read as
    numbers. ``maybe_written`` false spares the look at every value for such numbers, and
    ``parentheses`` false the look for negatives in parentheses; with ``points``, a point
    before three digits may separate thousands (a file separated by ``;`` or tabs)."""
    header, columns, numbers = None, [], []
    first, first_line = [], 0  # the header line as written, for the checks after reading
    most_rows = width = 0
    chunk: list[list[str]] = []  # rows read, not yet added to their columns
    memos: list[dict | None] = []  # a column's repeated values, each held once (or None)
    ragged: list[tuple[int, int]] = []  # the line and width of each row not as wide as the
    hint = ""  # header, all said at once; and how to save a file of decimal commas
    repeats: list[int] = []  # the lines that repeat the header, as files joined one after another
    ended: list[int] = []  # the lines ending with a delimiter after the header's last column
    short: list[int] = []  # the lines one value short of a header whose last column is named,
    # read with it empty while every row so far is (a column no row fills, no delimiter kept)
    try:
        for row, line in lines:
            if width and len(row) == width + 1 and not row[-1].strip() and \
                    "".join(row).strip():  # a delimiter after the last value: no value there
                row = row[:-1]
                ended.append(line)
            elif width > 1 and len(row) == width - 1 and not first[-1].strip() and \
                    "".join(row).strip():  # the header ends with a delimiter, the row does not
                row = [*row, ""]
            elif width > 2 and len(row) == width - 1 and len(short) == len(numbers) and \
                    "".join(row).strip():  # so far no row has a value for the last column
                # (of two names over one value a line, prose is more likely: said below)
                row = [*row, ""]
                short.append(line)
            if len(row) == width and len(numbers) < most_rows:  # a row of the table
                if (row[0] and not row[0].isspace()) or "".join(row).strip():  # not blank
                    if (row[0].strip() or "column 1") == header[0] and header_again(row, header):
                        repeats.append(line)
                        continue
                    chunk.append(row)
                    numbers.append(line)
                    if len(chunk) == CHUNK_ROWS:
                        _add_rows(columns, memos, chunk)
                continue
            if not "".join(row).strip():  # a blank line, or only delimiters
                continue
            if header is None:
                header = _header(path, row, line)
                first, first_line, width = row, line, len(header)
                cells = budget("LAYERLOOM_MAX_CSV_CELLS", MAX_CSV_CELLS)
                most_rows = max(1, cells // len(header))
                columns = [[] for _ in header]
                memos = [None] * width
            elif len(numbers) >= most_rows:
                raise DataError(f"more than {most_rows:,} rows of {len(header):,} columns; "
                                f"{_files(path)} are capped at {cells:,} values (set "
                                f"LAYERLOOM_MAX_CSV_CELLS to change it)", file=path, line=line)
            elif not ragged and len(row) > len(header) and _comments_above(first, chunk, numbers):
                raise _comments(path, [first_line, *numbers], row, line)
            elif not numbers and not ragged and len(row) > len(header) and \
                    _title_above(first, row):
                raise _title(path, first, first_line, row, line)
            elif not numbers and not ragged and path.suffix.lower() == ".txt":
                raise _plain_text(path)  # prose, its first line holding a comma
            else:
                if not ragged and not numbers and delimiter == "," and \
                        len(row) > len(header) and re.search(r"\d,\d", ",".join(row)):
                    hint = ("; where numbers are written with a decimal comma (3,14), save "
                            "the file with ';' between the values, or put those numbers in "
                            "quotes")  # told from the first row
                elif not ragged and delimiter == "," and len(row) > len(header) and \
                        (text := _comma_in_text(row)):
                    hint = (f"; where a text holds a comma ({text}), put the text in quotes "
                            f"(\"{text}\"), or save the file with tabs between the values")
                ragged.append((line, len(row)))
    except csv.Error:
        if not ragged:
            raise
    if short and len(short) < len(numbers):  # some rows fill the last column: these are short
        ragged = sorted([*ragged, *((line, width - 1) for line in short)])
    if ragged:  # every row as wide as the header but these: named at once
        raise _ragged(path, ragged, len(header), hint)
    if short:
        notes = [*notes, f"every row holds one value fewer than the header's {width} columns: "
                         f"its last column, {header[-1]!r}, read as empty on every row"]
    if header is None:
        raise DataError("the file is empty", file=path)
    _add_rows(columns, memos, chunk)
    if not numbers:
        raise DataError("the file has a header but no data rows", file=path)
    top = [column[0] for column in columns]
    if len(numbers) > 1 and _title_above(first, top) and any(
            is_number(value) for column in columns for value in column[1:]):
        raise _title(path, first, first_line, top, numbers[0])  # names above numbers
    if len(numbers) > 1 and _names_below(first, columns):
        raise _two_line_header(path, first, first_line, top, numbers[0])
    commas = delimiter != ","  # a comma may be the decimal mark, and a point thousands
    if _looks_like_data(first, columns, commas=commas):
        raise _no_header(path, first, first_line, delimiter)
    notes = notes + _shape_notes(repeats, ended, numbers, delimiter)
    empty = _trailing_empty(first, columns)
    if empty:  # every line ends with delimiters: no columns, and no target
        header = header[:-empty]
        del columns[-empty:]
    notes = notes + (negatives_in_parentheses(header, columns, commas) if parentheses else [])
    written, examples = numbers_as_written(header, columns, commas=commas) \
        if maybe_written else ({}, {})
    unsure = []
    if commas and points:  # 1.250: a decimal point, or thousands?
        grouped, shown, unsure = points_as_thousands(header, columns, written, MISSING)
        written, examples = {**written, **grouped}, {**examples, **shown}
    return Table(path, header, lines=numbers, columns=columns,
                 notes=notes + written_notes(written, examples) + unsure, written=written)


def header_again(row: list[str], header: list[str]) -> bool:
    """Whether ``row`` (as wide as the header) names the columns as the ``header`` does (blank
    names as ``column N``): the header again, where files of one table were joined one after
    another, each with its header.

    >>> header_again([" age", "label "], ["age", "label"]), header_again(["4", "a"], ["age", "a"])
    (True, False)
    """
    return all((cell.strip() or f"column {i + 1}") == name
               for i, (cell, name) in enumerate(zip(row, header, strict=True)))


def _shape_notes(repeats: list[int], ended: list[int], rows: list[int],
                 delimiter: str) -> list[str]:
    """What was left out of the lines read: the header where it comes again (``repeats``), a
    delimiter after the last column (``ended``; ``rows``: the lines of the table's rows).

    >>> _shape_notes([22], [2, 3, 4], [2, 3, 4, 23], ",")
    ['line 22 repeats the header (as files joined one after another do): left out', "lines 2–4 (3 of 4 rows) end with ',' after the header's last column, with no value after it: read as ending there"]
    """
    notes = []
    if repeats:
        notes.append(f"{_lines_said(repeats)} repeat{'s' if len(repeats) == 1 else ''} the "
                     f"header (as files joined one after another do): left out")
    if ended:
        which = f"every row ({_lines_said(ended)}) ends" if len(ended) == len(rows) else \
            f"{_lines_said(ended)} ({len(ended):,} of {len(rows):,} rows) end" \
            + ("s" if len(ended) == 1 else "")
        notes.append(f"{which} with {delimiter!r} after the header's last column, with no "
                     f"value after it: read as ending there")
    return notes


def _lines_said(lines: list[int]) -> str:
    """``line 7``, ``lines 2–41`` (one run), ``lines 3, 9, 12 …``.

    >>> _lines_said([7]), _lines_said([2, 3, 4]), _lines_said([3, 9, 12, 15])
    ('line 7', 'lines 2–4', 'lines 3, 9, 12 …')
    """
    if len(lines) == 1:
        return f"line {lines[0]}"
    if lines[-1] - lines[0] == len(lines) - 1:
        return f"lines {lines[0]}–{lines[-1]}"
    return "lines " + ", ".join(map(str, lines[:3])) + (" …" if len(lines) > 3 else "")


def _comma_in_text(row: list[str]) -> str | None:
    """Two values of ``row`` that read as one text cut at its comma (a word, then a space and
    a word: ``boring, I left early``), joined again; None where none do.

    >>> _comma_in_text(["boring", " I left early", "neg"])
    'boring, I left early'
    >>> _comma_in_text(["3", "14", "a"]) is None
    True
    """
    for before, after in itertools.pairwise(row):
        if before.strip() and before.rstrip()[-1].isalpha() and after[:1].isspace() and \
                after.strip()[:1].isalpha():
            return f"{before.strip()},{after.rstrip()}"
    return None


RAGGED_SHOWN = 8  # the rows not as wide as the header named, after the first


def _ragged(path: Path, ragged: list[tuple[int, int]], width: int, hint: str) -> DataError:
    """The rows (``(line, values)``) not as wide as the header, named at once: the first as
    the error's line, the others after it, the first :data:`RAGGED_SHOWN` of them.

    >>> print(_ragged(Path("t.csv"), [(6, 2), (10, 4), (31, 1)], 3, ""))
    t.csv, line 6: 2 values, but the header has 3 columns; so do 2 more rows: line 10 (4 values) and line 31 (1 value)
    """
    (line, values), others = ragged[0], ragged[1:]
    more = ""
    if others:
        shown = [f"line {at} ({n} value{'' if n == 1 else 's'})"
                 for at, n in others[:RAGGED_SHOWN]]
        rest = len(others) - len(shown)
        listed = ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 and not rest \
            else ", ".join(shown) + (f" and {rest} more" if rest else "")
        more = (f"; so do{'es' if len(others) == 1 else ''} {len(others)} more "
                f"row{'' if len(others) == 1 else 's'}: {listed}")
    return DataError(f"{values} value{'' if values == 1 else 's'}, but the header has {width} "
                     f"columns{more}{hint}", file=path, line=line)


CHUNK_ROWS = 4096  # rows read before they are added to their columns, as one list each
SHARED_SAMPLE = 1000  # rows that tell which columns repeat their values
SHARED_MOST = 100_000  # distinct values a column's memo holds before it stops sharing


def _add_rows(columns: list[list[str]], memos: list[dict | None],
              chunk: list[list[str]]) -> None:
    """The rows of ``chunk`` added to ``columns`` (and ``chunk`` emptied), each repeated value
    of a column that repeats its values (categories, dates, flags) held as one string:
    csv.reader makes a new string for every cell, and a 300,000-row file's category and date
    columns held 2.4 million copies of a few thousand values (130 MB). Which columns repeat
    theirs is told from the first chunk of :data:`SHARED_SAMPLE` rows or more (at most half
    their values distinct); a column that turns out to hold more than :data:`SHARED_MOST`
    values is let go. A chunk's values are matched to the held ones by pandas' hashing, in C,
    each distinct value of the chunk once (a dict lookup a cell took 0.2 s a 60,000 rows)."""
    if not chunk:
        return
    import pandas as pd

    decide = not columns[0] and len(chunk) >= SHARED_SAMPLE
    for j, values in enumerate(zip(*chunk)):
        if decide and len(set(values)) <= len(values) // 2:
            memos[j] = {}
        memo = memos[j]
        if memo is None:
            columns[j].extend(values)
            continue
        codes, distinct = pd.factorize(np.asarray(values, dtype=object))
        held = np.empty(len(distinct), dtype=object)
        held[:] = [memo.setdefault(value, value) for value in distinct.tolist()]
        columns[j].extend(held[codes].tolist())
        if len(memo) > SHARED_MOST:
            memos[j] = None
    chunk.clear()


def _title_above(first: list[str], row: list[str]) -> bool:
    """The first line holds one value and the next several, none of them a number: maybe a
    title above the table's header (``Sales report 2024``), as a sheet often has. (The
    caller checks numbers follow where the lines are as wide.)

    >>> _title_above(["Sales 2024", "", ""], ["age", "income", "label"])
    True
    >>> _title_above(["name"], ["Ann", "7"])
    False
    """
    names = [cell.strip() for cell in row if cell.strip()]
    return sum(bool(cell.strip()) for cell in first) == 1 and len(row) >= len(first) and \
        len(names) >= 2 and not any(is_number(name) for name in names)


def _comments_above(first: list[str], chunk: list[list[str]], numbers: list[int]) -> bool:
    """Whether the lines read so far (the header ``first``, then the rows in ``chunk`` at
    ``numbers``) all start with '#', as comments do (``# exported by tool v1``): what comes
    next, wider, is the table. A header whose first column is named '#' is followed by rows as
    wide as it, and never gets here."""
    return (first[0].lstrip().startswith("#") and len(chunk) == len(numbers)
            and all(row[0].lstrip().startswith("#") for row in chunk))


def _comments(path: Path, lines: list[int], row: list[str], line: int) -> DataError:
    shown = ", ".join(cell.strip() for cell in row[:6]) + (", …" if len(row) > 6 else "")
    which = (f"line {lines[0]} starts" if len(lines) == 1
             else f"lines {lines[0]}–{lines[-1]} start")
    return DataError(f"{which} with '#', as comment lines do, above the table's header (line "
                     f"{line}: {shown}); delete {'it' if len(lines) == 1 else 'them'} and load "
                     f"the file again", file=path, line=lines[0])


def _title(path: Path, first: list[str], first_line: int, row: list[str],
           line: int) -> DataError:
    shown = ", ".join(cell.strip() for cell in row[:6]) + (", …" if len(row) > 6 else "")
    return DataError(f"{next(c for c in first if c.strip()).strip()!r} reads as a title above "
                     f"the table, not as its header; delete what is above the header row "
                     f"(line {line}: {shown}) and load the file again", file=path,
                     line=first_line)


def _names_below(first: list[str], columns: list[list[str]]) -> bool:
    """The header ``first`` leaves a name blank where the first row below holds a word over
    numbers, and that row holds no number: a header over two lines,
    as a sheet's cells merged across columns make one (``Size`` over ``width``, ``height``;
    a label's name merged down over both lines leaves its cell in the second line blank).

    >>> _names_below(["Size", "", "label"], [["width", "1", "2"], ["height", "3", "4"],
    ...                                      ["", "a", "b"]])
    True
    >>> _names_below(["", "age", "label"], [["Ann", "Bob"], ["x", "41"], ["a", "b"]])
    False
    """
    top = [column[0].strip() for column in columns]
    named = [column for name, value, column in zip(first, top, columns)
             if not name.strip() and value and not is_missing(value)]
    if not named or any(is_number(value) for value in top):
        return False  # no blank name over a word; a row of data
    return any(_numbers_below(column[1:101]) for column in named)


def _numbers_below(values: list[str]) -> bool:
    """Nine in ten of the ``values`` present are numbers."""
    present = [value for value in values if not is_missing(value)]
    return bool(present) and sum(map(is_number, present)) >= 0.9 * len(present)


def _two_line_header(path: Path, first: list[str], first_line: int, top: list[str],
                     line: int) -> DataError:
    """A header over two lines (see :func:`_names_below`), said with the one line of names
    that would read: each column's name from the second line, else from the first."""
    names = [value.strip() or name.strip() or f"column {i + 1}"
             for i, (name, value) in enumerate(zip(first, top))]
    starts = [i for i, name in enumerate(first[:-1]) if name.strip() and not first[i + 1].strip()]
    over = ""
    if starts:  # the first name over several columns, and those it stands over
        j = k = starts[0]
        k += 1
        while k < len(first) and not first[k].strip():
            k += 1
        under = [top[i].strip() for i in range(j, k) if top[i].strip()]
        over = f" ({first[j].strip()!r} over {', '.join(map(repr, under))})"
    shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
    return DataError(f"the header runs over two lines, {first_line} and {line}, as cells merged "
                     f"across columns make one{over}: each column needs its name in one line; "
                     f"write the names in one line ({shown}), delete the other, and load the "
                     f"file again", file=path, line=first_line)


def _refuse_fasttext(path: Path, text: str) -> None:
    """A file in fastText's format (``__label__pos great movie`` on each line, as text
    classification sets such as Amazon's reviews come) is refused saying so and how to save
    it, where it read as a table of ragged rows (split at the commas of its texts)."""
    lines = [line for line in text[:1 << 16].splitlines()[:50] if line.strip()]
    labelled = [line for line in lines if line.lstrip().startswith("__label__")]
    if not lines or len(labelled) < 0.9 * len(lines):
        return
    first = labelled[0].split(None, 1)
    label, words = first[0].removeprefix("__label__"), (first[1:] or [""])[0]
    raise DataError(f"holds fastText's format (a label written __label__{label} before each "
                    f"text), which is not read as a table: save it as a CSV of two columns, "
                    f"text and label, one row per line ({_quoted(words[:40])},{label} for its "
                    f"first line), and load that", file=path, line=1)


def _quoted(text: str) -> str:
    """``text`` as one CSV value: in double quotes where it holds a comma, a quote or a
    line break (its quotes doubled)."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _plain_text(path: Path) -> DataError:
    return DataError("reads as plain text, not a table: its lines do not hold as many values, "
                     "separated by a tab, ';' or ',', as its first. Training needs samples and "
                     "their labels: a table (CSV, or Excel's Text (Tab delimited)) of one row "
                     "per sample, with a column of labels; for texts, a column of texts and "
                     "one of labels", file=path, line=1)


BINARY = {b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip file",
          b"\xd0\xcf\x11\xe0": "an Excel 97-2003 workbook (.xls)"}


def decode_text(path: Path, raw: bytes) -> tuple[str, list[str]]:
    """The text of a CSV file's bytes, and a note when it was not UTF-8.

    UTF-8 (with or without a byte-order mark) is read as it is; UTF-16 with its byte-order mark
    (Excel's "Unicode Text") too. Other bytes are read as Windows-1252, the Western European
    code page Excel saves "CSV (Comma delimited)" in on Windows (Latin-1 is its subset), and the
    note says so and where the first such character is. A spreadsheet or other binary file is
    refused, named for what it is.

    >>> text, notes = decode_text(Path("p.csv"), "city;n\\r\\nSète;1\\r\\n".encode("cp1252"))
    >>> text.split()[1], notes[0][:52]
    ('Sète;1', 'not UTF-8 text: read as Windows-1252 (Western Europe')
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), []
        except UnicodeDecodeError:
            raise DataError("starts as UTF-16 text but is not valid UTF-16; save the file as "
                            "CSV UTF-8", file=path, unreadable=True) from None
    refuse_misnamed(path, raw, "CSV text")  # a Parquet file, a workbook… named .csv
    for magic, what in BINARY.items():
        if raw.startswith(magic):
            raise DataError(f"is {what}, not CSV text; save it as CSV (CSV UTF-8 in Excel's "
                            f"Save As) and load that file", file=path, unreadable=True)
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
    if b"\x00" in raw:
        raise DataError("holds binary data (NUL bytes), not text; save the file as CSV UTF-8",
                        file=path, line=raw[:raw.index(b"\x00")].count(b"\n") + 1,
                        unreadable=True)
    try:
        text, code = raw.decode("cp1252"), "Windows-1252 (Western European, as Excel saves " \
            "a CSV on Windows)"
    except UnicodeDecodeError:
        text, code = raw.decode("latin-1"), "Latin-1 (ISO-8859-1)"
    return text, [f"not UTF-8 text: read as {code} from line {line} on; if accented letters "
                  f"look wrong, save the file as CSV UTF-8"]



def _looks_like_data(first: list[str], columns: list[list[str]], commas: bool = False) -> bool:
    """The header line holds a number, and each of its values is a number or a value of its
    column below (``0.126,-0.132,0.64,0.105,versicolor``), or it is a text and its label
    (:func:`_texts_and_labels`): a file without a header, whose first row would silently
    become column names. Names that count 0, 1, 2, … or 1, 2, 3, …
    (pandas' and NumPy's unnamed columns) are names.

    >>> _looks_like_data(["5.1", "3.5", "setosa"], [["4.9"], ["3.0"], ["setosa"]])
    True
    >>> _looks_like_data(["0", "1", "2"], [["4.9"], ["3.0"], ["1"]])
    False
    >>> _looks_like_data(["country", "1990", "2000"], [["fr"], ["5"], ["6"]])
    False
    """
    cells = [cell.strip() for cell in first]
    numeric = [is_number(cell) or number_form([cell], commas) is not None for cell in cells]
    if not any(numeric):
        return _texts_and_labels(cells, columns)
    if all(numeric) and all(cell.isdigit() for cell in cells) and \
            [int(cell) for cell in cells] in (list(range(len(cells))),
                                              list(range(1, len(cells) + 1))):
        return False
    return all(number or (cell and any(value.strip() == cell for value in columns[i]))
               for i, (cell, number) in enumerate(zip(cells, numeric, strict=True)))


SENTENCE_WORDS = 4  # as text.FREE_TEXT_WORDS: a column this many words a value is texts


def _texts_and_labels(cells: list[str], columns: list[list[str]]) -> bool:
    """Each value of the header line (stripped: ``cells``) is a value of its column below (a
    label) or, over a column of texts, a text of several words itself, one of each at least:
    a file of texts and their labels without a header, one sentence a line, whose first
    sentence would silently become a column's name and its first label the other's.

    >>> _texts_and_labels(["the film was great fun", "pos"],
    ...                   [["a dull and slow plot", "I loved every minute of it"], ["neg", "pos"]])
    True
    >>> _texts_and_labels(["review of the film", "label"], [["a dull and slow plot"], ["pos"]])
    False
    """
    labels = texts = False
    for cell, column in zip(cells, columns, strict=True):
        if len(cell.split()) >= SENTENCE_WORDS and \
                _mean_words(column[:100]) >= SENTENCE_WORDS:
            texts = True
        elif cell and cell in column:  # as written: a label repeats
            labels = True
        else:
            return False
    return labels and texts


def _mean_words(values: list[str]) -> float:
    return sum(len(value.split()) for value in values) / len(values) if values else 0.0




def _delimiter(path: Path, text: str) -> str:
    """Tab for .tsv (whose first line holds one), or what Excel's ``sep=;`` first line names; ``;`` where every comma of the
    first line sits between digits (``7,76;3,79``: decimal commas); otherwise, of those of tab
    ; | , that every one of the first lines holds as often as the header outside quotes (or,
    where none does, of all four), the one the header holds most of, the first of them in
    that order on a tie (``Höhe, cm;Breite, cm;Art``: ``;``).

    >>> _delimiter(Path("x.csv"), '"Höhe, cm";"Breite, cm";Art\\n2,04;-2,56;a')
    ';'
    >>> _delimiter(Path("x.csv"), 'Höhe, cm;Breite, cm;Art\\n2,04;-2,56;a')
    ';'
    >>> _delimiter(Path("x.csv"), '7,76;3,79\\n'), _delimiter(Path("x.csv"), 'a,b;c,d\\n')
    (';', ',')
    >>> _delimiter(Path("x.csv"), 'id,tags\\n1,a;b\\n2,c\\n'), _delimiter(Path("x.csv"), 'sep=|\\n')
    (',', '|')
    """
    if path.suffix.lower() == ".tsv" and "\t" in text.lstrip()[:HEADER_BYTES].split("\n", 1)[0]:
        return "\t"  # a .tsv without a tab on its first line is read for what it holds
    named = SEP_LINE.match(text)
    if named:
        return named.group(1)
    bare = re.sub(r'"[^"]*"', "", text[:HEADER_BYTES])
    lines = [line for line in bare.split("\n", 51)[:50] if line.strip()]
    first = lines[0] if lines else ""
    if ";" in first and len(re.findall(r"\d,\d", first)) == first.count(","):
        return ";"  # 7,76;3,79 (a first line of data): its commas are decimal commas
    steady = [c for c in "\t;|," if first.count(c)
              and all(line.count(c) == first.count(c) for line in lines)]
    return max(steady or ",;\t|", key=first.count) if any(c in first for c in ",;\t|") \
        else ","


SEP_LINE = re.compile(r"\A\s*sep=([^\s\w\"])[ \t]*\r?\n")  # Excel's line naming the separator


def _without_sep_line(text: str) -> str:
    """``text`` with Excel's ``sep=;`` first line blanked (its line count kept)."""
    named = SEP_LINE.match(text)
    return "\n" * named.group(0).count("\n") + text[named.end():] if named else text


HEADER_BYTES = 1 << 20  # what read_header reads of a file: its header and first rows


def read_header(path: Path, sheet: str | None = None) -> list[str]:
    """The column names :func:`read_table` gives ``path``'s columns (a byte-order mark and
    spaces stripped, a blank name called ``column N``, a last column that every row leaves
    empty dropped), from its first rows only; [] for a file it could not read (loading it
    then says why). For a workbook (.xlsx), those of ``sheet`` (default: the first); for
    Parquet and JSON lines, those of :func:`~.records.read_records_header`."""
    if path.suffix.lower() in (".data", ".dat"):
        from .datafile import read_data_header

        return read_data_header(path)
    if path.suffix.lower() == ".xlsx":
        from .workbook import read_workbook_header  # built on this module's checks

        return read_workbook_header(path, sheet)
    if path.suffix.lower() in (".parquet", ".jsonl", ".ndjson"):
        from .records import read_records_header  # built on this module's checks

        return read_records_header(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(HEADER_BYTES)
        if len(raw) == HEADER_BYTES:  # a cut last line is no row
            raw = raw[:raw.rfind(b"\n") + 1] or raw
        text = decode_text(path, raw)[0]
        if not text.strip():
            return []
        reader = csv.reader(io.StringIO(_without_sep_line(text), newline=""),
                            delimiter=_delimiter(path, text))
        rows = [row for row in itertools.islice(reader, 200) if any(c.strip() for c in row)]
        header = _header(path, rows[0], 1) if rows else []
    except (OSError, UnicodeDecodeError, csv.Error, DataError):
        return []
    width = len(header)
    if width > 1 and not rows[0][-1].strip():  # rows without the header's last delimiter
        rows = [rows[0], *(row + [""] if len(row) == width - 1 else row for row in rows[1:])]
    body = [list(column) for column in zip(*(row for row in rows[1:] if len(row) == width))]
    empty = _trailing_empty(rows[0], body) if body else 0
    return header[:-empty] if empty else header


def _trailing_empty(first: list[str], columns: list[list[str]]) -> int:
    """How many columns at the end are empty on every line, the header ``first`` included
    (each line ends with delimiters, as a spreadsheet saves a sheet once wider): none of them
    is a column, nor the target. The first column always stays. ``columns``: the values below
    the header, by column ([] where there are none).

    >>> _trailing_empty(["a", "b", "", ""], [["1"], ["x"], [""], [" "]])
    2
    >>> _trailing_empty(["a"], [[""]])
    0
    """
    n = 0
    while n < len(first) - 1 and not first[-1 - n].strip() and \
            not (columns and any(value.strip() for value in columns[-1 - n])):
        n += 1
    return n


def _header(path: Path, row: list[str], line: int) -> list[str]:
    most = budget("LAYERLOOM_MAX_CSV_COLUMNS", MAX_CSV_COLUMNS)
    if len(row) > most:
        raise DataError(f"the header has {len(row):,} columns; {_files(path)} are capped "
                        f"at {most:,} columns (set LAYERLOOM_MAX_CSV_COLUMNS to change it)",
                        file=path, line=line)
    names = [cell.strip() or f"column {i + 1}" for i, cell in enumerate(row)]
    seen = set()
    for name in names:
        if name in seen and is_number(name):  # a file without a header: its first row
            raise _no_header(path, row, line)
        if name in seen:
            raise DataError(f"column {name!r} appears twice in the header (columns "
                            f"{names.index(name) + 1} and {len(seen) + 1}); rename one of "
                            f"them so that each column has a name of its own",
                            file=path, line=line)
        seen.add(name)
    return names


def _files(path: Path) -> str:
    """What the budgets of a table call ``path``'s kind of file."""
    return {".xlsx": "workbooks", ".parquet": "Parquet files", ".jsonl": "JSON lines files",
            ".ndjson": "JSON lines files"}.get(path.suffix.lower(), "CSV files")


def _no_header(path: Path, first: list[str], line: int, delimiter: str | None = None
               ) -> DataError:
    """The refusal of a table without a header row; for a text file of values between commas
    or tabs, the way to read it as it is too: as UCI's ``.data`` (datafile.py), whose columns
    are named ``column 1``, ``column 2``, …"""
    shown = ", ".join(repr(cell.strip()) for cell in first[:4])
    as_data = ""
    if delimiter in (",", "\t") and path.suffix.lower() in (".csv", ".tsv", ".txt"):
        as_data = (f" (or, to read it as it is, its columns named column 1, column 2, … and "
                   f"the last the label, rename it {path.with_suffix('.data').name} and load "
                   f"that)")
    return DataError(f"looks like data, not column names ({shown}"
                     f"{', …' if len(first) > 4 else ''}): add a header row that names the "
                     f"columns{as_data}", file=path, line=line)
