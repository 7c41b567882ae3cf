"""Excel workbooks (.xlsx): one sheet read as the table Excel's Save As CSV would write.

openpyxl reads the file in read-only mode, values only: nothing in the workbook is run (a
formula gives the value Excel stored with it), and the rows stream through the same checks as
a CSV's (:func:`~.csvfile.table_of`), so the label, the task, the encodings and the notes are
those of the CSV. Cells become the text a CSV holds, without the round trip through Excel's
display formats: a number keeps every digit (``repr``, which reads back to the same float; a
whole number without ``.0``; one whose format pads it with zeros, a zip code's ``00000``, as
shown, ``01234``), a date or time is ISO text (``2024-03-01``, ``2024-03-01
08:30:00``), a boolean ``TRUE``/``FALSE``, an empty cell is missing. Empty rows and columns
around the data are left out; a merged cell's value is in its first cell, as Excel writes it,
except where cells are merged down one column below the header (a label written once for the
rows it spans): each of those rows has the value, as the sheet shows it, and a note says so.

>>> import datetime as dt
>>> cell_text(0.1), cell_text(3.0), cell_text(True), cell_text(dt.date(2024, 3, 1))
('0.1', '3', 'TRUE', '2024-03-01')
"""

from __future__ import annotations

import zipfile
from bisect import bisect_right
from contextlib import contextmanager
from pathlib import Path

# a cell's text as the bundle's predict.py writes it, which must read a new workbook alike
from layerloom.graph.export.predict_script import cell_text

from .csvfile import MAX_CSV_CELLS, MAX_CSV_COLUMNS, _header, table_of, within_budget
from .errors import DataError, budget, over_budget
from .table import Table

UNPACKED = 8  # a sheet's XML holds ~8 times the bytes of its CSV: the cap on the unpacked parts
MERGE_CELL = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}mergeCell"
XLS = b"\xd0\xcf\x11\xe0"  # an Excel 97-2003 (BIFF) workbook, or another OLE file
ZIP = b"PK\x03\x04"


def old_workbook(path: Path) -> DataError:
    return DataError("is an Excel 97-2003 workbook (.xls), which LayerLoom does not read: open "
                     "it in Excel and save it as an Excel Workbook (.xlsx) or as CSV (CSV "
                     "UTF-8), and load that file", file=path)


def read_workbook(path: Path, sheet: str | None = None) -> Table:
    """The table of ``sheet`` (default: the first) of the workbook at ``path``.

    Raises DataError for a file that is not an .xlsx workbook (an .xls says to save it as
    .xlsx or CSV), a sheet it lacks (naming those it has), formulas saved without their values,
    and whatever a CSV is refused for (no header, a duplicate column name, the budgets). A
    first sheet read by default that holds no table (empty, a cover's title) is refused
    naming the sheets that hold data.
    """
    with _open(path) as book:
        ws = _sheet(path, book, sheet)
        names = [other.title for other in book.worksheets]
        filled = [name for name, other in zip(names, book.worksheets)
                  if other is ws or not _is_empty(other)]
        percents: dict[int, tuple[str, str]] = {}
        rows, left = _trimmed(path, ws, percents=percents)
        spread = _spread_merged_down(path, rows, left, _merged_down(ws, rows))
    notes = []
    others = [name for name in filled if name != ws.title]
    if others:
        notes.append(f"read sheet {ws.title!r}, one of {len(filled)} sheets with data (also "
                     f"{', '.join(map(repr, others))}); for another, set the option sheet to "
                     f"its name (sheet={others[0]!r})")
    try:
        if not rows:
            raise DataError(f"sheet {ws.title!r} is empty", file=path)
        _check_formulas(path, ws.title, rows, left)
        table = table_of(path, ((texts, number) for number, texts in rows), notes)
        table.notes.extend(_percent_notes(table.header, percents, left))
        table.notes.extend(_merged_notes(table.header, spread))
        return table
    except DataError as err:
        if sheet is not None or not others or len(rows) > 1:
            raise
        # the first sheet, read by default, holds no table (a cover, a title): the others named
        fault = err.message.removeprefix(f"sheet {ws.title!r} ").replace("the file ", "", 1)
        raise DataError(f"the first sheet, {ws.title!r}, {fault}; the workbook's other sheets "
                        f"with data: {', '.join(map(repr, others))}; to read one, set the "
                        f"option sheet to its name (sheet={others[0]!r})", file=path,
                        line=err.line, column=err.column) from None


def read_workbook_header(path: Path, sheet: str | None = None) -> list[str]:
    """The column names :func:`read_workbook` gives the sheet's columns, from its first rows;
    [] for a workbook it cannot read (loading it then says why)."""
    try:
        with _open(path) as book:
            # the columns' span from the first rows: an unnamed column of values is named too
            rows, _ = _trimmed(path, _sheet(path, book, sheet), most_rows=200)
            return _header(path, rows[0][1], rows[0][0]) if rows else []
    except (DataError, OSError):
        pass
    return []


@contextmanager
def _open(path: Path):
    """The workbook at ``path``, read-only and values only, closed on leaving."""
    most = within_budget(path, "workbooks")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic == XLS:
        raise old_workbook(path)
    if magic != ZIP:
        raise DataError("is not an Excel workbook (.xlsx is a zip file, and this is not one); "
                        "save the sheet as CSV, or as an Excel Workbook, and load that file",
                        file=path, unreadable=True)
    _check_unpacked(path, most)
    try:
        import openpyxl
    except ImportError:
        raise DataError("reading an Excel workbook needs openpyxl: pip install openpyxl (or "
                        "save the sheet as CSV)", file=path) from None
    try:  # read-only, values only: no formula is computed, no link or macro followed
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign zip, said in words
        raise DataError(f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc}); "
                        f"save it again from Excel as .xlsx, or as CSV", file=path,
                        unreadable=True) from None
    try:
        yield book
    finally:
        book.close()


def _check_unpacked(path: Path, most: int) -> None:
    """The workbook's parts unpack to at most ``UNPACKED`` times the CSV budget (their sizes
    as the zip declares them, which reading them never exceeds): a small file whose XML would
    fill the memory is refused before it is opened."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"cannot be read as an Excel workbook (a damaged zip file: {exc}); "
                        f"save it again from Excel as .xlsx, or as CSV", file=path,
                        unreadable=True) from None
    if unpacked > UNPACKED * most:
        raise over_budget(f"its parts unpack to {unpacked / 2**20:,.1f} MB; workbooks are capped "
                          f"at {UNPACKED * most / 2**20:,.1f} MB unpacked ({UNPACKED} times the "
                          f"size of a CSV file)", "LAYERLOOM_MAX_CSV_BYTES", file=path)


def _sheet(path: Path, book, name: str | None):
    if not book.worksheets:
        raise DataError("the workbook has no worksheets (only charts?)", file=path)
    if name is None:
        return book.worksheets[0]
    for ws in book.worksheets:
        if ws.title == name:
            return ws
    names = ", ".join(repr(ws.title) for ws in book.worksheets)
    raise DataError(f"no sheet {name!r}; the workbook's sheets are {names}", file=path)


def _is_empty(ws) -> bool:
    ws.reset_dimensions()  # the declared size may be stale, or huge: read what is there
    return not any(value is not None and value != ""
                   for row in ws.iter_rows(values_only=True) for value in row)


def _trimmed(path: Path, ws, most_rows: int | None = None,
             percents: dict | None = None) -> tuple[list, int]:
    """``(row number, cells)`` of the sheet's rows from its first with a value to its last,
    the cells from the leftmost column with a value to the rightmost, as text (empty rows
    kept, for the line numbers; the table skips them), and the index of that leftmost
    column. ``percents`` gets ``{column index: (a cell as shown, as read)}`` of the columns
    with numbers in a percentage format (``5%``, stored and read as 0.05)."""
    ws.reset_dimensions()  # the declared size may be stale, or huge: read what is there
    rows: list[tuple[int, tuple]] = []
    left, right, last = None, 0, 0
    cells = budget("LAYERLOOM_MAX_CSV_CELLS", MAX_CSV_CELLS)
    columns = budget("LAYERLOOM_MAX_CSV_COLUMNS", MAX_CSV_COLUMNS)
    seen = 0
    for number, sheet_row in enumerate(ws.iter_rows(), 1):
        # each cell's text with its number format, which may show a code's zeros (00000)
        row = [cell_text(cell.value, cell.number_format) for cell in sheet_row]
        if percents is not None:
            _note_percents(percents, sheet_row, row)
        used = [i for i, text in enumerate(row) if text != ""]
        if not used and not rows:
            continue  # leading empty rows
        if used:
            left = used[0] if left is None else min(left, used[0])
            right, last = max(right, used[-1] + 1), number
            if right - left > columns:
                raise DataError(f"the sheet has values in {right - left:,} columns; workbooks "
                                f"are capped at {columns:,} columns (set "
                                f"LAYERLOOM_MAX_CSV_COLUMNS to change it)", file=path,
                                line=number)
        seen += len(used)
        if seen > cells:
            raise DataError(f"more than {cells:,} values in the sheet; workbooks are capped "
                            f"at {cells:,} values (set LAYERLOOM_MAX_CSV_CELLS to change "
                            f"it)", file=path, line=number)
        rows.append((number, row[:used[-1] + 1] if used else []))
        if most_rows is not None and len(rows) >= most_rows:
            break
    width = right - (left or 0)
    out = []
    for number, row in rows:
        if number > last:
            break  # trailing empty rows
        row = row[left:right]
        out.append((number, row + [""] * (width - len(row))))
    return out, left or 0


def _merged_down(ws, rows: list) -> list[tuple[int, int, int]]:
    """``(column, first row, last row)`` of each range of the sheet's cells merged down one
    column (1-based, as the sheet numbers them), from its XML: a read-only sheet does not keep
    them. None looked for where no row has an empty cell (a merge leaves its other cells
    empty), nor where the sheet's part cannot be found (then cells read as Excel's CSV)."""
    if not any("" in texts for _, texts in rows):
        return []
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.xml.functions import iterparse  # openpyxl's own, safe parser

    try:
        source = ws.parent._archive.open(ws._worksheet_path)
    except (AttributeError, KeyError, OSError):
        return []
    found = []
    with source:
        for _, element in iterparse(source):
            if element.tag == MERGE_CELL:
                try:
                    first_col, first_row, last_col, last_row = range_boundaries(
                        element.get("ref") or "")
                except (ValueError, TypeError):
                    continue  # not a range: nothing merged
                if first_col == last_col and last_row > first_row:
                    found.append((first_col, first_row, last_row))
            element.clear()
    return found


def _spread_merged_down(path: Path, rows: list, left: int, merged: list
                        ) -> dict[int, list[tuple[int, int]]]:
    """Give each row of a range merged down one column, below the first row (the header,
    whose merges say how it is laid out), the value of the range's first cell, in ``rows``
    (``(row number, texts)``, the texts from column ``left``); ``{column index in the texts:
    [(first row, last row) of each range spread]}``. The rows a hostile file's ranges would
    have written to are capped as the sheet's values are."""
    if not merged:
        return {}
    at = {number: texts for number, texts in rows}
    numbers = sorted(at)
    most = budget("LAYERLOOM_MAX_CSV_CELLS", MAX_CSV_CELLS)
    spread: dict[int, list[tuple[int, int]]] = {}
    written = 0
    for col, first, last in sorted(merged, key=lambda m: (m[1], m[0])):
        i = col - 1 - left
        top = at.get(first)
        if first <= numbers[0] or top is None or not 0 <= i < len(top) or top[i] == "":
            continue
        start = bisect_right(numbers, first)
        for number in numbers[start:bisect_right(numbers, last)]:
            written += 1
            if written > most:
                raise DataError(f"its merged cells span more than {most:,} cells; workbooks "
                                f"are capped at {most:,} values (set LAYERLOOM_MAX_CSV_CELLS "
                                f"to change it)", file=path)
            if at[number][i] == "":
                at[number][i] = top[i]
        spread.setdefault(i, []).append((first, last))
    return spread


def _merged_notes(header: list[str], spread: dict[int, list[tuple[int, int]]]) -> list[str]:
    """One note for the columns whose cells merged down were given to each row they span.

    >>> print(*_merged_notes(["a", "label"], {1: [(2, 6), (7, 11)]}))
    label: cells merged down over several rows (lines 2–6, 7–11) read as their value on each of those rows, as Excel shows them
    """
    names = [header[i] for i in sorted(spread) if 0 <= i < len(header)]
    if not names:
        return []
    ranges = sorted({r for i in spread for r in spread[i]})
    shown = ", ".join(f"{a}–{b}" for a, b in ranges[:4]) + (" …" if len(ranges) > 4 else "")
    return [f"{', '.join(names[:6])}{' …' if len(names) > 6 else ''}: cells merged down over "
            f"several rows (lines {shown}) read as their value on each of those rows, as "
            f"Excel shows them"]


def _note_percents(percents: dict, sheet_row, texts: list[str]) -> None:
    """The first cell of each column whose number a percentage format shows (``0%``,
    ``0.0%``), kept as Excel shows it and as read."""
    for i, (cell, text) in enumerate(zip(sheet_row, texts)):
        value = cell.value
        if i in percents or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if "%" in (cell.number_format or "").replace('"%"', "").replace("\\%", ""):
            percents[i] = (f"{value * 100:.6g}%", text)


def _percent_notes(header: list[str], percents: dict, left: int) -> list[str]:
    """One note for the columns of percentages, which the sheet shows as ``5%`` and stores,
    as LayerLoom reads them, as 0.05 (a CSV's ``5%`` is read so too).

    >>> print(*_percent_notes(["a", "rate"], {3: ("5%", "0.05")}, 2))
    rate: percentages, read as the fractions the workbook stores (5% as 0.05), as a CSV's 5% is
    """
    names = [header[i - left] for i in sorted(percents) if 0 <= i - left < len(header)]
    if not names:
        return []
    shown, read = percents[min(percents)]
    listed = ", ".join(repr(n) if "," in n else n for n in names[:6]) + \
        (" …" if len(names) > 6 else "")
    return [f"{listed}: percentages, read as the fractions the workbook stores ({shown} as "
            f"{read}), as a CSV's {shown} is"]


def _check_formulas(path: Path, title: str, rows: list, left: int) -> None:
    """Formulas saved without their values (a workbook written by a program that does not
    compute them) would read as empty cells: refused, saying how to store the values. Only
    a sheet with empty cells is read a second time, for its formulas."""
    if not any("" in texts for _, texts in rows):
        return
    import openpyxl

    values = dict(rows)
    book = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        ws = book[title]
        ws.reset_dimensions()
        for number, row in enumerate(ws.iter_rows(values_only=True), 1):
            texts = values.get(number)
            if number > rows[-1][0]:
                break
            if not texts or "" not in texts:
                continue
            for i, value in enumerate(row[left:left + len(texts)]):
                if isinstance(value, str) and value.startswith("=") and texts[i] == "":
                    raise DataError(
                        f"holds formulas saved without their values ({value} in row "
                        f"{number}, sheet {title!r}): the program that wrote it does not "
                        f"compute them, and LayerLoom never runs a formula. Open the "
                        f"workbook in Excel or LibreOffice and save it (which stores the "
                        f"values), or save the sheet as CSV", file=path)
    finally:
        book.close()
