"""The training data: read, encoded and normalised as when the model was designed, then split.

``load_splits(config, root)`` returns ``{"train": (x, y), "val": (x, y), "test": (x, y)}`` as
NumPy arrays ready for the model: ``x`` float32 (or int64 token ids), ``y`` int64 class indices
or float32 targets ``[N, T]``. What config.json's ``data`` section says decides how:

- ``arrays``: the splits themselves, already model-ready, in ``data/train.npz`` etc.;
- ``npz``: a NumPy file with arrays ``x`` and ``y`` (and optionally ``classes``);
- ``table``: a CSV of numeric, categorical and date columns (categories one-hot, dates as days
  since the earliest training date and month, weekday, hour as sine and cosine, as in training), or
  an Excel workbook's sheet (.xlsx, read with openpyxl, values only), a Parquet file (with
  pyarrow) or JSON lines (one object a line);
- ``text``: a CSV (or .xlsx, .parquet, .jsonl) of texts and labels (lowercase words, looked up in
  ``data/vocab.json``);
- ``images``: a zip of one folder of images per class (PNG, JPEG, WebP, BMP, GIF or TIFF; photos
  turned as their EXIF orientation says), or such a folder itself.

Every statistic comes from config.json (the normalisation fitted on the training split, the
class names, the categories, the vocabulary), never from the file being read, so new data are
fed exactly as the training data were. The split is the recorded one (``split_file``, sample
indices); a file of other samples (``train.py --data FILE``) is split by a seeded shuffle.

Needs NumPy and Pillow only (and openpyxl for an Excel workbook, pyarrow for Parquet).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import zipfile
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath

import numpy as np

SPLITS = ("train", "val", "test")
# missing cells, compared lowercased: a spreadsheet's error cells (#N/A, #DIV/0!) among them
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a", "#div/0!", "#value!",
                     "#ref!", "#name?", "#num!", "#null!"})
DASHES = frozenset({"-", "--", "\u2013", "\u2014"})  # missing where a number goes
# lowercase words, inner apostrophes kept; each Chinese or Japanese character a token
WORD = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # a kana or an ideograph
    r"|[^\W_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"  # a word, its inner
    r"(?:'[^\W_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)*")  # apostrophes kept
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
JUNK = ("__MACOSX", "Thumbs.db", "desktop.ini")


def load_splits(config: dict, root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    spec = config["data"]
    if spec["kind"] == "arrays":
        out = {}
        for name in SPLITS:
            with np.load(root / spec["files"][name], allow_pickle=False) as arrays:
                out[name] = (arrays["x"], arrays["y"])
        return out
    x, y = read_all(spec, root)
    return {name: (x[index], y[index]) for name, index in split(spec, root, len(x)).items()}


def read_all(spec: dict, root: Path) -> tuple[np.ndarray, np.ndarray]:
    """Every sample of the data file, in the file's order, model-ready."""
    path = root / spec["file"]
    reader = {"npz": read_npz, "table": read_table, "text": read_text,
              "images": read_images}[spec["kind"]]
    x, y = reader(path, spec, root)
    if spec.get("normalization") and x.dtype != np.int64:
        x = normalize(x, spec["normalization"])
    return x, y


def split(spec: dict, root: Path, n: int) -> dict[str, np.ndarray]:
    """The sample indices of each split: the recorded ones, else a seeded shuffle with the
    recorded fractions."""
    if spec.get("split_file"):
        with np.load(root / spec["split_file"], allow_pickle=False) as parts:
            if sum(len(parts[name]) for name in SPLITS) == n:
                return {name: parts[name] for name in SPLITS}
    order = np.random.default_rng(spec.get("seed", 0)).permutation(n)
    n_test = math.ceil(n * spec.get("test_fraction", 0.2))
    n_val = math.ceil(n * spec.get("val_fraction", 0.1))
    return {"test": order[:n_test], "val": order[n_test:n_test + n_val],
            "train": order[n_test + n_val:]}


def normalize(x: np.ndarray, stats: dict) -> np.ndarray:
    """``(x - mean) / std`` per feature ([N, F]) or per channel ([N, C, ...]) as float32;
    missing values (NaN) become 0, the training mean."""
    mean = np.asarray(stats["mean"], dtype=np.float64)
    std = np.asarray(stats["std"], dtype=np.float64)
    if stats["kind"] == "channel":
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean, std = mean.reshape(shape), std.reshape(shape)
    return np.nan_to_num((x - mean) / std, nan=0.0).astype(np.float32)


# -- labels ---------------------------------------------------------------------------------------

def labels(values: list, spec: dict, where: str) -> np.ndarray:
    """Class indices into the recorded class names, or float32 targets [N, T]."""
    classes = spec.get("classes")
    if classes is None:
        return np.asarray(values, dtype=np.float32).reshape(len(values), -1)
    index = {name: i for i, name in enumerate(classes)}
    numeric = all(_number(v) is not None for v in values)
    out = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        name = str(value).strip()  # as written: codes (01, 007) are class names of their own
        if name not in index and numeric:
            name = _class_name(_number(value))  # 2.0 or 2 of a class the model names 2
        if name not in index:
            raise SystemExit(f"{where}: label {value!r} of sample {i + 1} is not one of the "
                             f"classes the model knows ({', '.join(classes)})")
        out[i] = index[name]
    return out


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _class_name(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


# -- NumPy files ----------------------------------------------------------------------------------

def read_npz(path: Path, spec: dict, root: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as arrays:  # never unpickles
        x, y = arrays["x"], arrays["y"]
        named = "classes" in arrays.files
    if x.ndim == 1:
        x = x[:, None]
    if spec.get("dtype") == "int64":
        x = x.astype(np.int64)
    else:  # as LayerLoom reads it: channels-last images turned [N, C, H, W], 8-bit in [0, 1]
        if (x.ndim == 4 and x.shape[3] in (1, 3, 4) and x.shape[1] > x.shape[3]
                and x.shape[2] > x.shape[3] and x.shape[1] not in (1, 3, 4)):
            x = x.transpose(0, 3, 1, 2)
        if spec.get("channel_axis") == "add" and x.ndim == 3:  # images [N, H, W]: a channel
            x = x[:, None]
        x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 and x.ndim >= 3 \
            else x.astype(np.float32)
    if spec.get("classes") is not None and y.ndim == 2 and y.shape[1] >= 2 and len(y) and \
            np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all():
        y = y.argmax(1)  # one-hot rows: the class is the hot column
        if not named:
            return np.ascontiguousarray(x), y.astype(np.int64)
    x = np.ascontiguousarray(x)
    if named:  # y holds indices into the file's own class names
        return x, y.astype(np.int64)
    return x, labels(list(y) if y.ndim == 1 else y.tolist(), spec, path.name)


# -- CSV files ------------------------------------------------------------------------------------

def read_csv(path: Path, sheet: str | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV as LayerLoom reads it: UTF-8, UTF-16 with its byte-order mark,
    else Windows-1252 text, separated as :func:`delimiter_of` says; blank lines skipped. An
    Excel workbook's sheet as :func:`read_workbook` reads it, Parquet and JSON lines as
    :func:`read_parquet` and :func:`read_json_lines` do."""
    return read_lined(path, sheet)[:2]


def table_rows(header: list[str], rows: list, lines: list) -> tuple[list, list]:
    """``rows`` and their ``lines`` as LayerLoom read a training file's: a row one value wider
    than the header whose last value is empty (a delimiter after the last column) cut to the
    header's width, and a row naming the columns as the header does (files of one table
    joined one after another, each with its header) left out."""
    width = len(header)
    names = [name or f"column {i + 1}" for i, name in enumerate(header)]
    kept, at = [], []
    for row, line in zip(rows, lines):
        if len(row) == width + 1 and not row[-1].strip():
            row = row[:-1]
        if len(row) == width and width and (row[0].strip() or "column 1") == names[0] and \
                [cell.strip() or f"column {i + 1}" for i, cell in enumerate(row)] == names:
            continue
        kept.append(row)
        at.append(line)
    return kept, at


def read_lined(path: Path, sheet: str | None = None) -> tuple:
    """:func:`read_csv`'s header and rows, with the line (a workbook's row) of each row, and
    whether a comma may be a decimal mark there (values separated by ; or a tab)."""
    header, rows, lines, commas = _lined(path, sheet)
    return (header, *table_rows(header, rows, lines), commas)


def _lined(path: Path, sheet: str | None = None) -> tuple:
    """:func:`read_lined`'s header, rows and lines as the file holds them."""
    if path.suffix.lower() in (".xlsx", ".xls"):
        return read_workbook(path, sheet, lined=True)
    if path.suffix.lower() in (".parquet", *JSON_LINES):
        try:
            return read_parquet(path) if path.suffix.lower() == ".parquet" \
                else read_json_lines(path)
        except RecordError as exc:
            raise SystemExit(exc.said(path.name)) from None
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = raw.decode("cp1252")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
    delimiter = delimiter_of(path, text)
    named = re.match(r"\A\s*sep=([^\s\w\"])[ \t]*\r?\n", text)
    if named:  # Excel's line naming the separator: no header
        text = "\n" * named.group(0).count("\n") + text[named.end():]
    header, rows, lines = None, [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() or f"column {i + 1}" for i, cell in enumerate(row)]
        else:
            rows.append(row)
            lines.append(reader.line_num)
    return header, rows, lines, delimiter != ","


def read_workbook(path: Path, sheet: str | None = None, lined: bool = False) -> tuple:
    """The header and rows of a workbook's sheet (``sheet``, or the first) as LayerLoom reads
    one: with openpyxl, read-only and values only (a formula gives its stored value; nothing
    is run), each cell as :func:`cell_text` writes it, from the first row and column with a
    value, blank rows skipped; ``lined``, with each row's number and False (as
    :func:`read_lined`)."""
    with open(path, "rb") as handle:
        if handle.read(4) == b"\xd0\xcf\x11\xe0":
            raise SystemExit(f"{path.name}: an Excel 97-2003 workbook (.xls) is not read; save "
                             f"it as .xlsx or CSV")
    try:
        import openpyxl
    except ImportError:
        raise SystemExit(f"{path.name}: reading .xlsx needs openpyxl: pip install openpyxl (or "
                         f"save the sheet as CSV)") from None
    book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        sheets = {ws.title: ws for ws in book.worksheets}
        if sheet is not None and sheet not in sheets:
            raise SystemExit(f"{path.name}: no sheet {sheet!r} (it has {', '.join(sheets)})")
        ws = sheets[sheet] if sheet is not None else book.worksheets[0]
        ws.reset_dimensions()  # read the cells there are, not the size the file declares
        # each cell's text read with its number format, which may show a code's zeros
        rows = [[cell_text(cell.value, cell.number_format) for cell in row]
                for row in ws.iter_rows()]
        spread_merged_down(ws, rows)  # as Excel shows them, as training read them
    finally:
        book.close()
    used = [[i for i, text in enumerate(row) if text != ""] for row in rows]
    if not any(used):
        raise SystemExit(f"{path.name}: sheet {ws.title!r} is empty")
    left, right = min(u[0] for u in used if u), max(u[-1] for u in used if u) + 1
    table = [row[left:right] + [""] * (right - left - len(row[left:right]))
             for row, u in zip(rows, used) if u]
    header = [cell.strip() or f"column {i + 1}" for i, cell in enumerate(table[0])]
    if lined:
        return header, table[1:], [n + 1 for n, u in enumerate(used) if u][1:], False
    return header, table[1:]


def spread_merged_down(ws, rows: list) -> None:
    """Give each row of a range of cells merged down one column (a label written once for the
    rows it spans), below the header and up to the last row with a value, the range's first
    value, in ``rows`` (each sheet row's texts, from row 1), as LayerLoom read it for
    training; a read-only sheet does not keep its merges, so they are read from its XML."""
    width = max(map(len, rows), default=0)
    if all(len(row) == width and "" not in row for row in rows):
        return  # no cell empty: none merged
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.xml.functions import iterparse

    try:
        source = ws.parent._archive.open(ws._worksheet_path)
    except (AttributeError, KeyError, OSError):
        return
    merged = []
    with source:
        for _, element in iterparse(source):
            if element.tag.endswith("}mergeCell"):
                try:
                    first_col, first, last_col, last = range_boundaries(element.get("ref") or "")
                except (ValueError, TypeError):
                    continue
                if first_col == last_col and last > first:
                    merged.append((first_col - 1, first - 1, last - 1))
            element.clear()
    filled = [n for n, row in enumerate(rows) if any(text != "" for text in row)]
    if not filled:
        return
    for col, first, last in sorted(merged, key=lambda m: (m[1], m[0])):
        top = rows[first] if first < len(rows) else []
        if first <= filled[0] or col >= len(top) or top[col] == "":
            continue
        for row in rows[first + 1:min(last, filled[-1]) + 1]:
            row.extend([""] * (col + 1 - len(row)))
            if row[col] == "":
                row[col] = top[col]


# a number format of zeros only (Excel's zip code 00000, zip+4 00000-0000): a code shown padded
PADDED = re.compile(r"0+(?:\\?-0+)*")


def cell_text(value, number_format: str | None = None) -> str:
    """A cell as the text LayerLoom trained on: a number with every digit (a whole one
    without .0), a date or time as ISO text, TRUE/FALSE, an empty cell as ''; a whole number
    that ``number_format`` pads with zeros (Excel's zip code 00000, zip+4 00000-0000) as it
    shows it, 01234, a code as a CSV holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if (isinstance(value, (int, float)) and number_format and PADDED.fullmatch(number_format)
            and 0 <= value < 2**53 and value == int(value)):
        return padded(int(value), number_format)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) and value.tzinfo is None \
            else value.isoformat(sep=" ")  # a zoned time keeps its offset, midnight too
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):  # a duration, as Excel's [h]:mm:ss shows it
        total = value.total_seconds()
        hours, rest = divmod(abs(total), 3600)
        minutes, seconds = divmod(rest, 60)
        shown = f"{seconds:02.0f}" if seconds == int(seconds) else f"{seconds:06.3f}"
        return f"{'-' if total < 0 else ''}{int(hours)}:{int(minutes):02d}:{shown}"
    return str(value)


def padded(number: int, number_format: str) -> str:
    """``number`` as the format of zeros shows it: each group of zeros between dashes filled
    from the right, the first taking any digits over."""
    groups = [len(group) for group in number_format.replace("\\", "").split("-")]
    digits = str(number).zfill(sum(groups))
    parts, end = [], len(digits)
    for size in reversed(groups[1:]):
        parts.append(digits[end - size:end])
        end -= size
    return "-".join([digits[:end], *reversed(parts)])


# -- tables a data library writes: Parquet and JSON lines ----------------------------------------

JSON_LINES = (".jsonl", ".ndjson")
PANDAS_INDEX = re.compile(r"__index_level_\d+__")  # a DataFrame's index, saved as a column


class RecordError(ValueError):
    """A value of a Parquet or JSON lines file that no cell of a table holds, or a line that
    is no record; ``key`` (the column) and ``line`` say where, when known."""

    def __init__(self, message: str, key: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message, self.key, self.line = message, key, line

    def said(self, name: str) -> str:
        where = [name] + ([f"line {self.line}"] if self.line is not None else []) \
            + ([f"column {self.key!r}"] if self.key is not None else [])
        return f"{', '.join(where)}: {self.message}"


def json_record(line: str) -> dict:
    """One line of a JSON lines file as ``{key: text}``, each value the text a CSV of the
    table holds: a number as the file writes it (``1e-3``, ``007.50`` is no JSON), true or
    false, null as ''. RecordError for a line that is no JSON object, a key written twice,
    and an object or array as a value (naming its key).

    >>> json_record('{"age": 41, "ok": true, "city": null, "w": 1.50}')
    {'age': '41', 'ok': 'true', 'city': '', 'w': '1.50'}
    """
    def pairs(items):
        record = {}
        for key, value in items:
            if key in record:
                raise RecordError(f"key {key!r} is written twice in the line's object", key)
            record[key] = value
        return record

    try:
        record = json.loads(line, parse_int=str, parse_float=str, parse_constant=str,
                            object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        hint = ("; this reads as a JSON document written over several lines, not one object a "
                "line: save it as JSON lines (with pandas: pd.read_json(FILE).to_json(NEW, "
                "orient='records', lines=True))" if line.strip() in ("[", "{") else "")
        raise RecordError(f"not valid JSON ({exc.msg}, at character {exc.colno}){hint}") \
            from None
    except RecursionError:  # [[[[… thousands deep: Python's parser gives up
        raise RecordError("holds arrays or objects nested too deeply to read; a table's cell "
                          "holds one value") from None
    if not isinstance(record, dict):
        what = "an array" if isinstance(record, list) else "a single value"
        raise RecordError(f"holds {what}, not an object: each line of a JSON lines table is "
                          f"one object of named values, such as {{\"age\": 41, \"label\": "
                          f"\"yes\"}}")
    return {key: json_text(key, value) for key, value in record.items()}


def json_text(key: str, value) -> str:
    """A JSON value read with its numbers as written (see :func:`json_record`) as a cell's
    text; RecordError for an object or an array."""
    if isinstance(value, (dict, list)):
        raise RecordError(f"holds {'an object' if isinstance(value, dict) else 'an array'}, "
                          f"not one value: a table's cell holds a number, a text, true, false "
                          f"or null; write its parts as columns of their own (with pandas: "
                          f"pd.json_normalize) or the whole as a text", key)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value  # a text, or a number as written


def arrow_column(values: list, first_line: int) -> list[str]:
    """A Parquet column's values, as pyarrow's ``to_pylist`` gives them, as the texts
    LayerLoom trained on: a text as it is, the others as :func:`cell_text` writes a
    workbook's cell (a number with every digit, a date as ISO text, TRUE/FALSE, a missing
    value ''). RecordError for a list, a map or a struct, or bytes that are not UTF-8 text,
    with its line (``first_line`` is the first value's, the header being line 1)."""
    out = []
    for at, value in enumerate(values):
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (dict, list, tuple)):
            raise RecordError("holds lists or records, not one value a cell: a table's cell "
                              "holds a number, a text, a date or true/false; write their parts "
                              "as columns of their own", line=first_line + at)
        elif isinstance(value, bytes):
            try:
                out.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                raise RecordError("holds binary values, not text", line=first_line + at) \
                    from None
        else:
            out.append(cell_text(value))
    return out


def read_json_lines(path: Path) -> tuple:
    """A JSON lines file's header and rows as LayerLoom reads one for training: one object a
    line (blank lines skipped), its keys the columns in the order they first come, each value
    as :func:`json_record` writes it, '' where a line lacks a key; with each row's line and
    False (as :func:`read_lined`)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordError("not UTF-8 text, as JSON lines are",
                          line=raw[:exc.start].count(b"\n") + 1) from None
    header, index, rows, lines = [], {}, [], []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json_record(line)
        except RecordError as exc:
            exc.line = number
            raise
        row = [""] * len(header)
        for key, cell in record.items():
            if key not in index:
                index[key] = len(header)
                header.append(key)
                row.append("")
            row[index[key]] = cell
        if any(cell.strip() for cell in row):
            rows.append(row)
            lines.append(number)
    if not header:
        raise RecordError("the file holds no values")
    return ([key.strip() or f"column {i + 1}" for i, key in enumerate(header)],
            [row + [""] * (len(header) - len(row)) for row in rows], lines, False)


def read_parquet(path: Path) -> tuple:
    """A Parquet file's header and rows as LayerLoom reads one for training (with pyarrow):
    its columns but pandas' saved index, each value as :func:`arrow_column` writes it, rows
    without a value skipped; with each row's line, the header being line 1 as in the CSV
    pandas saves of it, and False (as :func:`read_lined`)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise RecordError("reading .parquet needs pyarrow: pip install pyarrow (or save the "
                          "table as CSV)") from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - not a Parquet file: said in one line
        raise RecordError(f"cannot be read as a Parquet file ({exc})") from None
    names = table.column_names
    keep = [i for i, name in enumerate(names) if not PANDAS_INDEX.fullmatch(name)]
    columns = []
    for i in keep:
        try:
            columns.append(arrow_column(table.column(i).to_pylist(), 2))
        except RecordError as exc:
            exc.key = names[i]
            raise
    rows, lines = [], []
    for at, row in enumerate(zip(*columns)):
        if any(cell.strip() for cell in row):
            rows.append(list(row))
            lines.append(at + 2)
    header = [names[i].strip() or f"column {j + 1}" for j, i in enumerate(keep)]
    return header, rows, lines, False


def _labelled(header: list[str], rows: list[list[str]], target: str, path: Path,
              form: dict | None = None) -> list[list[str]]:
    """The rows that have a label (LayerLoom leaves out those without one: a blank, NA, or a
    dash in a column of numbers, written as ``form`` says)."""
    labels = [_as_written(label.strip(), form)
              for label in _column(header, rows, target, path)]
    numbers = all(_number(label) is not None for label in labels
                  if label.lower() not in MISSING and label not in DASHES)
    return [row for row, label in zip(rows, labels)
            if label.lower() not in MISSING and not (numbers and label in DASHES)]


def _as_written(value: str, form: dict | None) -> str:
    """A number written as its column was in training (a decimal comma, thousands
    separators, a currency or percent sign: the column's ``written`` form), as Python writes
    it."""
    if not form:
        return value
    percent = form.get("unit") == "%" and "%" in value  # 12 % is 0.12, as in training
    if form.get("unit") and form["unit"] in value:  # $1,250.50, 12 %
        value = value.replace(form["unit"], "", 1).strip()
    if form.get("thousands"):
        value = value.replace(form["thousands"], "")
    value = value.replace(form.get("decimal", "."), ".")
    return hundredth(value) if percent else value


def hundredth(number: str) -> str:
    """``number`` (as Python writes it) divided by 100, digit for digit: a percentage's
    fraction (``5`` → ``0.05``), as LayerLoom's reader makes it; a text that is no number as
    it is."""
    try:
        shifted = format(Decimal(number).scaleb(-2), "f")
    except (InvalidOperation, ValueError):
        return number
    return shifted.rstrip("0").rstrip(".") if "." in shifted else shifted


def delimiter_of(path: Path, text: str) -> str:
    """The separator LayerLoom read the training file with: a tab for .tsv, what Excel's
    ``sep=;`` first line names, ``;`` where every comma of the first line sits between digits
    (decimal commas), else of tab ; | , those every one of the first lines holds as often as
    the header (or all four), the one the header holds most of (that order on a tie)."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    named = re.match(r"\A\s*sep=([^\s\w\"])[ \t]*\r?\n", text)
    if named:
        return named.group(1)
    lines = [line for line in re.sub(r'"[^"]*"', "", text[:1 << 20]).split("\n", 51)[:50]
             if line.strip()]
    first = lines[0] if lines else ""
    if ";" in first and len(re.findall(r"\d,\d", first)) == first.count(","):
        return ";"
    steady = [c for c in "\t;|," if first.count(c)
              and all(line.count(c) == first.count(c) for line in lines)]
    return max(steady or ",;\t|", key=first.count) if any(c in first for c in ",;\t|") \
        else ","


# -- numbers as a new file writes them (predict.py holds the same code: keep the two alike) --

GROUPS = (None, ".", ",", " ", "\u00a0", "\u202f", "'")  # thousands separators, as written


def readings(cell: str) -> dict:
    """The number ``cell`` writes, by which mark is its decimal one: ``{".": 1.234, ",":
    1234.0}`` for ``1.234``, one reading where its marks tell (``1.234,5``: ``{",": 1234.5}``;
    ``0.25``: ``{".": 0.25}``), the same number twice where no mark matters (``1 234``), ``{}``
    for no number. A currency or percent sign is taken off; parentheses, as accounting writes
    a negative amount, are a minus.

    >>> readings("1.234"), readings("$1,250.50"), readings("(1 234,5 €)")
    ({'.': 1.234, ',': 1234.0}, {'.': 1250.5}, {',': -1234.5})
    """
    bare = re.sub(r"[$€£¥%]", "", cell).strip()
    negative = re.fullmatch(r"\(\s*([^()\s][^()]*?)\s*\)", bare)
    if negative:
        bare = "-" + negative.group(1)
    share = hundredth if "%" in cell else str  # 5% is 0.05, as training read it
    out = {}
    if re.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", bare):
        out["."] = float(share(bare))  # as Python writes it (1e-5 too)
    for decimal in ".,":
        for group in GROUPS:
            if decimal in out or group == decimal:
                continue
            whole = rf"[1-9]\d{{0,2}}(?:{re.escape(group)}\d{{3}})+|\d+" if group else r"\d+"
            mark = re.escape(decimal)
            if re.fullmatch(rf"[+-]?(?:(?:{whole})(?:{mark}\d+)?|{mark}\d+)", bare):
                out[decimal] = float(share((bare.replace(group, "") if group else bare)
                                           .replace(decimal, ".")))
    return {mark: number for mark, number in out.items() if math.isfinite(number)}


def _decimal_of(form: dict | None) -> str:
    """The decimal mark of a column the training file wrote in ``form``."""
    form = form or {}
    return form.get("decimal") or ("," if form.get("thousands") == "." else ".")


MARKS = {".": "a decimal point", ",": "a decimal comma"}


def written_numbers(where: str, header: list, rows: list, lines: list, columns: list,
                    commas: bool, missing) -> tuple[dict, list]:
    """The numbers of each numeric column of ``columns`` (a cell missing, a dash: NaN), read
    as this file writes them, and the notes on them.

    Where the file shows a column's decimal mark (``1234.5``, ``0,25``, ``1.234,50``) that
    mark reads it, whatever the training file's was (said in a note where they differ); a
    column that shows both is refused. A number that may be either (``1.250``: 1.25, or 1250
    with a point between thousands) is read as the training reader reads it: a point decimal,
    unless the file's other numbers have a decimal comma or, where values are separated by ;
    or a tab (``commas``), the column writes numbers under 1,000 without a point; a comma
    decimal there, else thousands. Where the training file's form would read it otherwise,
    it is refused, naming the column and line: no guess. ``where`` starts every message."""
    numeric = [c["name"] for c in columns
               if c.get("kind") not in ("categorical", "date") and c["name"] in header]
    parsed, shown = {}, {}
    for name in numeric:
        at = header.index(name)
        parsed[name] = []
        for cell, line in zip((row[at].strip() if at < len(row) else "" for row in rows), lines):
            if cell.lower() in missing or cell in DASHES:
                parsed[name].append(None)
                continue
            read = readings(cell)
            if not read:
                raise SystemExit(f"{where}: column {name!r} holds numbers, got {cell!r} "
                                 f"(line {line})")
            parsed[name].append((read, cell, line))
            if len(read) == 1:
                shown.setdefault(name, {}).setdefault(next(iter(read)), (cell, line))
    file_marks = {mark for seen in shown.values() for mark in seen}
    out, other = {}, {}
    for name, cells in parsed.items():
        form = next(c.get("written") for c in columns if c["name"] == name)
        seen = shown.get(name, {})
        if len(seen) > 1:
            (a, line_a), (b, line_b) = seen["."], seen[","]
            raise SystemExit(f"{where}: column {name!r} writes numbers with a decimal point "
                             f"(line {line_a}: {a}) and with a decimal comma (line {line_b}: "
                             f"{b}); write them all one way")
        mark = next(iter(seen), None) or _file_mark(cells, file_marks, commas)
        if seen and form and mark != _decimal_of(form):
            other.setdefault(mark, []).append(name)
        out[name] = [math.nan if c is None else _reading(name, *c, mark, form, commas, where)
                     for c in cells]
    notes = []
    for mark, names in other.items():  # one note for the columns the file writes otherwise
        cell, line = shown[names[0]][mark]
        notes.append(f"{'column' if len(names) == 1 else 'columns'} "
                     f"{', '.join(map(repr, names))}: this file writes numbers with "
                     f"{MARKS[mark]} (line {line}: {cell}), the training file with "
                     f"{MARKS['.' if mark == ',' else ',']}: read as this file writes them")
    return out, notes


def _file_mark(cells: list, file_marks: set, commas: bool) -> str | None:
    """The decimal mark of a column whose numbers do not show it, where the file tells (as
    the training reader decides what a point before three digits is)."""
    if file_marks == {"."} or (commas and file_marks == {","}):
        return next(iter(file_marks))
    bare = [re.sub(r"[$€£¥%]", "", c[1]).strip() for c in cells if c is not None]
    if commas and not file_marks and any("." in b for b in bare) and all(
            re.fullmatch(r"[+-]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d{1,3})", b) for b in bare) \
            and any(re.fullmatch(r"[+-]?\d{1,3}", b) for b in bare):
        return ","  # 850 beside 1.250: a point only from 1,000 on
    return None


def _reading(name: str, read: dict, cell: str, line: int, mark: str | None,
             form: dict | None, commas: bool, where: str) -> float:
    """One cell's number: by the column's decimal ``mark``, or, where neither the cell nor
    the file tells, as the training reader reads it, if the training file's ``form`` agrees."""
    if len(set(read.values())) == 1:
        return next(iter(read.values()))
    if mark is not None:
        return read[mark]
    sign = "," if "," in cell else "."
    usual = read["," if sign == "," and commas else "."]
    try:
        trained = float(_as_written(cell, form))
    except ValueError:
        trained = usual  # the training file never wrote such a number
    if trained != usual:
        what = "point" if sign == "." else "comma"
        trained_as = MARKS[sign] if trained == read[sign] else f"{what}s between thousands"
        raise SystemExit(f"{where}: column {name!r}, line {line}: {cell!r} may mean "
                         f"{read['.']:g} or {read[',']:g}; nothing in the file shows whether "
                         f"its {what} marks decimals or thousands, and the training file wrote "
                         f"the column with {trained_as}. Write the column's numbers without "
                         f"thousands separators ({max(read.values()):g}, not {cell})")
    return usual


# -- dates: a column of dates as the features training made of it ------------------------------
# (predict.py holds the same code, with which LayerLoom made the training features: keep the
# two alike)

DATE_FORM = re.compile(
    r"^(?:(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"  # 2024-03-25
    r"|(?P<a>\d{1,2})(?P<t>[./-])(?P<b>\d{1,2})(?P=t)(?P<yy>\d{4}|\d{2}),?)"  # 25/03/2024
    r"(?: ?[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}(?:\.\d+)?))?"  # 14:05:09.5
    r"(?: ?(?P<p>[AaPp][Mm]))?)?"  # 2:05 PM
    r"(?: ?(?P<z>Z|[+-]\d{2}:?\d{2}))?$")  # a UTC offset: +02:00, -0500, Z
DATE_ORDERS = {"dmy": "day/month/year", "mdy": "month/day/year", None: "year-month-day"}


def read_date(cell: str, order: str | None, utc: bool | None = None) -> dt.datetime:
    """The date and time ``cell`` writes: year first (``2024-03-25``, ``2024/03/25``) always,
    day and month first as ``order`` says (``"dmy"``: ``25/03/2024``; ``"mdy"``:
    ``03/25/2024``; a two-digit year 00–68 is 2000–2068, 69–99 is 1969–1999, as Python's
    ``%y``). Where the training column's times had UTC offsets (``utc`` True), the time is
    the UTC one the offset gives (``10:00+02:00`` is 08:00), and a cell without one is no
    date of the column; where they had none (False), a cell with one is not either; None
    (a run recorded before offsets were read) reads the clock time, the offset left aside.
    ValueError where it is no such date (``31/02/2024``, ``13/13/2024``, or day first with
    no ``order``).

    >>> read_date("2024-03-25", None), read_date("3/25/24 2:05 PM", "mdy")
    (datetime.datetime(2024, 3, 25, 0, 0), datetime.datetime(2024, 3, 25, 14, 5))
    >>> read_date("2024-03-25T10:00:00+02:00", None, utc=True)
    datetime.datetime(2024, 3, 25, 8, 0)
    """
    found = DATE_FORM.match(cell.strip())
    if not found:
        raise ValueError(f"{cell!r} is not a date")
    if utc is not None and bool(found["z"]) != utc:
        raise ValueError(f"{cell!r} {'lacks' if utc else 'has'} a UTC offset")
    if found["y"]:
        year, month, day = int(found["y"]), int(found["m"]), int(found["d"])
    elif order in ("dmy", "mdy"):
        first, second, year = int(found["a"]), int(found["b"]), int(found["yy"])
        day, month = (first, second) if order == "dmy" else (second, first)
        if len(found["yy"]) == 2:
            year += 2000 if year < 69 else 1900
    else:
        raise ValueError(f"{cell!r} writes its day and month first, in an order not known")
    hour, minute = int(found["H"] or 0), int(found["M"] or 0)
    if found["p"]:  # 12-hour clock: 12 AM is midnight, 12 PM noon
        if not 1 <= hour <= 12:
            raise ValueError(f"{cell!r}: hour {hour} on a 12-hour clock")
        hour = hour % 12 + (12 if found["p"].lower() == "pm" else 0)
    seconds = float(found["S"] or 0)
    when = dt.datetime(year, month, day, hour, minute, int(seconds))  # ValueError: no such
    when += dt.timedelta(seconds=seconds - int(seconds))
    if utc and found["z"] != "Z":
        sign, hours, minutes = found["z"][0], int(found["z"][1:3]), int(found["z"][-2:])
        when -= (1 if sign == "+" else -1) * dt.timedelta(hours=hours, minutes=minutes)
    return when


def date_names(column: dict) -> list[str]:
    """The model's features made of a date column, in order: days since the earliest training
    date, then month, weekday (and hour of the day, for dates with times) each as a point on a
    circle (sine and cosine), so that December sits beside January and Sunday beside
    Monday."""
    name = column["name"]
    cycles = ("month", "weekday") + (("hour",) if column.get("time") else ())
    return [f"{name}: days since {column['origin']}"] + [
        f"{name}: {cycle} {part}" for cycle in cycles for part in ("sin", "cos")]


def date_features(when: dt.datetime, column: dict) -> list[float]:
    """``when`` as the features :func:`date_names` names.

    >>> column = {"name": "d", "kind": "date", "origin": "2024-01-01", "time": False}
    >>> [round(v, 3) for v in date_features(dt.datetime(2024, 4, 1), column)]
    [91.0, 1.0, 0.0, 0.0, 1.0]
    """
    days = (when - dt.datetime.fromisoformat(column["origin"])).total_seconds() / 86400
    turns = [(when.month - 1) / 12, when.weekday() / 7]
    if column.get("time"):
        turns.append((when.hour + when.minute / 60 + when.second / 3600) / 24)
    return [days] + [f(2 * math.pi * turn) for turn in turns for f in (math.sin, math.cos)]


def date_problem(cell: str, column: dict) -> str:
    """Why ``cell`` cannot be read as the training file wrote ``column``'s dates."""
    found, utc = DATE_FORM.match(cell.strip()), column.get("utc")
    if found and utc is not None and bool(found["z"]) != utc:
        return (f"{cell!r} has no UTC offset, but the training file's times all had one (they "
                f"were read in UTC); write it with its offset (+02:00, or Z for UTC)" if utc
                else f"{cell!r} has a UTC offset, but the training file's times had none "
                f"(they were read as clock time); write it without the offset, in the clock "
                f"time the training file used")
    order = column.get("order")
    how = DATE_ORDERS[order] if order else "year first"
    return (f"{cell!r} is not a date written {how}, as the training file wrote the column; "
            f"write it so, or year first (2024-03-25)")


def written_dates(where: str, header: list, rows: list, lines: list, columns: list,
                  missing) -> dict:
    """The features of each date column of ``columns`` (:func:`date_features`), one list a
    row, NaN for a missing date; a date this file writes otherwise than training read them
    (``03/25/2024`` where training read day first) is refused, naming the column and the
    line. ``where`` starts the message."""
    out = {}
    for column in columns:
        if column.get("kind") != "date" or column["name"] not in header:
            continue
        at, width = header.index(column["name"]), len(date_names(column))
        out[column["name"]] = features = []
        for cells, line in zip(rows, lines):
            cell = cells[at].strip() if at < len(cells) else ""
            if cell.lower() in missing:
                features.append([math.nan] * width)
                continue
            try:
                features.append(date_features(read_date(cell, column.get("order"),
                                                          column.get("utc")), column))
            except ValueError:
                raise SystemExit(f"{where}: column {column['name']!r}, line {line}: "
                                 f"{date_problem(cell, column)}") from None
    return out


def _column(header: list[str], rows: list[list[str]], name: str, path: Path) -> list[str]:
    if name not in header:
        raise SystemExit(f"{path.name}: no column {name!r} (it has {', '.join(header)})")
    i = header.index(name)
    return [row[i] for row in rows]


def read_table(path: Path, spec: dict, root: Path) -> tuple[np.ndarray, np.ndarray]:
    """Numeric columns as numbers (missing cells NaN), read as the file writes them (its own
    decimal mark: :func:`written_numbers`), categorical ones one-hot over the categories seen
    in training (an unseen or missing value: all zeros), dates as the features training made
    of them (:func:`written_dates`: days since the earliest training date, month, weekday and
    hour on a circle)."""
    header, rows, lines, commas = read_lined(path, spec.get("sheet"))
    form = spec.get("target_written")  # a target of numbers written as $1,250.50 or 3,5
    kept = set(map(id, _labelled(header, rows, spec["target"], path, form)))
    lines = [line for row, line in zip(rows, lines) if id(row) in kept]
    rows = [row for row in rows if id(row) in kept]
    for column in spec["columns"]:
        _column(header, rows, column["name"], path)  # a column the file lacks, named
    numeric = spec["columns"] + ([{"name": spec["target"], "kind": "numeric", "written": form}]
                                 if form or spec.get("classes") is None else [])
    numbers, notes = written_numbers(path.name, header, rows, lines, numeric, commas, MISSING)
    dates = written_dates(path.name, header, rows, lines, spec["columns"], MISSING)
    for note in notes:
        print(f"{path.name}: {note}")
    blocks = []
    for column in spec["columns"]:
        values = [v.strip() for v in _column(header, rows, column["name"], path)]
        if column["kind"] == "numeric":
            blocks.append(np.asarray(numbers[column["name"]], dtype=np.float64)[:, None])
        elif column["kind"] == "date":
            blocks.append(np.asarray(dates[column["name"]], dtype=np.float64).reshape(
                len(values), -1))
        else:
            index = {c: i for i, c in enumerate(column["categories"])}
            block = np.zeros((len(values), len(index)))
            for row, value in enumerate(values):
                if value in index:
                    block[row, index[value]] = 1.0
            blocks.append(block)
    x = np.concatenate(blocks, axis=1).astype(np.float32)
    target = numbers.get(spec["target"]) or [
        _as_written(v.strip(), form) for v in _column(header, rows, spec["target"], path)]
    return x, labels(target, spec, path.name)


def tokenize(text: str) -> list[str]:
    return WORD.findall(text.lower())


def read_text(path: Path, spec: dict, root: Path) -> tuple[np.ndarray, np.ndarray]:
    """Token ids [N, length]: unknown words are <unk> (1), texts cut or padded with 0."""
    header, rows = read_csv(path, spec.get("sheet"))
    rows = _labelled(header, rows, spec["label_column"], path)
    vocab = json.loads((root / spec["vocab_file"]).read_text(encoding="utf-8"))
    index = {word: i for i, word in enumerate(vocab)}
    texts = _column(header, rows, spec["text_column"], path)
    ids = np.zeros((len(texts), spec["length"]), dtype=np.int64)
    for row, text in enumerate(texts):
        text = "" if text.strip().lower() in MISSING else text
        cut = [index.get(token, 1) for token in tokenize(text)[:spec["length"]]]
        ids[row, :len(cut)] = cut
    target = [v.strip() for v in _column(header, rows, spec["label_column"], path)]
    return ids, labels(target, spec, path.name)


# -- zips of image folders ------------------------------------------------------------------------

def _eight_bit(image):
    """A 16- or 32-bit integer grayscale image as 8-bit, scaled by its type's range, and a
    float one (a TIFF's) by the range its values keep to (0-1, else 0-255, else 0-65535, else
    its largest value), as LayerLoom reads them (Pillow's ``convert("L")`` would clip them: a
    16-bit photo all white). An image with transparent pixels laid on paper (:func:`_on_paper`)."""
    from PIL import Image

    if image.mode.startswith("I;16"):
        top = 65535
    elif image.mode == "I":  # a 16-bit PNG in some Pillow versions; else 32-bit integers
        top = 65535 if image.format == "PNG" else 2**31 - 1
    elif image.mode == "F":
        finite = np.asarray(image)[np.isfinite(np.asarray(image))]
        most = float(finite.max()) if finite.size else 0.0
        top = next((t for t in (1.0, 255.0, 65535.0) if most <= t), most)
    elif image.mode in ("LAB", "HSV"):  # a TIFF's: Pillow turns them to RGB, not to gray
        return image.convert("RGB")
    elif image.mode == "P" and "transparency" in image.info:  # its own colours, on paper
        return _on_paper(image.convert("RGBA"))
    else:
        return _on_paper(image)
    values = np.nan_to_num(np.asarray(image).astype(np.float64), posinf=top)
    return Image.fromarray(np.clip(np.rint(values * (255 / top)), 0, 255).astype(np.uint8), "L")


def _on_paper(image):
    """An image with transparent pixels (alpha 0: a black icon or glyph cut out of its
    background) as it looks laid on paper, as LayerLoom reads it: white behind what is drawn
    dark, black behind what is drawn light; RGB from RGBA, L from LA. Dropping the alpha channel
    (Pillow's ``convert("RGB")``) keeps the colour stored under transparent pixels, most often
    black: a black square. An image with no pixel fully transparent as it is."""
    from PIL import Image

    if image.mode not in ("RGBA", "RGBa", "LA", "La", "PA"):
        return image
    gray = image.mode in ("LA", "La")
    values = np.asarray(image.convert("LA" if gray else "RGBA"), dtype=np.float32)
    colour, alpha = values[..., :-1], values[..., -1:] / 255
    if alpha.size == 0 or alpha.min() > 0:
        return image
    weight = float(alpha.sum())
    dark = weight > 0 and float((colour.mean(axis=-1, keepdims=True) * alpha).sum()) / weight < 128
    paper = 255.0 if dark else 0.0
    pixels = np.rint(colour * alpha + paper * (1 - alpha)).astype(np.uint8)
    return Image.fromarray(pixels[..., 0], "L") if gray else Image.fromarray(pixels, "RGB")


def read_images(path: Path, spec: dict, root: Path) -> tuple[np.ndarray, np.ndarray]:
    """[N, C, H, W] pixels in [0, 1] (before normalisation), resized to the recorded size, in
    the order of the images' paths; the class is the folder. ``path`` is a zip of class
    folders (as LayerLoom reads it) or a folder of class folders."""
    from PIL import Image, ImageOps

    height, width = spec["image_size"]
    mode = "L" if spec["color"] == "grayscale" else "RGB"
    pixels, names = [], []
    for folder, raw in image_files(path):
        image = Image.open(io.BytesIO(raw))
        if image.getexif().get(0x0112, 1) != 1:  # a photo stored sideways: as shown
            image = ImageOps.exif_transpose(image)
        image = _eight_bit(image).convert(mode)
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.BILINEAR)
        pixels.append(np.asarray(image, dtype=np.uint8))
        names.append(folder)
    if not pixels:
        raise SystemExit(f"{path.name}: no PNG, JPEG, WebP, BMP, GIF or TIFF images in class "
                         f"folders")
    x = np.stack(pixels)
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    x = x.astype(np.float32) / np.float32(spec.get("scale", 255.0))
    return x, labels(names, spec, path.name)


def _entry_name(info) -> str:
    """A zip entry's name as written: UTF-8 stored without the zip's UTF-8 flag (Info-ZIP's
    zip on macOS and Linux) read as UTF-8, as LayerLoom reads it."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def image_files(path: Path):
    """``(class folder, bytes)`` of every image, sorted by path; hidden files, archivers'
    leftovers and a single folder wrapping the class folders are skipped."""
    if path.is_dir():
        entries = [(p.relative_to(path).parts, p) for p in path.rglob("*")]
        is_dir, read, name = Path.is_dir, Path.read_bytes, lambda p: p.relative_to(path).as_posix()
        archive = None
    else:
        archive = zipfile.ZipFile(path)
        entries = [(tuple(p for p in _entry_name(info).replace("\\", "/").split("/")
                          if p not in ("", ".")), info) for info in archive.infolist()]
        is_dir, read, name = zipfile.ZipInfo.is_dir, archive.read, lambda info: info.filename
    try:
        entries = [(parts, e) for parts, e in entries
                   if ".." not in parts and not any(p.startswith(".") or p in JUNK
                                                     for p in parts)]
        # one folder holding the class folders: the classes are one level down
        while entries and len({p[0] for p, _ in entries}) == 1 and all(
                len(p) > 2 or is_dir(e) for p, e in entries):
            entries = [(p[1:], e) for p, e in entries if len(p) > 1]
        files = sorted(((p[0], e) for p, e in entries if not is_dir(e) and len(p) > 1
                        and PurePosixPath(p[-1]).suffix.lower() in IMAGE_SUFFIXES),
                       key=lambda item: name(item[1]))
        for folder, entry in files:
            yield folder, read(entry)
    finally:
        if archive is not None:
            archive.close()
