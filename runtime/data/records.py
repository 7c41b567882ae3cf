"""Tables that data libraries write: Parquet (pandas, Spark, Polars, DuckDB) and JSON lines
(one object a line, as web services and pandas' ``to_json(orient="records", lines=True)``
write them), read into the same :class:`~.table.Table` as a CSV, so the label, the task, the
encodings and the notes are chosen as for one.

Each value becomes the text a CSV of the table holds, by the functions the bundle's predict.py
and the exported project's data.py read a new file with (``json_record``, ``arrow_column``):
a JSON number as written, true/false, null as missing; a Parquet value as a workbook's cell
is written. A Parquet file's rows are counted as lines with the header as line 1, as in the
CSV pandas saves of it (the DataFrame's row 0 is line 2).

The budgets are a CSV's: ``LAYERLOOM_MAX_CSV_BYTES`` (the file; for Parquet, the text of its
values too, and eight times it for its pages unpacked, so that a small file cannot unpack to
gigabytes), ``LAYERLOOM_MAX_CSV_COLUMNS``, ``LAYERLOOM_MAX_CSV_CELLS`` (for Parquet, from its
footer, before a value is read), and one value's text at most :data:`MOST_CELL` characters,
where Python's csv reader stops a CSV's.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from layerloom.graph.export.predict_script import (JSON_LINES, PANDAS_INDEX, RecordError,
                                                   arrow_column, json_record)

from .csvfile import HEADER_BYTES, MAX_CSV_CELLS, MAX_CSV_COLUMNS, table_of, within_budget
from .errors import DataError, budget, over_budget
from .sniff import refuse_misnamed, refuse_other_text
from .table import Table

PARQUET = ".parquet"
RECORD_SUFFIXES = (PARQUET, *JSON_LINES)
MOST_CELL = csv.field_size_limit()  # 131,072 characters: a CSV's longest value
UNPACKED = 8  # a Parquet file's pages unpacked, at most this many times the file budget
BATCH_ROWS = 4096  # Parquet rows turned into text at a time


def read_records(path: Path) -> Table:
    """The table of the Parquet or JSON lines file at ``path``."""
    return read_parquet(path) if path.suffix.lower() == PARQUET else read_json_lines(path)


def read_records_header(path: Path) -> list[str]:
    """The column names :func:`read_records` gives, from the file's first lines (a Parquet
    file's footer); [] for a file it cannot read (loading it then says why)."""
    try:
        if path.suffix.lower() == PARQUET:
            names = _open_parquet(path).schema_arrow.names
            names = [name for name in names if not PANDAS_INDEX.fullmatch(name)]
        else:
            with open(path, "rb") as handle:
                raw = handle.read(HEADER_BYTES)
            if len(raw) == HEADER_BYTES:  # a cut last line is no record
                raw = raw[:raw.rfind(b"\n") + 1]
            names = {}
            for line in raw.decode("utf-8-sig", errors="replace").split("\n")[:200]:
                if line.strip():
                    names.update(dict.fromkeys(json_record(line)))
        return [name.strip() or f"column {i + 1}" for i, name in enumerate(names)]
    except (DataError, RecordError, OSError):
        return []


def read_json_lines(path: Path) -> Table:
    """The table of a JSON lines file: one object a line (blank lines skipped), its keys the
    columns in the order they first come, '' (missing) where a line lacks a key.

    Raises DataError naming the line for a line that is not a JSON object, a key written
    twice, an object or array as a value (naming its key too), a value past
    :data:`MOST_CELL` characters and text that is not UTF-8; and whatever a CSV is refused
    for (the budgets, a duplicate column name, no rows).
    """
    within_budget(path, "JSON lines files")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        refuse_misnamed(path, raw, "JSON lines")  # a Parquet file named .jsonl
        raise DataError("is not UTF-8 text, as JSON lines are (binary data, or text saved in "
                        "another encoding): save it as UTF-8", file=path,
                        line=raw[:err.start].count(b"\n") + 1, unreadable=True) from None
    del raw
    refuse_other_text(path, text, "JSON lines")  # a CSV named .jsonl
    most_columns = budget("LAYERLOOM_MAX_CSV_COLUMNS", MAX_CSV_COLUMNS)
    most_cells = budget("LAYERLOOM_MAX_CSV_CELLS", MAX_CSV_CELLS)
    header: list[str] = []
    index: dict[str, int] = {}
    rows: list[list[str]] = []
    lines: list[int] = []
    for number, line in enumerate(_lines(text), 1):
        if not line.strip():
            continue
        try:
            record = json_record(line)
        except RecordError as err:
            raise DataError(err.message, file=path, line=number, column=err.key) from None
        row = [""] * len(header)
        for key, cell in record.items():
            at = index.get(key)
            if at is None:
                if len(key) > MOST_CELL:
                    raise _long(path, len(key), number, key[:40] + "…", "a key")
                if len(header) == most_columns:
                    raise DataError(f"more than {most_columns:,} keys; JSON lines files are "
                                    f"capped at {most_columns:,} columns (set "
                                    f"LAYERLOOM_MAX_CSV_COLUMNS to change it)", file=path,
                                    line=number, column=key)
                at = index[key] = len(header)
                header.append(key)
                row.append("")
            if len(cell) > MOST_CELL:
                raise _long(path, len(cell), number, key)
            row[at] = cell
        if not any(cell.strip() for cell in row):
            continue  # a line of no values ({}, nulls), skipped as a CSV's blank line is
        rows.append(row)
        lines.append(number)
        if len(rows) * len(header) > most_cells:
            raise DataError(f"more than {most_cells:,} values ({len(rows):,} lines of "
                            f"{len(header):,} keys); JSON lines files are capped at "
                            f"{most_cells:,} values (set LAYERLOOM_MAX_CSV_CELLS to change it)",
                            file=path, line=number)
    if not rows:
        raise DataError("the file is empty" if not header else
                        "its lines hold no values (empty objects, or nulls only)", file=path)
    return table_of(path, _padded(header, rows, lines), [])


def _padded(header: list[str], rows: list[list[str]],
            lines: list[int]) -> Iterator[tuple[list[str], int]]:
    """The header (at the first row's line), then each row as wide as it, as they are read:
    a row read before a key first came lacks it."""
    yield header, lines[0]
    width = len(header)
    for row, line in zip(rows, lines):
        yield (row + [""] * (width - len(row)) if len(row) < width else row), line


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, split at ``\\n`` only (as predict.py splits them; ``\\r`` is
    JSON's white space), one at a time: a list of them all held a string for each of a
    file's millions of short lines.

    >>> list(_lines('{"a": 1}\\r\\n\\n{"a": 2}'))
    ['{"a": 1}\\r', '', '{"a": 2}']
    """
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end + 1


def read_parquet(path: Path) -> Table:
    """The table of a Parquet file, read with pyarrow: its columns (but a DataFrame's index
    pandas saved as one), each value as the text a CSV holds.

    Raises DataError for a file that is not Parquet, a column of lists, maps or records
    (naming it and the line of its first such value), binary values that are not text, a
    value past :data:`MOST_CELL` characters, and whatever a CSV is refused for (the budgets,
    checked from the footer before the values are read, a duplicate column name, no rows).
    """
    most = within_budget(path, "Parquet files")
    parquet = _open_parquet(path)
    meta, names = parquet.metadata, parquet.schema_arrow.names
    keep = [i for i, name in enumerate(names) if not PANDAS_INDEX.fullmatch(name)]
    if not keep:
        raise DataError("holds no columns" + (" but a DataFrame's index" if names else ""),
                        file=path)
    most_columns = budget("LAYERLOOM_MAX_CSV_COLUMNS", MAX_CSV_COLUMNS)
    if len(keep) > most_columns:
        raise over_budget(f"{len(keep):,} columns; Parquet files are capped at "
                          f"{most_columns:,} columns", "LAYERLOOM_MAX_CSV_COLUMNS", file=path)
    most_cells = budget("LAYERLOOM_MAX_CSV_CELLS", MAX_CSV_CELLS)
    if meta.num_rows * len(keep) > most_cells:
        raise over_budget(f"{meta.num_rows:,} rows of {len(keep):,} columns; Parquet files "
                          f"are capped at {most_cells:,} values", "LAYERLOOM_MAX_CSV_CELLS",
                          file=path)
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if unpacked > UNPACKED * most:
        raise over_budget(f"its pages unpack to {unpacked / 2**20:,.0f} MB; Parquet files are "
                          f"capped at {UNPACKED * most / 2**20:,.0f} MB unpacked (eight times "
                          f"the file budget)", "LAYERLOOM_MAX_CSV_BYTES", file=path)
    header = [names[i] for i in keep]
    return table_of(path, _parquet_rows(path, parquet, header, keep, most), [])


def _open_parquet(path: Path):
    """The ``pyarrow.parquet.ParquetFile`` at ``path``, its texts read as dictionaries (each
    distinct value once, measured before a value is made a Python string); DataError for a
    file that is not Parquet, or where pyarrow is missing."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 4))
        tail = handle.read(4)
    if size < 12 or head != b"PAR1" or tail != b"PAR1":
        raise DataError("is not a Parquet file (one starts and ends with the bytes PAR1); save "
                        "the table as Parquet or CSV and load that file", file=path,
                        unreadable=True)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError("reading a Parquet file needs pyarrow: pip install pyarrow (or save "
                        "the table as CSV)", file=path) from None
    try:
        schema = pq.read_schema(path)
        texts = [field.name for field in schema
                 if pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
                 or pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type)]
        return pq.ParquetFile(path, read_dictionary=texts)
    except (pa.ArrowException, OSError, ValueError) as err:
        raise DataError(f"cannot be read as a Parquet file ({err})", file=path,
                        unreadable=True) from None


def _parquet_rows(path: Path, parquet, header: list[str], keep: list[int],
                  most: int) -> Iterator[tuple[list[str], int]]:
    """The header (line 1), then each row's texts with its line, a batch of rows at a time;
    the values' text counted against ``most`` bytes, a CSV's budget, before it is made."""
    import pyarrow as pa

    yield header, 1
    line, total = 2, 0
    try:
        batches = parquet.iter_batches(batch_size=BATCH_ROWS)
        for batch in batches:
            columns = []
            for name, i in zip(header, keep):
                array = batch.column(i)
                total += _text_bytes(path, array, name, line)
                if total > most:
                    raise over_budget(f"its values' text is more than {most / 2**20:.0f} MB, "
                                      f"a CSV's budget; Parquet files are capped there",
                                      "LAYERLOOM_MAX_CSV_BYTES", file=path)
                try:
                    columns.append(arrow_column(array.to_pylist(), line))
                except RecordError as err:
                    raise DataError(err.message, file=path, line=err.line, column=name) \
                        from None
            for row in zip(*columns):
                yield list(row), line
                line += 1
    except (pa.ArrowException, OSError) as err:
        raise DataError(f"cannot be read as a Parquet file ({err})", file=path,
                        unreadable=True) from None


def _text_bytes(path: Path, array, name: str, line: int) -> int:
    """The bytes of a column's texts in one batch (0 for numbers, dates and flags, whose text
    is short), each checked against :data:`MOST_CELL`; from a dictionary's distinct values
    and how often each comes, so that a value repeated a million times is measured, not
    made."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = array.type
    values, indices = (array.dictionary, array.indices) if pa.types.is_dictionary(kind) \
        else (array, None)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
            or pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type)):
        return 0
    measure = pc.binary_length if pa.types.is_binary(values.type) or \
        pa.types.is_large_binary(values.type) else pc.utf8_length
    lengths = measure(values).to_numpy(zero_copy_only=False)
    lengths = np.nan_to_num(lengths.astype(np.float64)).astype(np.int64)
    if indices is not None:
        picked = indices.to_numpy(zero_copy_only=False)
        valid = ~np.isnan(picked.astype(np.float64))
        lengths = np.where(valid, lengths[np.nan_to_num(picked).astype(np.int64)], 0)
    over = np.flatnonzero(lengths > MOST_CELL)
    if len(over):
        raise _long(path, int(lengths[over[0]]), line + int(over[0]), name)
    return int(lengths.sum())


def _long(path: Path, length: int, line: int, column: str, what: str = "a value") -> DataError:
    return DataError(f"{what} of {length:,} characters; a table's values are capped at "
                     f"{MOST_CELL:,} characters, as a CSV's are", file=path, line=line,
                     column=column)
